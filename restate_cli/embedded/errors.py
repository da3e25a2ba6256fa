"""Errors the engine raises; the HTTP layer turns them into restate-server's answers."""

from __future__ import annotations


class EngineError(Exception):
    """An operation refused, with the HTTP status and message restate-server would give.

    ``kind`` says which error shape to use: ``admin`` (``{"message", "restate_code"}``) or,
    for the ingress, ``ingress``/``service``/``handler`` (``{"code", "message", "source"}``).
    """

    def __init__(
        self, status: int, message: str, *, restate_code: str | None = None, kind: str = "admin"
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.restate_code = restate_code
        self.kind = kind


def storage_error(e: BaseException) -> EngineError | None:
    """The answer for a store that cannot be written because its disk is full, else None.
    Reads still work then: only what changes state is refused."""
    import sqlite3

    codes = (sqlite3.SQLITE_FULL, getattr(sqlite3, "SQLITE_IOERR_WRITE", None))
    if isinstance(e, sqlite3.Error) and getattr(e, "sqlite_errorcode", None) in codes:
        return EngineError(
            507,
            "the embedded runtime cannot write to its store: the disk is full; free some space and retry",
        )
    return None
