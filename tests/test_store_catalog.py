"""The store keeps services and deployments in memory: never longer than they are true."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restate_cli.embedded.store import Store


def service(name: str, deployment: str = "dp_1", handlers: tuple[str, ...] = ("h",)) -> dict:
    manifest = {"name": name, "handlers": [{"name": h} for h in handlers]}
    return {
        "name": name,
        "deployment_id": deployment,
        "ty": "service",
        "revision": 1,
        "public": 1,
        "manifest": json.dumps(manifest),
    }


def deployment(dep_id: str, uri: str) -> dict:
    return {
        "id": dep_id,
        "uri": uri,
        "protocol_type": "RequestResponse",
        "http_version": "HTTP/1.1",
        "min_protocol_version": 5,
        "max_protocol_version": 6,
        "sdk_version": None,
        "additional_headers": "{}",
        "created_at": 1,
        "manifest": "{}",
    }


def test_own_writes_are_seen_at_once_and_rollbacks_forgotten(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    assert store.service("S") is None and store.service_manifest("S") == {}
    with store.tx() as c:
        store.save_deployment(c, deployment("dp_1", "http://a/"))
        store.save_service(c, service("S"))
        assert store.service("S")["deployment_id"] == "dp_1"  # inside the transaction too
    assert store.service_manifest("S")["handlers"] == [{"name": "h"}]
    assert store.deployment_by_uri("http://a/")["id"] == "dp_1"
    with pytest.raises(RuntimeError), store.tx() as c:
        store.save_service(c, service("T"))
        assert store.service("T") is not None
        raise RuntimeError("roll back")
    assert store.service("T") is None
    assert [s["name"] for s in store.services()] == ["S"]
    with store.tx() as c:
        store.set_service_public(c, "S", False)
    assert store.service("S")["public"] == 0
    with store.tx() as c:
        store.delete_deployment(c, "dp_1")
    assert store.service("S") is None and store.deployments() == []


def test_changes_committed_by_another_connection_are_noticed(tmp_path: Path) -> None:
    a, b = Store(tmp_path / "r.db"), Store(tmp_path / "r.db")
    assert a.service("S") is None
    with b.tx() as c:
        b.save_service(c, service("S", handlers=("one", "two")))
    assert [h["name"] for h in a.service_manifest("S")["handlers"]] == ["one", "two"]
    with b.tx() as c:
        b.save_service(c, service("S", handlers=("three",)))
    assert a.service_manifest("S")["handlers"] == [{"name": "three"}]
