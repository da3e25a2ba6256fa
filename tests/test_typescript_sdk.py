"""The TypeScript SDK on restate-server 1.7.12 and on the embedded runtime, side by side.

The services of tests/services/ts/services.ts run on Node.js 22, served in each of the four
ways the SDK offers (tests/services/ts/serve.ts): ``restate.serve()`` (HTTP/2 cleartext
only, bidirectional), ``http2.createServer`` in request/response mode, ``http.createServer``
(HTTP/1.1, request/response) and HTTP/1.1 declared bidirectional. The HTTP/2 ones are
registered as restate-server registers by default, the HTTP/1.1 ones with ``use_http_11``.
Every scenario asserts the same results, statuses and journals on both runtimes.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from support.backend import Backend, unique, wait_for
from support.processes import NodeService


@dataclass(frozen=True)
class Mode:
    http11: bool  # registered with use_http_11
    bidi: bool  # the manifest says BIDI_STREAM

    @property
    def deployment(self) -> tuple[str, str]:
        """``protocol_type`` and ``http_version`` of its deployment."""
        return ("BidiStream" if self.bidi else "RequestResponse", "HTTP/1.1" if self.http11 else "HTTP/2.0")


MODES = {
    "serve": Mode(http11=False, bidi=True),
    "http2-rr": Mode(http11=False, bidi=False),
    "http1": Mode(http11=True, bidi=False),
    "http1-bidi": Mode(http11=True, bidi=True),
}


@pytest.fixture(scope="module", params=list(MODES))
def mode(request: pytest.FixtureRequest) -> str:
    """Module-scoped, so that the tests of one mode run together on each backend."""
    return request.param


@dataclass
class Ts:
    """A backend with one of the four TypeScript deployments registered."""

    b: Backend
    mode: Mode
    deployment: dict

    @property
    def blocked(self) -> str:
        """The status of an invocation that waits for something.

        Both runtimes keep the stream of a bidirectional deployment over HTTP/2 open while
        the handler waits (``running``) until the inactivity timeout (1 minute) suspends it.
        Over HTTP/1.1 restate-server streams too; the embedded runtime exchanges those
        attempts request/response, so the SDK suspends at once (``suspended``)."""
        streams = self.mode.bidi and not (self.b.embedded and self.mode.http11)
        return "running" if streams else "suspended"


@pytest.fixture
def ts(backend: Backend, node_services: dict[str, NodeService], mode: str) -> Ts:
    if backend.version != "1.7.12":
        pytest.skip("the TypeScript SDK runs side by side on restate-server 1.7.12 and the embedded runtime")
    node_service = node_services[mode]
    svc = httpx.get(f"{backend.admin_url}/services/Hello", timeout=10)
    dep = None
    if svc.status_code == 200:  # registered: by this mode's service?
        dep = httpx.get(f"{backend.admin_url}/deployments/{svc.json()['deployment_id']}", timeout=10).json()
    if dep is None or dep["uri"] != node_service.url:
        registered = backend.register(node_service.url, use_http_11=MODES[mode].http11)
        dep = httpx.get(f"{backend.admin_url}/deployments/{registered['id']}", timeout=10).json()
    return Ts(backend, MODES[mode], dep)


def journal(b: Backend, inv: str) -> list[str]:
    rows = b.query(f"SELECT index, entry_type FROM sys_journal WHERE id = '{inv}' ORDER BY index")
    return [r["entry_type"] for r in rows]


def test_the_deployment_is_recorded_as_it_was_discovered(ts: Ts) -> None:
    assert (ts.deployment["protocol_type"], ts.deployment["http_version"]) == ts.mode.deployment
    assert ts.deployment["sdk_version"] == "restate-sdk-typescript/1.17.2"
    assert {s["name"] for s in ts.deployment["services"]} == {
        "Hello", "Tally", "Relay", "Latch", "Signoff", "Flaky", "Chain",
    }  # fmt: skip
    # restate-server shows no inactivity timeout for request/response deployments
    timeouts = {s["inactivity_timeout"] for s in ts.deployment["services"]}
    assert timeouts == ({"1m"} if ts.mode.bidi else {"0s"})


def test_sleep(ts: Ts) -> None:
    r = ts.b.call("Hello/sleepy", 200)
    assert r.status_code == 200 and r.json() == "slept 200"
    assert journal(ts.b, r.headers["x-restate-id"]) == [
        "Command: Input", "Command: Sleep", "Notification: Sleep", "Command: Output",
    ]  # fmt: skip


def test_awaited_call(ts: Ts) -> None:
    r = ts.b.call("Relay/call", "bob")
    assert r.status_code == 200 and r.json() == "called: Hello bob!"
    inv = r.headers["x-restate-id"]
    assert journal(ts.b, inv) == [
        "Command: Input", "Command: Call", "Notification: CallInvocationId", "Notification: Call",
        "Command: Output",
    ]  # fmt: skip
    (child,) = ts.b.children(inv)
    assert (child["target"], child["status"], child["invoked_by_target"]) == (
        "Hello/greet", "completed", "Relay/call",
    )  # fmt: skip
    assert child["pinned_deployment_id"] == ts.deployment["id"]


def test_one_way_and_delayed_sends(ts: Ts) -> None:
    key = unique("fan")
    r = ts.b.call("Relay/fanout", key)
    assert r.status_code == 200 and r.json() == "sent"
    inv = r.headers["x-restate-id"]
    assert journal(ts.b, inv) == [
        "Command: Input",
        "Command: OneWayCall", "Notification: CallInvocationId",
        "Command: OneWayCall", "Notification: CallInvocationId",
        "Command: Output",
    ]  # fmt: skip
    children = ts.b.children(inv)
    assert sorted(c["target"] for c in children) == [f"Tally/{key}/add"] * 2
    assert sum(1 for c in children if c.get("scheduled_start_at")) == 1  # the delayed one
    wait_for(lambda: ts.b.call(f"Tally/{key}/get").json() == 11, timeout=15)
    assert {c["status"] for c in ts.b.children(inv)} == {"completed"}


def test_virtual_object_state(ts: Ts) -> None:
    key = unique("count")
    assert ts.b.call(f"Tally/{key}/add", 2).json() == 2
    r = ts.b.call(f"Tally/{key}/add", 3)
    assert r.json() == 5
    assert ts.b.call(f"Tally/{key}/get").json() == 5
    state = ts.b.query(
        f"SELECT key, value_utf8 FROM state WHERE service_name = 'Tally' AND service_key = '{key}'"
    )
    assert state == [{"key": "count", "value_utf8": "5"}]
    assert journal(ts.b, r.headers["x-restate-id"]) == [
        "Command: Input", "Command: GetEagerState", "Command: SetState", "Command: Output",
    ]  # fmt: skip


def test_awakeable_resolved_through_the_ingress(ts: Ts) -> None:
    key = unique("aw")
    inv = ts.b.send(f"Latch/{key}/wait")
    awakeable = wait_for(lambda: ts.b.call(f"Latch/{key}/awakeable").json())
    assert awakeable.startswith("sign_1")
    ts.b.wait_status(inv, ts.blocked)
    r = ts.b.resolve_awakeable(awakeable, "yes")
    assert r.status_code == 202
    out = ts.b.attach(inv)
    assert out.status_code == 200 and out.json() == "got yes"
    assert journal(ts.b, inv) == [
        "Command: Input", "Command: SetState", "Notification: Signal", "Command: Output",
    ]  # fmt: skip


def test_workflow_with_a_durable_promise(ts: Ts) -> None:
    key = unique("wf")
    sent = httpx.post(f"{ts.b.ingress_url}/Signoff/{key}/run/send", json="order-1", timeout=10)
    assert sent.status_code == 202 and sent.json()["status"] == "Accepted"
    inv = sent.json()["invocationId"]
    assert ts.b.call(f"Signoff/{key}/peek").json() == "<pending>"
    ts.b.wait_status(inv, ts.blocked)
    assert ts.b.call(f"Signoff/{key}/decide", "approved").json() == "decided"
    done = httpx.get(f"{ts.b.ingress_url}/restate/workflow/Signoff/{key}/attach", timeout=30)
    assert done.status_code == 200 and done.json() == "order-1: approved"
    assert ts.b.call(f"Signoff/{key}/peek").json() == "approved"
    assert journal(ts.b, inv) == [
        "Command: Input", "Command: GetPromise", "Notification: GetPromise", "Command: Output",
    ]  # fmt: skip


def test_retries_with_backoff(ts: Ts) -> None:
    """A handler that fails twice: the runtime waits the service's retry policy's intervals
    (300 ms, then twice as long; restate-server adds some jitter) and runs it again."""
    inv = ts.b.send("Flaky/fail", 2)
    row = ts.b.wait(inv, lambda r: r is not None and r["status"] == "backing-off", what="backing-off")
    assert row["retry_count"] >= 1 and row["last_failure_error_code"] == "RT0007"
    assert row["last_failure"].startswith("[500 Internal] failure 1 of 2\nError: failure 1 of 2\n")
    out = ts.b.attach(inv)
    assert out.status_code == 200
    result = out.json()
    assert result["failures"] == 2
    first, second = result["pauses"]
    assert 300 <= first < second and second >= 1.5 * 300, result
    assert journal(ts.b, inv) == ["Command: Input", "Command: Output"]


@pytest.mark.parametrize(
    ("action", "status", "failure"), [("cancel", 202, "[409] Cancelled"), ("kill", 200, "[409] killed")]
)
def test_cancel_and_kill_a_blocked_call_tree(ts: Ts, action: str, status: int, failure: str) -> None:
    """A root awaits a child that awaits a leaf waiting for an awakeable nobody resolves."""
    root = ts.b.send("Chain/node", 2)
    child = wait_for(lambda: ts.b.children(root))[0]["id"]
    leaf = wait_for(lambda: ts.b.children(child))[0]["id"]
    for inv in (root, child, leaf):
        ts.b.wait_status(inv, ts.blocked)
    r = httpx.patch(f"{ts.b.admin_url}/invocations/{root}/{action}", timeout=10)
    assert r.status_code == status, r.text
    for inv in (root, child, leaf):
        row = ts.b.wait_status(inv, "completed")
        assert row["completion_failure"] == failure
    calling = ["Command: Input", "Command: Call", "Notification: CallInvocationId"]
    if action == "cancel":  # each handler sees the cancellation and passes it on
        cancelled = [*calling, "Notification: Signal", "Command: SendSignal", "Command: Output"]
        expected = [cancelled, cancelled, ["Command: Input", "Notification: Signal", "Command: Output"]]
    else:  # killed where they stood
        expected = [calling, calling, ["Command: Input"]]
    assert [journal(ts.b, inv) for inv in (root, child, leaf)] == expected
