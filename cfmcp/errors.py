"""The one exception type commands raise for failures a user can act on."""

from __future__ import annotations


class CfmcpError(Exception):
    """A failure with a one-line cause, an optional fix, and the exit code to leave with."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(CfmcpError):
    """Bad input on the command line: exit 2, like any other usage error."""

    exit_code = 2
