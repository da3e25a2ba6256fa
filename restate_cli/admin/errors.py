"""Errors raised by the admin client; it never prints.

    CliError (restate_cli.errors)
    ├── ApiError              the server answered with a non-2xx status
    │   └── ApiNotFound       ... a 404 (exit 4)
    ├── ProtocolError         the server answered 2xx with a body we cannot read
    └── Unreachable           connection refused, DNS, TLS, or a timeout (exit 3)

``ApiError`` reads all four error-body shapes of the admin API: the JSON
``{"message", "restate_code"}`` of domain errors, the JSON ``{"message"}`` of ``/query``,
framework errors as ``text/plain``, and empty bodies.
"""

from __future__ import annotations

import json

from restate_cli.errors import CliError, NotFound, Unreachable

__all__ = ["ApiError", "ApiNotFound", "ProtocolError", "Unreachable", "api_error"]

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    425: "Too Early",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ApiError(CliError):
    """A non-2xx answer, with the server's own message and ``restate_code``."""

    def __init__(
        self,
        status: int,
        server_message: str,
        *,
        restate_code: str | None,
        url: str,
        hint: str | None = None,
    ) -> None:
        self.status = status
        self.server_message = server_message
        self.restate_code = restate_code
        self.url = url
        super().__init__(self._line(), hint=hint)

    @property
    def reason(self) -> str:
        """The status and the server's message, for a per-item failure table."""
        return f"[{self.status}] {self.server_message}"

    def _line(self) -> str:
        text = self.server_message or _REASONS.get(self.status, "no message")
        if self.restate_code and not text.startswith(f"[{self.restate_code}]"):
            text = f"[{self.restate_code}] {text}"
        return f"{text} (HTTP {self.status} {_REASONS.get(self.status, '')}".rstrip() + (f" from {self.url})")


class ApiNotFound(ApiError, NotFound):
    exit_code = 4


class ProtocolError(CliError):
    """The server answered, but not in a form the admin API uses."""


def _parse_body(body: bytes, content_type: str) -> tuple[str, str | None]:
    text = body.decode("utf-8", errors="replace").strip()
    if "json" in content_type or text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            message = data.get("message")
            code = data.get("restate_code")
            if isinstance(message, str):
                return message, code if isinstance(code, str) else None
    if len(text) > 300 or "<html" in text.lower():
        text = text[:200].split("\n", 1)[0] + " …"
    return text, None


def api_error(status: int, body: bytes, content_type: str, url: str) -> ApiError:
    """Build the right error for a non-2xx answer."""
    message, code = _parse_body(body, content_type)
    hint = None
    if status in (401, 403):
        hint = "check the bearer token ($RESTATE_AUTH_TOKEN or bearer_token in the config file)"
        if not message:
            message = "the admin API refused the request"
    elif status >= 500 and not message:
        message = "the server failed to handle the request"
    cls = ApiNotFound if status == 404 else ApiError
    return cls(status, message, restate_code=code, url=url, hint=hint)


def unreachable(server: str, detail: str) -> Unreachable:
    return Unreachable(
        f"cannot reach the Restate admin API at {server}: {detail}",
        hint="check that the server is running and reachable, and --admin-url, -e or $RESTATE_ADMIN_URL",
    )
