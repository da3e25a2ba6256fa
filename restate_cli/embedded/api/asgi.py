"""A very small ASGI toolkit: requests, responses and a router with path parameters.

The embedded admin API is mounted in-process by every CLI command that talks to the
embedded runtime, so it must import in a few milliseconds; this is why it does not use a
web framework.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from restate_cli.embedded.errors import EngineError, storage_error

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class Request:
    method: str
    path: str
    raw_path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    query_string: str = ""
    receive: Receive | None = field(default=None, repr=False)  # after the body: http.disconnect

    def json(self) -> Any:
        return json.loads(self.body)

    async def disconnected(self) -> None:
        """Return once the client has gone: after the body, an ASGI server's ``receive``
        answers ``http.disconnect`` only then. Never returns without a ``receive``."""
        if self.receive is None:
            await asyncio.get_running_loop().create_future()
        while (await self.receive())["type"] != "http.disconnect":  # type: ignore[misc]
            pass


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, send: Send) -> None:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers]
        headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def json_response(data: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(status, body, [("content-type", "application/json"), *headers])


def text_response(text: str, status: int) -> Response:
    return Response(status, text.encode(), [("content-type", "text/plain; charset=utf-8")])


def empty(status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, b"", list(headers))


class HttpError(Exception):
    """An error answer: JSON ``{"message", "restate_code"}`` or a framework text/plain body."""

    def __init__(
        self,
        status: int,
        message: str = "",
        *,
        restate_code: str | None = None,
        text: bool = False,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.restate_code = restate_code
        self.text = text
        self.headers = list(headers)

    def response(self) -> Response:
        if not self.message and not self.text:
            return empty(self.status, self.headers)
        if self.text:
            r = text_response(self.message, self.status)
            r.headers.extend(self.headers)
            return r
        return json_response(
            {"message": self.message, "restate_code": self.restate_code}, self.status, self.headers
        )


class ClientGone(Exception):
    """The client disconnected before its request body was complete: nothing may run."""


Handler = Callable[[Request], Awaitable[Response]]
_PARAM = re.compile(r"\{(\w+)\}")


class Router:
    """Routes ``METHOD /path/{param}`` to handlers; 404/405 like restate-server."""

    def __init__(self) -> None:
        self.routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.compile("^" + _PARAM.sub(r"(?P<\1>[^/]*)", pattern) + "$")
        for existing, methods in self.routes:
            if existing.pattern == regex.pattern:
                methods[method] = handler
                return
        self.routes.append((regex, {method: handler}))

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.add(method, pattern, fn)
            return fn

        return deco

    async def dispatch(self, request: Request, path: str | None = None) -> Response:
        path = request.path if path is None else path
        for regex, methods in self.routes:
            m = regex.match(path)
            if not m:
                continue
            handler = methods.get(request.method)
            if handler is None and request.method == "HEAD":
                handler = methods.get("GET")
            if handler is None:
                allow = ",".join(sorted(methods, key=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"].index))
                return empty(405, [("allow", allow)])
            request.params = {k: unquote(v) for k, v in m.groupdict().items()}
            return await handler(request)
        return empty(404)


async def read_request(scope: Scope, receive: Receive, max_body: int = 64 * 1024 * 1024) -> Request:
    """The whole request; ``ClientGone`` if the client left before the body was complete."""
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_body:
            raise HttpError(413, "request body too large", text=True)
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    qs = scope.get("query_string", b"").decode("latin-1")
    raw_path = scope.get("raw_path") or scope["path"].encode()
    return Request(
        method=scope["method"],
        path=scope["path"],
        raw_path=raw_path.decode("latin-1") if isinstance(raw_path, bytes) else raw_path,
        query=dict(parse_qsl(qs, keep_blank_values=True)),
        headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])},
        body=b"".join(chunks),
        query_string=qs,
        receive=receive,
    )


def require_json(request: Request, *, buffered: bool = False) -> Any:
    """The JSON body, with restate's framework errors for a wrong content type or a body it
    cannot parse (see ``jsonbody``; ``buffered`` for bodies restate holds whole)."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise HttpError(415, "Expected request with `Content-Type: application/json`", text=True)
    from restate_cli.embedded.protocol import jsonbody

    try:
        return jsonbody.parse(request.body, buffered=buffered)
    except jsonbody.JsonBodyError as e:
        raise HttpError(e.status, e.message, text=True) from None


def schema_error(detail: str) -> HttpError:
    return HttpError(422, f"Failed to deserialize the JSON body into the target type: {detail}", text=True)


class App:
    """An ASGI application around a ``Router`` that turns ``HttpError`` and ``EngineError``
    into answers.

    When ``abandoned`` (set by ``dev`` when it stops) fires, requests still running are
    cancelled and answered 503.
    """

    def __init__(
        self, router: Router, *, rewrite: Callable[[Request], Response | str | None] | None = None
    ) -> None:
        self.router = router
        self.rewrite = rewrite
        self.abandoned: asyncio.Event | None = None

    async def _dispatch(self, request: Request, path: str | None) -> Response:
        if self.abandoned is None:
            return await self.router.dispatch(request, path)
        work = asyncio.ensure_future(self.router.dispatch(request, path))
        abandoned = asyncio.ensure_future(self.abandoned.wait())
        try:
            await asyncio.wait([work, abandoned], return_when=asyncio.FIRST_COMPLETED)
        finally:
            abandoned.cancel()
        if work.done():
            return work.result()
        work.cancel()
        raise HttpError(503, "the embedded runtime is stopping; try again when it runs")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        try:
            request = await read_request(scope, receive)
            path: str | None = None
            if self.rewrite is not None:
                rewritten = self.rewrite(request)
                if isinstance(rewritten, Response):
                    await rewritten.send(send)
                    return
                path = rewritten
            response = await self._dispatch(request, path)
        except ClientGone:
            return
        except HttpError as e:
            response = e.response()
        except EngineError as e:
            response = HttpError(e.status, e.message, restate_code=e.restate_code).response()
        except sqlite3.Error as e:
            full = storage_error(e)
            if full is None:
                raise
            response = HttpError(full.status, full.message).response()
        await response.send(send)
