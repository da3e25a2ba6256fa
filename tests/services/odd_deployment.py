"""A deployment that misbehaves on purpose, for the client's error paths (plain ASGI).

The first path segment picks the behaviour; the rest is the usual ``/discover`` or
``/invoke/{service}/{handler}``.
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

MANIFEST_V4 = "application/vnd.restate.endpointmanifest.v4+json"
MANIFEST = {
    "protocolMode": "REQUEST_RESPONSE",
    "minProtocolVersion": 5,
    "maxProtocolVersion": 7,
    "services": [],
}


def frame(msg_type: int, payload: bytes = b"") -> bytes:
    return struct.pack(">HHI", msg_type, 0, len(payload)) + payload


def varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def output(value: bytes) -> bytes:
    """An Output command frame: field 14 holds Value{1: value}."""
    inner = b"\x0a" + varint(len(value)) + value
    return frame(0x0401, b"\x72" + varint(len(inner)) + inner)


END = frame(0x0003)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    parts = scope["path"].strip("/").split("/")
    mode, rest = parts[0], parts[1:]
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    if rest == ["discover"]:
        await _discover(mode, headers, send)
    elif rest[:1] == ["invoke"]:
        await _invoke(mode, headers, send)
    else:
        await _reply(send, 404, "text/plain", b"not here")


async def _reply(send: Any, status: int, content_type: str, body: bytes, extra: list | None = None) -> None:
    headers = [(b"content-type", content_type.encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _discover(mode: str, headers: dict[str, str], send: Any) -> None:
    if mode == "text":
        await _reply(send, 200, "text/plain", b"hello")
    elif mode == "badjson":
        await _reply(send, 200, MANIFEST_V4, b"{not json")
    elif mode == "old":
        doc = {**MANIFEST, "minProtocolVersion": 1, "maxProtocolVersion": 2}
        await _reply(send, 200, MANIFEST_V4, json.dumps(doc).encode())
    elif mode == "nomode":
        doc = {k: v for k, v in MANIFEST.items() if k != "protocolMode"}
        await _reply(send, 200, MANIFEST_V4, json.dumps(doc).encode())
    elif mode == "echo":
        service = {"name": "Echo", "ty": "SERVICE", "handlers": [], "metadata": headers}
        doc = {**MANIFEST, "services": [service]}
        await _reply(send, 200, MANIFEST_V4, json.dumps(doc).encode())
    else:
        await _reply(send, 404, "text/plain", b"no discovery here")


async def _invoke(mode: str, headers: dict[str, str], send: Any) -> None:
    protocol = headers.get("content-type", "")
    if mode == "echo":
        await _reply(send, 200, protocol, output(json.dumps(headers).encode()) + END)
    elif mode == "length":
        body = output(b"1") + END
        length = [(b"content-length", str(len(body)).encode())]
        await _reply(send, 200, protocol, body, length)
    elif mode == "close":
        await _reply(send, 200, protocol, output(b"1") + END, [(b"connection", b"close")])
    elif mode == "torn":
        await _reply(send, 200, protocol, output(b"1") + END[:5])
    elif mode == "noend":
        await _reply(send, 200, protocol, output(b"1"))
    elif mode == "afterend":
        await _reply(send, 200, protocol, END + output(b"1"))
    elif mode == "wrongct":
        await _reply(send, 200, "text/plain", END)
    elif mode.isdigit():
        extra = [(b"retry-after", b"7")] if mode in ("429", "503") else []
        await _reply(send, int(mode), "text/plain", b"status on purpose", extra)
    elif mode == "slow":
        head = [(b"content-type", protocol.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": head})
        await asyncio.sleep(2)
        await send({"type": "http.response.body", "body": END})
    elif mode == "cut":
        head = [(b"content-type", protocol.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": head})
        await send({"type": "http.response.body", "body": output(b"1"), "more_body": True})
        raise RuntimeError("connection cut on purpose")
    else:
        await _reply(send, 404, "text/plain", b"")
