"""An ASGI app for the HTTP/2 client's tests, served by hypercorn over h2c.

POST /echo        answers at once, then sends back each piece of the request body as it
                  arrives, and ends when the request ends (full duplex)
POST /sink        reads the whole body; answers its length
GET  /big?n=N     N bytes, in 64 KiB pieces
GET  /hold?ms=M   waits M ms; answers the client's port and the most requests that
                  connection had in flight at once
GET  /who         the client's port (one per connection)
GET  /slow        never answers
GET  anything else: an empty 200
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

_in_flight: dict[int, int] = {}
_most: dict[int, int] = {}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    path, port = scope["path"], scope["client"][1]
    query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&") if "=" in p)
    if path == "/echo":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            if message.get("body"):
                await send({"type": "http.response.body", "body": message["body"], "more_body": True})
            if not message.get("more_body"):
                break
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/sink":
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await _reply(send, str(size).encode())
    elif path == "/big":
        n = int(query["n"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        piece = b"x" * 65536
        while n > 0:
            await send({"type": "http.response.body", "body": piece[:n], "more_body": True})
            n -= len(piece)
        await send({"type": "http.response.body", "body": b""})
    elif path == "/hold":
        _in_flight[port] = _in_flight.get(port, 0) + 1
        _most[port] = max(_most.get(port, 0), _in_flight[port])
        await asyncio.sleep(int(query["ms"]) / 1000)
        _in_flight[port] -= 1
        await _reply(send, json.dumps({"port": port, "most": _most[port]}).encode())
    elif path == "/who":
        await _reply(send, str(port).encode())
    elif path in ("/huge/discover", "/trickle/discover"):
        manifest = [(b"content-type", b"application/vnd.restate.endpointmanifest.v4+json")]
        await send({"type": "http.response.start", "status": 200, "headers": manifest})
        await send({"type": "http.response.body", "body": b'{"services": [', "more_body": True})
        for _ in range(17 * 16 if path == "/huge/discover" else 1000):
            if path == "/huge/discover":
                await send({"type": "http.response.body", "body": b" " * 65536, "more_body": True})
            else:
                await asyncio.sleep(0.2)
                await send({"type": "http.response.body", "body": b" ", "more_body": True})
        await send({"type": "http.response.body", "body": b"]}"})
    elif path == "/headers":
        await _reply(send, json.dumps({k.decode(): v.decode() for k, v in scope["headers"]}).encode())
    elif path == "/slow":
        await asyncio.sleep(3600)
    else:  # /health, for the test harness
        await _reply(send, b"")


async def _reply(send: Any, body: bytes) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})
