"""Isaac Lab's video recorder with gymnasium's clip names and a ``.meta.json`` beside each clip.

Isaac Lab 3.0's :class:`~isaaclab.envs.utils.video_recorder.VideoRecorder` writes ``clip_<index>.mp4``; users (and
tools such as rsl_rl's W&B video upload, which globs ``*.mp4``) know the names of gymnasium's ``RecordVideo``, which
Isaac Lab 2.x used: ``rl-video-step-<N>.mp4`` for a clip started at env step ``N``. :class:`GymNamedVideoRecorder`
keeps everything else of Isaac Lab's recorder (trigger, frame source, stride, moviepy writer) and only names the files
and writes, next to each, ``rl-video-step-<N>.meta.json``::

    {"step_id": N, "episode_id": E, "env_ids": [0], "frames": F, "fps": R, "content_type": "video/mp4"}

``episode_id``: env 0's episodes that ended before the clip started (the first episode is 0). A name already on disk
is never overwritten (``-1``, ``-2``, ... are appended): a second play of the same checkpoint keeps the first clip.
"""

from __future__ import annotations

import json
import os
from typing import Any

from isaaclab.envs.utils.video_recorder import VideoRecorder

from .io import atomic_write_text

PREFIX = "rl-video"


class GymNamedVideoRecorder(VideoRecorder):
    """:class:`VideoRecorder` writing ``rl-video[-<checkpoint>]-step-<N>.mp4`` and its ``.meta.json``."""

    def __init__(self, cfg: Any, env: Any):
        self._paths: dict[int, str] = {}  # clip index -> file path (read by the base class's deletion of old clips)
        self._starts: dict[int, tuple[int, int]] = {}  # clip index -> (step, episode) at its start
        super().__init__(cfg, env)
        self._episodes = 0  # env 0's finished episodes
        self._start: tuple[int, int] = (0, 0)  # (step, episode) at which the clip being recorded started

    def step(self) -> None:
        reset = getattr(self._env, "reset_buf", None)
        if reset is not None and bool(reset[0]):  # env 0's episode ended in this step
            self._episodes += 1
        super().step()

    def _check_trigger(self, effective_step: int) -> bool:
        triggered = super()._check_trigger(effective_step)
        if triggered:
            if self._recording:  # the base class closes the running clip next: fix its name and start first
                self._clip_path(self._clip_index)
            self._start = (self._step_count - 1, self._episodes)  # steps taken before the clip's first frame
        return triggered

    def _clip_path(self, index: int) -> str:
        if index not in self._paths:
            self._starts[index] = self._start
            prefix = str(self.cfg.output_filename_prefix)
            tag = prefix.removeprefix("clip").strip("_")  # Isaac Lab's play appends the checkpoint: clip_model_149
            stem = os.path.join(
                self._effective_output_dir(), f"{PREFIX}{'-' + tag if tag else ''}-step-{self._start[0]}"
            )
            path, n = f"{stem}.mp4", 0
            while os.path.exists(path):
                n += 1
                path = f"{stem}-{n}.mp4"
            self._paths[index] = path
        return self._paths[index]

    def _existing_clip_indices(self) -> list[int]:
        return [index for index, path in getattr(self, "_paths", {}).items() if os.path.exists(path)]

    def _close_clip(self) -> None:
        frames, index = len(self._frames), self._clip_index
        super()._close_clip()
        if not frames:  # nothing recorded: the base class reuses the index for the next clip
            self._paths.pop(index, None)
            return
        path = self._paths.get(index)
        if path is None or not os.path.isfile(path):
            return  # the base class failed to write (it logged why)
        step, episode = self._starts[index]
        meta = {
            "step_id": step,
            "episode_id": episode,
            "env_ids": [0],
            "frames": frames,
            "fps": self._fps(),
            "content_type": "video/mp4",
        }
        atomic_write_text(os.path.splitext(path)[0] + ".meta.json", json.dumps(meta, indent=2))

    def _fps(self) -> int:
        """The clip's frame rate, as the base class resolves it when writing."""
        if self.cfg.fps is not None:
            return int(self.cfg.fps)
        base = getattr(self._env, "metadata", {}).get("render_fps")
        if base is None:
            step_dt = getattr(self._env, "step_dt", None)
            base = round(1.0 / step_dt) if step_dt else 30
        return max(1, round(base / self.cfg.frame_stride))


def use_gym_names(env: Any) -> None:
    """Replace the recorders of an Isaac Lab env (``env.video_recorders``) by :class:`GymNamedVideoRecorder`."""
    env.video_recorders = [GymNamedVideoRecorder(recorder.cfg, env) for recorder in env.video_recorders]
