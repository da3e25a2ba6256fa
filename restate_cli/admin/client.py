"""The admin-API client: one connection pool (see ``admin.http``), version negotiation, typed errors.

The client never prints. Commands call it and hand its results to a renderer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from restate_cli import __version__
from restate_cli.admin.errors import ApiError, ProtocolError, api_error, unreachable
from restate_cli.admin.http import Asgi, Http1, Httpx, Response, Transport, TransportError, proxied
from restate_cli.config import Settings
from restate_cli.errors import CliError

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("restate_cli.admin")

MIN_API_VERSION = 1
MAX_API_VERSION = 4

LEGACY_MODES = {"cancel": "cancel", "kill": "kill", "purge": "purge"}


@dataclass(frozen=True)
class ServerInfo:
    """What ``GET /version`` told us, and the URL prefix chosen from it."""

    version: str | None
    api_version: int | None  # None: unknown (no usable /version)
    prefix: str
    ingress_endpoint: str | None = None
    embedded_version: str | None = None  # set when the server is restate-cli's embedded runtime

    @property
    def embedded(self) -> bool:
        return self.embedded_version is not None

    @property
    def kind(self) -> str:
        """``embedded runtime 0.1.0`` or ``restate-server 1.7.12``, for messages."""
        if self.embedded:
            return f"embedded runtime {self.embedded_version}"
        return f"restate-server {self.version or '(unknown version)'}"

    @property
    def version_tuple(self) -> tuple[int, ...]:
        parts = []
        for piece in (self.version or "").split("-")[0].split(".")[:3]:
            try:
                parts.append(int(piece))
            except ValueError:
                return ()
        return tuple(parts)

    @property
    def has_patch_ops(self) -> bool:
        """restate-server 1.5 added ``PATCH /invocations/{id}/{op}``; older ones only DELETE."""
        v = self.version_tuple
        return bool(v) and v >= (1, 5)

    @property
    def supports_pause(self) -> bool:
        return (self.api_version or 0) >= 3


def user_agent() -> str:
    uname = getattr(os, "uname", None)  # not on Windows
    system, machine = (uname().sysname.lower(), uname().machine) if uname else (sys.platform, "")
    return f"restate-cli-py/{__version__} {system}-{machine}"


class AdminClient:
    """Talks to one admin API, remote or embedded, through one transport (``admin.http``)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        base_url: str | None = None,
        app: Any = None,
        offline_dir: Path | None = None,
    ) -> None:
        """``transport``: an httpx transport to send through (tests); ``app``: an ASGI app to
        call in-process instead of a server (the embedded runtime without a dev process),
        over the store in ``offline_dir``: changes are recorded, and nothing runs them
        until a ``restate-cli dev`` serves that directory."""
        self.settings = settings
        self.offline_dir = offline_dir
        self.base_url = base_url or settings.admin_url or "http://embedded/"
        headers = {"user-agent": user_agent()}
        if settings.bearer_token:
            headers["authorization"] = f"Bearer {settings.bearer_token}"
        self._http: Transport
        if app is not None:
            self._http = Asgi(app, self.base_url, headers)
        elif transport is None and self.base_url.startswith("http://") and not proxied():
            self._http = Http1(
                self.base_url,
                headers,
                timeout=settings.request_timeout,
                connect_timeout=settings.connect_timeout,
            )
        else:
            self._http = Httpx(
                self.base_url,
                headers,
                timeout=settings.request_timeout,
                connect_timeout=settings.connect_timeout,
                verify=settings.tls_verify,
                transport=transport,
            )
        self._info: ServerInfo | None = None
        self._negotiating: asyncio.Lock | None = None
        self.warnings: list[str] = []

    async def __aenter__(self) -> AdminClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def server(self) -> str:
        return self.settings.server_label

    @property
    def offline_notice(self) -> str | None:
        """What to tell the user once when no runtime executes what this client changes."""
        if self.offline_dir is None:
            return None
        return f"no `restate-cli dev` is serving {self.offline_dir}: changes take effect when it starts"

    # -- transport -------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        accept: str = "application/json",
        prefixed: bool = True,
        timeout: float | None = None,
    ) -> Response:
        """Send one request; raise a typed error for network failures and non-2xx answers."""
        if prefixed:
            path = (await self.info()).prefix + path
        headers = {"accept": accept}
        content = None
        if json_body is not None:
            content = json.dumps(json_body).encode()
            headers["content-type"] = "application/json"
        response = await self._send(method, path, params, headers, content, timeout)
        if response.status_code >= 300:
            raise api_error(
                response.status_code,
                response.content,
                response.headers.get("content-type", ""),
                self._where(response),
            )
        return response

    def _where(self, response: Response) -> str:
        """Where an answer came from, for error messages: its URL, or the data directory
        (the in-process runtime's URL is made up)."""
        if self.offline_dir is not None:
            return f"the embedded runtime in {self.offline_dir}"
        return str(response.request.url)

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        headers: dict[str, str],
        content: bytes | None,
        timeout: float | None,
    ) -> Response:
        limit = timeout if timeout is not None else self.settings.request_timeout
        started = time.perf_counter()
        try:
            async with asyncio.timeout(limit):
                response = await self._http.send(method, path, params, headers, content)
        except TimeoutError:
            raise unreachable(self.server, f"timed out waiting for an answer after {limit:g}s") from None
        except TransportError as e:
            if e.too_large:
                raise CliError(
                    f"the Restate admin API at {self.server} answered {method} {path}: {e.detail}"
                ) from None
            if e.timed_out:
                what = "connecting" if e.connecting else "waiting for an answer"
                raise unreachable(self.server, f"timed out {what} after {limit:g}s") from None
            raise unreachable(self.server, e.detail) from None
        log.debug(
            "%s %s -> %s (%.1f ms)",
            method,
            response.request.url,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    # -- version negotiation ---------------------------------------------------------

    async def info(self) -> ServerInfo:
        """Negotiate the admin API version once, through ``GET /version``."""
        if self._info is not None:
            return self._info
        if self._negotiating is None:
            self._negotiating = asyncio.Lock()
        async with self._negotiating:
            if self._info is None:
                self._info = await self._negotiate()
        return self._info

    async def _negotiate(self) -> ServerInfo:
        response = await self._send("GET", "version", None, {"accept": "application/json"}, None, None)
        data: Any = None
        if response.status_code == 200:
            try:
                data = response.json()
            except ValueError:
                data = None
        if isinstance(data, dict) and isinstance(data.get("max_admin_api_version"), int):
            server_min = int(data.get("min_admin_api_version", 1))
            server_max = int(data["max_admin_api_version"])
            version = str(data.get("version")) if data.get("version") else None
            if server_max < MIN_API_VERSION or server_min > MAX_API_VERSION:
                raise ProtocolError(
                    f"restate-server {version} at {self.server} speaks admin API "
                    f"v{server_min}-v{server_max}; "
                    f"this CLI supports v{MIN_API_VERSION}-v{MAX_API_VERSION}"
                )
            api = min(server_max, MAX_API_VERSION)
            prefix = f"v{api}/" if api >= 2 else ""
            embedded = data.get("embedded_runtime")
            return ServerInfo(
                version,
                api,
                prefix,
                data.get("ingress_endpoint"),
                str(embedded) if embedded else None,
            )
        if response.status_code in (401, 403):
            raise api_error(
                response.status_code,
                response.content,
                response.headers.get("content-type", ""),
                self._where(response),
            )
        health = await self._send("GET", "health", None, {}, None, None)
        if health.status_code >= 300:
            raise unreachable(
                self.server,
                f"GET /version and GET /health answered {response.status_code} and "
                f"{health.status_code}; is this a Restate admin API?",
            )
        self.warnings.append(
            f"could not verify the admin API version of {self.server}; using unversioned URLs"
        )
        return ServerInfo(None, None, "")

    # -- SQL -------------------------------------------------------------------------

    async def query(self, sql: str) -> list[dict[str, Any]]:
        """Rows of one SQL statement over ``/query``, as JSON objects (NULL keys absent).

        Reads are retried for a few seconds while the server answers that a partition is not
        ready yet (restate-server does so just after start-up, during leader changes, and in
        a cluster while a partition moves between nodes).
        """
        log.debug("SQL: %s", sql)
        delay = 0.1
        deadline = time.monotonic() + TRANSIENT_RETRY_SECONDS
        while True:
            try:
                response = await self.request("POST", "query", json_body={"query": sql})
                break
            except ApiError as e:
                if not _transient(e) or time.monotonic() + delay > deadline:
                    raise
                log.debug("transient /query failure, retrying in %.1fs: %s", delay, e.server_message)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
        if not response.headers.get("content-type", "").startswith("application/json"):
            raise ProtocolError(
                f"the Restate server at {self.server} lacks JSON /query support "
                "(restate-server 1.2 or newer is needed)"
            )
        try:
            rows = response.json()["rows"]
        except (ValueError, KeyError, TypeError):
            raise ProtocolError(
                f"the Restate server at {self.server} sent an unreadable /query answer"
            ) from None
        if not isinstance(rows, list):
            raise ProtocolError(f"the Restate server at {self.server} sent an unreadable /query answer")
        return rows

    # -- invocation operations ---------------------------------------------------------

    async def pipelined_ops(
        self,
        op: str,
        invocation_ids: list[str],
        params: dict[str, str] | None,
        stop: asyncio.Event,
        answered: Callable[[int, int | None, bytes, str | None], None],
    ) -> set[int] | None:
        """``PATCH /invocations/{id}/{op}`` for every id, pipelined (``admin/pipeline.py``),
        calling ``answered(index, status, body, error)``: ``error`` is set for a missing or
        non-2xx answer. None when this client cannot pipeline (not plain HTTP, or a server
        without the PATCH routes): then send them one by one. Returns the indexes not sent
        because ``stop`` was set."""
        from restate_cli.admin import pipeline

        http = self._http
        info = await self.info()
        if not isinstance(http, Http1) or not info.has_patch_ops:
            return None
        query = f"?{urlencode(params)}" if params else ""
        paths = [f"{info.prefix}invocations/{quote(i, safe='')}/{op}{query}" for i in invocation_ids]

        def one(index: int, answer: pipeline.Answer) -> None:
            if answer.status is None:
                answered(index, None, b"", answer.error)
            elif answer.status >= 300:
                error = api_error(answer.status, answer.body, answer.content_type, self.server)
                answered(index, answer.status, answer.body, error.reason)
            else:
                answered(index, answer.status, answer.body, None)

        return await pipeline.send_all(
            http.base_url,
            http.headers,
            "PATCH",
            paths,
            timeout=self.settings.request_timeout,
            connect_timeout=self.settings.connect_timeout,
            stop=stop,
            answered=one,
        )

    async def invocation_op(
        self, invocation_id: str, op: str, params: dict[str, str] | None = None
    ) -> Response:
        """``PATCH /invocations/{id}/{op}``, or the legacy ``DELETE ?mode=`` on old servers."""
        info = await self.info()
        if not info.has_patch_ops and info.api_version is not None:
            mode = LEGACY_MODES.get(op)
            if mode is None:
                raise ProtocolError(
                    f"{op} needs restate-server 1.5 or newer; {self.server} runs {info.version}"
                )
            return await self.request("DELETE", f"invocations/{invocation_id}", params={"mode": mode})
        try:
            return await self.request("PATCH", f"invocations/{invocation_id}/{op}", params=params)
        except ApiError as e:
            # An unknown route (empty 404) or a DELETE-only route (405): a server without PATCH.
            legacy = LEGACY_MODES.get(op)
            if legacy and (e.status == 405 or (e.status == 404 and not e.server_message)):
                return await self.request("DELETE", f"invocations/{invocation_id}", params={"mode": legacy})
            raise

    # -- JSON resources --------------------------------------------------------------

    async def get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        return _json(await self.request("GET", path, params=params), self.server)

    async def post_json(self, path: str, body: Any) -> Any:
        return _json(await self.request("POST", path, json_body=body), self.server)

    async def patch_json(self, path: str, body: Any) -> Any:
        return _json(await self.request("PATCH", path, json_body=body), self.server)

    async def delete(self, path: str, params: dict[str, str] | None = None) -> Response:
        return await self.request("DELETE", path, params=params)


TRANSIENT_RETRY_SECONDS = 5.0
_TRANSIENT = (
    "partition store",
    "partition processor",
    "not the leader",
    "no leader",
    "not ready",
    "is being transferred",  # a cluster moving a partition between nodes (restate-server 1.7)
)


def _transient(e: ApiError) -> bool:
    """A server-side failure that goes away by itself: a partition not running here yet."""
    return e.status == 503 or (e.status >= 500 and any(t in e.server_message for t in _TRANSIENT))


def _json(response: Response, server: str) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ProtocolError(
            f"the Restate server at {server} answered {response.request.url.path} "
            "with a body that is not JSON"
        ) from None
