"""Quadcopter point control: fly a primitive-body quadcopter to a sampled goal position.

The ``policy`` observation group is what a deployable student sees (no linear velocity, no dynamics parameters);
the ``teacher`` group adds privileged terms: body linear velocity and the per-episode randomised dynamics.
"""
