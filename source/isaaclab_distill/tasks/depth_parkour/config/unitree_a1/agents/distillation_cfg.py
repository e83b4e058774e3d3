"""Distillation of the depth-parkour PPO teacher into the depth student (CNN + GRU, ``policy`` + ``depth`` groups)."""

from isaaclab.utils import configclass

from isaaclab_distill.distillation.cfg import DistillationAlgorithmCfg, DistillationCfg, DistillationStorageCfg
from isaaclab_distill.models.depth_student import DepthStudentCfg
from isaaclab_distill.tasks.depth_parkour.depth_parkour_env_cfg import FEET, SCANDOTS_DIM
from isaaclab_distill.tasks.depth_parkour.depth_teacher_env_cfg import DEPTH_TEACHER_PIXELS

FLAT_SCANDOTS = 0.265 - 0.5
"""Height-scan value on flat ground at the default pose: trunk height (0.265 m) minus the 0.5 m scan offset."""
MEAN_PRIVILEGED = [0.8] * len(FEET) + [0.5]
"""Mid-range feet friction and trunk mass offset [kg] of the randomisation (``EventsCfg``)."""


@configclass
class DepthParkourDistillationCfg(DistillationCfg):
    """BC then DAgger on 24-step segments; the student actor starts from the teacher actor (flat-ground scandots).

    The student reads the groups ``policy`` (proprio, 50) and ``depth`` ``[1, 58, 87]``; the teacher reads ``teacher``
    ``[proprio | scandots (187) | privileged (5)]``. One stored transition is ~5.8 kB (the image as uint8, see
    ``storage.image_dtype``; 21 kB as float32), so ``max_dataset_steps=100_000`` is ~0.6 GB: 780 steps per env at the
    CPU benchmark's 128 envs. At 4096 envs a 24-step rollout is 98k transitions: raise it there
    (``agent.storage.max_dataset_steps=400000`` is ~2.3 GB) to keep DAgger's aggregation.
    """

    experiment_name = "depth_parkour_a1"
    n_epochs = 300
    num_steps_per_env = 24
    algorithm = DistillationAlgorithmCfg(
        batch_size=64,
        sequence_length=24,
        learning_rate=5e-4,
        epoch_teacher_forcing=20,
        beta_decay=0.9,
        init_student_from_teacher=True,
    )
    storage = DistillationStorageCfg(max_dataset_steps=100_000)
    student_obs_groups = ["policy", "depth"]
    eval_interval = 10
    eval_steps = 2000
    save_interval = 20
    student: DepthStudentCfg = DepthStudentCfg(
        hidden_dims=[512, 256, 128],
        teacher_scandots_dim=SCANDOTS_DIM,
        teacher_scandots_fill=FLAT_SCANDOTS,
        teacher_privileged_fill=MEAN_PRIVILEGED,
    )


@configclass
class DepthParkourDepthTeacherDistillationCfg(DepthParkourDistillationCfg):
    """The depth-image teacher's student (``Isaac-Depth-Parkour-DepthTeacher-v0``): ``policy`` + ``depth [1, 64, 64]``.

    The student actor is the teacher's with its first layer sliced to the 50 proprioception columns; the 4096 pixel
    columns are folded into the bias at a blank image (every pixel 1.0, "far"), the feature columns start at 0.
    """

    experiment_name = "depth_parkour_a1_depth_teacher"
    student: DepthStudentCfg = DepthStudentCfg(
        hidden_dims=[512, 256, 128], teacher_scandots_dim=DEPTH_TEACHER_PIXELS, teacher_scandots_fill=1.0
    )
