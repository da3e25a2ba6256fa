"""The client for SDK deployments: discovery, and one request/response invocation attempt.

The transport is chosen as restate-server chooses it: HTTP/2 (cleartext with prior
knowledge for ``http://``, see ``http2``) unless the deployment was registered with
``use_http_11``, then HTTP/1.1 (``restate_cli.http1``). SDKs answer discovery over HTTP/2
with BIDI_STREAM mode and over HTTP/1.1 mostly with REQUEST_RESPONSE. Each attempt here is
request/response whatever the mode: it sends Start plus the whole journal, ends the
request, and reads the SDK's frames until End, Suspension or Error (an SDK in BIDI_STREAM
mode suspends when its input has ended and it needs a completion).

    DiscoveryError   discovery failed, or the deployment cannot be used; ``code`` is
                     restate's error code for it
    AttemptFailed    an attempt failed in transport or framing; always worth a retry
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import quote, urlsplit

import httpx

from restate_cli.embedded.protocol import TERMINAL_TYPES, Frame, FrameDecoder, jsonbody
from restate_cli.embedded.protocol.http2 import Http2Error, Pool
from restate_cli.embedded.protocol.manifest import (
    HandlerInput,
    HandlerManifest,
    HandlerOutput,
    Manifest,
    ManifestError,
    ServiceManifest,
    parse_manifest,
)
from restate_cli.http1 import ConnectionPool, HttpError, Response
from restate_cli.limits import MAX_MANIFEST_BYTES, MAX_RESPONSE_BYTES, TooLarge, read_httpx

__all__ = [
    "ACCEPT_MANIFESTS",
    "MAX_PROTOCOL_VERSION",
    "MIN_PROTOCOL_VERSION",
    "AttemptFailed",
    "AttemptResult",
    "DeploymentClient",
    "DiscoveryError",
    "HandlerInput",
    "HandlerManifest",
    "HandlerOutput",
    "Manifest",
    "ServiceManifest",
    "discover",
    "pick_protocol_version",
]

MIN_PROTOCOL_VERSION = 5
MAX_PROTOCOL_VERSION = 7
_MANIFEST_TYPES = {f"application/vnd.restate.endpointmanifest.v{v}+json": v for v in range(1, 5)}
ACCEPT_MANIFESTS = ", ".join(_MANIFEST_TYPES)
"""The Accept header restate-server sends to ``/discover``: manifest v1 to v4."""
DISCOVERY_SECONDS = float(os.environ.get("RESTATE_CLI_DISCOVERY_TIMEOUT_SECONDS", "30"))
"""How long a discovery may take in all (restate-server 1.7 has no such bound: an endpoint
that trickles its manifest holds the registration open for as long as it trickles)."""
_ERROR_BODY_BYTES = 4096  # of a failed discovery's body, for the message

HTTP_2 = "HTTP/2.0"
HTTP_1_1 = "HTTP/1.1"
"""A deployment's ``http_version``, in restate-server's words."""
PROTOCOL_TYPES = {"BIDI_STREAM": "BidiStream", "REQUEST_RESPONSE": "RequestResponse"}
"""A deployment's ``protocol_type``, from the protocolMode of its manifest."""


class DiscoveryError(Exception):
    """Discovery failed, or the deployment speaks no protocol version the runtime can use.
    ``code`` is the restate error code of the answer (restate gives none to a manifest it
    cannot decode)."""

    def __init__(self, message: str, code: str | None = "META0003") -> None:
        super().__init__(message)
        self.code = code


class AttemptFailed(Exception):
    """An invocation attempt failed before the SDK ended it properly.

    ``message`` is meant for the user (the "last failure" of the invocation);
    ``retry_after`` is the server's Retry-After in seconds, if it sent one; ``frames`` are
    the complete frames that arrived before the failure (commands to store before retrying);
    ``code`` is restate's error code for it.
    """

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        frames: list[Frame] | None = None,
        code: str = "RT0006",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after = retry_after
        self.frames = frames or []


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """Every frame the SDK sent; the last one is End, Suspension or Error."""

    frames: list[Frame]
    server: str | None  # the x-restate-server response header


# -- discovery -------------------------------------------------------------------------------


async def discover(
    uri: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10,
    deadline: float | None = None,
    use_http_11: bool = False,
) -> Manifest:
    """``GET {uri}/discover`` over HTTP/2, or over HTTP/1.1 with ``use_http_11``, and parse
    the manifest.

    ``timeout`` bounds the connect and each wait for data, ``deadline`` (default
    ``DISCOVERY_SECONDS``) the whole exchange; the body may hold ``MAX_MANIFEST_BYTES``.
    """
    url = f"{uri.rstrip('/')}/discover"
    _check_address(url)
    request_headers = {**(headers or {}), "accept": ACCEPT_MANIFESTS}
    deadline = DISCOVERY_SECONDS if deadline is None else deadline
    fetch = _fetch_http1 if use_http_11 else _fetch_http2
    try:
        async with asyncio.timeout(deadline):
            r = await fetch(uri, url, request_headers, timeout)
    except TimeoutError:
        raise DiscoveryError(f"discovery at {url} did not complete within {deadline:g}s") from None
    except TooLarge as e:
        raise DiscoveryError(str(e)) from None
    body = r.body
    if r.status != 200:
        hint = " (is the SDK endpoint served at this path?)" if r.status == 404 else ""
        text = body[:_ERROR_BODY_BYTES].decode(errors="replace")
        raise DiscoveryError(f"{url} answered {_status(r.status)}{hint}{_body_hint(text)}")
    content_type = r.headers.get("content-type", "")
    version = _MANIFEST_TYPES.get(content_type)
    if version is None:
        raise DiscoveryError(
            f"{url} answered with content-type {content_type!r}, not an endpoint manifest v1-v4"
        )
    try:
        doc = jsonbody.parse(body, buffered=True)
    except jsonbody.JsonBodyError as e:
        shown = body[:1000].decode(errors="replace")
        raise DiscoveryError(
            f"received a bad response from the SDK that cannot be decoded: {e.reason}. "
            f"Discovery response: {shown}",
            code=None,
        ) from None
    try:
        manifest = parse_manifest(
            doc, sdk_version=r.headers.get("x-restate-server"), manifest_version=version, body=body
        )
    except ManifestError as e:
        raise DiscoveryError(str(e), code=e.code) from None
    lo, hi = manifest.min_protocol_version, manifest.max_protocol_version
    if hi < MIN_PROTOCOL_VERSION or lo > MAX_PROTOCOL_VERSION:
        raise DiscoveryError(
            f"the deployment at {uri} speaks service protocol versions [{lo}, {hi}], this "
            f"runtime speaks [{MIN_PROTOCOL_VERSION}, {MAX_PROTOCOL_VERSION}]: update the SDK"
        )
    return manifest


def _check_address(url: str) -> None:
    """A URI the HTTP client could not use (httpx would even take port 99999 modulo 65536)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise DiscoveryError(f"cannot reach {url}: unsupported scheme '{parts.scheme}', use http or https")
    try:
        parts.port  # noqa: B018 - parsing it is the check
    except ValueError:
        raise DiscoveryError(f"cannot reach {url}: the port must be a number from 0 to 65535") from None


async def _fetch_http1(uri: str, url: str, headers: dict[str, str], timeout: float) -> Response:
    """The response over HTTP/1.1: a manifest's worth, or the start of an error."""
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=timeout) as client:
            client.headers.clear()  # no user-agent, accept-encoding: only what restate sends
            async with client.stream("GET", url, headers=headers) as r:
                if r.status_code == 200:
                    body = await read_httpx(r, MAX_MANIFEST_BYTES, f"the discovery response of {url}")
                else:
                    body = b""
                    async for chunk in r.aiter_bytes():
                        body += chunk
                        if len(body) >= _ERROR_BODY_BYTES:
                            break
                return Response(r.status_code, dict(r.headers), body)
    except httpx.TimeoutException:
        raise DiscoveryError(f"discovery at {url} timed out after {timeout:g}s") from None
    except httpx.RemoteProtocolError as e:
        if "disconnected" in str(e).lower():
            raise DiscoveryError(f"cannot reach {url}: {_describe(e)}") from None
        raise DiscoveryError(  # restate-server's words and code for this case
            f"[META0003] error when calling '{uri}': server possibly supports only HTTP/2, "
            f"consider discovering without --use-http1.1.\nReason: {_describe(e)}"
        ) from None
    except httpx.HTTPError as e:
        raise DiscoveryError(f"cannot reach {url}: {_describe(e)}") from None


async def _fetch_http2(uri: str, url: str, headers: dict[str, str], timeout: float) -> Response:
    """The response over HTTP/2 (cleartext with prior knowledge for ``http://``)."""
    try:
        async with Pool() as pool:
            return await pool.request("GET", url, headers, timeout=timeout, max_body=MAX_MANIFEST_BYTES)
    except Http2Error as e:
        if e.not_http2:
            raise DiscoveryError(  # restate-server's words and code for this case
                f"[META0014] error when calling '{uri}': server possibly supports only HTTP1.1, "
                "consider discovery with --use-http1.1.",
                code="META0014",
            ) from None
        if e.too_large:
            too_large = TooLarge(f"the discovery response of {url}", MAX_MANIFEST_BYTES)
            raise DiscoveryError(str(too_large)) from None
        if e.timed_out:
            raise DiscoveryError(f"discovery at {url} timed out after {timeout:g}s") from None
        if e.connecting:
            raise DiscoveryError(f"cannot reach {url}: {e}") from None
        raise DiscoveryError(f"discovery at {url} failed: {e}") from None


def pick_protocol_version(manifest: Manifest, runtime_max: int = 6) -> int:
    """The version to pin for a new invocation: the highest both sides speak."""
    lo, hi = manifest.min_protocol_version, manifest.max_protocol_version
    chosen = min(hi, runtime_max)
    if lo > runtime_max or chosen < MIN_PROTOCOL_VERSION:
        raise DiscoveryError(
            f"the deployment speaks service protocol versions [{lo}, {hi}], this runtime "
            f"speaks [{MIN_PROTOCOL_VERSION}, {runtime_max}]"
        )
    return chosen


# -- invocation attempts ---------------------------------------------------------------------


class DeploymentClient:
    """Invocation attempts over a pool of HTTP/2 connections (streams multiplexed, one
    connection per origin until the peer's stream limit) and a pool of keep-alive HTTP/1.1
    connections.

    Not httpx for HTTP/1.1: on this path its per-request cost dominated (about 1 ms of CPU
    per attempt, growing with concurrency), where the plain asyncio client needs well under
    0.1 ms.
    """

    def __init__(self, *, keepalive_expiry: float = 4.0, max_idle_per_origin: int = 512) -> None:
        # keepalive_expiry stays below hypercorn's and uvicorn's 5 s idle timeout, so an idle
        # connection is dropped here before the server closes it under a new request.
        self._pool = ConnectionPool(
            keepalive_expiry=keepalive_expiry, max_idle_per_origin=max_idle_per_origin
        )
        self._h2 = Pool(idle_expiry=keepalive_expiry, unique_headers=["x-restate-invocation-id"])

    async def aclose(self) -> None:
        await self._pool.aclose()
        await self._h2.aclose()

    async def __aenter__(self) -> DeploymentClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def invoke(
        self,
        uri: str,
        service: str,
        handler: str,
        *,
        version: int,
        invocation_id: str,
        key: str | None,
        body: bytes,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        http2: bool = False,
    ) -> AttemptResult:
        """POST one attempt and read the SDK's whole answer.

        ``body`` is Start plus the journal, already framed; ``key`` is given for virtual
        objects and workflows; ``timeout`` bounds the connect and each wait for response
        data; ``headers`` are extra headers configured for the deployment; ``http2`` sends
        it over HTTP/2 instead of HTTP/1.1.
        """
        url = f"{uri.rstrip('/')}/invoke/{service}/{handler}"
        content_type = f"application/vnd.restate.invocation.v{version}"
        request_headers = dict(headers) if headers else {}
        request_headers["content-type"] = content_type
        request_headers["accept"] = content_type
        request_headers["x-restate-invocation-id"] = invocation_id
        if key is not None:
            request_headers["x-restate-service-key"] = quote(key, safe="")
        try:
            if http2:
                response = await self._h2.request(
                    "POST", url, request_headers, body, timeout=timeout, max_body=MAX_RESPONSE_BYTES
                )
            else:
                response = await self._pool.post(url, request_headers, body, timeout=timeout)
        except (HttpError, Http2Error) as e:
            raise _transport_failure(e, content_type, version, timeout) from None
        except ValueError as e:
            raise AttemptFailed(f"cannot send an attempt to {url}: {e}") from None
        _check_head(response, content_type, version)
        decoder = FrameDecoder()
        frames = decoder.feed(response.body)
        _check_end(frames, decoder)
        return AttemptResult(frames, response.headers.get("x-restate-server"))


def _transport_failure(
    e: HttpError | Http2Error, content_type: str, version: int, timeout: float | None = None
) -> AttemptFailed:
    """What to report when the exchange broke off; keeps the frames that did arrive."""
    frames: list[Frame] = []
    if e.response is not None:
        _check_head(e.response, content_type, version)  # a bad head is the better reason
        frames = FrameDecoder().feed(e.partial)
    if e.timed_out and not e.connecting and timeout is not None:
        from restate_cli.durations import friendly

        # The service's abort timeout: restate-server's words and code for it.
        fired = friendly(round(timeout * 1000))
        message = f"the invocation stream was closed after the 'abort timeout' ({fired}) fired."
        return AttemptFailed(message, frames=frames, code="RT0001")
    return AttemptFailed(str(e), frames=frames)


def _check_head(response: Response, content_type: str, version: int) -> None:
    """Classify a response head as restate does; raise AttemptFailed if it is no good."""
    code = response.status
    if code in (502, 504):
        raise AttemptFailed(f"service is temporarily unavailable: {_status(code)}")
    if code in (503, 429):
        retry_after = _retry_after(response.headers.get("retry-after"))
        after = "" if retry_after is None else f" (retry after {retry_after:g}s)"
        raise AttemptFailed(f"service is rate limited: {_status(code)}{after}", retry_after)
    if code == 415:
        raise AttemptFailed(
            f"the SDK does not support protocol version {version}, which was negotiated "
            "at discovery time (415 Unsupported Media Type)"
        )
    if code == 413:
        raise AttemptFailed("the service replied with content too large (413)")
    if not 200 <= code < 300:
        text = response.body.decode(errors="replace")
        raise AttemptFailed(f"unexpected http status code: {_status(code)}{_body_hint(text)}")
    got = response.headers.get("content-type")
    if got != content_type:
        raise AttemptFailed(f"unexpected content type {got!r}; expected {content_type!r}")


def _check_end(frames: list[Frame], decoder: FrameDecoder) -> None:
    if decoder.buffered:
        raise AttemptFailed(
            f"the response ended inside a frame ({decoder.buffered} of {decoder.expected} bytes received)",
            frames=frames,
        )
    for i, frame in enumerate(frames):
        if frame.type in TERMINAL_TYPES:
            if i != len(frames) - 1:
                raise AttemptFailed(
                    f"the deployment sent {len(frames) - 1 - i} message(s) after the end of the attempt",
                    frames=frames[: i + 1],
                )
            return
    raise AttemptFailed(
        f"the response ended without End, Suspension or Error after {len(frames)} message(s)",
        frames=frames,
    )


def _status(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def _body_hint(text: str) -> str:
    line = text.strip().splitlines()[0][:200] if text.strip() else ""
    return f": {line}" if line else ""


def _describe(e: httpx.HTTPError) -> str:
    """The most specific reason in an httpx error chain (httpx often says only "All
    connection attempts failed")."""
    cause: BaseException | None = e
    reason = str(e)
    while cause is not None:
        if str(cause):
            reason = str(cause)
        cause = cause.__cause__ or cause.__context__
    return reason or type(e).__name__


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
