"""Errors that end a command, each with the exit code DESIGN.md gives it.

    CliError                exit 1: the operation failed or the server said no
    ├── UsageError          exit 2: bad flags or arguments, caught before any request
    ├── Unreachable         exit 3: cannot reach the admin API, or it timed out
    ├── NotFound            exit 4: nothing matched, or the object does not exist
    ├── Aborted             exit 1: the user declined a confirmation
    └── Interrupted         exit 130: Ctrl-C stopped a bulk action part way (it says how far)

Only ``restate_cli.app.main`` turns these into a message and an exit code.
"""

from __future__ import annotations


class CliError(Exception):
    """A failure the user should see as one line on stderr."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CliError):
    exit_code = 2


class Unreachable(CliError):
    exit_code = 3


class NotFound(CliError):
    exit_code = 4


class Aborted(CliError):
    exit_code = 1


class Interrupted(CliError):
    exit_code = 130


class StoreUnusable(CliError):
    """The embedded runtime's store cannot be used (corrupt, read-only, too new)."""


def did_you_mean(word: str, candidates: list[str] | tuple[str, ...]) -> str:
    """`` Did you mean 'list' or 'ls'?`` for a typo close to ``candidates``, else ``""``."""
    import difflib

    close = difflib.get_close_matches(word, candidates, n=3)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
