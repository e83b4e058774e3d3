"""The one exception type that the scripts turn into a single ``error: ...`` line (no traceback)."""


class UserError(Exception):
    """Bad input from the user (task, override, checkpoint, flag). The message must name the fix."""
