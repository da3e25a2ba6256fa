"""Start and stop the real processes the tests need: restate-server and SDK services."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = Path(os.environ.get("RESTATE_TEST_NODE_DIR", ROOT / ".node"))
SERVICES_DIR = ROOT / "tests" / "services"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def npm_binary(package_dir: str, name: str) -> Path:
    """The native binary inside an npm package installed by scripts/install-restate."""
    base = NODE_DIR / package_dir / "node_modules" / "@restatedev"
    for candidate in sorted(base.glob(f"*-linux-*/bin/{name}")) + sorted(base.glob(f"*/bin/{name}")):
        if candidate.is_file():
            return candidate
    raise RuntimeError(
        f"{name} is not installed under {NODE_DIR / package_dir}: run scripts/install-restate "
        "(it needs node and npm)"
    )


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError as e:
            last = e
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s: {last}")


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a process we started, by its PID: SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


@dataclass
class RestateServer:
    version: str
    base_dir: Path
    admin_port: int = field(default_factory=free_port)
    ingress_port: int = field(default_factory=free_port)
    fabric_port: int = field(default_factory=free_port)
    extra_config: str = ""  # TOML appended to the generated config, e.g. [[ingress.kafka-clusters]]
    node_name: str = "test"
    top_config: str = ""  # top-level TOML keys (a cluster node's roles, replication, ...)
    auto_provision: bool = True
    proc: subprocess.Popen | None = None

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    @property
    def ingress_url(self) -> str:
        return f"http://127.0.0.1:{self.ingress_port}"

    @property
    def fabric_url(self) -> str:
        return f"http://127.0.0.1:{self.fabric_port}"

    @property
    def log(self) -> Path:
        return self.base_dir / "server.log"

    def start(self) -> RestateServer:
        self.launch()
        self.wait_ready()
        return self

    def launch(self) -> None:
        """Start the process (``wait_ready`` waits until it serves)."""
        binary = npm_binary(f"server-{self.version}", "restate-server")
        self.base_dir.mkdir(parents=True, exist_ok=True)
        config = self.base_dir / "config.toml"
        config.write_text(
            f"""cluster-name = "test"
node-name = "{self.node_name}"
base-dir = "{self.base_dir / "data"}"
bind-ip = "127.0.0.1"
bind-port = {self.fabric_port}
listen-mode = "tcp"
disable-telemetry = true
auto-provision = {"true" if self.auto_provision else "false"}
{self.top_config}
[admin]
bind-port = {self.admin_port}

[ingress]
bind-port = {self.ingress_port}
"""
            + (f"\n{self.extra_config}\n" if self.extra_config else "")
        )
        log = self.log.open("wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESTATE_")}
        env["RUST_LOG"] = "warn"
        tmp = self.base_dir / "tmp"  # its invoker leaves a directory per start in the temp dir
        tmp.mkdir(exist_ok=True)
        env["TMPDIR"] = str(tmp)
        self.proc = subprocess.Popen(
            [str(binary), "-c", str(config)], stdout=log, stderr=subprocess.STDOUT, env=env
        )

    def wait_ready(self, timeout: float = 60) -> None:
        assert self.proc is not None
        wait_http(f"{self.admin_url}/health", timeout, self.proc)
        wait_http(f"{self.ingress_url}/restate/health", timeout, self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


@dataclass
class EmbeddedRuntime:
    """``restate-cli dev`` on free loopback ports, over a private data directory."""

    data_dir: Path
    proc: subprocess.Popen | None = None
    admin_url: str = ""
    ingress_url: str = ""

    def start(self, env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> EmbeddedRuntime:
        """Start it (``args``: more options for ``dev``)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        clean = {k: v for k, v in os.environ.items() if not k.startswith("RESTATE_")}
        clean.update(env or {})
        clean["RESTATE_CLI_HOME"] = str(self.data_dir)
        clean.setdefault("RESTATE_CLI_QUERY_TIMEOUT_SECONDS", "5")
        log = (self.data_dir / "dev.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "restate_cli", "dev", "--random-ports", *args],
            stdout=subprocess.PIPE,
            stderr=log,
            env=clean,
        )
        info = self.data_dir / "dev.json"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"restate-cli dev exited with {self.proc.returncode}")
            if info.exists():
                import json

                data = json.loads(info.read_text())
                self.admin_url = data["admin_url"].rstrip("/")
                self.ingress_url = data["ingress_url"].rstrip("/")
                wait_http(f"{self.admin_url}/health", 30, self.proc)
                return self
            time.sleep(0.05)
        raise RuntimeError("restate-cli dev did not start within 30s")

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


@dataclass
class ServiceProcess:
    """An SDK app served by hypercorn (HTTP/1.1 and HTTP/2 cleartext) on a loopback port, or
    by uvicorn (HTTP/1.1 only) with ``server="uvicorn"``; ``access_log``: a file for
    hypercorn's access log (its request lines name the HTTP version: ``POST /invoke/S/h 2``)."""

    app: str = "app:app"
    port: int = field(default_factory=free_port)
    access_log: Path | None = None
    server: str = "hypercorn"
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, log_dir: Path) -> ServiceProcess:
        log = (log_dir / f"service-{self.port}.log").open("wb")
        args = [sys.executable, "-m", "hypercorn", self.app, "--bind", f"127.0.0.1:{self.port}"]
        if self.server == "uvicorn":
            args = [
                sys.executable,
                "-m",
                "uvicorn",
                self.app,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ]
        if self.access_log is not None:
            args += ["--access-logfile", str(self.access_log)]
        self.proc = subprocess.Popen(
            args,
            cwd=SERVICES_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(f"http://127.0.0.1:{self.port}/health", 30, self.proc)
        except RuntimeError:
            stop(self.proc)  # nothing outlives a start that failed
            raise
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


NODE_VERSION = "22.23.3"
TS_SDK_VERSION = "1.17.2"


@dataclass
class NodeService:
    """tests/services/ts/serve.ts on Node.js 22 with the TypeScript SDK, served one of the
    four ways serve.ts offers (``serve``, ``http2-rr``, ``http1``, ``http1-bidi``)."""

    mode: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, log_dir: Path) -> NodeService:
        node = NODE_DIR / f"node-{NODE_VERSION}" / "node_modules" / ".bin" / "node"
        sdk = NODE_DIR / f"sdk-ts-{TS_SDK_VERSION}"
        if not node.is_file() or not (sdk / "node_modules" / "@restatedev" / "restate-sdk").is_dir():
            raise RuntimeError(
                f"Node.js {NODE_VERSION} and the TypeScript SDK {TS_SDK_VERSION} are not installed "
                f"under {NODE_DIR}: run scripts/install-restate"
            )
        log = (log_dir / f"node-{self.mode}-{self.port}.log").open("wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RESTATE_", "NODE_"))}
        env["RESTATE_TS_SDK_DIR"] = str(sdk)
        self.proc = subprocess.Popen(
            [str(node), "--import", "./sdk-resolver.mjs", "serve.ts", self.mode, str(self.port)],
            cwd=SERVICES_DIR / "ts",
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            _wait_port(self.port, 30, self.proc)
        except RuntimeError:
            stop(self.proc)
            raise
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


def _wait_port(port: int, timeout: float, proc: subprocess.Popen) -> None:
    """Wait until something accepts connections on ``port`` (a server that speaks only
    HTTP/2 cannot be asked with httpx's HTTP/1.1)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before port {port} opened")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {timeout}s")
