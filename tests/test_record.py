"""The typed records of the admin models: what the CLI relies on of them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from support.backend import Backend

from restate_cli.admin.models import (
    Deployment,
    Invocation,
    InvocationRef,
    JournalEntry,
    KafkaCluster,
    Service,
    Subscription,
)
from restate_cli.admin.record import ValidationError


def test_known_keys_are_converted_and_unknown_ones_ignored() -> None:
    inv = Invocation.model_validate(
        {
            "id": "inv_1",
            "created_at": "2026-11-27T17:23:31.786Z",
            "modified_at": "2026-11-27T17:31:35.459000000Z",
            "next_retry_at": 1795804010241,
            "retry_count": "3",
            "journal_size": 2.0,
            "pinned_deployment_exists": 1,
            "no_such_column": "ignored",
        }
    )
    assert inv.created_at == datetime(2026, 11, 27, 17, 23, 31, 786000, tzinfo=UTC)
    assert inv.modified_at == datetime(2026, 11, 27, 17, 31, 35, 459000, tzinfo=UTC)
    assert inv.next_retry_at == datetime.fromtimestamp(1795804010.241, UTC)
    assert (inv.retry_count, inv.journal_size, inv.pinned_deployment_exists) == (3, 2, True)
    assert inv.status == "unknown" and inv.target == "" and inv.trace_id is None
    assert not hasattr(inv, "no_such_column")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({}, "Invocation.id is required"),
        ({"id": 5}, "Invocation.id: expected a string"),
        ({"id": "x", "retry_count": "many"}, "Invocation.retry_count"),
        ({"id": "x", "created_at": "yesterday"}, "Invocation.created_at"),
        ({"id": "x", "pinned_deployment_exists": "perhaps"}, "Invocation.pinned_deployment_exists"),
    ],
)
def test_wrong_values_are_refused(row: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        Invocation.model_validate(row)
    assert issubclass(ValidationError, ValueError)


def test_json_dump_keeps_the_field_order_and_writes_utc_milliseconds() -> None:
    inv = Invocation.model_validate({"id": "inv_1", "created_at": "2026-11-27T18:23:31.786+01:00"})
    data = inv.model_dump(mode="json")
    assert list(data)[:3] == ["id", "target", "target_service_name"]
    assert data["created_at"] == "2026-11-27T17:23:31.786Z"
    assert data["completed_at"] is None and list(data)[-1] == "journal_commands_size"
    assert inv.model_dump()["created_at"] == inv.created_at


def test_nested_records_lists_and_dicts() -> None:
    cluster = KafkaCluster.model_validate(
        {
            "name": "local",
            "properties": {"bootstrap.servers": "localhost:9092"},
            "subscriptions": [{"id": "sub_1", "source": "kafka://local/t", "sink": "service://S/h"}],
        }
    )
    assert isinstance(cluster.subscriptions[0], Subscription)
    assert cluster.model_dump(mode="json")["subscriptions"] == [
        {"id": "sub_1", "source": "kafka://local/t", "sink": "service://S/h", "options": {}}
    ]
    with pytest.raises(ValidationError, match=r"KafkaCluster\.properties"):
        KafkaCluster.model_validate({"name": "x", "properties": ["a"]})


def test_mutable_defaults_are_not_shared() -> None:
    a = Subscription.model_validate({"id": "a", "source": "s", "sink": "t"})
    b = Subscription.model_validate({"id": "b", "source": "s", "sink": "t"})
    a.options["k"] = "v"
    assert b.options == {}


def test_frozen_copy_and_equality() -> None:
    ref = InvocationRef.model_validate({"id": "inv_1", "target": "S/h", "status": "invoked"})
    with pytest.raises(AttributeError):
        ref.id = "other"  # type: ignore[misc]
    moved = ref.model_copy(update={"status": "suspended"})
    assert (moved.id, moved.status, ref.status) == ("inv_1", "suspended", "invoked")
    assert ref == InvocationRef(id="inv_1", target="S/h", status="invoked")
    assert hash(ref) == hash(InvocationRef(id="inv_1", target="S/h", status="invoked"))
    assert ref != moved


def test_journal_rows_and_keyword_construction() -> None:
    entry = JournalEntry.from_row({"idx": 4, "entry_type": "Command: Sleep", "completed": "true"})
    assert (entry.index, entry.completed) == (4, True)
    assert JournalEntry(index="7").index == 7  # type: ignore[arg-type]
    assert InvocationRef.model_validate(ref := InvocationRef(id="x")) is ref


# -- Record against pydantic, on what real servers answer -------------------------------------


def test_record_reads_what_pydantic_reads_from_real_servers(backend: Backend) -> None:
    """``Record`` stands in for pydantic in the CLI (README, Dependencies): each model, and
    a pydantic model declared the same way, read the same values from the answers of
    restate-server 1.7.12 and 1.6.2 and of the embedded runtime, recorded here."""
    from support.pydantic_twins import twin

    from restate_cli.admin import sql

    done = backend.call("Greeter/greet", "twin").headers.get("x-restate-id")
    failing = backend.send("Greeter/failing", "twin")
    parent = backend.send("Greeter/parent", 3600)
    sleeping = backend.send("Greeter/sleepy", 3600)
    backend.wait(failing, lambda r: r is not None and (r.get("retry_count") or 0) >= 1, what="a retry")
    backend.wait_status(parent, "suspended")
    backend.wait_status(sleeping, "suspended")
    ids = [i for i in (done, failing, parent, sleeping) if i]
    rows = backend.query(sql.details(ids, oldest_first=False))
    journal = backend.query(sql.journal(parent, limit=100))
    assert len(rows) == len(ids) >= 3 and journal

    answers: list[tuple[type, dict]] = [(Invocation, r) for r in rows]
    answers += [(InvocationRef, r) for r in rows]
    answers += [(JournalEntry, {**r, "index": r.get("idx", r.get("index", 0))}) for r in journal]
    services = httpx.get(f"{backend.admin_url}/services", timeout=30).json()["services"]
    answers += [(Service, s) for s in services]
    deployments = httpx.get(f"{backend.admin_url}/deployments", timeout=30).json()["deployments"]
    for d in deployments:
        answers.append(
            (Deployment, httpx.get(f"{backend.admin_url}/deployments/{d['id']}", timeout=30).json())
        )
    if backend.version >= "1.7":
        name = f"twin-{uuid.uuid4().hex[:6]}"
        cluster = {"name": name, "properties": {"bootstrap.servers": "127.0.0.1:1", "sasl.password": "x"}}
        assert httpx.post(f"{backend.admin_url}/kafka-clusters", json=cluster, timeout=30).status_code == 201
        sub = {"source": f"kafka://{name}/t", "sink": "service://Greeter/greet", "options": {"a": "b"}}
        created = httpx.post(f"{backend.admin_url}/subscriptions", json=sub, timeout=30)
        assert created.status_code == 201, created.text
        try:
            got = httpx.get(
                f"{backend.admin_url}/kafka-clusters/{name}?include_subscriptions=true", timeout=30
            )
            answers += [(KafkaCluster, got.json()), (Subscription, created.json())]
        finally:
            httpx.delete(f"{backend.admin_url}/subscriptions/{created.json()['id']}", timeout=30)
            httpx.delete(f"{backend.admin_url}/kafka-clusters/{name}", timeout=30)
    for inv in (failing, parent, sleeping):
        httpx.patch(f"{backend.admin_url}/invocations/{inv}/kill", timeout=30)

    for model, answer in answers:
        record, pydantic_model = model.model_validate(answer), twin(model).model_validate(answer)
        assert record.model_dump() == pydantic_model.model_dump(), (model.__name__, answer)
        assert record.model_dump(mode="json") == pydantic_model.model_dump(mode="json")
    read = {m: [a for k, a in answers if k is m] for m in (Invocation, Service, Deployment)}
    assert all(read.values())
    timestamps = [Invocation.model_validate(r).created_at for r in rows]
    assert all(t is not None and t.tzinfo is not None for t in timestamps)
    retried = Invocation.model_validate(next(r for r in rows if r["id"] == failing))
    assert retried.retry_count and retried.last_failure
