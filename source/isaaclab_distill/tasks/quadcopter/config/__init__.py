"""Robot-specific registrations of the quadcopter task."""
