"""Benchmark restate-cli and its embedded runtime side by side with the official ``restate``
CLI 1.7.12 and restate-server 1.7.12, and check the performance targets.

    .venv/bin/python bench/run.py            # the full run (about three minutes)
    .venv/bin/python bench/run.py --quick    # fewer samples and shorter load runs

Everything runs on this machine, on loopback: restate-server and the official CLI from the
pinned npm packages in ``.node/`` (installed by ``scripts/install-restate`` if missing),
``restate-cli dev`` over private data directories, and restate-sdk services (``bench/app.py``,
served by hypercorn) registered with both runtimes, over HTTP/1.1 and over HTTP/2. Each measurement runs
on both tools in the same run, alternating, every CLI call in a fresh process; the table
shows medians. Every process started here is stopped by its PID on exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NODE_DIR = Path(os.environ.get("RESTATE_TEST_NODE_DIR", ROOT / ".node"))
sys.path.insert(0, str(BENCH))

from load import post_many  # noqa: E402

INV_ID = re.compile(r"\binv_[0-9A-Za-z]{20,}")


class BenchError(Exception):
    pass


def say(text: str) -> None:
    sys.stderr.write(f"bench: {text}\n")
    sys.stderr.flush()


# -- processes -------------------------------------------------------------------------


class Processes:
    """Every process this run starts, each in a session (and process group) of its own.

    Each is stopped by its PID: SIGTERM to its group (hypercorn's worker processes are in
    it), then SIGKILL if it has not ended within 15 s, and SIGKILL to what is left of the
    group.
    """

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[subprocess.Popen[bytes]] = []

    def start(
        self, name: str, args: Sequence[str], *, env: dict[str, str], cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        # A session of its own: Ctrl-C reaches only this script, which then stops them in order.
        proc = subprocess.Popen(
            list(args), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
        )
        log.close()
        self.running.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        _signal_group(proc.pid, signal.SIGKILL)  # a worker that outlived its parent
        if proc in self.running:
            self.running.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self.running)):
            self.stop(proc)


def _signal_group(pid: int, sig: int) -> None:
    """Signal the process group this run created for ``pid`` (its session leader)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"a process exited with {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise BenchError(f"{url} did not answer within {timeout:g}s")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmRSS for pid {pid}")


def npm_binary(package_dir: str, name: str) -> Path:
    base = NODE_DIR / package_dir / "node_modules" / "@restatedev"
    for candidate in sorted(base.glob(f"*/bin/{name}")):
        if candidate.is_file():
            return candidate
    raise BenchError(f"{name} is not installed under {NODE_DIR / package_dir}")


def binaries() -> tuple[Path, Path]:
    """restate-server 1.7.12 and the official CLI 1.7.12, installed from npm if missing."""
    try:
        return npm_binary("server-1.7.12", "restate-server"), npm_binary("cli-1.7.12", "restate")
    except BenchError:
        say("installing restate-server and the official CLI with scripts/install-restate")
        subprocess.run(["bash", str(ROOT / "scripts" / "install-restate")], check=True)
        return npm_binary("server-1.7.12", "restate-server"), npm_binary("cli-1.7.12", "restate")


@dataclass
class Backend:
    name: str
    admin_url: str
    ingress_url: str
    proc: subprocess.Popen[bytes]
    data_dir: Path | None = None

    def register(self, uri: str, *, http11: bool = True) -> None:
        r = httpx.post(
            f"{self.admin_url}/deployments",
            json={"uri": uri, "use_http_11": http11, "force": True},
            timeout=60,
        )
        if r.status_code not in (200, 201):
            raise BenchError(f"registering {uri} with {self.name}: {r.status_code} {r.text}")

    def query(self, sql: str) -> list[dict]:
        r = httpx.post(
            f"{self.admin_url}/query",
            json={"query": sql},
            headers={"accept": "application/json"},
            timeout=60,
        )
        if r.status_code != 200:
            raise BenchError(f"query on {self.name}: {r.status_code} {r.text}")
        return r.json()["rows"]

    def counts(self, service: str) -> dict[str, int]:
        rows = self.query(
            "SELECT status, COUNT(*) AS n FROM sys_invocation "
            f"WHERE target_service_name = '{service}' GROUP BY status"
        )
        return {r["status"]: int(r["n"]) for r in rows}

    def wait_counts(self, service: str, want: dict[str, int], timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        got: dict[str, int] = {}
        while time.monotonic() < deadline:
            got = self.counts(service)
            if all(got.get(k, 0) >= v for k, v in want.items()):
                return
            time.sleep(0.5)
        raise BenchError(f"{self.name}: {service} reached {got}, not {want}, within {timeout:g}s")

    def send(self, path: str, body: object, n: int) -> None:
        payload = json.dumps(body).encode()
        statuses = asyncio.run(post_many(self.ingress_url, [(path, payload)] * n))
        bad = [s for s in statuses if s not in (200, 202)]
        if bad:
            raise BenchError(f"{self.name}: {len(bad)} of {n} sends to {path} failed (e.g. HTTP {bad[0]})")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "NO_COLOR": "1",
    }
    env.update(extra)
    return env


def start_server(procs: Processes, binary: Path, work: Path) -> Backend:
    base = work / "restate-server"
    base.mkdir()
    admin, ingress, fabric = free_port(), free_port(), free_port()
    config = base / "config.toml"
    config.write_text(
        f"""cluster-name = "bench"
node-name = "bench"
base-dir = "{base / "data"}"
bind-ip = "127.0.0.1"
bind-port = {fabric}
listen-mode = "tcp"
disable-telemetry = true
auto-provision = true

[admin]
bind-port = {admin}

[ingress]
bind-port = {ingress}
"""
    )
    env = clean_env(work / "home", RUST_LOG="warn")
    proc = procs.start("restate-server", [str(binary), "-c", str(config)], env=env)
    b = Backend("restate-server", f"http://127.0.0.1:{admin}", f"http://127.0.0.1:{ingress}", proc)
    wait_http(f"{b.admin_url}/health", proc)
    wait_http(f"{b.ingress_url}/restate/health", proc)
    return b


def start_dev(procs: Processes, name: str, data_dir: Path, home: Path, *args: str) -> Backend:
    """``restate-cli dev --random-ports`` on ``data_dir``, with ``args`` added."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = clean_env(home, RESTATE_CLI_HOME=str(data_dir))
    proc = procs.start(name, [sys.executable, "-m", "restate_cli", "dev", "--random-ports", *args], env=env)
    info = data_dir / "dev.json"
    deadline = time.monotonic() + 60
    while not info.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise BenchError(f"restate-cli dev did not start (see {procs.logs / (name + '.log')})")
        time.sleep(0.05)
    urls = json.loads(info.read_text())
    b = Backend(name, urls["admin_url"].rstrip("/"), urls["ingress_url"].rstrip("/"), proc, data_dir)
    wait_http(f"{b.admin_url}/health", proc)
    return b


def start_service(procs: Processes, name: str) -> str:
    port = free_port()
    proc = procs.start(
        name,
        [sys.executable, "-m", "hypercorn", "app:app", "--bind", f"127.0.0.1:{port}"],
        env={**os.environ, "PYTHONPATH": str(BENCH)},
        cwd=BENCH,
    )
    wait_http(f"http://127.0.0.1:{port}/health", proc)
    return f"http://127.0.0.1:{port}/"


# -- measuring -------------------------------------------------------------------------


@dataclass
class Tool:
    """A CLI in a fresh process per call, with its environment."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path

    def run(self, args: Sequence[str], expect_ids: int | None = None, expect: str | None = None) -> float:
        started = time.perf_counter()
        p = subprocess.run(
            [*self.argv, *args], env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=300
        )
        elapsed = time.perf_counter() - started
        if p.returncode != 0:
            raise BenchError(f"{self.name} {' '.join(args)} exited {p.returncode}: {p.stderr.strip()[-500:]}")
        if expect_ids is not None:
            found = len(set(INV_ID.findall(p.stdout)))
            if found != expect_ids:
                raise BenchError(f"{self.name} {' '.join(args)} printed {found} ids, not {expect_ids}")
        if expect is not None and expect not in p.stdout + p.stderr:
            raise BenchError(f"{self.name} {' '.join(args)} did not say {expect!r}: {p.stdout[-300:]}")
        return elapsed


def alternate(n: int, a: Callable[[], float], b: Callable[[], float]) -> tuple[list[float], list[float]]:
    """``n`` samples of each, alternating which goes first."""
    xs: list[float] = []
    ys: list[float] = []
    for i in range(n):
        if i % 2 == 0:
            xs.append(a())
            ys.append(b())
        else:
            ys.append(b())
            xs.append(a())
    return xs, ys


@dataclass
class Row:
    measurement: str
    ours: float | None
    theirs: float | None
    unit: str  # "ms", "MB", "/s"
    target: str = ""
    check: Callable[[Row], bool] | None = None
    samples: int = 0

    @property
    def ratio(self) -> float | None:
        if self.ours is None or not self.theirs:
            return None
        return self.ours / self.theirs

    @property
    def result(self) -> str:
        if self.check is None:
            return ""
        return "pass" if self.check(self) else "FAIL"


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value * 1000:.1f} ms" if value < 0.1 else f"{value * 1000:.0f} ms"
    if unit == "/s":
        return f"{value:,.0f} calls/s"
    if unit == "lat":
        return f"{value:.1f} ms"
    return f"{value:.0f} {unit}"


def ratio_at_most(limit: float) -> Callable[[Row], bool]:
    return lambda r: r.ratio is not None and r.ratio <= limit


def ratio_at_least(limit: float) -> Callable[[Row], bool]:
    return lambda r: r.ratio is not None and r.ratio >= limit


def below(limit: float) -> Callable[[Row], bool]:
    return lambda r: r.ours is not None and r.ours < limit


@dataclass
class Bench:
    quick: bool
    work: Path
    procs: Processes
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def n_fast(self) -> int:
        return 7 if self.quick else 21

    @property
    def n_list(self) -> int:
        return 5 if self.quick else 11

    # -- start-up --------------------------------------------------------------------

    def startup(self, ours: Tool, official: Tool) -> None:
        say("--version and --help")
        for tool in (ours, official):  # warm the page cache
            tool.run(["--version"])
            tool.run(["--help"])
        a, b = alternate(self.n_fast, lambda: ours.run(["--version"]), lambda: official.run(["--version"]))
        self.add("`--version` wall time", a, b, "ms", "< 50 ms", below(0.050))
        a, b = alternate(self.n_fast, lambda: ours.run(["--help"]), lambda: official.run(["--help"]))
        self.add("`--help` wall time", a, b, "ms")

    # -- the CLIs against one restate-server -----------------------------------------

    def lists(self, server: Backend, ours: Tool, official: Tool) -> None:
        say("invocations list against restate-server: 100 suspended and 900 completed invocations")
        server.send("/Sleeper/sleep/send", 86_400, 100)
        server.send("/Greeter/greet/send", "list", 900)
        server.wait_counts("Sleeper", {"suspended": 100})
        server.wait_counts("Greeter", {"completed": 900})
        for args, want, label in (
            (["invocations", "list"], 100, "`invocations list`, 100 invocations"),
            (["invocations", "list", "--all", "--limit", "500"], 500, "`invocations list --all --limit 500`"),
        ):
            ours.run(args, want)
            official.run(args, want)
            a, b = alternate(
                self.n_list, lambda a=args, w=want: ours.run(a, w), lambda a=args, w=want: official.run(a, w)
            )
            self.add(label, a, b, "ms", "≤ 2× official", ratio_at_most(2.0))

    def cancels(self, server: Backend, ours: Tool, official: Tool) -> None:
        """Three identical sets of 500 suspended invocations per round, one per command.

        restate-cli's cancel previews the call trees before acting (the official CLI does
        not), and by default then waits, up to 3 s, for the cancellations to take effect
        and reports them. ``--wait 0`` leaves out that read-back: the same action as the
        official CLI's. Both are measured; the target applies to the same action.
        """
        rounds = 1 if self.quick else 3
        plain: list[float] = []
        checked: list[float] = []
        theirs: list[float] = []
        sets = ("BenchA", "BenchB", "BenchC")
        for r in range(rounds):
            say(f"cancel 500 invocations by target prefix, round {r + 1} of {rounds}")
            for name in sets:
                server.send(f"/{name}/sleep/send", 86_400, 500)
            for name in sets:
                server.wait_counts(name, {"suspended": 500, "completed": 500 * r})
            targets = sets[r % 3 :] + sets[: r % 3]  # each command meets each set in turn
            steps = [
                (plain, ours, ["--yes", "invocations", "cancel", "--wait", "0", targets[0]]),
                (theirs, official, ["--yes", "invocations", "cancel", targets[1]]),
                (checked, ours, ["--yes", "invocations", "cancel", targets[2]]),
            ]
            for samples, tool, cmd in steps if r % 2 == 0 else reversed(steps):
                samples.append(tool.run(cmd, expect="Cancelled 500 invocations"))
                server.wait_counts(cmd[-1], {"completed": 500 * (r + 1)})
        self.add(
            "`invocations cancel` 500 by target prefix (`--yes`; restate-cli `--wait 0`)",
            plain,
            theirs,
            "ms",
            "≤ 1.5× official",
            ratio_at_most(1.5),
        )
        self.add("  restate-cli's default: also waits for the cancels to take effect", checked, theirs, "ms")

    # -- the embedded runtime with 10,000 invocations --------------------------------

    def embedded_list(self, service_uri: str, ours_cmd: list[str], official: Tool) -> None:
        data = self.work / "embedded-10k"
        home = self.work / "home"
        dev = start_dev(self.procs, "dev-10k", data, home)
        dev.register(service_uri)
        say("filling the embedded runtime with 10,000 invocations (5,000 completed, 5,000 suspended)")
        started = time.perf_counter()
        dev.send("/Greeter/greet/send", "fill", 5000)
        dev.send("/Sleeper/sleep/send", 86_400, 5000)
        dev.wait_counts("Greeter", {"completed": 5000})
        dev.wait_counts("Sleeper", {"suspended": 5000})
        self.notes.append(
            f"The embedded data set was filled through the ingress of `restate-cli dev` in "
            f"{time.perf_counter() - started:.0f} s."
        )
        time.sleep(2 if self.quick else 5)
        self.add(
            "`restate-cli dev` resident memory, idle, 10,000 invocations",
            [rss_mb(dev.proc.pid)],
            [],
            "MB",
            "< 100 MB",
            below(100),
        )
        ours = Tool("restate-cli", ours_cmd, clean_env(home, RESTATE_CLI_HOME=str(data)), home)
        theirs = Tool("restate", official.argv, clean_env(home, RESTATE_ADMIN_URL=dev.admin_url), home)
        ours.run(["invocations", "list"], 100)
        theirs.run(["invocations", "list"], 100)
        a, b = alternate(
            self.n_list,
            lambda: ours.run(["invocations", "list"], 100),
            lambda: theirs.run(["invocations", "list"], 100),
        )
        self.add(
            "`invocations list`, embedded, 10,000 invocations, `dev` over loopback",
            a,
            b,
            "ms",
            "< 200 ms",
            below(0.200),
        )
        self.procs.stop(dev.proc)
        ours.run(["invocations", "list"], 100)
        a = [ours.run(["invocations", "list"], 100) for _ in range(self.n_list)]
        self.add(
            "`invocations list`, embedded, 10,000 invocations, in-process (no `dev`)",
            a,
            [],
            "ms",
            "< 200 ms",
            below(0.200),
        )

    # -- throughput ------------------------------------------------------------------

    def load(
        self,
        ingress_url: str,
        warmup: float | None = None,
        duration: float | None = None,
        path: str = "/Greeter/greet",
        concurrency: int = 32,
    ) -> dict:
        """Closed-loop calls of ``path`` (``bench/load.py``): calls/s and latencies."""
        default_warmup, default_duration = (1.0, 3.0) if self.quick else (2.0, 8.0)
        warmup = default_warmup if warmup is None else warmup
        duration = default_duration if duration is None else duration
        p = subprocess.run(
            [
                sys.executable,
                str(BENCH / "load.py"),
                ingress_url,
                path,
                "--concurrency",
                str(concurrency),
                "--warmup",
                str(warmup),
                "--duration",
                str(duration),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if p.returncode != 0:
            raise BenchError(f"load generator failed: {p.stderr.strip()[-500:]}")
        result = json.loads(p.stdout)
        if result["errors"]:
            raise BenchError(f"{result['errors']} calls to {ingress_url} failed")
        return result

    def throughput(self, server: Backend, service_uri: str) -> None:
        self.calls_per_s(server, service_uri, http11=True)
        # The SDK over HTTP/2, each runtime with a service process of its own: registered
        # without use_http_11, as restate-server registers by default.
        h2_server_uri = start_service(self.procs, "service-h2-server")
        h2_dev_uri = start_service(self.procs, "service-h2-dev")
        server.register(h2_server_uri, http11=False)
        self.calls_per_s(server, h2_dev_uri, http11=False)
        self.sequential_calls(server, h2_dev_uri)

    def sequential_calls(self, server: Backend, h2_uri: str) -> None:
        """Latency of ``Chain/five`` (five awaited calls in a row), one caller at a time:
        streamed on both runtimes over HTTP/2; on the embedded runtime also request/response
        (a suspension and a replay after each call) over HTTP/2 (``--inactivity-timeout 0``:
        the same transport, so the difference is the replays) and over HTTP/1.1."""
        rounds = 1 if self.quick else 5
        runs: dict[str, list[float]] = {"stream": [], "server": [], "rr": [], "rr_h1": []}
        streaming = start_dev(self.procs, "dev-chain-h2", self.work / "chain-h2", self.work / "home")
        streaming.register(h2_uri, http11=False)
        no_streaming = ("--inactivity-timeout", "0")
        rr = start_dev(self.procs, "dev-chain-rr", self.work / "chain-rr", self.work / "home", *no_streaming)
        rr.register(h2_uri, http11=False)
        rr_h1 = start_dev(self.procs, "dev-chain-h1", self.work / "chain-h1", self.work / "home")
        rr_h1.register(h2_uri, http11=True)
        targets = [("stream", streaming), ("server", server), ("rr", rr), ("rr_h1", rr_h1)]
        for r in range(rounds):
            say(f"latency of Chain/five (5 sequential awaited calls), round {r + 1} of {rounds}")
            for key, backend in targets if r % 2 == 0 else reversed(targets):
                runs[key].append(
                    self.load(backend.ingress_url, path="/Chain/five", concurrency=1, duration=4.0)["p50_ms"]
                )
        for backend in (streaming, rr, rr_h1):
            self.procs.stop(backend.proc)
        med = statistics.median
        streamed = med(runs["stream"])
        self.add_values(
            "latency p50 of 5 sequential awaited calls, streamed (HTTP/2)",
            streamed,
            med(runs["server"]),
            "lat",
            samples=rounds,
        )
        self.add_values(
            "  the same, embedded, request/response over HTTP/2: a replay after each call",
            med(runs["rr"]),
            None,
            "lat",
            "streamed is faster",
            lambda row: row.ours is not None and streamed < row.ours,
            rounds,
        )
        self.add_values(
            "  the same, embedded, request/response over HTTP/1.1",
            med(runs["rr_h1"]),
            None,
            "lat",
            samples=rounds,
        )

    def calls_per_s(self, server: Backend, service_uri: str, *, http11: bool) -> None:
        """Greeter/greet with 32 callers on both runtimes, alternating; ``server`` already
        has the service registered (over HTTP/1.1 when ``http11``)."""
        transport = "HTTP/1.1" if http11 else "HTTP/2"
        data = self.work / ("embedded-load-http1" if http11 else "embedded-load-http2")
        dev = start_dev(self.procs, "dev-load", data, self.work / "home")
        dev.register(service_uri, http11=http11)
        rounds = 1 if self.quick else 3
        ours: list[dict] = []
        theirs: list[dict] = []
        for r in range(rounds):
            say(f"calls/s of Greeter/greet with 32 callers over {transport}, round {r + 1} of {rounds}")
            pair = [(ours, dev), (theirs, server)]
            for results, backend in pair if r % 2 == 0 else reversed(pair):
                results.append(self.load(backend.ingress_url))
                time.sleep(1)
        self.procs.stop(dev.proc)
        med = statistics.median
        self.add_values(
            f"calls/s, `Greeter/greet`, 32 concurrent callers ({transport} to the SDK)",
            med(x["calls_per_s"] for x in ours),
            med(x["calls_per_s"] for x in theirs),
            "/s",
            "≥ 1.0× server",
            ratio_at_least(1.0),
            rounds,
        )
        for label, key in (("  latency p50", "p50_ms"), ("  latency p99", "p99_ms")):
            ours_ms, theirs_ms = med(x[key] for x in ours), med(x[key] for x in theirs)
            self.add_values(label, ours_ms, theirs_ms, "lat", samples=rounds)

    # -- the table -------------------------------------------------------------------

    def add(
        self,
        label: str,
        ours: list[float],
        theirs: list[float],
        unit: str,
        target: str = "",
        check: Callable[[Row], bool] | None = None,
    ) -> None:
        self.rows.append(
            Row(
                label,
                statistics.median(ours) if ours else None,
                statistics.median(theirs) if theirs else None,
                unit,
                target,
                check,
                max(len(ours), len(theirs)),
            )
        )

    def add_values(
        self,
        label: str,
        ours: float | None,
        theirs: float | None,
        unit: str,
        target: str = "",
        check: Callable[[Row], bool] | None = None,
        samples: int = 1,
    ) -> None:
        self.rows.append(Row(label, ours, theirs, unit, target, check, samples))

    def table(self, columns: Sequence[str] | None = None) -> str:
        """The rows as a Markdown table; ``columns``: the first four headings."""
        first = columns or ("measurement", "restate-cli / embedded", "official CLI / restate-server", "ratio")
        head = [*first, "target", ""]
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
        for r in self.rows:
            ratio = "—" if r.ratio is None else f"{r.ratio:.2f}×"
            cells = [
                r.measurement,
                fmt(r.ours, r.unit),
                fmt(r.theirs, r.unit),
                ratio,
                r.target or "—",
                r.result,
            ]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def write_json(self, path: Path, about: str) -> None:
        """The machine, the rows and the notes as JSON (``--json FILE``)."""
        rows = [
            {
                "measurement": r.measurement,
                "ours": r.ours,
                "theirs": r.theirs,
                "unit": r.unit,
                "ratio": r.ratio,
                "target": r.target,
                "result": r.result,
                "samples": r.samples,
            }
            for r in self.rows
        ]
        path.write_text(json.dumps({"machine": about, "rows": rows, "notes": self.notes}, indent=2) + "\n")


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{model}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; load average {load:.2f} at the start"
    )


def stop_on_signals() -> None:
    """SIGTERM and SIGINT raise KeyboardInterrupt, so that a run stops what it started."""

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples and shorter load runs")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, data)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)

    stop_on_signals()
    server_bin, cli_bin = binaries()
    work = Path(tempfile.mkdtemp(prefix="restate-cli-bench-"))
    (work / "home").mkdir()
    procs = Processes(work)
    bench = Bench(args.quick, work, procs)
    about = machine()
    say(f"machine: {about}")
    say(f"working directory: {work}")
    script = Path(sys.executable).parent / "restate-cli"
    ours_cmd = [str(script)] if script.exists() else [sys.executable, "-m", "restate_cli"]
    home = work / "home"
    code = 0
    try:
        quiet_home = clean_env(home, RESTATE_CLI_HOME=str(work / "unused"))
        bench.startup(
            Tool("restate-cli", ours_cmd, quiet_home, home), Tool("restate", [str(cli_bin)], quiet_home, home)
        )
        service_uri = start_service(procs, "service")
        server = start_server(procs, server_bin, work)
        server.register(service_uri)
        at_server = {"RESTATE_ADMIN_URL": server.admin_url, "RESTATE_CLI_HOME": str(work / "unused")}
        ours = Tool("restate-cli", ours_cmd, clean_env(home, **at_server), home)
        official = Tool("restate", [str(cli_bin)], clean_env(home, **at_server), home)
        bench.lists(server, ours, official)
        bench.cancels(server, ours, official)
        bench.embedded_list(service_uri, ours_cmd, official)
        bench.throughput(server, service_uri)
        held = server.query("SELECT COUNT(*) AS n FROM sys_invocation")[0]["n"]
        bench.notes.append(
            f"For comparison, restate-server's resident memory at the end of the run was "
            f"{rss_mb(server.proc.pid):.0f} MB, holding {held:,} invocations."
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
    summary = (
        f"Medians of {bench.n_fast} runs (start-up), {bench.n_list} runs (lists) and "
        f"{1 if args.quick else 3} rounds (cancel, calls/s); every CLI call is a fresh process. "
        "CLI rows: both CLIs against the same restate-server 1.7.12. calls/s: the same SDK service "
        "(restate-sdk, hypercorn), registered with both runtimes with `use_http_11: true` (HTTP/1.1 "
        "row) or without (HTTP/2 rows: both runtimes stream bidirectionally)."
    )
    return finish(bench, args, about, code, summary)


def finish(
    bench: Bench,
    args: argparse.Namespace,
    about: str,
    code: int,
    summary: str,
    columns: Sequence[str] | None = None,
) -> int:
    """Print the table, ``summary`` and the notes; write ``--json``; remove the working
    directory unless ``--keep``. Returns the exit code: 1 if a target failed."""
    if bench.rows:
        print(f"Machine: {about}\n")
        print(bench.table(columns))
        print()
        print(summary)
        for note in bench.notes:
            print(f"- {note}")
    if args.json and bench.rows:
        bench.write_json(Path(args.json), about)
    if args.keep:
        say(f"kept {bench.work}")
    else:
        shutil.rmtree(bench.work, ignore_errors=True)
    if code == 0 and any(r.result == "FAIL" for r in bench.rows):
        code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
