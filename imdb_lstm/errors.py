"""The one exception the project turns into a one-line message."""


class UserError(Exception):
    """A problem with what the user gave us; printed as one line, no traceback."""
