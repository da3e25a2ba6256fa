"""A small asyncio load generator for Restate ingresses, independent of the code under test.

As a module: ``post_many`` sends many requests with bounded concurrency (to fill a data set).
As a script: ``python bench/load.py URL PATH --concurrency 32 --warmup 2 --duration 8`` runs
closed-loop callers doing request/response calls and prints one JSON line with the number of
calls completed in the measured window, errors, and latency percentiles in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable
from urllib.parse import urlsplit


class Client:
    """One keep-alive HTTP/1.1 connection: POST, read the whole answer."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                return await self._exchange(path, body, headers or {})
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        lines = [f"POST {path} HTTP/1.1", f"host: {self.host}:{self.port}", f"content-length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if fields.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                data = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(data[:-2])
            payload = b"".join(parts)
        else:
            payload = await self.reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _origin(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


JSON = {"content-type": "application/json"}


async def post_many(url: str, requests: Iterable[tuple[str, bytes]], concurrency: int = 64) -> list[int]:
    """POST every ``(path, body)`` to ``url``; the status codes, in order."""
    host, port = _origin(url)
    items = list(enumerate(requests))
    results = [0] * len(items)
    queue = iter(items)

    async def worker() -> None:
        client = Client(host, port)
        try:
            for i, (path, body) in queue:
                results[i] = (await client.post(path, body, JSON))[0]
        finally:
            client.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


async def closed_loop(
    url: str, path: str, body: bytes, concurrency: int, warmup: float, duration: float
) -> dict:
    """``concurrency`` callers, each sending its next call when the previous one answered."""
    host, port = _origin(url)
    loop = asyncio.get_running_loop()
    start = loop.time() + warmup
    end = start + duration
    latencies: list[float] = []
    errors = 0

    async def caller() -> None:
        nonlocal errors
        client = Client(host, port)
        try:
            while True:
                t0 = loop.time()
                if t0 >= end:
                    return
                status, _ = await client.post(path, body, JSON)
                t1 = loop.time()
                if start <= t0 and t1 <= end:
                    if status == 200:
                        latencies.append(t1 - t0)
                    else:
                        errors += 1
        finally:
            client.close()

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    latencies.sort()
    return {
        "calls": len(latencies),
        "errors": errors,
        "seconds": duration,
        "calls_per_s": len(latencies) / duration,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("url")
    p.add_argument("path")
    p.add_argument("--body", default='"bench"')
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--duration", type=float, default=8.0)
    a = p.parse_args(argv)
    result = asyncio.run(closed_loop(a.url, a.path, a.body.encode(), a.concurrency, a.warmup, a.duration))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
