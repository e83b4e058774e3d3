"""Depth parkour: a Unitree A1 crosses procedurally generated gaps, hurdles, boxes, stairs and pits.

The ``teacher`` observation group (proprioception, height-scan "scandots", privileged friction and mass) trains a PPO
teacher; the ``policy`` group (the same proprioception followed by a flattened depth image from a 10 Hz ray-cast
camera) is what a deployable depth student sees. The layout is fixed by the constants of ``depth_parkour_env_cfg``.
"""
