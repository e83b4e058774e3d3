"""Isaac Lab extension for teacher -> student policy distillation.

Subpackages:

- :mod:`isaaclab_distill.tasks`: gymnasium task registrations (quadcopter point control, depth parkour).
- :mod:`isaaclab_distill.distillation`: the distillation engine (BC, teacher forcing, DAgger, multi-teacher).
- :mod:`isaaclab_distill.utils`: the ``@hydra_task_config`` decorator and shared script plumbing.
"""

import importlib.metadata

try:
    __version__ = importlib.metadata.version("isaaclab_distill")
except importlib.metadata.PackageNotFoundError:  # running from a source checkout
    __version__ = "0.0.0"
