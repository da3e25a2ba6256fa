"""The HTTP/2 client (restate_cli/embedded/protocol/http2.py) against hypercorn over h2c
(tests/services/h2_probe.py), uvicorn (HTTP/1.1 only), and a small h2 server that
refuses streams and sends GOAWAY on demand (tests/support/h2_server.py)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.h2_server import FaultyServer
from support.processes import ServiceProcess, free_port

from restate_cli.embedded.protocol.deployment_client import DiscoveryError, discover
from restate_cli.embedded.protocol.http2 import STREAM_WINDOW, Http2Error, Pool

MiB = 1 << 20


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    svc = ServiceProcess(app="h2_probe:app").start(tmp_path_factory.mktemp("probe"))
    yield svc.url.rstrip("/")
    svc.stop()


def run(coro):
    return asyncio.run(coro)


async def get(pool: Pool, url: str, **kw) -> bytes:
    r = await pool.request(
        "GET", url, {}, timeout=kw.pop("timeout", 10), max_body=kw.pop("max_body", 64 * MiB)
    )
    assert r.status == 200, r
    return r.body


def test_one_stream_full_duplex(probe: str) -> None:
    """The response arrives piece by piece while the request is still being sent."""

    async def go() -> list[bytes]:
        async with Pool() as pool:
            stream = await pool.open("POST", f"{probe}/echo", {}, connect_timeout=5)
            status, _ = await asyncio.wait_for(stream.response(), 5)
            assert status == 200
            echoed = []
            for i in range(5):
                await stream.send(f"piece {i}".encode())
                echoed.append(await asyncio.wait_for(stream.read(), 5))
            await stream.end()
            assert await asyncio.wait_for(stream.read(), 5) == b""
            assert stream.finished
            return echoed

    assert run(go()) == [f"piece {i}".encode() for i in range(5)]


def test_large_bodies_both_ways(probe: str) -> None:
    """20 MiB each way: far past every flow-control window, which must be waited for."""

    async def go() -> tuple[bytes, int]:
        async with Pool() as pool:
            sent = await pool.request(
                "POST", f"{probe}/sink", {}, b"y" * (20 * MiB), timeout=10, max_body=MiB
            )
            received = await get(pool, f"{probe}/big?n={20 * MiB}")
            return sent.body, len(received)

    assert run(go()) == (str(20 * MiB).encode(), 20 * MiB)


def test_a_reader_that_stops_stops_the_sender(probe: str) -> None:
    async def go() -> int:
        async with Pool() as pool:
            stream = await pool.open("GET", f"{probe}/big?n={64 * MiB}", {}, connect_timeout=5, end=True)
            await stream.read()
            await asyncio.sleep(0.5)  # the server sends what the window allows, then waits
            buffered = sum(len(data) for data, _ in stream._chunks)
            total = buffered
            while chunk := await stream.read():  # reading hands the window back: all arrives
                total += len(chunk)
            return buffered, total

    buffered, total = run(go())
    assert buffered <= STREAM_WINDOW
    assert total >= 64 * MiB - 65536


def test_more_streams_than_the_peer_allows_open_more_connections(probe: str) -> None:
    """hypercorn allows 100 concurrent streams per connection."""

    async def go() -> list[dict]:
        async with Pool() as pool:
            bodies = await asyncio.gather(*(get(pool, f"{probe}/hold?ms=300") for _ in range(250)))
            return [json.loads(b) for b in bodies]

    answers = run(go())
    ports = {a["port"] for a in answers}
    assert len(ports) == 3
    assert max(a["most"] for a in answers) == 100


def test_streams_share_a_connection_until_it_has_carried_max_streams(probe: str) -> None:
    async def go() -> list[bytes]:
        async with Pool(max_streams=3) as pool:
            return [await get(pool, f"{probe}/who") for _ in range(7)]

    ports = run(go())
    assert ports[0] == ports[1] == ports[2] != ports[3] == ports[4] == ports[5] != ports[6]


def test_a_reset_stream_leaves_the_connection_usable(probe: str) -> None:
    async def go() -> tuple[bytes, bytes]:
        async with Pool() as pool:
            before = await get(pool, f"{probe}/who")
            stream = await pool.open("GET", f"{probe}/slow", {}, connect_timeout=5, end=True)
            stream.reset()
            with pytest.raises(Http2Error, match="reset by this side"):
                await stream.read()
            return before, await get(pool, f"{probe}/who")

    before, after = run(go())
    assert before == after


def test_an_idle_connection_the_server_closed_is_replaced(tmp_path: Path) -> None:
    svc = ServiceProcess(app="h2_probe:app").start(tmp_path)
    try:

        async def go() -> tuple[bytes, bytes]:
            async with Pool() as pool:
                first = await get(pool, f"{svc.url}who")
                await asyncio.sleep(5.5)  # hypercorn closes idle connections after 5 s
                return first, await get(pool, f"{svc.url}who")

        first, second = run(go())
        assert first != second
    finally:
        svc.stop()


def test_timeout_and_size_limit(probe: str) -> None:
    async def go() -> None:
        async with Pool() as pool:
            started = time.monotonic()
            with pytest.raises(Http2Error, match=r"no data from the server for 0\.3s") as info:
                await get(pool, f"{probe}/slow", timeout=0.3)
            assert info.value.timed_out and time.monotonic() - started < 3
            with pytest.raises(Http2Error, match="larger than 1 MiB, the limit") as info:
                await get(pool, f"{probe}/big?n={2 * MiB}", max_body=MiB)
            assert info.value.too_large
            assert await get(pool, f"{probe}/who")  # the connection survived both

    run(go())


def test_an_http11_only_server_is_told_apart(tmp_path: Path) -> None:
    svc = ServiceProcess(app="h2_probe:app", server="uvicorn").start(tmp_path)
    try:
        with pytest.raises(Http2Error) as info:
            run(get(Pool(), f"{svc.url}who", timeout=5))
        assert info.value.not_http2 and info.value.connecting
    finally:
        svc.stop()


def test_nothing_listening() -> None:
    port = free_port()
    with pytest.raises(Http2Error, match=f"cannot connect to 127.0.0.1:{port}") as info:
        run(get(Pool(), f"http://127.0.0.1:{port}/", timeout=5))
    assert info.value.connecting and not info.value.not_http2


def test_goaway_before_processing_is_retried_on_a_new_connection() -> None:
    async def go() -> tuple[bytes, int]:
        async with FaultyServer(goaway_first=1) as server, Pool() as pool:
            return await get(pool, server.url), server.connections

    assert run(go()) == (b"ok", 2)


def test_a_refused_stream_is_sent_again() -> None:
    async def go() -> tuple[bytes, int]:
        async with FaultyServer(refuse_first=1) as server, Pool() as pool:
            return await get(pool, server.url), server.answered

    assert run(go()) == (b"ok", 1)


def test_a_peer_allowing_one_stream_gets_one_connection_per_request_in_flight() -> None:
    async def go() -> tuple[list[bytes], int]:
        async with FaultyServer(max_concurrent=1) as server, Pool() as pool:
            bodies = await asyncio.gather(*(get(pool, server.url) for _ in range(4)))
            return bodies, server.connections

    assert run(go()) == ([b"ok"] * 4, 4)


def test_request_headers_are_lower_cased_and_hop_by_hop_ones_dropped(probe: str) -> None:
    async def go() -> dict:
        async with Pool(unique_headers=["X-Id"]) as pool:
            with pytest.raises(ValueError, match="not a valid header name"):
                await pool.open("GET", f"{probe}/headers", {"bad name": "1"}, connect_timeout=5, end=True)
            with pytest.raises(ValueError, match="line break"):
                await pool.open(
                    "GET", f"{probe}/headers", {"x-a": "1\r\nx-b: 2"}, connect_timeout=5, end=True
                )
            headers = {"X-Thing": "v", "Connection": "keep-alive", "Host": "elsewhere", "X-Id": "inv_1"}
            r = await pool.request("GET", f"{probe}/headers", headers, timeout=5, max_body=MiB)
            return json.loads(r.body)

    seen = run(go())
    assert seen["x-thing"] == "v" and seen["x-id"] == "inv_1"
    assert "connection" not in seen and seen.get("host", "").endswith(probe.rsplit(":", 1)[1])


def test_discovery_over_http2_is_bounded_in_size_and_time(probe: str) -> None:
    with pytest.raises(DiscoveryError, match="larger than 16 MiB, the limit"):
        run(discover(f"{probe}/huge"))
    started = time.monotonic()
    with pytest.raises(DiscoveryError, match=r"did not complete within 1s"):
        run(discover(f"{probe}/trickle", deadline=1))
    assert time.monotonic() - started < 5
