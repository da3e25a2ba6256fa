"""The admin client's transports: plain HTTP/1.1, an in-process ASGI app, and the choice between them."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from restate_cli.admin.client import AdminClient
from restate_cli.admin.http import Asgi, Http1, Httpx, TransportError, proxied
from restate_cli.config import Flags, resolve


def settings(admin_url: str | None, home: Path):
    env = {"HOME": str(home), "RESTATE_CLI_HOME": str(home / "data")}
    if admin_url:
        env["RESTATE_ADMIN_URL"] = admin_url
    return resolve(env, Flags())


async def echo_server(handler) -> tuple[asyncio.AbstractServer, int, list[bytes]]:
    """An HTTP/1.1 server answering every request with ``handler(head, body)``; records the heads."""
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                heads.append(head)
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                writer.write(handler(head, body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], heads


def test_http1_methods_bodies_and_keep_alive() -> None:
    def answer(head: bytes, body: bytes) -> bytes:
        if head.startswith(b"GET"):
            return (
                b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'
            )
        chunked = json.dumps({"got": body.decode()}).encode()
        return (
            b"HTTP/1.1 409 Conflict\r\ntransfer-encoding: chunked\r\nX-Two: a\r\nx-two: b\r\n\r\n"
            + f"{len(chunked):x}\r\n".encode()
            + chunked
            + b"\r\n0\r\n\r\n"
        )

    async def go() -> None:
        server, port, heads = await echo_server(answer)
        http = Http1(f"http://127.0.0.1:{port}/", {"user-agent": "t"}, timeout=5, connect_timeout=5)
        try:
            r = await http.send("GET", "v4/version", {"a": "b c"}, {"accept": "application/json"}, None)
            assert (r.status_code, r.json(), r.headers.get("Content-Type")) == (
                200,
                {"ok": True},
                "application/json",
            )
            assert r.request.url == f"http://127.0.0.1:{port}/v4/version?a=b+c"
            assert r.request.url.path == "/v4/version"
            r = await http.send("PATCH", "v4/invocations/x/cancel", None, {}, None)
            assert r.status_code == 409 and r.headers["x-two"] == "a, b"
            assert r.json() == {"got": ""} and r.text == '{"got": ""}'
            r = await http.send("POST", "/query", None, {"content-type": "application/json"}, b'{"q":1}')
            assert r.json() == {"got": '{"q":1}'}
        finally:
            await http.aclose()
            server.close()
        assert b"content-length" not in heads[0].lower()  # GET without a body
        assert b"content-length: 0" in heads[1] and b"user-agent: t" in heads[1]
        assert len({h.split(b"\r\n", 1)[0] for h in heads}) == 3

    asyncio.run(go())


def test_http1_failures_say_what_happened() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def go() -> None:
        http = Http1(f"http://127.0.0.1:{port}/", {}, timeout=5, connect_timeout=5)
        with pytest.raises(TransportError) as e:
            await http.send("GET", "version", None, {}, None)
        assert (e.value.detail, e.value.connecting, e.value.timed_out) == ("connection refused", True, False)
        http = Http1("http://no-such-host.invalid/", {}, timeout=5, connect_timeout=5)
        with pytest.raises(TransportError) as e:
            await http.send("GET", "version", None, {}, None)
        assert e.value.connecting and e.value.detail  # "the host name does not resolve" where DNS answers

    asyncio.run(go())


def test_asgi_calls_the_app_in_process() -> None:
    seen = {}

    async def app(scope, receive, send) -> None:
        seen.update(scope)
        seen["body"] = (await receive())["body"]
        await send(
            {"type": "http.response.start", "status": 202, "headers": [(b"X-A", b"1"), (b"x-a", b"2")]}
        )
        await send({"type": "http.response.body", "body": b"[1,", "more_body": True})
        await send({"type": "http.response.body", "body": b"2]"})

    async def go() -> None:
        r = await Asgi(app, "http://embedded/", {"user-agent": "t"}).send(
            "PATCH", "v4/invocations/inv%2Fx/kill", {"mode": "kill"}, {"accept": "*/*"}, None
        )
        assert (r.status_code, r.json(), r.headers.get("X-A")) == (202, [1, 2], "1, 2")
        assert r.request.url == "http://embedded/v4/invocations/inv%2Fx/kill?mode=kill"

    asyncio.run(go())
    assert seen["method"] == "PATCH" and seen["path"] == "/v4/invocations/inv/x/kill"
    assert seen["raw_path"] == b"/v4/invocations/inv%2Fx/kill" and seen["query_string"] == b"mode=kill"
    assert (b"user-agent", b"t") in seen["headers"] and (b"content-length", b"0") in seen["headers"]
    assert seen["body"] == b""


def test_transport_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)

    def kind(url: str | None, **kw) -> type:
        return type(AdminClient(settings(url, tmp_path), **kw)._http)

    assert kind("http://127.0.0.1:9070") is Http1
    assert kind("https://restate.example.com:9070") is Httpx
    assert kind(None, app=object()) is Asgi
    import httpx

    assert kind("http://mock:9070", transport=httpx.MockTransport(lambda r: httpx.Response(200))) is Httpx
    monkeypatch.setenv("HTTP_PROXY", "http://proxy:3128")
    assert proxied() and kind("http://127.0.0.1:9070") is Httpx


def test_embedded_in_process_without_a_dev_process(cli_offline, home: Path) -> None:
    r = cli_offline("--json", "invocations", "list", "--all")
    assert r.code == 0, r
    assert r.json() == []
    r = cli_offline("deployments", "list")
    assert r.code == 0, r


def test_a_query_meeting_a_partition_on_the_move_is_retried(tmp_path: Path) -> None:
    """A cluster moving a partition between nodes fails queries for a moment with
    restate-server 1.7.12's words (seen in tests/test_cluster.py); the read is tried again."""
    moving = (
        "Datafusion error: External error: partition 2 doesn't exist on this node, this is because "
        "the partition is being transferred out of/into this node."
    )
    answers = [
        (500, {"message": moving, "restate_code": None}),
        (200, {"rows": [{"n": 1}]}),
    ]

    def answer(head: bytes, body: bytes) -> bytes:
        if head.startswith(b"GET /version"):
            status, data = 200, {"version": "1.7.12", "min_admin_api_version": 1, "max_admin_api_version": 4}
        else:
            status, data = answers.pop(0)
        text = json.dumps(data).encode()
        return b"HTTP/1.1 %d X\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
            status,
            len(text),
            text,
        )

    async def go() -> list:
        server, port, heads = await echo_server(answer)
        async with server, AdminClient(settings(f"http://127.0.0.1:{port}", tmp_path)) as client:
            rows = await client.query("SELECT COUNT(1) AS n FROM sys_invocation")
        return rows, [h for h in heads if b"query" in h]

    rows, queries = asyncio.run(go())
    assert rows == [{"n": 1}] and len(queries) == 2
