"""How fast ``invocations tree`` reads and draws big call trees, and with how many queries.

Starts its own restate-server (from ``.node/``, see ``scripts/install-restate``) and the
test SDK services on loopback, builds trees with ``Greeter/fan_out`` (one-way sends, the
leaves sleep for an hour), then reads each tree a few times and draws it once per format.

    python bench/tree.py [--server 1.7.12] [--runs 3] [--shape 1000 --shape 10,10,10 ...]

A tree larger than the reader's cap (10,000 descendants) is cut; its count shows a ``+``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from support.backend import Backend  # noqa: E402
from support.processes import RestateServer, ServiceProcess  # noqa: E402

from restate_cli.admin.client import AdminClient  # noqa: E402
from restate_cli.admin.tree import fetch_tree  # noqa: E402
from restate_cli.config import Settings  # noqa: E402
from restate_cli.io import IO  # noqa: E402
from restate_cli.render import tree as view  # noqa: E402
from restate_cli.render.output import OutputOptions, write_json  # noqa: E402
from restate_cli.render.timefmt import now  # noqa: E402

DEFAULT_SHAPES = ["1000", "10,10,10", "10,100"]


def size(shape: list[int]) -> int:
    total, width = 0, 1
    for n in shape:
        width *= n
        total += width
    return total


def build(b: Backend, shape: list[int], timeout: float = 120) -> str:
    """Start ``fan_out(shape)`` and wait until every descendant exists."""
    before = b.query("SELECT COUNT(1) AS n FROM sys_invocation")[0]["n"]
    root = b.send("Greeter/fan_out", shape)
    want = before + 1 + size(shape)
    deadline = time.monotonic() + timeout
    while b.query("SELECT COUNT(1) AS n FROM sys_invocation")[0]["n"] < want:
        if time.monotonic() > deadline:
            raise SystemExit(f"fan_out({shape}) did not finish in {timeout}s")
        time.sleep(0.25)
    return root


async def read(admin_url: str, root: str, runs: int):
    trees, times = [], []
    async with AdminClient(Settings(admin_url=admin_url + "/")) as client:
        await client.info()
        for _ in range(runs):
            started = time.perf_counter()
            trees.append(await fetch_tree(client, root))
            times.append(time.perf_counter() - started)
    return trees[-1], times


def draw(tree, fmt: str) -> float:
    io = IO.for_test(tty=True, color=True)
    opts = OutputOptions(json=fmt == "json")
    started = time.perf_counter()
    if fmt == "json":
        write_json(io, view.tree_json(tree))
    else:
        view.print_tree(io, tree, opts, now())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="1.7.12", help="restate-server version in .node/")
    parser.add_argument("--runs", type=int, default=3, help="reads per tree (median shown)")
    parser.add_argument(
        "--shape",
        action="append",
        help="children per level, e.g. 1000 or 10,10,10 (repeatable)",
    )
    args = parser.parse_args()
    shapes = [[int(x) for x in s.split(",")] for s in (args.shape or DEFAULT_SHAPES)]

    with tempfile.TemporaryDirectory(prefix="restate-cli-bench-") as tmp:
        services = ServiceProcess().start(Path(tmp))
        server = RestateServer(args.server, Path(tmp) / "server")
        try:
            server.start()
            b = Backend(f"restate-server {args.server}", args.server, server.admin_url, server.ingress_url)
            b.register(services.url)
            b.wait_queryable()
            print(f"restate-server {args.server}; {args.runs} reads per tree, median shown\n")
            header = (
                "shape",
                "descendants",
                "levels",
                "queries",
                "fetch ms",
                "render ms",
                "json ms",
            )
            print("{:<12} {:>11} {:>6} {:>7} {:>8} {:>9} {:>7}".format(*header))
            for shape in shapes:
                root = build(b, shape)
                tree, times = asyncio.run(read(server.admin_url, root, args.runs))
                if not tree.truncated:
                    assert tree.descendants == size(shape), (tree.descendants, size(shape))
                read_ = f"{tree.descendants:,}" + ("+" if tree.truncated else "")
                print(
                    "{:<12} {:>11} {:>6} {:>7} {:>8.0f} {:>9.0f} {:>7.0f}".format(
                        "x".join(map(str, shape)),
                        read_,
                        len(shape),
                        tree.queries,
                        statistics.median(times) * 1000,
                        draw(tree, "human") * 1000,
                        draw(tree, "json") * 1000,
                    ),
                    flush=True,
                )
        finally:
            server.stop()
            services.stop()


if __name__ == "__main__":
    main()
