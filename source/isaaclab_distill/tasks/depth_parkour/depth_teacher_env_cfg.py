"""The design document's depth-image teacher: proprioception + the flattened 64 x 64 depth image, no scandots.

``Isaac-Depth-Parkour-DepthTeacher-v0``: the ``teacher`` group is ``[proprio (50) | depth pixels (64 * 64)]``, 4146
inputs; the student reads ``policy`` (proprio) and ``depth`` ``[1, 64, 64]``, the same camera. The student actor is
the teacher's actor with its first layer sliced to the proprioception columns
(:func:`~isaaclab_distill.models.create_depth_actor_from_teacher`), the depth feature in the pixels' place. Nothing is
privileged here: the teacher differs from the student in its memoryless, flattened view of the same image, which is
what the document's teacher-student design distils into a CNN + GRU.
"""

from __future__ import annotations

from isaaclab.managers import ObservationTermCfg as ObsTerm
from isaaclab.utils import configclass

from . import mdp
from .depth_parkour_env_cfg import PROPRIO_DIM, DepthParkourEnvCfg, ObservationsCfg, ProprioCfg

DEPTH_TEACHER_SIZE = 64
"""Height and width [px] of the depth-image teacher's camera (square, the camera's 87 deg field of view both ways)."""
DEPTH_TEACHER_PIXELS = DEPTH_TEACHER_SIZE * DEPTH_TEACHER_SIZE
DEPTH_TEACHER_OBS_DIM = PROPRIO_DIM + DEPTH_TEACHER_PIXELS


@configclass
class DepthTeacherObsCfg(ProprioCfg):
    """Proprioception and the flattened depth image ``[N, 4096]`` (in [0, 1], 1 = far; no noise on the image)."""

    depth_pixels = ObsTerm(func=mdp.depth_image, params={**ObservationsCfg.DepthCfg().image.params, "flatten": True})
    """The student's own image term (same camera, scale and layout), flattened."""


@configclass
class DepthParkourDepthTeacherEnvCfg(DepthParkourEnvCfg):
    """Depth parkour with the depth-image teacher (``teacher``) and the depth student (``policy`` + ``depth``)."""

    def __post_init__(self):
        super().__post_init__()
        pattern = self.scene.depth_camera.pattern_cfg
        pattern.height = pattern.width = DEPTH_TEACHER_SIZE
        pattern.vertical_aperture = pattern.horizontal_aperture  # square pixels over a square image
        self.observations.teacher = DepthTeacherObsCfg()


@configclass
class DepthParkourDepthTeacherEnvCfg_PLAY(DepthParkourDepthTeacherEnvCfg):
    """Play variant (see :meth:`DepthParkourEnvCfg.play_mode`)."""

    def __post_init__(self):
        super().__post_init__()
        self.play_mode()
