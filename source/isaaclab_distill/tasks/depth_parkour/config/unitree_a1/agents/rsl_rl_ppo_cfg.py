"""rsl_rl PPO configuration of the depth-parkour teacher (sees the privileged ``teacher`` group)."""

from isaaclab.utils import configclass
from isaaclab_rl.rsl_rl import RslRlMLPModelCfg, RslRlOnPolicyRunnerCfg, RslRlPpoAlgorithmCfg

from isaaclab_distill.models.scandots_teacher import CLASS_NAME as SCANDOTS_ENCODER_MODEL
from isaaclab_distill.rl.interleaved_cfg import InterleavedDistillationCfg
from isaaclab_distill.tasks.depth_parkour.depth_parkour_env_cfg import PROPRIO_DIM, SCANDOTS_DIM

from .distillation_cfg import DepthParkourDepthTeacherDistillationCfg, DepthParkourDistillationCfg


@configclass
class DepthParkourPPORunnerCfg(RslRlOnPolicyRunnerCfg):
    """Teacher PPO: MLP [512, 256, 128] actor and critic on ``[proprio | scandots | privileged]``.

    The actor does not normalise its input, so the depth student can reuse the proprioception columns of the
    actor's first layer as they are (see :func:`isaaclab_distill.models.create_depth_actor_from_teacher`).
    """

    num_steps_per_env = 24
    max_iterations = 3000
    save_interval = 100
    experiment_name = "depth_parkour_a1"
    device = "cpu"
    obs_groups = {"actor": ["teacher"], "critic": ["teacher"]}
    actor = RslRlMLPModelCfg(
        hidden_dims=[512, 256, 128],
        activation="elu",
        obs_normalization=False,
        # half the stock noise: at std 1.0 (0.25 rad joint-target jitter) the policy did not shrink it in 48 iterations
        # and its penalties (acceleration, action rate, body rates) cost as much as tracking earned
        distribution_cfg=RslRlMLPModelCfg.GaussianDistributionCfg(init_std=0.5),
    )
    critic = RslRlMLPModelCfg(hidden_dims=[512, 256, 128], activation="elu", obs_normalization=False)
    algorithm = RslRlPpoAlgorithmCfg(
        value_loss_coef=1.0,
        use_clipped_value_loss=True,
        clip_param=0.2,
        entropy_coef=0.01,
        num_learning_epochs=5,
        num_mini_batches=4,
        learning_rate=1.0e-3,
        schedule="adaptive",
        gamma=0.99,
        lam=0.95,
        desired_kl=0.01,
        max_grad_norm=1.0,
    )
    interleaved = InterleavedDistillationCfg(distillation=DepthParkourDistillationCfg())
    """Off (``depth_training_interval=0``); ``agent.interleaved.depth_training_interval=N`` on
    ``Isaac-Depth-Parkour-v0`` distils the depth student every N iterations (:mod:`isaaclab_distill.rl.interleaved`)."""


@configclass
class RslRlScandotsEncoderModelCfg(RslRlMLPModelCfg):
    """:class:`~isaaclab_distill.models.scandots_teacher.ScandotsEncoderModel`: scandots -> 32-d tanh latent -> MLP."""

    class_name: str = SCANDOTS_ENCODER_MODEL
    scan_start: int = PROPRIO_DIM
    """First scandots column of the ``teacher`` group."""
    scan_dim: int = SCANDOTS_DIM
    scan_encoder_dims: list[int] = [128, 64, 32]
    """Encoder layer sizes (extreme-parkour's); the last is the latent that the depth student's feature replaces."""


@configclass
class DepthParkourScandotsEncoderPPORunnerCfg(DepthParkourPPORunnerCfg):
    """The teacher with extreme-parkour's scandots encoder (``--agent rsl_rl_scandots_encoder_cfg_entry_point``).

    Its actor's MLP reads ``[proprio | scandots latent (32) | privileged]``; the depth student copies it as it is, its
    depth feature in the latent's place, and can regress the latent (``agent.algorithm.latent_loss_coef``).
    """

    experiment_name = "depth_parkour_a1_scandots_encoder"
    actor = RslRlScandotsEncoderModelCfg(
        hidden_dims=[512, 256, 128],
        activation="elu",
        obs_normalization=False,
        distribution_cfg=RslRlMLPModelCfg.GaussianDistributionCfg(init_std=0.5),
    )


@configclass
class DepthParkourDepthTeacherPPORunnerCfg(DepthParkourPPORunnerCfg):
    """The depth-image teacher (``Isaac-Depth-Parkour-DepthTeacher-v0``): the same MLP on 4146 inputs."""

    experiment_name = "depth_parkour_a1_depth_teacher"
    interleaved = InterleavedDistillationCfg(distillation=DepthParkourDepthTeacherDistillationCfg())
