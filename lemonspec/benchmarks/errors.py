"""The one user-facing error type of the benchmark layer."""

from __future__ import annotations

from lemonspec.errors import LemonspecError


class Error(LemonspecError):
    """A problem the user can fix (a missing folder, a bad file): a message and a hint.

    Printed without a traceback by the command line. Pickles, because rollout workers run
    in other processes.
    """

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\nhint: {self.hint}"

    def __reduce__(self):
        return (type(self), (self.message, self.hint))
