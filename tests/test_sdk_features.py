"""SDK features on every backend: awakeables, workflows, attach, cancel from code, run
retries, idempotent calls, state keys, delayed sends, headers."""

from __future__ import annotations

import json

import httpx
import pytest
from support.backend import Backend, unique, wait_for


def awakeable_of(b: Backend, key: str) -> str:
    return wait_for(lambda: json.loads(b.call(f"Waiter/{key}/awakeable_id").text))


def test_awakeable_resolved_through_the_ingress(features: Backend) -> None:
    key = unique("aw")
    inv = features.send(f"Waiter/{key}/await_awakeable")
    awakeable = awakeable_of(features, key)
    assert awakeable.startswith("sign_1")
    features.wait_status(inv, "suspended")
    r = features.resolve_awakeable(awakeable, "yes")
    assert r.status_code == 202
    out = features.attach(inv)
    assert out.status_code == 200 and out.json() == "got yes"


def test_awakeable_resolved_and_rejected_by_handlers(features: Backend) -> None:
    key = unique("aw")
    inv = features.send(f"Waiter/{key}/await_awakeable")
    r = features.call("Helper/resolve", {"id": awakeable_of(features, key), "value": "from code"})
    assert r.status_code == 200
    assert features.attach(inv).json() == "got from code"
    key = unique("aw")
    inv = features.send(f"Waiter/{key}/await_awakeable")
    features.call("Helper/resolve", {"id": awakeable_of(features, key), "reject": True})
    assert features.attach(inv).json() == "rejected: no thanks"


def test_workflow_run_promise_and_output(features: Backend) -> None:
    key = unique("wf")
    sent = httpx.post(f"{features.ingress_url}/Approval/{key}/run/send", json="order-1", timeout=10)
    assert sent.status_code == 202 and sent.json()["status"] == "Accepted"
    again = httpx.post(f"{features.ingress_url}/Approval/{key}/run/send", json="order-1", timeout=10)
    assert again.json() == {"invocationId": sent.json()["invocationId"], "status": "PreviouslyAccepted"}
    assert features.call(f"Approval/{key}/peek").json() == "<pending>"
    out = httpx.get(f"{features.ingress_url}/restate/workflow/Approval/{key}/output", timeout=10)
    assert out.status_code == 470
    assert features.call(f"Approval/{key}/decide", "approved").status_code == 200
    done = httpx.get(f"{features.ingress_url}/restate/workflow/Approval/{key}/attach", timeout=30)
    assert done.status_code == 200 and done.json() == "order-1: approved"
    assert features.call(f"Approval/{key}/peek").json() == "approved"


def test_attach_from_code(features: Backend) -> None:
    r = features.call("Helper/attach_to_child", 0.5)
    assert r.status_code == 200 and r.json() == "attached: napped 0.5"


def test_cancel_from_code(features: Backend) -> None:
    r = features.call("Helper/cancel_child")
    assert r.status_code == 200 and r.json() == "child ended: [409] cancelled"


def test_run_gives_up_after_max_attempts(features: Backend) -> None:
    r = features.call("Helper/give_up")
    assert r.status_code == 200
    assert r.json().startswith("gave up: ") and "side effect failed" in r.json()


def test_idempotent_calls_between_services(features: Backend) -> None:
    key = unique("idem")
    assert features.call("Helper/add_twice", key).json() == 1
    assert features.call(f"Waiter/{key}/count", 0).json() == 1


def test_state_keys_and_clear_all(features: Backend) -> None:
    key = unique("st")
    assert features.call(f"Waiter/{key}/set_many", ["b", "a"]).json() == ["a", "b"]
    assert features.call(f"Waiter/{key}/read", "a").json() == "A"
    assert features.call(f"Waiter/{key}/wipe").json() == []
    assert features.call(f"Waiter/{key}/read", "a").json() == "<none>"


def test_delayed_object_send(features: Backend) -> None:
    key = unique("later")
    assert features.call("Helper/later", key).json() == "sent"
    assert features.call(f"Waiter/{key}/read", "delayed").json() == "<none>"
    wait_for(lambda: features.call(f"Waiter/{key}/read", "delayed").json() == "DELAYED", timeout=15)


def test_headers_travel_with_calls(features: Backend) -> None:
    headers = features.call("Helper/call_with_headers").json()
    assert headers.get("x-trace") == "abc"
    direct = httpx.post(f"{features.ingress_url}/Helper/echo_headers", headers={"x-mine": "1"}, timeout=10)
    assert direct.json().get("x-mine") == "1"
    assert "x-restate-ingress-path" in direct.json()


def test_completed_invocations_are_removed_after_their_retention(features: Backend) -> None:
    if not features.embedded:
        pytest.skip("restate-server removes expired invocations in a periodic cleanup, not at expiry")
    r = features.call("Helper/brief")
    assert r.status_code == 200
    inv = r.headers["x-restate-id"]
    assert features.status(inv) == "completed"
    features.wait_gone(inv, timeout=30)
    out = httpx.get(f"{features.ingress_url}/restate/invocation/{inv}/output", timeout=10)
    assert out.status_code == 404


def test_named_signals(features: Backend) -> None:
    key = unique("sig")
    inv = features.send(f"Waiter/{key}/await_signal", "go")
    features.wait_status(inv, "suspended")
    assert features.call("Helper/signal", {"id": inv, "name": "go", "value": "now"}).status_code == 200
    assert features.attach(inv).json() == "signal: now"
    key = unique("sig")
    inv = features.send(f"Waiter/{key}/await_signal", "go")
    features.wait_status(inv, "suspended")
    features.call("Helper/signal", {"id": inv, "name": "go", "reject": True})
    assert features.attach(inv).json() == "signal rejected: not today"


def test_select_between_an_awakeable_and_a_timer(features: Backend) -> None:
    key = unique("race")
    assert features.call(f"Waiter/{key}/race", 300).json() == "timeout"
    key = unique("race")
    inv = features.send(f"Waiter/{key}/race", 60_000)
    awakeable = awakeable_of(features, key)
    features.resolve_awakeable(awakeable, "first")
    assert features.attach(inv).json() == "awakeable: first"


def test_awaiting_several_calls(features: Backend) -> None:
    r = features.call("Helper/all_naps")
    assert r.json() == ["napped 0.2", "napped 0.1", "napped 0.3"]


def test_kill_frees_a_key_that_waits_for_itself(features: Backend) -> None:
    """The kill scenario of Restate's own test suite: a root awaits an object handler that,
    once woken, calls its own key and so waits behind itself; killing the root frees it."""
    key = unique("lock")
    root = features.send(f"Locker/{key}/start")
    inner = f"{key}-inner"
    awakeable = wait_for(
        lambda: [k for k in features.call(f"Waiter/{inner}/set_many", []).json() if k.startswith("sign_")]
    )
    features.resolve_awakeable(awakeable[0], None)

    def rows() -> list[dict]:
        return features.query(
            f"SELECT id, status FROM sys_invocation WHERE target = 'Locker/{inner}/recurse'"
        )

    wait_for(lambda: sorted(r["status"] for r in rows()) == ["pending", "suspended"])
    r = httpx.patch(f"{features.admin_url}/invocations/{root}/kill", timeout=10)
    assert r.status_code == 200
    features.wait_status(root, "completed")
    wait_for(lambda: all(r["status"] == "completed" for r in rows()) or not rows())
    done = features.call(f"Locker/{inner}/is_unlocked", timeout=10)
    assert done.status_code == 200 and done.json() == "unlocked"
