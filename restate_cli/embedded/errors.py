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
