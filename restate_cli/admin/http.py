"""How the admin client sends its requests: three ways, one ``Response``.

* ``Http1``: a plain ``http://`` admin API with no proxy configured (the common case:
  a local restate-server, ``restate-cli dev``) goes through the small HTTP/1.1 client of
  ``restate_cli.http1``. httpx would cost a short command more than the requests
  themselves: its import pulls in rich and click for its own CLI, and every client builds
  an SSL context with the whole CA bundle, even for plain HTTP.
* ``Asgi``: the embedded runtime's admin API mounted in-process is called as an ASGI app.
* ``Httpx``: everything else (TLS, proxies from the environment, and the transports tests
  hand in, such as ``httpx.MockTransport``).

Transport failures are raised as ``TransportError`` for the client to explain.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlencode, urlsplit

if TYPE_CHECKING:
    import httpx


class URL(str):
    """The request URL: a string with the parts the client reads."""

    @property
    def path(self) -> str:
        return urlsplit(self).path


@dataclass(frozen=True)
class Request:
    method: str
    url: URL


class Headers(dict[str, str]):
    """Response headers with lower-case names (``get`` is case-insensitive)."""

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)


@dataclass
class Response:
    """What the admin API answered (the parts of ``httpx.Response`` the CLI uses)."""

    status_code: int
    headers: Headers
    content: bytes
    request: Request

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300


class TransportError(Exception):
    """The request got no (usable) answer. ``timed_out`` and ``connecting`` say how;
    ``too_large`` that the answer passed ``MAX_RESPONSE_BYTES``; ``detail`` is a short
    reason for the user (``connection refused``); ``cause`` the underlying error."""

    def __init__(
        self,
        detail: str,
        *,
        timed_out: bool = False,
        connecting: bool = False,
        cause: BaseException | None = None,
        too_large: bool = False,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.timed_out = timed_out
        self.connecting = connecting
        self.cause = cause
        self.too_large = too_large


class Transport(Protocol):
    async def send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        content: bytes | None,
    ) -> Response: ...

    async def aclose(self) -> None: ...


def _join(base_url: str, path: str, params: Mapping[str, str] | None) -> str:
    base = base_url if base_url.endswith("/") else base_url + "/"
    url = base + path.lstrip("/")
    if params:
        url += "?" + urlencode(params)
    return url


_PROXY_VARIABLES = ("http_proxy", "all_proxy")


def proxied(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a proxy for plain HTTP is configured in the environment (httpx would use it)."""
    env = os.environ if environ is None else environ
    return any(env.get(name) or env.get(name.upper()) for name in _PROXY_VARIABLES)


class Http1:
    """Plain HTTP/1.1 with keep-alive, for ``http://`` admin APIs."""

    def __init__(
        self, base_url: str, headers: Mapping[str, str], *, timeout: float, connect_timeout: float
    ) -> None:
        from restate_cli.http1 import ConnectionPool

        self.base_url = base_url
        self.headers = dict(headers)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._pool = ConnectionPool()

    async def send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        content: bytes | None,
    ) -> Response:
        from restate_cli.http1 import HttpError

        url = _join(self.base_url, path, params)
        try:
            r = await self._pool.request(
                method,
                url,
                {**self.headers, **headers},
                content,
                timeout=self.timeout,
                connect_timeout=self.connect_timeout,
            )
        except HttpError as e:
            raise TransportError(
                _reason(e.cause) if e.cause is not None else str(e),
                timed_out=e.timed_out,
                connecting=e.connecting,
                cause=e.cause,
                too_large=e.too_large,
            ) from None
        except ValueError as e:  # not an http URL, or a header with a line break
            raise TransportError(str(e)) from None
        return Response(r.status, Headers(r.headers), r.body, Request(method, URL(url)))

    async def aclose(self) -> None:
        await self._pool.aclose()


def _reason(e: OSError) -> str:
    import socket

    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    if isinstance(e, socket.gaierror):
        if e.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)):
            return "the host name does not resolve"
        return e.strerror or str(e)
    return e.strerror or str(e) or "connection failed"


class Asgi:
    """An ASGI app called in-process: the embedded runtime's admin API without a dev process."""

    def __init__(self, app: Any, base_url: str, headers: Mapping[str, str]) -> None:
        self.app = app
        self.base_url = base_url
        self.headers = dict(headers)

    async def send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        content: bytes | None,
    ) -> Response:
        url = URL(_join(self.base_url, path, params))
        parts = urlsplit(url)
        raw_path = parts.path or "/"
        body = content or b""
        sent = False
        answered = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:  # as an HTTP server does, report the client gone only once it is
                await answered.wait()
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        response_headers = Headers()
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    key = name.decode("latin-1").lower()
                    text = value.decode("latin-1")
                    response_headers[key] = (
                        f"{response_headers[key]}, {text}" if key in response_headers else text
                    )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    answered.set()

        request_headers = {**self.headers, **headers}
        if content is not None or method in ("POST", "PUT", "PATCH"):
            request_headers["content-length"] = str(len(body))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": parts.scheme,
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("ascii"),
            "query_string": parts.query.encode("ascii"),
            "root_path": "",
            "headers": [
                (b"host", (parts.netloc or "embedded").encode("ascii")),
                *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request_headers.items()),
            ],
            "client": ("127.0.0.1", 123),
            "server": (parts.hostname or "embedded", parts.port or 80),
        }
        try:
            await self.app(scope, receive, send)
        finally:
            answered.set()
        return Response(status, response_headers, b"".join(chunks), Request(method, url))

    async def aclose(self) -> None:
        return None


class Httpx:
    """httpx, for TLS, proxies and transports handed in."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        timeout: float,
        connect_timeout: float,
        verify: bool,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        import httpx

        self._httpx = httpx
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers=dict(headers),
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            verify=verify,
            transport=transport,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
            follow_redirects=False,
        )

    async def send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        content: bytes | None,
    ) -> Response:
        from restate_cli.limits import MAX_RESPONSE_BYTES, TooLarge, read_httpx

        httpx = self._httpx
        try:
            request = self._client.build_request(
                method, path, params=params, headers=dict(headers), content=content
            )
            r = await self._client.send(request, stream=True)
            try:
                body = await read_httpx(r, MAX_RESPONSE_BYTES, "the response body")
            finally:
                await r.aclose()
        except TooLarge as e:
            raise TransportError(str(e), too_large=True) from None
        except httpx.TimeoutException as e:
            raise TransportError(
                "timed out", timed_out=True, connecting=isinstance(e, httpx.ConnectTimeout)
            ) from None
        except httpx.ConnectError as e:
            raise TransportError(_httpx_connect_detail(e), connecting=True, cause=e) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as e:
            raise TransportError(f"the connection broke ({e or type(e).__name__})") from None
        except httpx.UnsupportedProtocol:
            raise TransportError("unsupported URL scheme") from None
        except httpx.HTTPError as e:
            raise TransportError(str(e) or type(e).__name__) from None
        headers_out = Headers()
        for key, value in r.headers.multi_items():
            key = key.lower()
            headers_out[key] = f"{headers_out[key]}, {value}" if key in headers_out else value
        return Response(r.status_code, headers_out, body, Request(method, URL(str(r.request.url))))

    async def aclose(self) -> None:
        await self._client.aclose()


def _httpx_connect_detail(e: Exception) -> str:
    import ssl

    cause: BaseException | None = e
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                f"TLS certificate verification failed ({cause.verify_message}); "
                "use --insecure-skip-tls-verify only if you trust this server"
            )
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake failed ({cause.reason or cause})"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    text = str(e)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return (
            "TLS certificate verification failed; "
            "use --insecure-skip-tls-verify only if you trust this server"
        )
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "the host name does not resolve"
    if "Connection refused" in text or "[Errno 111]" in text:
        return "connection refused"
    return text or "connection failed"


__all__ = [
    "URL",
    "Asgi",
    "Headers",
    "Http1",
    "Httpx",
    "Request",
    "Response",
    "Transport",
    "TransportError",
    "proxied",
]
