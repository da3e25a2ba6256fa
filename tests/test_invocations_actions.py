"""cancel, kill, purge, pause, resume and restart-as-new against a real server: effects and counts."""

from __future__ import annotations

import re
import time

import pytest
from support.backend import Backend, unique


def completed_with(b: Backend, inv: str, failure: str) -> None:
    row = b.wait_status(inv, "completed")
    assert row.get("completion_failure") == failure, row


def test_cancel_suspended_and_pending(cli, backend: Backend) -> None:
    key = unique()
    holder = backend.send(f"Counter/{key}/hold", 3600)
    backend.wait_status(holder, "suspended")
    queued = backend.send(f"Counter/{key}/add", 1)
    backend.wait_status(queued, "pending")
    # The queued one first: cancelling the holder would free the key for it.
    r = cli("-y", "inv", "cancel", f"Counter/{key}/add")
    assert r.code == 0, r
    assert "Cancelled 1 invocation (1 removed at once)" in r.out, r.out
    backend.wait_gone(queued)
    r = cli("-y", "inv", "cancel", f"Counter/{key}")
    assert r.code == 0, r
    assert "Cancelled 1 invocation (1 signalled; the handler stops at its next await)" in r.out, r.out
    completed_with(backend, holder, "[409] cancelled")


def test_cancel_of_a_handler_that_never_awaits_suggests_kill(cli, backend: Backend) -> None:
    """Cancel takes effect at the handler's next await; one that throws first never sees it
    (restate-server behaves the same): the preview says so instead of promising a cancel."""
    inv = backend.send("Greeter/failing", "x")
    backend.wait(inv, lambda row: (row or {}).get("retry_count", 0) >= 3, what="three retries")

    def while_backing_off(*args: str):
        """Run until the command saw it backing off, not in the middle of an attempt."""
        for _ in range(30):
            r = cli(*args)
            if re.search(rf"{inv}\s+Greeter/failing\s+backing-off|\"status\": \"backing-off\"", r.out):
                return r
            time.sleep(0.1)
        raise AssertionError(f"never previewed as backing-off: {r}")

    r = while_backing_off("inv", "cancel", "--dry-run", inv)
    assert r.code == 0, r
    assert "a cancel takes effect at the handler's next suspension point" in r.err, r
    assert f"To stop it now: restate-cli invocations kill {inv}" in r.err, r
    data = while_backing_off("--json", "inv", "cancel", "--dry-run", inv).json()  # the shape README documents
    assert set(data) == {"action", "query", "dry_run", "invocations", "impact"} and data["dry_run"] is True
    assert data["invocations"] == [{"id": inv, "target": "Greeter/failing", "status": "backing-off"}]
    impact = data["impact"]
    assert set(impact) == {"rule", "selected", "reached", "not_reached", "completed_descendants", "truncated"}
    [entry] = impact["selected"]
    assert set(entry) == {
        "id", "target", "status", "depth", "parent_id", "selected_id", "relation", "due_at",
        "reached", "reason", "via", "expected", "caveat",
    }  # fmt: skip
    assert entry["caveat"] == "no_await_yet" and entry["expected"] == "cancelled"
    r = while_backing_off("-y", "inv", "cancel", "--wait", "2", inv)
    assert r.code == 0, r
    assert "(the cancel waits for an await)" in r.out and "not as previewed" not in r.out + r.err, r
    assert (
        f"still waits for an await to take the cancel; to stop it now: restate-cli invocations kill {inv}"
        in r.err
    )
    assert backend.status(inv) in ("backing-off", "running")
    assert cli("-y", "inv", "kill", inv).code == 0
    completed_with(backend, inv, "[409] killed")


def test_kill_running_by_id_and_json(cli, backend: Backend) -> None:
    inv = backend.send("Greeter/busy", 120)
    backend.wait_status(inv, "running")
    r = cli("--json", "-y", "inv", "kill", inv)
    assert r.code == 0, r
    data = r.json()
    assert data["succeeded"] == 1 and data["results"][0]["id"] == inv and data["results"][0]["ok"]
    completed_with(backend, inv, "[409] killed")


def test_cancel_with_kill_flag(cli, backend: Backend) -> None:
    inv = backend.send("Greeter/sleepy", 3600)
    backend.wait_status(inv, "suspended")
    assert cli("-y", "inv", "cancel", "--kill", inv).code == 0
    completed_with(backend, inv, "[409] killed")


def test_cancel_completed_finds_nothing(cli, backend: Backend) -> None:
    inv = backend.call("Greeter/greet", "x").headers["x-restate-id"]
    r = cli("-y", "inv", "cancel", inv)
    assert r.code == 4
    assert "cancel works only on non-completed invocations, and it matches 1 completed." in r.err
    assert "use 'purge'" in r.err


def test_nothing_found_says_what_does_not_exist(cli, backend: Backend) -> None:
    r = cli("-y", "inv", "cancel", "NoSuchService")
    assert r.code == 4, r
    assert "no service 'NoSuchService'" in r.err and "purge" not in r.err, r
    r = cli("-y", "inv", "kill", "Greete/greet")
    assert r.code == 4 and "no service 'Greete'" in r.err and "Did you mean 'Greeter'?" in r.err, r
    r = cli("-y", "inv", "cancel", "Greeter/no_such_handler")
    assert r.code == 4 and "no invocations match 'Greeter/no_such_handler'" in r.err, r
    r = cli("-y", "inv", "purge", "inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf")
    assert r.code == 4 and "invocation inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf not found" in r.err, r


def test_purge_and_restart(cli, backend: Backend) -> None:
    done = backend.call("Greeter/greet", "again").headers["x-restate-id"]
    r = cli("-y", "inv", "restart-as-new", done)
    assert r.code == 0, r
    new_ids = re.findall(r"(inv_\w+)\s*$", r.out, re.M)
    assert done in r.out and new_ids and new_ids[-1] != done
    new = new_ids[-1]
    row = backend.wait_status(new, "completed")
    assert row["restarted_from"] == done and row["completion_result"] == "success"
    r = cli("-o", "tsv", "inv", "ls", "--all", new)
    assert (
        r.lines[0].split("\t")[-1] == "INVOKED BY" and r.lines[1].split("\t")[-1] == f"restart of {done}"
    ), r
    r = cli("-q", "-y", "inv", "purge", done)
    assert r.code == 0 and r.lines == [done]
    backend.wait_gone(done)


def test_purge_refuses_running(cli, backend: Backend) -> None:
    inv = backend.send("Greeter/sleepy", 3600)
    backend.wait_status(inv, "suspended")
    r = cli("-y", "inv", "purge", inv)
    assert r.code == 4 and "purge works only on completed invocations, and it matches 1 suspended." in r.err
    assert "use 'cancel' or 'kill'" in r.err
    assert backend.status(inv) == "suspended"


def test_pause_and_resume(cli, backend: Backend) -> None:
    inv = backend.send("Greeter/failing", "x")
    backend.wait(inv, lambda r: r["status"] == "backing-off")
    r = cli("-y", "inv", "pause", inv)
    assert r.code == 0, r
    backend.wait_status(inv, "paused")
    r = cli("-y", "inv", "resume", inv)
    assert r.code == 0, r
    backend.wait_status(inv, "running", "backing-off")
    assert cli("-y", "inv", "kill", inv).code == 0


def test_resume_on_latest_deployment(cli, backend: Backend) -> None:
    inv = backend.send("Greeter/fail_then_pause", "x")
    backend.wait_status(inv, "paused")
    r = cli("-y", "inv", "resume", "--deployment", "latest", inv)
    assert r.code == 0, r
    assert "Resumed 1 invocation" in r.out
    cli("-y", "inv", "kill", inv)


@pytest.mark.parametrize(
    ("target_key", "decoy_key"),
    [("a_b", "axb"), ("p%", "pXYZ"), ("it's", "its"), ("x' OR '1'='1", "x")],
)
def test_prefix_strings_match_themselves(cli, backend: Backend, target_key: str, decoy_key: str) -> None:
    base = unique("h")
    target = backend.send(f"Counter/{base}{target_key}/hold", 3600)
    decoy = backend.send(f"Counter/{base}{decoy_key}/hold", 3600)
    backend.wait_status(target, "suspended")
    backend.wait_status(decoy, "suspended")
    r = cli("-q", "inv", "ls", f"Counter/{base}{target_key}")
    assert r.code == 0 and r.lines == [target], r
    r = cli("-q", "-y", "inv", "kill", f"Counter/{base}{target_key}")
    assert r.code == 0 and r.lines == [target], r
    completed_with(backend, target, "[409] killed")
    assert backend.status(decoy) == "suspended"
    cli("-y", "inv", "kill", decoy)


def test_service_handler_query_does_not_touch_objects(cli, backend: Backend) -> None:
    key = unique()
    obj = backend.send(f"Counter/{key}/hold", 3600)
    backend.wait_status(obj, "suspended")
    r = cli("--json", "inv", "cancel", "--dry-run", f"Counter/{key}")
    assert [x["id"] for x in r.json()["invocations"]] == [obj]
    r = cli("--json", "inv", "cancel", "--dry-run", f"Counter/{key}/hold")
    assert [x["id"] for x in r.json()["invocations"]] == [obj]
    r = cli("--json", "inv", "cancel", "--dry-run", f"Counter/{key}/add")
    assert r.code == 4
    cli("-y", "inv", "kill", obj)


def test_cancel_walks_the_call_tree(cli, backend: Backend) -> None:
    parent = backend.send("Greeter/parent", 3600)
    backend.wait(parent, lambda r: r["status"] == "suspended")
    backend.wait(parent, lambda _: len(backend.children(parent)) == 3)
    children = {c["id"]: c for c in backend.children(parent)}
    r = cli("-y", "inv", "cancel", parent)
    assert r.code == 0, r
    completed_with(backend, parent, "[409] compensated: cancelled")
    after = {c["id"]: c for c in backend.children(parent)}
    awaited = [i for i, c in after.items() if c["status"] == "completed"]
    assert len(awaited) == 1 and after[awaited[0]]["completion_failure"] == "[409] cancelled"
    untouched = sorted(c["status"] for i, c in after.items() if i not in awaited)
    assert untouched == ["scheduled", "suspended"]
    for inv in children:
        cli("-y", "inv", "kill", inv)
