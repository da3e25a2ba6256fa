"""The same scenarios against restate-server and the embedded runtime: they must agree.

These talk to the admin API and the ingress directly (no CLI), so what they compare is
what the two servers do: status codes, bodies, statuses, columns.
"""

from __future__ import annotations

import httpx
import pytest
from support.backend import Backend, unique
from support.scenarios import one_in

OPS = ("cancel", "kill", "purge", "purge-journal", "pause", "resume", "restart-as-new")

# admin-api.md §7.1: the HTTP status of each operation for each starting status.
MATRIX = {
    "pending": {
        "cancel": 200,
        "kill": 200,
        "purge": 409,
        "purge-journal": 409,
        "pause": 409,
        "resume": 425,
        "restart-as-new": 425,
    },
    "scheduled": {
        "cancel": 200,
        "kill": 200,
        "purge": 409,
        "purge-journal": 409,
        "pause": 409,
        "resume": 425,
        "restart-as-new": 425,
    },
    "running": {
        "cancel": 202,
        "kill": 200,
        "purge": 409,
        "purge-journal": 409,
        "pause": 202,
        "resume": 200,
        "restart-as-new": 409,
    },
    "suspended": {
        "cancel": 202,
        "kill": 200,
        "purge": 409,
        "purge-journal": 409,
        "pause": 200,
        "resume": 200,
        "restart-as-new": 409,
    },
    "backing-off": {
        "cancel": 202,
        "kill": 200,
        "purge": 409,
        "purge-journal": 409,
        "pause": 202,
        "resume": 200,
        "restart-as-new": 409,
    },
    "paused": {
        "cancel": 202,
        "kill": 200,
        "purge": 409,
        "purge-journal": 409,
        "pause": 200,
        "resume": 200,
        "restart-as-new": 409,
    },
    "completed": {
        "cancel": 409,
        "kill": 409,
        "purge": 200,
        "purge-journal": 200,
        "pause": 409,
        "resume": 409,
        "restart-as-new": 200,
    },
}

MESSAGES = {
    ("completed", "cancel"): "was already completed.",
    ("completed", "kill"): "was already completed.",
    ("running", "purge"): "is not yet completed.",
    ("pending", "pause"): "is not running, cannot be paused.",
    ("scheduled", "resume"): "is either inboxed or scheduled, cannot be resumed.",
    ("completed", "resume"): "is completed, cannot be resumed.",
    ("suspended", "restart-as-new"): "is still running.",
    ("pending", "restart-as-new"): "cannot be restarted because it's not running yet.",
}


@pytest.fixture(autouse=True)
def _only_the_reference_server(backend: Backend) -> None:
    if backend.version != "1.7.12":
        pytest.skip("the conformance suite compares the embedded runtime with restate-server 1.7.12")


def patch(b: Backend, inv: str, op: str, **params: str) -> httpx.Response:
    return httpx.patch(f"{b.admin_url}/v4/invocations/{inv}/{op}", params=params, timeout=30)


@pytest.mark.parametrize("status", list(MATRIX))
@pytest.mark.parametrize("op", OPS)
def test_operation_status_matrix(backend: Backend, status: str, op: str) -> None:
    inv = one_in(backend, status)
    r = patch(backend, inv, op)
    expected = MATRIX[status][op]
    assert r.status_code == expected, f"{op} on {status}: {r.status_code} {r.text}"
    if expected >= 400:
        body = r.json()
        assert body["restate_code"] is None
        assert body["message"].startswith(f"The invocation '{inv}' ")
        if (status, op) in MESSAGES:
            assert body["message"].endswith(MESSAGES[(status, op)])
    if op == "restart-as-new" and expected == 200:
        assert r.json()["new_invocation_id"].startswith("inv_1")
    if status in ("pending", "scheduled") and op in ("cancel", "kill"):
        backend.wait_gone(inv)
    if status == "completed" and op == "purge":
        backend.wait_gone(inv)
    if status == "backing-off" and op == "pause":
        backend.wait_status(inv, "paused")
    if status in ("suspended", "paused") and op == "kill":
        row = backend.wait_status(inv, "completed")
        assert row["completion_failure"] == "[409] killed"
    if status == "suspended" and op == "cancel":
        row = backend.wait_status(inv, "completed")
        assert row["completion_failure"] == "[409] cancelled"
    if status not in ("completed",) and backend.status(inv) not in (None, "completed"):
        patch(backend, inv, "kill")


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("foo", "bad format"),
        ("inv_1", "bad length"),
        ("inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4r!", "base62 decode error"),
        ("dp_10DXKEuPcmtW0ExWwXIwkdH", "id doesn't match the expected type"),
        ("inv_0000000000000000000000000000000000", "unrecognized codec version"),
    ],
)
def test_invocation_id_validation(backend: Backend, bad: str, reason: str) -> None:
    r = patch(backend, bad, "cancel")
    assert r.status_code == 400
    assert r.json() == {
        "message": f"The request field 'invocation_id' is invalid. Reason: {reason}",
        "restate_code": None,
    }


def test_unknown_invocation_is_404(backend: Backend) -> None:
    inv = "inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf"
    r = patch(backend, inv, "kill")
    assert r.status_code == 404
    assert r.json()["message"] == f"The requested invocation '{inv}' does not exist"
    assert httpx.delete(f"{backend.admin_url}/invocations/{inv}", timeout=10).status_code == 202


def test_ingress_call_and_send_responses(backend: Backend) -> None:
    ok = backend.call("Greeter/greet", "ann")
    assert ok.status_code == 200 and ok.content == b'"Hello ann!"'
    assert ok.headers["content-type"] == "application/json"
    assert ok.headers["x-restate-id"].startswith("inv_1")
    bad = backend.call("Greeter/terminal", "ann")
    assert bad.status_code == 418
    assert bad.json() == {"code": 418, "message": "terminal failure on purpose", "source": "invocation"}
    r = httpx.post(f"{backend.ingress_url}/Greeter/greet/send?delay=10s", json="z", timeout=10)
    assert r.status_code == 202
    body = r.json()
    assert set(body) == {"invocationId", "executionTime", "status"} and body["status"] == "Accepted"
    assert body["executionTime"].endswith("000000Z")
    out = httpx.get(f"{backend.ingress_url}/restate/invocation/{body['invocationId']}/output", timeout=10)
    assert out.status_code == 470
    assert out.json() == {
        "code": 470,
        "message": "the invocation exists but has not completed yet",
        "source": "ingress",
    }
    done = httpx.get(
        f"{backend.ingress_url}/restate/invocation/{ok.headers['x-restate-id']}/output", timeout=10
    )
    assert done.status_code == 200 and done.content == b'"Hello ann!"'


def test_ingress_idempotency_key(backend: Backend) -> None:
    key = unique("idem")
    headers = {"idempotency-key": key, "content-type": "application/json"}
    first = httpx.post(
        f"{backend.ingress_url}/Greeter/greet/send", content=b'"i"', headers=headers, timeout=10
    )
    second = httpx.post(
        f"{backend.ingress_url}/Greeter/greet/send", content=b'"i"', headers=headers, timeout=10
    )
    assert first.json()["status"] == "Accepted"
    assert second.json() == {"invocationId": first.json()["invocationId"], "status": "PreviouslyAccepted"}
    call = httpx.post(f"{backend.ingress_url}/Greeter/greet", content=b'"i"', headers=headers, timeout=10)
    assert call.status_code == 200 and call.headers["x-restate-id"] == first.json()["invocationId"]
    row = backend.row(first.json()["invocationId"])
    assert row is not None and row["idempotency_key"] == key


def test_ingress_errors(backend: Backend) -> None:
    r = httpx.post(f"{backend.ingress_url}/Nope/greet", json="x", timeout=10)
    assert r.status_code == 404 and r.json()["source"] == "ingress"
    assert "service 'Nope' not found" in r.json()["message"]
    r = httpx.post(f"{backend.ingress_url}/Greeter/greet/send?delay=soon", json="x", timeout=10)
    assert r.status_code == 400
    assert r.json()["message"].startswith("bad delay query parameter")


def test_generated_idempotency_keys_and_child_columns(backend: Backend) -> None:
    inv = backend.send("Greeter/parent", 3600)
    backend.wait_status(inv, "suspended")
    backend.wait(inv, lambda _: len(backend.children(inv)) == 3)
    parent = backend.row(inv)
    assert parent is not None and len(parent["idempotency_key"]) == 26
    for child in backend.children(inv):
        assert child["invoked_by"] == "service"
        assert child["invoked_by_target"] == "Greeter/parent"
        assert child["invoked_by_service_name"] == "Greeter"
        assert "idempotency_key" not in child
    patch(backend, inv, "kill")


def test_sys_invocation_columns_agree(backend: Backend) -> None:
    done = backend.call("Greeter/greet", "c").headers["x-restate-id"]
    row = backend.row(done)
    assert row is not None
    assert set(row) == {
        "id",
        "target",
        "target_service_name",
        "target_handler_name",
        "target_service_ty",
        "idempotency_key",
        "invoked_by",
        "pinned_deployment_id",
        "pinned_service_protocol_version",
        "journal_size",
        "journal_commands_size",
        "created_at",
        "created_using_restate_version",
        "modified_at",
        "running_at",
        "completed_at",
        "completion_retention",
        "journal_retention",
        "status",
        "completion_result",
    }
    assert row["completion_retention"] == row["journal_retention"] == "PT86400S"
    assert row["journal_size"] == row["journal_commands_size"] == 2
    failing = one_in(backend, "backing-off")
    row = backend.row(failing)
    assert row is not None
    for column in (
        "retry_count",
        "last_start_at",
        "next_retry_at",
        "last_attempt_deployment_id",
        "last_attempt_server",
        "last_failure",
        "last_failure_error_code",
    ):
        assert column in row, column
    assert row["last_failure_error_code"] == "RT0007"
    assert "Exception('Failing on purpose')" in row["last_failure"]
    suspended = one_in(backend, "suspended")
    row = backend.row(suspended)
    assert row is not None
    assert row["suspended_waiting_for_signals"] == [1]
    assert row["suspended_waiting_for_completions"] == [1]
    for inv in (failing, suspended):
        patch(backend, inv, "kill")


def test_kill_reaches_detached_children_only_on_restate_server(backend: Backend) -> None:
    """The documented difference: restate-server kills one-way and delayed children too; the
    embedded runtime follows the Restate documentation and leaves them running."""
    inv = backend.send("Greeter/parent", 3600)
    backend.wait(inv, lambda _: len(backend.children(inv)) == 3)
    backend.wait_status(inv, "suspended")
    assert patch(backend, inv, "kill").status_code == 200
    backend.wait_status(inv, "completed")

    def settled() -> dict[str, str]:
        rows = backend.children(inv)
        return {r["status"]: r.get("completion_failure", "") for r in rows}

    if backend.embedded:
        backend.wait(inv, lambda _: sorted(settled()) == ["completed", "scheduled", "suspended"])
    else:
        backend.wait(
            inv, lambda _: [r["status"] for r in backend.children(inv)] == ["completed", "completed"]
        )
        assert all(r["completion_failure"] == "[409] killed" for r in backend.children(inv))
    for child in backend.children(inv):
        if child["status"] != "completed":
            patch(backend, child["id"], "kill")


def test_caller_of_a_cancelled_pending_invocation_sees_canceled(backend: Backend) -> None:
    import threading

    key = unique("pc")
    holder = backend.send(f"Counter/{key}/hold", 3600)
    backend.wait_status(holder, "suspended")
    answer: dict[str, httpx.Response] = {}
    caller = threading.Thread(target=lambda: answer.setdefault("r", backend.call(f"Counter/{key}/add", 1)))
    caller.start()
    rows = backend.wait(
        holder,
        lambda _: backend.query(f"SELECT id FROM sys_invocation WHERE target = 'Counter/{key}/add'"),
        what="the queued call",
    )
    queued = backend.query(f"SELECT id FROM sys_invocation WHERE target = 'Counter/{key}/add'")[0]["id"]
    assert rows is not None and backend.status(queued) == "pending"
    assert patch(backend, queued, "cancel").status_code == 200
    caller.join(30)
    r = answer["r"]
    assert r.status_code == 409
    assert r.json() == {"code": 409, "message": "canceled", "source": "invocation"}
    backend.wait_gone(queued)
    out = httpx.get(f"{backend.ingress_url}/restate/invocation/{queued}/output", timeout=10)
    assert out.status_code == 404
    assert out.json() == {"code": 404, "message": "invocation not found", "source": "ingress"}
    patch(backend, holder, "kill")
