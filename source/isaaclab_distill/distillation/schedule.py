"""The distillation schedule: who acts at an epoch (beta) and which minibatches an epoch's update draws."""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

from .cfg import DistillationAlgorithmCfg
from .storage import EpisodeDataset, SequenceBatch

MIXED, STUDENT, TEACHER = 0, 1, 2
"""Who drove an env step (``DistillationAlgorithm.driver``): ``MIXED`` (not an evaluation step: sampled, or on
corrected inputs), the deterministic student on its raw inputs, the deterministic teacher(s)."""


def teacher_probability(cfg: DistillationAlgorithmCfg, epoch: int) -> float:
    """The teacher's share of the env steps at ``epoch`` (beta).

    ``teacher_forcing_share`` during teacher forcing (1: behaviour cloning), then an exponential decay from
    ``beta_start``, never above that share (the teacher does not take back envs the student already drove).
    """
    if epoch < cfg.epoch_teacher_forcing:
        return cfg.teacher_forcing_share
    decayed = cfg.beta_start * cfg.beta_decay ** (epoch - cfg.epoch_teacher_forcing)
    return max(cfg.beta_min, min(cfg.teacher_forcing_share, decayed))


def teacher_envs(cfg: DistillationAlgorithmCfg, num_envs: int, device: torch.device) -> torch.Tensor | None:
    """``[N]`` flags of the envs the teacher drives during teacher forcing, ``None`` when it drives all of them.

    ``ceil(teacher_forcing_share * N)`` envs evenly spaced over the env ids, so that every teacher group of a
    multi-teacher run has its share when the groups are contiguous blocks of envs (the default ``env_teacher_ids``).
    """
    if cfg.teacher_forcing_share >= 1.0:
        return None
    count = math.ceil(cfg.teacher_forcing_share * num_envs)
    flags = torch.zeros(num_envs, dtype=torch.bool, device=device)
    flags[torch.linspace(0, num_envs - 1, count, device=device).round().long()] = True
    return flags


def learning_rate(cfg: DistillationAlgorithmCfg, epoch: int, n_epochs: int) -> float:
    """The learning rate of ``epoch`` of ``n_epochs``: constant, or a half cosine down to ``min_learning_rate``."""
    if cfg.learning_rate_schedule == "constant" or n_epochs <= 1:
        return cfg.learning_rate
    progress = min(1.0, epoch / (n_epochs - 1))
    return cfg.min_learning_rate + 0.5 * (cfg.learning_rate - cfg.min_learning_rate) * (
        1 + math.cos(math.pi * progress)
    )


def minibatches(
    dataset: EpisodeDataset, cfg: DistillationAlgorithmCfg, generator: torch.Generator
) -> Iterator[SequenceBatch]:
    """One epoch's minibatches: ``num_learning_passes`` shuffled passes, or exactly ``num_updates_per_epoch``.

    The bounded number is drawn from as many shuffled passes over the dataset as it needs.
    The bounded form keeps the update time of an epoch flat while the aggregated dataset grows (a full pass over
    400k transitions is ~100 minibatches of 256 x 16 steps; the first epoch's rollout is 4).
    """
    limit, made, passes = cfg.num_updates_per_epoch, 0, 0
    while limit is not None or passes < cfg.num_learning_passes:
        passes += 1
        for batch in dataset.sequences(cfg.sequence_length, cfg.batch_size, cfg.shuffle, generator):
            yield batch
            made += 1
            if limit is not None and made >= limit:
                return
        if made == 0:  # an empty dataset
            return
