"""Agent configurations (rsl_rl PPO teacher, distillation student) for the quadcopter."""
