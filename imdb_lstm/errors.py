"""The one exception the project turns into a one-line message."""


class UserError(Exception):
    """A problem with what the user gave us; printed as one line, no traceback."""


def first_line(error: BaseException) -> str:
    """The first line of an exception's message, or its type's name where it has none:
    what a one-line message quotes of an error from a library."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
