"""Errors a user can act on: the CLI prints them as one plain line, the API as a 4xx."""


class UserError(Exception):
    """A problem with the input or the state that the user can fix; its text is shown as is."""


class NotFound(UserError):
    """A named record does not exist."""


class Conflict(UserError):
    """The change would break a rule of the registry (a duplicate national ID, say)."""
