"""Configuration of the student networks (pure data; the networks are in :mod:`.students` and :mod:`.depth_student`)."""

from __future__ import annotations

from isaaclab.utils import configclass


@configclass
class StudentCfg:
    """Student network."""

    class_name: str = "mlp"
    """Registered architecture (:func:`isaaclab_distill.models.student_class_names`): ``"mlp"``, ``"gru"``,
    ``"lstm"`` (a GRU/LSTM followed by an MLP head) or ``"depth_cnn_gru"`` (:class:`~.depth_student.DepthStudent`,
    configured by a :class:`~.depth_student.DepthStudentCfg`)."""

    hidden_dims: list[int] = [256, 256, 128]
    """Hidden sizes of the MLP (the head, for recurrent students)."""

    activation: str = "elu"
    """Activation name understood by :func:`rsl_rl.utils.resolve_nn_activation`."""

    rnn_hidden_dim: int = 256
    """Hidden size of the GRU/LSTM (ignored for ``"mlp"``)."""

    rnn_num_layers: int = 1
    """Number of stacked GRU/LSTM layers (ignored for ``"mlp"``)."""

    obs_normalization: bool = True
    """Normalise the student input with running mean/std (:class:`rsl_rl.modules.EmpiricalNormalization`)."""
