"""The one exception type that the scripts turn into a single ``error: ...`` line (no traceback)."""


class UserError(Exception):
    """An expected failure: bad input (task, override, checkpoint, flag) or a run that must stop (NaN loss).

    The message is printed as one line and must name the fix.
    """
