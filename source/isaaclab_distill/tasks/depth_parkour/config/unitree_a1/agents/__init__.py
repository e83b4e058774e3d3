"""Agent configurations (rsl_rl PPO teacher, depth-student distillation) for the A1 depth parkour."""
