"""The typed records of the admin models: what the CLI relies on of them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from restate_cli.admin.models import Invocation, InvocationRef, JournalEntry, KafkaCluster, Subscription
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
