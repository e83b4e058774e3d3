"""Storage of the distillation: a bounded per-env trajectory dataset for DAgger, kept on the env device.

Storage is a ring buffer over time, shaped ``[C, N, ...]`` (C = capacity in steps per env, N = envs). Every call to
:meth:`EpisodeDataset.append` writes one step for all envs; when full, the oldest step is overwritten. Each step
holds the student observation (one tensor per observation group, a TensorDict ``[C, N]``: a depth image stays
``[C, N, 1, H, W]``), the teacher action (the label), the done flag returned by the env for that step, a
validity flag (envs excluded by multi-teacher selection are stored but never trained on) and, for recurrent students,
the student hidden state *before* that step.

Trajectories are only continuous inside one collection rollout (the env keeps running during evaluation between
rollouts), so :meth:`EpisodeDataset.sequences` cuts each rollout of each env into segments of ``seq_len`` steps,
keeps the shorter tail segment (padded, ``mask == False`` on padding) and never lets a segment cross a rollout
boundary. Each segment carries the stored hidden state of its first step; inside a segment, ``dones`` tell the
student where to zero it again. Every stored step therefore appears in exactly one segment per pass.

Image groups (per-env shape ``[C, H, W]``) dominate the memory: at 4096 envs one 24-step rollout of float32
``[1, 58, 87]`` depth is ~2 GB. They are therefore stored as ``image_dtype`` (default ``"uint8"``: per-image affine
quantisation, see :mod:`.image_codec`, every pixel within half a quantisation step ``(max - min) / 510`` of the
original; ``"float16"``; or ``"float32"``) and decoded to float32 only for the minibatch that
:meth:`EpisodeDataset.sequences` forms. Vector groups stay float32. :attr:`EpisodeDataset.bytes_per_transition`
gives the resulting footprint.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import torch
from tensordict import TensorDict

from .image_codec import check_image_dtype, dequantise, quantise


@dataclass
class SequenceBatch:
    """A minibatch of segments. Shapes are ``[T, B, ...]``, or ``[B, ...]`` when ``flat`` (seq_len == 1)."""

    obs: TensorDict  # [T, B] student observation groups
    actions: torch.Tensor  # [T, B, A] teacher actions (labels)
    dones: torch.Tensor  # [T, B] bool, episode ended after this step
    mask: torch.Tensor  # [T, B] bool, step is real (not padding) and valid for training
    h0: torch.Tensor | None  # [K, B, H] stored student hidden state at the first step, or None
    flat: bool = False
    env: torch.Tensor | None = None  # [B] env index of each segment (per-group loss weights)


class EpisodeDataset:
    """Ring buffer of per-env trajectories (see module docstring)."""

    def __init__(
        self,
        num_envs: int,
        obs_shapes: Mapping[str, Sequence[int]],
        action_dim: int,
        capacity: int,
        device: str | torch.device = "cpu",
        hidden_shape: tuple[int, int] | None = None,
        image_dtype: str = "uint8",
    ) -> None:
        """Allocate the buffers.

        Args:
            num_envs: N.
            obs_shapes: ``group -> per-env shape`` of the student's groups (the student's ``obs_shapes``).
            action_dim: Action size A.
            capacity: Steps kept per env (C); ``num_envs * capacity`` transitions in total.
            device: Device of the buffers (the env device).
            hidden_shape: ``(K, H)`` of a recurrent student's hidden state ``[K, N, H]``; ``None`` for MLPs.
            image_dtype: Storage of the image groups (per-env shape ``[C, H, W]``): ``"uint8"`` (quantised per
                image), ``"float16"`` or ``"float32"``; see the module docstring.
        """
        if capacity < 1:
            raise ValueError(f"Dataset capacity must be >= 1 step per env, got {capacity}.")
        stored_dtype = check_image_dtype(image_dtype)
        self.num_envs, self.capacity, self.device = num_envs, capacity, torch.device(device)
        self.image_dtype = image_dtype
        self.image_groups = [group for group, shape in obs_shapes.items() if len(shape) == 3]
        c, n = capacity, num_envs
        self.obs = TensorDict(
            {
                group: torch.zeros(
                    c, n, *shape, dtype=stored_dtype if group in self.image_groups else None, device=self.device
                )
                for group, shape in obs_shapes.items()
            },
            batch_size=[c, n],
            device=self.device,
        )
        # uint8 images: per stored image (step, env) offset and step, group -> {"lo", "scale"} of [C, N] float32
        self.image_quant = {
            group: {"lo": torch.zeros(c, n, device=self.device), "scale": torch.ones(c, n, device=self.device)}
            for group in (self.image_groups if image_dtype == "uint8" else [])
        }
        self.actions = torch.zeros(c, n, action_dim, device=self.device)
        self.dones = torch.zeros(c, n, dtype=torch.bool, device=self.device)
        self.valid = torch.ones(c, n, dtype=torch.bool, device=self.device)
        self.hidden = torch.zeros(c, n, *hidden_shape, device=self.device) if hidden_shape else None  # [C, N, K, H]
        self.rollout_start = torch.zeros(c, dtype=torch.bool, device=self.device)  # [C] first step of a rollout
        self._head = 0  # physical index of the oldest step
        self._len = 0  # stored steps per env
        self._new_rollout = True

    def __len__(self) -> int:
        """Stored steps per env."""
        return self._len

    @property
    def num_transitions(self) -> int:
        """Stored transitions (steps x envs), valid or not."""
        return self._len * self.num_envs

    @property
    def bytes_per_transition(self) -> int:
        """Storage bytes per transition (one env, one step), from the allocated buffers.

        The sum over all buffers (observation groups in their storage dtype with the uint8 ``lo``/``scale``,
        actions, dones, valid flags, hidden states, and the per-step rollout-start flags amortised over the envs)
        divided by ``capacity * num_envs``, rounded down. E.g. ``policy`` (50,) + ``depth`` (1, 58, 87),
        12 actions, GRU hidden (1, 128): 20946 bytes with float32 images, 5816 with uint8.
        """
        buffers = [*self.obs.values(), self.actions, self.dones, self.valid, self.rollout_start]
        buffers += [buffer for quant in self.image_quant.values() for buffer in quant.values()]
        buffers += [self.hidden] if self.hidden is not None else []
        return sum(b.numel() * b.element_size() for b in buffers) // (self.capacity * self.num_envs)

    def clear(self) -> None:
        """Drop everything (on-policy mode)."""
        self._head, self._len, self._new_rollout = 0, 0, True

    _BUFFERS = ("obs", "actions", "dones", "valid", "hidden", "rollout_start")

    def state_dict(self) -> dict:
        """The stored steps in chronological order (only the filled part), plain tensors and dicts for checkpoints."""
        order = (self._head + torch.arange(self._len, device=self.device)) % self.capacity
        state = {name: getattr(self, name)[order] for name in self._BUFFERS if getattr(self, name) is not None}
        state["obs"] = state["obs"].to_dict()  # group -> [L, N, ...]: a safe (weights_only) checkpoint holds no class
        state["image_quant"] = {g: {k: v[order] for k, v in quant.items()} for g, quant in self.image_quant.items()}
        return state | {"new_rollout": self._new_rollout, "image_dtype": self.image_dtype}

    def load_state_dict(self, state: dict) -> None:
        """Inverse of :meth:`state_dict`; the per-step shapes must match and the steps fit the capacity."""
        length = int(state["rollout_start"].shape[0])
        if length > self.capacity:
            raise ValueError(f"the dataset holds {length} steps per env, more than the capacity {self.capacity}")
        stored = state["obs"]
        if not isinstance(stored, Mapping) or set(stored) != set(self.obs.keys()):
            groups = sorted(stored) if isinstance(stored, Mapping) else "one flat tensor"
            raise ValueError(f"dataset groups {groups} do not fit the student's {sorted(self.obs.keys())}")
        stored_dtype = state.get("image_dtype", "float32")  # datasets saved before image_dtype existed: float32
        if self.image_groups and stored_dtype != self.image_dtype:
            raise ValueError(
                f"the stored dataset keeps its images as image_dtype={stored_dtype!r}, this dataset as "
                f"image_dtype={self.image_dtype!r}; use the same image_dtype to resume it"
            )
        pairs = [(f"obs '{group}'", self.obs[group], stored[group]) for group in stored]
        stored_quant = state.get("image_quant", {})
        for group, quant in self.image_quant.items():
            pairs += [(f"obs '{group}' {k}", v, stored_quant.get(group, {}).get(k)) for k, v in quant.items()]
        pairs += [(name, getattr(self, name), state.get(name)) for name in self._BUFFERS[1:]]
        for name, buffer, value in pairs:
            if buffer is None:
                continue
            if value is None:  # e.g. a feed-forward student's dataset (no hidden states) for a recurrent one
                raise ValueError(f"the stored dataset has no '{name}'")
            if value.shape[1:] != buffer.shape[1:]:
                raise ValueError(f"dataset {name} {tuple(value.shape)} does not fit {tuple(buffer.shape)}")
            buffer[:length] = value
        self._head, self._len, self._new_rollout = 0, length, bool(state["new_rollout"])

    def start_rollout(self) -> None:
        """Mark that the next appended step starts a new, non-continuous rollout."""
        self._new_rollout = True

    def append(
        self,
        obs: Mapping[str, torch.Tensor],
        actions: torch.Tensor,
        dones: torch.Tensor,
        hidden: torch.Tensor | None = None,
        valid: torch.Tensor | None = None,
    ) -> None:
        """Store one step for all envs, overwriting the oldest step when full.

        Args:
            obs: The student's groups, ``[N, ...]`` each (extra groups are ignored).
            actions: ``[N, A]`` teacher actions.
            dones: ``[N]`` done flags returned by the env for this step.
            hidden: ``[K, N, H]`` student hidden state before this step (recurrent students).
            valid: ``[N]`` train on this step (default all).
        """
        if self._len < self.capacity:
            idx = (self._head + self._len) % self.capacity
            self._len += 1
        else:  # full: overwrite the oldest step
            idx = self._head
            self._head = (self._head + 1) % self.capacity
        for group, buffer in self.obs.items():
            if group in self.image_quant:
                quant = self.image_quant[group]
                buffer[idx], quant["lo"][idx], quant["scale"][idx] = quantise(obs[group])
            else:
                buffer[idx] = obs[group]  # float16 images: cast on assignment
        self.actions[idx] = actions
        self.dones[idx] = dones.view(-1).bool()
        self.valid[idx] = True if valid is None else valid.view(-1).bool()
        if self.hidden is not None:
            if hidden is None:
                raise ValueError("This dataset stores hidden states (recurrent student) but none was given.")
            self.hidden[idx] = hidden.transpose(0, 1)  # [K, N, H] -> [N, K, H]
        self.rollout_start[idx] = self._new_rollout
        self._new_rollout = False

    def _segment_starts(self, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Chronological start and length of every segment along time (shared by all envs)."""
        order = (self._head + torch.arange(self._len, device=self.device)) % self.capacity  # chronological -> physical
        is_start = self.rollout_start[order].clone()
        is_start[0] = True  # the oldest kept step always starts a chunk (its predecessor may have been dropped)
        chunk_starts = torch.nonzero(is_start).flatten().tolist() + [self._len]
        starts, lengths = [], []
        for a, b in zip(chunk_starts[:-1], chunk_starts[1:]):
            for s in range(a, b, seq_len):
                starts.append(s)
                lengths.append(min(seq_len, b - s))
        return torch.tensor(starts, device=self.device), torch.tensor(lengths, device=self.device)

    def _decoded_obs(self, t_phys: torch.Tensor, env_b: torch.Tensor) -> TensorDict:
        """The observations at ``[t_phys, env_b]`` (``[T, B]`` indices), image groups decoded to float32."""
        obs = self.obs[t_phys, env_b]  # a gathered copy: decoding it leaves the buffers as they are
        for group in self.image_groups:
            if group in self.image_quant:
                quant = self.image_quant[group]
                obs[group] = dequantise(obs[group], quant["lo"][t_phys, env_b], quant["scale"][t_phys, env_b])
            else:
                obs[group] = obs[group].float()
        return obs

    def sequences(
        self, seq_len: int, batch_size: int, shuffle: bool = True, generator: torch.Generator | None = None
    ) -> Iterator[SequenceBatch]:
        """One pass over the dataset in minibatches of ``batch_size`` segments of ``seq_len`` steps.

        Args:
            seq_len: Segment length T (1: flat minibatches of transitions).
            batch_size: Segments per minibatch (the last minibatch may be smaller).
            shuffle: Random segment order (``generator`` on the CPU controls it).
            generator: CPU generator for the permutation.

        Yields:
            :class:`SequenceBatch` (``flat`` with ``[B, ...]`` shapes when ``seq_len == 1``).
        """
        if self._len == 0:
            return
        starts, lengths = self._segment_starts(seq_len)  # [S]
        num_seg, n = starts.numel(), self.num_envs
        # Segment id -> (time segment, env); total S * N segments
        total = num_seg * n
        order = torch.randperm(total, generator=generator) if shuffle else torch.arange(total)
        order = order.to(self.device)
        steps = torch.arange(seq_len, device=self.device)
        for i in range(0, total, batch_size):
            ids = order[i : i + batch_size]  # [B]
            seg, env = ids // n, ids % n
            t_chrono = starts[seg].unsqueeze(0) + steps.unsqueeze(1)  # [T, B]
            real = steps.unsqueeze(1) < lengths[seg].unsqueeze(0)  # [T, B], False on tail padding
            t_chrono = torch.where(real, t_chrono, starts[seg].unsqueeze(0))  # padding re-reads the first step
            t_phys = (self._head + t_chrono) % self.capacity
            env_b = env.unsqueeze(0).expand_as(t_phys)
            mask = real & self.valid[t_phys, env_b]
            h0 = None
            if self.hidden is not None:
                h0 = self.hidden[t_phys[0], env].transpose(0, 1)  # [B, K, H] -> [K, B, H]
            batch = SequenceBatch(
                obs=self._decoded_obs(t_phys, env_b),
                actions=self.actions[t_phys, env_b],
                dones=self.dones[t_phys, env_b] & real,
                mask=mask,
                h0=h0,
                env=env,
            )
            if seq_len == 1:  # flat minibatch of transitions: drop the time axis
                batch = SequenceBatch(
                    obs=batch.obs[0],
                    actions=batch.actions[0],
                    dones=batch.dones[0],
                    mask=batch.mask[0],
                    h0=h0,
                    flat=True,
                    env=env,
                )
            yield batch
