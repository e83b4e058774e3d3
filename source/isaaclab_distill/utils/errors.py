"""The one exception type that the scripts turn into a single ``error: ...`` line (no traceback)."""


class UserError(Exception):
    """An expected failure: bad input (task, override, checkpoint, flag) or a run that must stop (NaN loss).

    The message is printed as one line and must name the fix.
    """


def first_line(err: BaseException) -> str:
    """The first line of an exception's message (its type name when the message is empty), for one-line errors."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
