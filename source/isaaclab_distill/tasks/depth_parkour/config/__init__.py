"""Robot-specific registrations of the depth-parkour task."""
