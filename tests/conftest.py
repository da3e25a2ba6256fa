"""Fixtures: real restate-server instances, real SDK services, and a CLI runner."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support.backend import Backend
from support.cli import Result, clean_env, run_in_process, run_subprocess
from support.kafka import CLUSTER, KafkaBackend, TansuBroker, static_cluster_config
from support.processes import EmbeddedRuntime, NodeService, RestateServer, ServiceProcess

SERVER_VERSIONS = [v for v in os.environ.get("RESTATE_TEST_SERVERS", "1.7.12,1.6.2,embedded").split(",") if v]


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    svc = ServiceProcess().start(tmp_path_factory.mktemp("services"))
    yield svc
    svc.stop()


@pytest.fixture(scope="session", params=SERVER_VERSIONS, ids=lambda v: f"restate-{v}")
def backend(
    request: pytest.FixtureRequest,
    services: ServiceProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Backend]:
    """A real restate-server of each pinned version, and the embedded runtime (served by
    ``restate-cli dev``), with the test services registered."""
    if request.param == "embedded":
        runtime = EmbeddedRuntime(tmp_path_factory.mktemp("embedded")).start()
        b = Backend("embedded", "1.7.12", runtime.admin_url, runtime.ingress_url, runtime.data_dir)
        b.register(services.url)
        yield b
        runtime.stop()
        return
    server = RestateServer(request.param, tmp_path_factory.mktemp(f"restate-{request.param}"))
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    b = Backend(f"restate-server {request.param}", request.param, server.admin_url, server.ingress_url)
    b.register(services.url)
    b.wait_queryable()
    yield b
    server.stop()


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    """A real Kafka-protocol broker (Tansu) on a loopback port."""
    broker = TansuBroker(tmp_path_factory.mktemp("tansu"))
    try:
        yield broker.start()
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_backend(
    backend: Backend,
    kafka_broker: TansuBroker,
    services: ServiceProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[KafkaBackend]:
    """``backend`` with Kafka cluster ``test-kafka`` pointing at ``kafka_broker``.

    restate-server 1.7+ gets the cluster through its admin API. 1.6 reads clusters from its
    configuration file only, so it is a server of its own with the cluster in that file.
    """
    if backend.version >= "1.7":
        kb = KafkaBackend(backend, kafka_broker, CLUSTER, cluster_api=True)
        kb.register_cluster()
        yield kb
        return
    server = RestateServer(
        backend.version,
        tmp_path_factory.mktemp(f"restate-{backend.version}-kafka"),
        extra_config=static_cluster_config(CLUSTER, kafka_broker),
    )
    try:
        server.start()
        b = Backend(backend.kind, backend.version, server.admin_url, server.ingress_url)
        b.register(services.url)
        yield KafkaBackend(b, kafka_broker, CLUSTER, cluster_api=False)
    finally:
        server.stop()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


CliRunner = Callable[..., Result]


@pytest.fixture
def cli(home: Path, backend: Backend) -> CliRunner:
    """Run restate-cli in-process against ``backend``."""

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
        if backend.data_dir is not None:  # the default: no URL, the dev process of the data dir
            target = {"RESTATE_CLI_HOME": str(backend.data_dir)}
        else:
            target = {"RESTATE_ADMIN_URL": backend.admin_url}
        return run_in_process(list(args), clean_env(home, {**target, **(env or {})}), stdin)

    return run


@pytest.fixture
def kcli(home: Path, kafka_backend: KafkaBackend) -> CliRunner:
    """Run restate-cli in-process against ``kafka_backend``."""

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
        admin = kafka_backend.backend.admin_url
        return run_in_process(list(args), clean_env(home, {"RESTATE_ADMIN_URL": admin, **(env or {})}), stdin)

    return run


@pytest.fixture
def cli_offline(home: Path) -> CliRunner:
    """Run restate-cli in-process with no backend configured by the fixture."""

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
        return run_in_process(list(args), clean_env(home, env), stdin)

    return run


@pytest.fixture
def cli_proc(home: Path) -> CliRunner:
    """Run restate-cli as a real subprocess."""

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 60) -> Result:
        return run_subprocess(list(args), clean_env(home, env), stdin, timeout)

    return run


@pytest.fixture(scope="session")
def feature_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    svc = ServiceProcess(app="features:app").start(tmp_path_factory.mktemp("features"))
    yield svc
    svc.stop()


@pytest.fixture(scope="session")
def node_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, NodeService]]:
    """tests/services/ts on Node.js 22, served each of the four ways serve.ts offers, by
    mode: ``serve``, ``http2-rr``, ``http1``, ``http1-bidi``."""
    logs = tmp_path_factory.mktemp("node")
    started: dict[str, NodeService] = {}
    try:
        for mode in ("serve", "http2-rr", "http1", "http1-bidi"):
            started[mode] = NodeService(mode).start(logs)
        yield started
    finally:
        for svc in started.values():
            svc.stop()


@pytest.fixture
def fresh_node(tmp_path: Path) -> Iterator[Callable[[str], NodeService]]:
    """Start a NodeService of its own (a URI no runtime has seen) for one test."""
    started: list[NodeService] = []

    def start(mode: str) -> NodeService:
        started.append(NodeService(mode).start(tmp_path))
        return started[-1]

    yield start
    for svc in started:
        svc.stop()


@pytest.fixture
def features(backend: Backend, feature_services: ServiceProcess) -> Backend:
    """``backend`` with the feature services (tests/services/features.py) registered too."""
    backend.register(feature_services.url)
    return backend
