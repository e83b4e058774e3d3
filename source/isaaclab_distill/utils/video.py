"""mp4 videos of env 0, kit-less: a follow camera rendered by Newton's Warp ray tracer and Isaac Lab's recorder.

:func:`configure_video` is called by the scripts before ``gym.make`` when ``--video`` is set. It adds

- a camera sensor ``video_camera`` (:class:`FollowCameraCfg`): each step it is re-aimed at env 0's robot from a fixed
  offset (a chase view with a constant viewing direction), rendered by the Newton Warp ray tracer, which runs on
  ``cpu`` and ``cuda:0`` without Isaac Sim. The camera exists in every env (Isaac Lab needs one per env); the cameras
  of envs 1.. look at the empty sky, where a ray costs little;
- a checkerboard ground without collision (``/World/VideoGround``) when the scene has no terrain, so that motion is
  visible against the background;
- an Isaac Lab :class:`~isaaclab.envs.utils.video_recorder_cfg.VideoRecorderCfg` reading that sensor, completed by
  Isaac Lab's own :func:`~isaaclab_rl.entrypoints.common.apply_video_recording`: clips of ``--video_length`` env steps
  every ``--video_interval`` steps land in ``<log_dir>/videos/<subdir>/`` (moviepy, H.264), named as gymnasium's
  ``RecordVideo`` names them, ``rl-video-step-<N>.mp4`` with a ``.meta.json`` beside each (:mod:`.video_recorder`);
- the task's own recording settings: an env cfg with a ``video_mode()`` method gets it called (the quadcopter adds
  its goal marker, ``scene.goal_marker``, which the camera keeps in view together with the vehicle).

Cost: nothing is imported or added without ``--video`` (the scripts import this module only then). With it, nothing
is rendered between clips (sensors update lazily); during a clip every second env step is rendered (one frame per
``FRAME_STRIDE`` steps, played back in real time). Measured on a 2-core CPU at 480 x 360 (quadcopter play, 150
frames): ~55 ms per frame for env 0 plus ~8 ms per further env (parked cameras), so record with few envs on CPU
(play: 16, or ``--num_envs``).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
from typing import Any

import isaaclab.sim as sim_utils
import torch
from isaaclab.assets import AssetBaseCfg
from isaaclab.envs.utils.video_recorder_cfg import VideoRecorderCfg
from isaaclab.sensors.camera import Camera, CameraCfg
from isaaclab.utils import configclass
from isaaclab_newton.renderers import NewtonWarpRendererCfg

from .errors import UserError

VIDEO_CAMERA_NAME = "video_camera"
"""Scene name of the recording camera (the recorder source is ``sensor:video_camera``)."""
VIDEO_GROUND_PATH = "/World/VideoGround"
"""Prim path of the visual-only checkerboard ground added to scenes without terrain."""
VIDEO_WIDTH, VIDEO_HEIGHT = 480, 360
"""Frame size [px]."""
FRAMED_ASSET = "goal_marker"
"""Scene name of an asset that the camera keeps in view with the robot (a task's goal marker, see ``video_mode``)."""
FRAME_STRIDE = 2
"""Render one frame every this many env steps; the clip plays at ``1 / (step_dt * FRAME_STRIDE)`` fps (real time)."""
_CPU_MS_PER_ENV = 8.0
"""Measured render cost of one parked camera per frame on CPU [ms] (2-core box, 480 x 360)."""
_CPU_ENVS_HINT = 64
"""Above this many envs on CPU, ``configure_video`` prints the expected cost of a clip."""
_PARKED_HEIGHT = 1000.0
"""Height [m] above their env origin at which the cameras of envs 1.. look at the empty sky."""


class FollowCamera(Camera):
    """A camera whose env-0 instance keeps looking at a scene asset from a fixed world-frame offset.

    Before each render the pose of env 0's camera is set to ``asset position + eye_offset`` looking at
    ``asset position + lookat_offset`` (translation follows the asset, the viewing direction stays fixed, so motion
    shows against the ground). The cameras of the other envs are parked looking at the empty sky: the Newton
    renderer draws every env's camera, and a ray that hits nothing is the cheapest one.

    The pose is set in ``_prepare_camera``, which Isaac Lab 3.0's :class:`Camera` calls right before rendering on both
    its lazy and its batched update path. Assigning the checkerboard replaces the renderer's texture table, so other
    textured shapes render untextured in the video (none in this package's tasks).
    """

    cfg: FollowCameraCfg

    def __init__(self, cfg: FollowCameraCfg):
        super().__init__(cfg)
        self._target = self._framed = None
        self._ready = False
        if cfg.draw_colliders:
            # the renderer ray-traces the model's shape BVH, which holds only VISIBLE shapes by default; this is how
            # Newton's scene ray caster adds the colliders, and it must happen before the model is finalised
            import newton
            from isaaclab_newton.physics import NewtonBuilderCfg

            sim = sim_utils.SimulationContext.instance()
            builder = sim.get_or_create_backend(NewtonBuilderCfg(physics_cfg=sim.cfg.physics))
            builder.default_bvh_cfg.shape_flags |= newton.ShapeFlags.COLLIDE_SHAPES

    def _prepare_camera(self, env_mask) -> None:
        if not self._ready:
            self._setup_once()
        position = self._target.data.root_pos_w.torch[:1].to(self._device)
        offset = torch.tensor(self.cfg.eye_offset, device=self._device)
        if self._framed is not None:  # look between the two, from far enough to see both (~36 deg vertical view)
            other = self._framed.data.root_pos_w.torch[:1].to(self._device)
            separation = float(torch.linalg.norm(other - position))
            offset = offset * max(1.0, 1.6 * separation / float(torch.linalg.norm(offset)))
            position = 0.5 * (position + other)
        eye = position + offset
        lookat = position + torch.tensor(self.cfg.lookat_offset, device=self._device)
        self.set_world_poses_from_view(eye, lookat, env_ids=[0])
        super()._prepare_camera(env_mask)

    def _setup_once(self) -> None:
        """Resolve the followed asset, park the cameras of envs 1.. and texture the ground (first render only)."""
        provider = sim_utils.SimulationContext.instance().get_scene_data_provider()
        scene = provider.get_interactive_scene() if provider is not None else None
        if scene is None or self.cfg.target_asset not in scene.keys():
            raise RuntimeError(f"[FollowCamera] the scene has no asset '{self.cfg.target_asset}' to follow")
        self._target = scene[self.cfg.target_asset]
        framed = self.cfg.framed_asset
        self._framed = scene[framed] if framed is not None and framed in scene.keys() else None
        if self.num_instances > 1:
            origins = scene.env_origins[1:].to(self._device)
            eye = origins + torch.tensor((0.0, 0.0, _PARKED_HEIGHT), device=self._device)
            lookat = eye + torch.tensor((0.1, 0.0, 1.0), device=self._device)
            self.set_world_poses_from_view(eye, lookat, env_ids=list(range(1, self.num_instances)))
        if self.cfg.checker_prim_path:
            self._assign_checkerboard(self.cfg.checker_prim_path)
        self._ready = True

    def _assign_checkerboard(self, prim_path: str) -> None:
        """Give the shapes below ``prim_path`` Newton's gray checkerboard texture (0.5 m squares)."""
        sensor = getattr(self._renderer, "newton_sensor", None)
        model = getattr(getattr(self._renderer, "backend", None), "model", None)
        if sensor is None or model is None:
            return  # another renderer: plain ground
        ids = [i for i, label in enumerate(model.shape_label) if f"{label}/".startswith(f"{prim_path}/")]
        if ids:
            sensor.utils.assign_checkerboard_material(shape_indices=ids, resolution=64, checker_size=32)


@configclass
class FollowCameraCfg(CameraCfg):
    """:class:`FollowCamera` settings; the view is 24 mm / 20.955 mm aperture (~47 deg horizontal)."""

    class_type: type = FollowCamera

    target_asset: str = "robot"
    """Scene name of the asset (rigid object or articulation) whose root env 0's camera follows."""
    eye_offset: tuple[float, float, float] = (1.4, -1.4, 1.2)
    """Camera position relative to the asset root, world axes [m]."""
    lookat_offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """Look-at point relative to the asset root, world axes [m]."""
    framed_asset: str | None = FRAMED_ASSET
    """A second scene asset kept in view (the camera looks between the two, backing off as they part); ignored
    when the scene has none."""
    checker_prim_path: str | None = None
    """Shapes below this prim path get a checkerboard texture (the video ground); None for none."""
    draw_colliders: bool = False
    """Also draw collision shapes that have no visual twin (a robot imported with colliders only, e.g. the A1)."""


def video_camera_cfg(
    target_asset: str = "robot", checker_prim_path: str | None = None, **view: tuple[float, float, float]
) -> FollowCameraCfg:
    """The recording camera: RGB, ``VIDEO_WIDTH x VIDEO_HEIGHT``, Newton Warp ray tracer without CUDA graphs.

    ``view``: ``eye_offset`` / ``lookat_offset`` of :class:`FollowCameraCfg` (a task's ``video_mode`` may set its
    own camera, e.g. parkour looks ahead of the robot at the obstacles).
    """
    return FollowCameraCfg(
        prim_path="{ENV_REGEX_NS}/VideoCamera",
        spawn=sim_utils.PinholeCameraCfg(focal_length=24.0, horizontal_aperture=20.955, clipping_range=(0.05, 100.0)),
        width=VIDEO_WIDTH,
        height=VIDEO_HEIGHT,
        data_types=["rgb"],
        background_color=(0.62, 0.75, 0.88),
        # the configuration measured kit-less on CPU (CUDA graphs only exist on GPUs); shadows show the height
        renderer_cfg=NewtonWarpRendererCfg(use_cuda_graph=False, enable_shadows=True),
        target_asset=target_asset,
        checker_prim_path=checker_prim_path,
        **view,
    )


def video_ground_cfg(num_envs: int, env_spacing: float) -> AssetBaseCfg:
    """A thin visual-only box (no collider, no rigid body) under the whole env grid, 20 m beyond it."""
    size = env_spacing * math.ceil(math.sqrt(max(num_envs, 1))) + 40.0
    return AssetBaseCfg(
        prim_path=VIDEO_GROUND_PATH,
        spawn=sim_utils.CuboidCfg(
            size=(size, size, 0.02), visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=(0.75, 0.8, 0.75))
        ),
        init_state=AssetBaseCfg.InitialStateCfg(pos=(0.0, 0.0, -0.01)),
    )


def configure_video(
    env_cfg: Any,
    args_cli: argparse.Namespace,
    log_dir: str,
    subdir: str,
    checkpoint_path: str | None = None,
) -> None:
    """Record mp4 clips of env 0 into ``<log_dir>/videos/<subdir>/``; call before ``gym.make``.

    Adds the follow camera (and, without terrain, the checkerboard ground) to ``env_cfg.scene`` and a
    ``sensor:video_camera`` recorder to ``env_cfg.video_recorders`` unless the task declares recorders of its own,
    then lets Isaac Lab's ``apply_video_recording`` apply ``--video_length`` / ``--video_interval`` and the output
    directory. Does nothing unless ``args_cli.video`` is set.

    Args:
        env_cfg: Resolved env config (direct or manager-based), after ``apply_env_args``.
        args_cli: Parsed flags with ``video``, ``video_length`` and ``video_interval``.
        log_dir: Run directory.
        subdir: ``"train"``, ``"distillation"`` or ``"play"``.
        checkpoint_path: Checkpoint a play run loads; a ``model_<N>.pt`` name is appended to the clip names.

    Raises:
        UserError: Missing moviepy, a negative interval, or a scene without an asset to follow.
    """
    if not getattr(args_cli, "video", False):
        return
    if not _has_module("moviepy.editor") or not _has_module("imageio_ffmpeg"):  # Isaac Lab's recorder needs moviepy<2
        raise UserError("--video needs moviepy<2 and imageio-ffmpeg: pip install 'moviepy<2' imageio-ffmpeg")
    video_length = getattr(args_cli, "video_length", None)
    if video_length is not None and video_length <= 0:
        raise UserError(f"--video_length must be positive, got {video_length}")
    video_interval = getattr(args_cli, "video_interval", None)
    if video_interval is not None and video_interval < 0:
        raise UserError(f"--video_interval must be >= 0 (0: a single clip), got {video_interval}")

    if callable(getattr(env_cfg, "video_mode", None)):  # the task's recording settings (e.g. a goal marker)
        env_cfg.video_mode()
    scene = env_cfg.scene
    if not env_cfg.video_recorders:
        target = _followed_asset(scene)
        if getattr(scene, VIDEO_CAMERA_NAME, None) is None:
            checker = None
            if not _has_terrain(scene):
                scene.video_ground = video_ground_cfg(scene.num_envs, scene.env_spacing)
                checker = VIDEO_GROUND_PATH
            setattr(scene, VIDEO_CAMERA_NAME, video_camera_cfg(target, checker))
        stride = min(FRAME_STRIDE, video_length or FRAME_STRIDE)
        env_cfg.video_recorders = [VideoRecorderCfg(source=f"sensor:{VIDEO_CAMERA_NAME}", frame_stride=stride)]

    num_envs = scene.num_envs
    if str(env_cfg.sim.device).startswith("cpu") and num_envs > _CPU_ENVS_HINT:
        seconds = (video_length or 200) / FRAME_STRIDE * _CPU_MS_PER_ENV * num_envs / 1000.0
        print(
            f"[WARN] --video on cpu with {num_envs} envs: every recorded frame renders each env's camera, "
            f"~{seconds:.0f} s per clip; fewer envs (or play.py --video) record faster"
        )

    from isaaclab_rl.entrypoints.common import apply_video_recording

    try:
        apply_video_recording(env_cfg, log_dir, args_cli, subdir=subdir, checkpoint_path=checkpoint_path)
    except ValueError as err:
        raise UserError(f"--video: {err}".splitlines()[0]) from err


def _followed_asset(scene: Any, name: str = "robot") -> str:
    """Name of the scene asset the camera follows: ``name``, else the first articulation or rigid body (``robot_0``)."""
    if getattr(scene, name, None) is not None:
        return name
    from isaaclab.assets import ArticulationCfg, RigidObjectCfg

    bodies = [key for key, value in vars(scene).items() if isinstance(value, (ArticulationCfg, RigidObjectCfg))]
    if not bodies:
        raise UserError(
            f"--video follows the scene asset '{name}' or else the first articulation or rigid object, but"
            f" {type(scene).__name__} has neither: "
            "add a VideoRecorderCfg to the task's env cfg (video_recorders) or drop --video"
        )
    return bodies[0]


def _has_terrain(scene: Any) -> bool:
    """Whether the scene has its own ground (a terrain importer)."""
    from isaaclab.terrains import TerrainImporterCfg

    return any(isinstance(value, TerrainImporterCfg) for value in vars(scene).values())


def _has_module(name: str) -> bool:
    """Whether ``name`` can be imported (without importing it, beyond its parent packages)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
