"""Put invocations into every status on a backend, with the test services."""

from __future__ import annotations

from dataclasses import dataclass, field

from support.backend import Backend, unique


@dataclass
class Statuses:
    """One invocation per status (by name), all created for one scenario."""

    key: str
    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


def every_status(b: Backend) -> Statuses:
    """Invocations that are pending, scheduled, running, suspended, backing-off, paused and
    completed (with success and with failure)."""
    s = Statuses(unique("st"))
    ok = b.call("Greeter/greet", "bob")
    assert ok.status_code == 200, ok.text
    s.ids["success"] = ok.headers["x-restate-id"]
    failed = b.call("Greeter/terminal", "bob")
    assert failed.status_code == 418, failed.text
    s.ids["failure"] = failed.headers["x-restate-id"]
    s.ids["backing-off"] = b.send("Greeter/failing", "bob")
    s.ids["paused"] = b.send("Greeter/fail_then_pause", "bob")
    s.ids["suspended"] = b.send("Greeter/sleepy", 3600)
    s.ids["running"] = b.send("Greeter/busy", 120)
    s.ids["scheduled"] = b.send("Greeter/greet", "later", delay="1h")
    s.ids["holder"] = b.send(f"Counter/{s.key}/hold", 3600)
    b.wait_status(s.ids["holder"], "suspended")
    s.ids["pending"] = b.send(f"Counter/{s.key}/add", 1)
    b.wait_status(s.ids["pending"], "pending")
    b.wait(
        s.ids["backing-off"],
        lambda r: r["status"] == "backing-off" and r.get("retry_count", 0) >= 1,
    )
    b.wait_status(s.ids["paused"], "paused")
    b.wait_status(s.ids["suspended"], "suspended")
    b.wait_status(s.ids["running"], "running")
    b.wait_status(s.ids["scheduled"], "scheduled")
    return s


def one_in(b: Backend, status: str) -> str:
    """A fresh invocation in ``status`` (waits until it is there)."""
    if status == "completed":
        r = b.call("Greeter/greet", "x")
        assert r.status_code == 200, r.text
        return r.headers["x-restate-id"]
    if status == "pending":
        key = unique("p")
        b.wait_status(b.send(f"Counter/{key}/hold", 3600), "suspended")
        inv = b.send(f"Counter/{key}/add", 1)
    elif status == "scheduled":
        inv = b.send("Greeter/greet", "later", delay="1h")
    elif status == "running":
        inv = b.send("Greeter/busy", 120)
    elif status == "suspended":
        inv = b.send("Greeter/sleepy", 3600)
    elif status == "backing-off":
        inv = b.send("Greeter/failing", "x")
        b.wait(inv, lambda r: r["status"] == "backing-off" and r.get("retry_count", 0) >= 1)
        return inv
    elif status == "paused":
        inv = b.send("Greeter/fail_then_pause", "x")
    else:
        raise ValueError(status)
    b.wait_status(inv, status)
    return inv
