"""How restate-cli and its embedded runtime scale: a store of a million invocations.

    .venv/bin/python bench/scale.py            # 1,000,000 invocations (10,000 in flight)
    .venv/bin/python bench/scale.py --quick    # 100,000 invocations (5,000 in flight)

The store is built once into ``.bench/scale-<size>/`` (kept between runs; ``--rebuild``
builds it again) through the runtime's own code paths: the in-flight invocations through
the ingress of ``restate-cli dev`` and the SDK service of ``bench/app.py`` (suspended,
pending behind a held object key, scheduled, backing off, and a call tree of 1,000), the
completed ones through the engine in-process, many per transaction: each is created by
``engine/ingress.create``, begun by ``engine/attempt.begin`` and finished by
``engine/attempt.finished`` with the Output and End frames a real SDK answered.

Each run measures a copy of that store: the CLI reads side by side with the official CLI
1.7.12 against the same ``dev``, ``dev``'s start-up and memory, the store's bytes per
invocation, calls/s with that history against calls/s on an empty store, and the removal
of expired invocations while calls run (twice, to see whether the file keeps growing).
The helpers for processes, tools and the table are ``bench/run.py``'s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import (  # noqa: E402
    ROOT,
    Backend,
    Bench,
    BenchError,
    Processes,
    Tool,
    alternate,
    below,
    binaries,
    clean_env,
    finish,
    machine,
    ratio_at_most,
    rss_mb,
    say,
    start_dev,
    start_server,
    start_service,
    stop_on_signals,
)

from restate_cli.embedded.engine import attempt, ingress  # noqa: E402
from restate_cli.embedded.engine.model import Tx  # noqa: E402
from restate_cli.embedded.protocol.framing import Frame  # noqa: E402
from restate_cli.embedded.protocol.framing import MessageType as T  # noqa: E402
from restate_cli.embedded.runtime import DB_NAME, Runtime  # noqa: E402
from restate_cli.embedded.store import now_ms  # noqa: E402

CACHE = ROOT / ".bench"
TREE = 1_000  # children of the tree's root
KEYS = 10  # object keys that hold a queue of pending invocations
SLEEP = 30 * 86_400  # seconds the in-flight invocations sleep
BATCH = 2_000  # completed invocations per transaction
VALID_MS = 20 * 86_400_000  # a built store is reused for 20 days (it sleeps 30)
BUILD_VERSION = 1  # bumped when what a build makes changes


@dataclass(frozen=True)
class Size:
    total: int
    per_status: int  # in flight: suspended, pending, scheduled and backing-off, each
    expiring: int  # completed invocations that expire in each retention round

    @property
    def name(self) -> str:
        return f"{self.total // 1000}k" if self.total < 1_000_000 else f"{self.total // 1_000_000}m"

    @property
    def in_flight(self) -> int:
        return 4 * self.per_status

    @property
    def completed(self) -> int:
        return self.total - self.in_flight


FULL = Size(1_000_000, 2_500, 100_000)
QUICK = Size(100_000, 1_250, 20_000)


# -- building the store ------------------------------------------------------------------


def record_many(rt: Runtime, service: str, frames: list[Frame], n: int, *, at: int | None = None) -> str:
    """``n`` completed invocations of ``service/record``, ``BATCH`` per transaction, through
    the engine: created, begun and finished with ``frames`` (``at``: the engine's clock).
    Returns the id of the last one."""
    last = ""
    target = rt.engine.resolve_target(None, service, "record")
    param = json.dumps("history").encode()
    headers = [("content-type", "application/json")]

    def batch(tx: Tx, count: int) -> None:
        nonlocal last
        if at is not None:
            tx.now = at
        for _ in range(count):
            inv = ingress.create(tx, target, parameter=param, headers=headers, invoked_by="ingress")
            begun = attempt.begin(tx, inv.id)
            if begun is None:
                raise BenchError(f"{inv.id} could not begin")
            attempt.finished(tx, inv=begun.inv, version=begun.version, frames=frames, server=None)
            last = inv.id

    done, started = 0, time.perf_counter()
    while done < n:
        count = min(BATCH, n - done)
        rt.engine.transact(lambda tx, count=count: batch(tx, count))
        done += count
        if done % 100_000 < BATCH or done == n:
            rate = done / (time.perf_counter() - started)
            say(f"  {done:,} of {n:,} {service} invocations completed ({rate:,.0f}/s)")
    return last


def sdk_frames(rt: Runtime, inv_id: str) -> list[Frame]:
    """The Output and End frames the SDK answered for ``inv_id`` (as stored in its journal)."""
    outputs = [e.payload for e in rt.store.journal(inv_id) if e.msg_type == T.OUTPUT]
    if not outputs:
        raise BenchError(f"{inv_id} has no Output entry")
    return [Frame(T.OUTPUT, 0, outputs[-1]), Frame(T.END, 0, b"")]


def ingress_id(backend: Backend, path: str, body: object) -> str:
    r = httpx.post(f"{backend.ingress_url}{path}", json=body, timeout=60)
    if r.status_code not in (200, 202):
        raise BenchError(f"{path}: {r.status_code} {r.text}")
    return r.headers.get("x-restate-id") or r.json()["invocationId"]


def build(size: Size, data: Path, procs: Processes, service_uri: str, home: Path) -> dict:
    """Fill ``data`` with ``size``: the in-flight invocations through ``dev`` and the SDK,
    then the completed ones through the engine in-process."""
    if data.exists():
        shutil.rmtree(data)
    started = time.perf_counter()
    dev = start_dev(procs, "dev-build", data, home)
    dev.register(service_uri)
    n = size.per_status
    say(f"building {size.total:,} invocations in {data}: {size.in_flight:,} in flight through dev")
    root = ingress_id(dev, "/Tree/fan_out/send", [TREE])
    reference = ingress_id(dev, "/History/record", "reference")
    dev.send("/Greeter/greet/send?delay=30d", "later", n)
    dev.send("/Flaky/fail/send", "flaky", n)
    for k in range(KEYS):
        dev.send(f"/Holder/key-{k}/hold/send", SLEEP, 1 + n // KEYS)
    dev.send("/Sleeper/sleep/send", SLEEP, n - TREE - KEYS)
    dev.wait_counts("Tree", {"suspended": TREE, "completed": 1})
    dev.wait_counts("Holder", {"suspended": KEYS, "pending": n})
    dev.wait_counts("Greeter", {"scheduled": n})
    dev.wait_counts("Flaky", {"backing-off": n})
    dev.wait_counts("Sleeper", {"suspended": n - TREE - KEYS})
    flaky = dev.query("SELECT id FROM sys_invocation WHERE target_service_name = 'Flaky' LIMIT 1")[0]["id"]
    procs.stop(dev.proc)
    say(f"in flight after {time.perf_counter() - started:.0f} s; {size.completed - 2:,} more in-process")
    rt = Runtime(data, active=False)
    try:
        record_many(rt, "History", sdk_frames(rt, reference), size.completed - 2)  # root, reference
        counts = rt.store.count_by_status()
    finally:
        rt.store.close()
    (data / "dev.json").unlink(missing_ok=True)
    built = {
        "version": BUILD_VERSION,
        "size": asdict(size),
        "built_at": now_ms(),
        "seconds": round(time.perf_counter() - started),
        "tree_root": root,
        "reference": reference,
        "flaky": flaky,
        "counts": counts,
    }
    if sum(counts.values()) != size.total:
        raise BenchError(f"built {sum(counts.values()):,} invocations, not {size.total:,}: {counts}")
    (data / "built.json").write_text(json.dumps(built, indent=2) + "\n")
    say(f"built in {built['seconds']} s: {counts}")
    return built


def cached(size: Size, data: Path) -> dict | None:
    try:
        built = json.loads((data / "built.json").read_text())
    except (OSError, ValueError):
        return None
    fresh = now_ms() - built.get("built_at", 0) < VALID_MS
    same = built.get("version") == BUILD_VERSION and built.get("size") == asdict(size)
    return built if fresh and same else None


# -- measuring ---------------------------------------------------------------------------


def store_bytes(db: Path) -> tuple[int, int]:
    """The database's size in bytes, and how many of them are free pages."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    finally:
        conn.close()
    return page * pages, page * free


def process_counters(pid: int) -> dict[str, float]:
    """CPU seconds, read calls, and bytes written (by write calls, and to disk) of ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    io = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    import os

    ticks = os.sysconf("SC_CLK_TCK")
    return {
        "cpu_s": (int(fields[11]) + int(fields[12])) / ticks,
        "syscr": int(io["syscr"]),
        "wchar": int(io["wchar"]),
        "write_bytes": int(io["write_bytes"]),
    }


def checkpoint(db: Path) -> None:
    conn = sqlite3.connect(str(db), isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


@dataclass
class Scale(Bench):
    size: Size = FULL
    built: dict | None = None
    rss_start: float = 0.0

    def timed_dev(self, name: str, data: Path) -> tuple[Backend, float]:
        (data / "dev.json").unlink(missing_ok=True)
        started = time.perf_counter()
        dev = start_dev(self.procs, name, data, self.work / "home")
        return dev, time.perf_counter() - started

    def startup(self, data: Path, empty: Path) -> Backend:  # type: ignore[override]
        say("dev start-up: on the big store and on an empty one")
        mine, theirs = [], []
        for _ in range(1 if self.quick else 3):
            dev, t = self.timed_dev("dev-empty", empty)
            theirs.append(t)
            self.procs.stop(dev.proc)
            dev, t = self.timed_dev("dev-big", data)
            mine.append(t)
            self.procs.stop(dev.proc)
        dev, t = self.timed_dev("dev-big", data)
        mine.append(t)
        self.add(
            f"`dev` start-up, {self.size.total:,} invocations (vs an empty store)",
            mine,
            theirs,
            "ms",
            "< 2 s",
            below(2.0),
        )
        self.rss_start = rss_mb(dev.proc.pid)
        return dev

    def cli(self, dev: Backend, ours_cmd: list[str], cli_bin: Path, data: Path) -> None:
        home = self.work / "home"
        ours = Tool("restate-cli", ours_cmd, clean_env(home, RESTATE_CLI_HOME=str(data)), home)
        official = Tool("restate", [str(cli_bin)], clean_env(home, RESTATE_ADMIN_URL=dev.admin_url), home)
        assert self.built is not None
        flaky, root = self.built["flaky"], self.built["tree_root"]
        rows = [
            ("`invocations list` (default filter)", ["invocations", "list"], 100),
            ("`invocations list --all --limit 100`", ["invocations", "list", "--all", "--limit", "100"], 100),
            ("`invocations list --status backing-off`", ["invocations", "list", "--status=backing-off"], 100),
            ("`invocations describe` (backing-off)", ["invocations", "describe", flaky], None),
        ]
        for label, args, want in rows:
            say(label)
            ours.run(args, want)
            official.run(args, want)
            a, b = alternate(
                self.n_list, lambda a=args, w=want: ours.run(a, w), lambda a=args, w=want: official.run(a, w)
            )
            self.add(label, a, b, "ms", "< 200 ms", below(0.200))
        say("invocations tree of 1,001 invocations")
        tree = ["invocations", "tree", root]
        ours.run(tree, expect=f"{TREE + 1} invocations")
        a = [ours.run(tree, expect=f"{TREE + 1} invocations") for _ in range(self.n_list)]
        self.add(
            f"`invocations tree`, {TREE + 1:,} invocations (no official equivalent)",
            a,
            [],
            "ms",
            "< 200 ms",
            below(0.200),
        )

    def calls(self, big: Backend, empty: Backend) -> dict:
        rounds = 1 if self.quick else 3
        mine: list[dict] = []
        theirs: list[dict] = []
        for r in range(rounds):
            say(f"calls/s with and without the history, round {r + 1} of {rounds}")
            pair = [(mine, big), (theirs, empty)]
            for results, backend in pair if r % 2 == 0 else reversed(pair):
                before = process_counters(backend.proc.pid)
                result = self.load(backend.ingress_url)
                after = process_counters(backend.proc.pid)
                calls = result["calls_per_s"] * result.get("seconds", 1)
                result["per_call"] = {k: (after[k] - before[k]) / max(calls, 1) for k in after}
                results.append(result)
                time.sleep(1)
        med = statistics.median
        self.add_values(
            f"calls/s, `Greeter/greet`, 32 callers, {self.size.total:,} stored (vs an empty store)",
            med(x["calls_per_s"] for x in mine),
            med(x["calls_per_s"] for x in theirs),
            "/s",
            "≥ 0.9× empty",
            lambda row: row.ratio is not None and row.ratio >= 0.9,
            rounds,
        )
        quiet = {"p50_ms": med(x["p50_ms"] for x in mine), "p99_ms": med(x["p99_ms"] for x in mine)}
        p99 = med(x["p99_ms"] for x in theirs)
        self.add_values("  latency p99", quiet["p99_ms"], p99, "lat", samples=rounds)

        def per_call(results: list[dict], key: str) -> float:
            return med(x["per_call"][key] for x in results)

        self.notes.append(
            "What `dev` spent per call (counters of its process while the load ran; medians): "
            f"CPU {per_call(mine, 'cpu_s') * 1000:.2f} ms with the history, "
            f"{per_call(theirs, 'cpu_s') * 1000:.2f} ms on the empty store; written to disk "
            f"{per_call(mine, 'write_bytes') / 1024:.0f} KiB against "
            f"{per_call(theirs, 'write_bytes') / 1024:.0f} KiB "
            f"(of which to the WAL {per_call(mine, 'wchar') / 1024:.0f} KiB against "
            f"{per_call(theirs, 'wchar') / 1024:.0f} KiB); read from the file system "
            f"{per_call(mine, 'syscr'):.1f} times against {per_call(theirs, 'syscr'):.1f}."
        )
        return quiet

    @property
    def bulk_size(self) -> int:
        return 2_000 if self.quick else 10_000

    def bulk(self, backend: Backend, ours: Tool, official: Tool | None) -> None:
        """cancel, kill and purge of ``bulk_size`` suspended invocations selected by target
        prefix, each tool on sets of its own, with ``--limit`` to match (both CLIs default
        to 500) and no read-back (``--wait 0``: the official CLI does none)."""
        n = self.bulk_size
        where = "restate-server 1.7.12" if official else "embedded"
        # (verb, what it says, restate-cli's set, the official CLI's set, what is left)
        steps = [
            ("cancel", "Cancelled", "BenchA", "BenchB", "completed"),
            ("kill", "Killed", "BenchC", "Sleeper", "completed"),
            ("purge", "Purged", "BenchA", "BenchB", None),
        ]
        sets = ["BenchA", "BenchC"] + (["BenchB", "Sleeper"] if official else [])
        say(f"bulk actions of {n:,} on {where}: {len(sets) * n:,} suspended invocations first")
        for name in sets:
            backend.send(f"/{name}/sleep/send", SLEEP, n)
        for name in sets:
            backend.wait_counts(name, {"suspended": n}, timeout=900)
        for i, (verb, said, mine, theirs, left) in enumerate(steps):
            say(f"  {verb} {n:,} by target prefix")
            args = ["--yes", "invocations", verb, "--limit", str(n)]
            runs = [(ours, [*args, *(["--wait", "0"] if verb != "purge" else []), mine], mine)]
            if official is not None:
                runs.append((official, [*args, theirs], theirs))
            times: dict[str, float] = {}
            for tool, cmd, target in runs if i % 2 == 0 else reversed(runs):
                times[tool.name] = tool.run(cmd, expect=f"{said} {n} " if tool is ours else None)
                if left:
                    backend.wait_counts(target, {left: n}, timeout=300)
                elif backend.counts(target):
                    raise BenchError(f"{tool.name} {verb} left {backend.counts(target)} of {target}")
            self.add_values(
                f"`invocations {verb}` {n:,} by target prefix, {where}",
                times.get("restate-cli"),
                times.get("restate"),
                "ms",
                "≤ 1.0× official" if official else "",
                ratio_at_most(1.0) if official else None,
            )

    def retention(self, data: Path, service_uri: str, quiet_p99: float) -> None:
        """Twice: add expired invocations in-process, start ``dev``, and run calls while it
        removes them; the file should not grow in the second round."""
        db = data / DB_NAME
        n = self.size.expiring
        sizes = []
        for r in range(2):
            say(f"retention round {r + 1}: {n:,} expired invocations to remove while calls run")
            rt = Runtime(data, active=False)
            try:
                reference = self.built["reference"] if self.built else ""
                # created and completed two minutes ago: their retention (one minute) is over
                last = record_many(rt, "Expiring", sdk_frames(rt, reference), n, at=now_ms() - 120_000)
            finally:
                rt.store.close()
            checkpoint(db)
            before = store_bytes(db)
            dev, _ = self.timed_dev("dev-retention", data)
            dev.register(service_uri)
            result: dict = {}
            url = dev.ingress_url
            load = threading.Thread(target=lambda u=url, out=result: out.update(self.load(u, 0.2)))
            started = time.perf_counter()
            load.start()
            # the sweep removes them oldest first, the last one created last: once it is
            # gone, all are (a lookup by id, which costs the runtime nothing)
            left = True
            while left and time.perf_counter() - started < 600:
                left = bool(dev.query(f"SELECT id FROM sys_invocation WHERE id = '{last}'"))
                time.sleep(0.2)
            cleanup = time.perf_counter() - started
            if not left and dev.counts("Expiring"):
                raise BenchError(f"expired invocations left behind: {dev.counts('Expiring')}")
            load.join()
            self.procs.stop(dev.proc)
            checkpoint(db)
            after = store_bytes(db)
            sizes.append((before, after))
            self.add_values(
                f"  round {r + 1}: p99 latency of calls while {n:,} expired invocations are removed "
                f"(quiet: {quiet_p99:.1f} ms)",
                result.get("p99_ms"),
                None,
                "lat",
                samples=1,
            )
            self.notes.append(
                f"Retention round {r + 1}: {n:,} expired invocations removed in {cleanup:.1f} s "
                f"({'not all' if left else 'all'}); {result.get('calls_per_s', 0):,.0f} calls/s meanwhile; "
                f"file {before[0] / 1e6:,.0f} MB before ({before[1] / 1e6:,.0f} MB free), "
                f"{after[0] / 1e6:,.0f} MB after ({after[1] / 1e6:,.0f} MB free)."
            )
        grew = sizes[1][0][0] - sizes[0][0][0]
        self.add_values(
            "  file growth from round 1 to round 2 (free pages reused)",
            grew / 1e6,
            None,
            "MB",
            "≈ 0 (< 5% of the file)",
            lambda row: row.ours is not None and row.ours * 1e6 < 0.05 * sizes[0][0][0],
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100,000 invocations instead of 1,000,000")
    parser.add_argument("--rebuild", action="store_true", help="build the store again even if one is kept")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, data)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)

    stop_on_signals()
    size = QUICK if args.quick else FULL
    server_bin, cli_bin = binaries()
    work = Path(tempfile.mkdtemp(prefix="restate-cli-scale-"))
    home = work / "home"
    home.mkdir()
    procs = Processes(work)
    bench = Scale(args.quick, work, procs, size=size)
    about = machine()
    say(f"machine: {about}")
    say(f"working directory: {work}")
    script = Path(sys.executable).parent / "restate-cli"
    ours_cmd = [str(script)] if script.exists() else [sys.executable, "-m", "restate_cli"]
    cache = CACHE / f"scale-{size.name}"
    code = 0
    try:
        service_uri = start_service(procs, "service")
        bench.built = None if args.rebuild else cached(size, cache)
        if bench.built is None:
            bench.built = build(size, cache, procs, service_uri, home)
        else:
            say(f"using the store built in {cache}")
        bench.notes.append(
            f"The store ({size.total:,} invocations: {bench.built['counts']}) was built in "
            f"{bench.built['seconds']:,} s, through dev's ingress and the engine in-process."
        )
        data = work / "store"
        say("copying the store")
        shutil.copytree(cache, data)
        db = data / DB_NAME
        checkpoint(db)
        total, free = store_bytes(db)
        bench.add_values(
            "store bytes per invocation (file size / invocations)",
            (total - free) / size.total,
            None,
            "bytes",
        )
        bench.notes.append(f"The store's file: {total / 1e6:,.0f} MB for {size.total:,} invocations.")
        empty = work / "empty"
        dev = bench.startup(data, empty)
        dev.register(service_uri)  # a kept store knows the SDK service of the run that built it
        bench.cli(dev, ours_cmd, cli_bin, data)
        rss_after_reads = rss_mb(dev.proc.pid)
        empty_dev = start_dev(procs, "dev-empty", empty, home)
        empty_dev.register(service_uri)
        quiet = bench.calls(dev, empty_dev)
        rss_after_calls = rss_mb(dev.proc.pid)
        bench.add_values(
            "`dev` resident memory: after start-up / after the reads / after the calls",
            max(bench.rss_start, rss_after_reads, rss_after_calls),
            None,
            "MB",
            "< 150 MB",
            lambda row: row.ours is not None and row.ours < 150,
        )
        bench.notes.append(
            f"`dev`'s resident memory on the big store: {bench.rss_start:.0f} MB after start-up, "
            f"{rss_after_reads:.0f} MB after the CLI reads, {rss_after_calls:.0f} MB after the calls "
            "(the row shows the largest)."
        )
        at_dev = clean_env(home, RESTATE_CLI_HOME=str(data))
        bench.bulk(dev, Tool("restate-cli", ours_cmd, at_dev, home), None)
        procs.stop(dev.proc)
        procs.stop(empty_dev.proc)
        bench.retention(data, service_uri, quiet["p99_ms"])
        server = start_server(procs, server_bin, work)
        server.register(service_uri)
        at_server = clean_env(home, RESTATE_ADMIN_URL=server.admin_url, RESTATE_CLI_HOME=str(work / "unused"))
        bench.bulk(
            server,
            Tool("restate-cli", ours_cmd, at_server, home),
            Tool("restate", [str(cli_bin)], at_server, home),
        )
    except KeyboardInterrupt:
        say("interrupted; stopping everything")
        code = 130
    except BenchError as e:
        say(f"failed: {e} (logs in {work}, kept)")
        args.keep = True
        code = 1
    finally:
        procs.stop_all()
    head = ("measurement", f"embedded, {size.total:,} invocations", "official CLI / reference", "ratio")
    summary = (
        f"{'--quick: ' if args.quick else ''}{size.total:,} invocations, {size.in_flight:,} in flight. "
        f"Medians of {bench.n_list} runs per CLI row, every CLI call a fresh process; both CLIs "
        "read the same `restate-cli dev` over loopback."
    )
    return finish(bench, args, about, code, summary, head)


if __name__ == "__main__":
    sys.exit(main())
