"""MDP terms of the depth-parkour task.

Everything of :mod:`isaaclab.envs.mdp` and the velocity-locomotion terms of Isaac Lab's ``isaaclab_tasks`` are
re-exported (commands, proprioception, height scan, events, penalties, terrain curriculum, out-of-terrain
termination); this package only adds the trotting-prior action, the depth-image, gait-clock and privileged
observations and the parkour rewards.
"""

from isaaclab.envs.mdp import *  # noqa: F403
from isaaclab_tasks.core.velocity.mdp import feet_air_time as feet_air_time
from isaaclab_tasks.core.velocity.mdp import terrain_levels_vel as terrain_levels_vel
from isaaclab_tasks.core.velocity.mdp import terrain_out_of_bounds as terrain_out_of_bounds

from .actions import TrotJointPositionAction as TrotJointPositionAction
from .actions import TrotJointPositionActionCfg as TrotJointPositionActionCfg
from .curriculums import terrain_levels_walked as terrain_levels_walked
from .observations import body_friction as body_friction
from .observations import body_mass_offset as body_mass_offset
from .observations import depth_image as depth_image
from .observations import gait_phase as gait_phase
from .rewards import edge_from_heights as edge_from_heights
from .rewards import feet_edge as feet_edge
from .rewards import feet_stumble as feet_stumble
from .rewards import forward_progress as forward_progress
from .rewards import progress_from_velocity as progress_from_velocity
from .rewards import stumble_from_forces as stumble_from_forces
from .terminations import off_tile as off_tile
from .terminations import walked_off_tile as walked_off_tile
