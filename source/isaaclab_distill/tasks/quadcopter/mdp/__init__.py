"""Pure-tensor MDP terms of the quadcopter task (actuation, rewards); unit-testable without the simulator."""

from .actuation import first_order_lag, motor_mixer, sample_uniform, sample_uniform_per_env
from .rewards import distance_to_goal_tanh, heading_rate_squared, squared_norm

__all__ = [
    "distance_to_goal_tanh",
    "first_order_lag",
    "heading_rate_squared",
    "motor_mixer",
    "sample_uniform",
    "sample_uniform_per_env",
    "squared_norm",
]
