"""Which invocations cancel and kill reach, by rule, on synthetic call trees (no server)."""

from __future__ import annotations

import pytest

from restate_cli.admin import impact as im
from restate_cli.admin import tree as t
from restate_cli.admin.client import ServerInfo
from restate_cli.admin.models import Invocation

SERVER = ServerInfo("1.7.12", 4, "v4/")
OLD_SERVER = ServerInfo("1.6.2", 3, "v3/")
NEW_SERVER = ServerInfo("1.8.0", 4, "v4/")
EMBEDDED = ServerInfo("1.7.12", 4, "v4/", embedded_version="0.1.0")


def node(name: str, status: str, kind: str, *children: t.Node, failure: str | None = None):
    inv = Invocation(
        id=name,
        target=f"Svc/{name}",
        status=status,
        completion_result="failure" if failure else None,
        completion_failure=failure,
    )
    n = t.Node(name, inv, t.Relation(kind), children=list(children))
    for c in children:
        c.parent_id = name
    return n


def forest() -> t.Forest:
    """root ─┬ call  (suspended) ── send  (suspended)
    ├ send  (suspended) ── call  (suspended)
    ├ later (scheduled, delayed send)
    └ done  (completed, call) ── orphan (suspended, send)"""
    root = node(
        "root",
        "suspended",
        t.INGRESS,
        node("call", "suspended", t.CALL, node("call.send", "suspended", t.SEND)),
        node("send", "suspended", t.SEND, node("send.call", "suspended", t.CALL)),
        node("later", "scheduled", t.DELAYED_SEND),
        node("done", "completed", t.CALL, node("orphan", "suspended", t.SEND)),
    )
    return t.Forest([root], False, 0)


def reasons(impact: im.Impact) -> dict[str, tuple[bool, str, str | None, str]]:
    return {i: (e.reached, e.reason, e.via, e.expected) for i, e in impact.entries.items()}


@pytest.mark.parametrize(("action", "info"), [("cancel", SERVER), ("kill", EMBEDDED)])
def test_awaited_calls_only(action: str, info: ServerInfo) -> None:
    impact = im.assess(im.rule_for(action, info), forest())
    word = "cancelled" if action == "cancel" else "killed"
    assert reasons(impact) == {
        "root": (True, im.SELECTED, None, word),
        "call": (True, im.REACHED_AWAITED, "root", word),
        "call.send": (False, im.DETACHED, "call", "unchanged"),
        "send": (False, im.DETACHED, "root", "unchanged"),
        "send.call": (False, im.BELOW_UNREACHED, "send", "unchanged"),
        "later": (False, im.DETACHED, "root", "unchanged"),
        "orphan": (False, im.BELOW_COMPLETED, "done", "unchanged"),
    }
    assert impact.completed == 1
    assert "done" in impact.shown and impact.rule.follows == {t.CALL}


@pytest.mark.parametrize("info", [SERVER, OLD_SERVER, NEW_SERVER])
def test_kill_on_restate_server_reaches_every_descendant(info: ServerInfo) -> None:
    impact = im.assess(im.rule_for("kill", info), forest())
    assert reasons(impact) == {
        "root": (True, im.SELECTED, None, "killed"),
        "call": (True, im.REACHED_AWAITED, "root", "killed"),
        "call.send": (True, im.REACHED_SEND, "call", "killed"),
        "send": (True, im.REACHED_SEND, "root", "killed"),
        "send.call": (True, im.REACHED_AWAITED, "send", "killed"),
        "later": (True, im.REACHED_DELAYED, "root", "deleted"),
        "orphan": (False, im.BELOW_COMPLETED, "done", "unchanged"),  # not past a completed one
    }


def test_rules_say_what_they_rest_on() -> None:
    assert im.rule_for("kill", SERVER).basis == "measured"
    assert "restate-server 1.7.12" in im.rule_for("kill", SERVER).summary
    assert im.rule_for("kill", OLD_SERVER).basis == "measured"
    new = im.rule_for("kill", NEW_SERVER)
    assert new.basis == "assumed" and "not measured on this version" in new.summary
    embedded = im.rule_for("kill", EMBEDDED)
    assert embedded.basis == "documented" and "embedded runtime 0.1.0" in embedded.summary
    assert "Restate documentation" in embedded.summary


def after(status: str | None, failure: str | None = None) -> Invocation | None:
    if status is None:
        return None
    return Invocation(
        id="x",
        status=status,
        completion_result="failure" if failure else None,
        completion_failure=failure,
    )


@pytest.mark.parametrize(
    ("reached", "now", "outcome", "ok"),
    [
        (True, after("completed", "[409] killed"), "completed [409] killed", True),
        (True, after(None), "gone", True),
        (True, after("running"), "still running", False),
        (False, after("suspended"), "still suspended", True),
        (False, after("completed"), "completed with success", True),
        (False, after("completed", "[409] killed"), "completed [409] killed", False),
        (False, after(None), "gone", False),
    ],
)
def test_outcomes_against_the_preview(reached: bool, now: Invocation | None, outcome: str, ok: bool) -> None:
    n = t.Node("x", after("suspended"), t.Relation(t.SEND))
    entry = im.Reach(n, "x", reached, "r", checked=True, after=now)
    assert entry.outcome == outcome and entry.as_expected is ok
    assert im.Reach(n, "x", reached, "r").as_expected is None


def backing_off(name: str, commands: int | None, *children: t.Node) -> t.Node:
    inv = Invocation(id=name, target=f"Svc/{name}", status="backing-off", journal_commands_size=commands)
    n = t.Node(name, inv, t.Relation(t.CALL), children=list(children))
    for c in children:
        c.parent_id = name
    return n


@pytest.mark.parametrize(("commands", "caveat"), [(1, im.NO_AWAIT_YET), (3, None), (None, None)])
def test_cancel_warns_about_handlers_that_never_reached_an_await(
    commands: int | None, caveat: str | None
) -> None:
    """Cancel is cooperative: a handler that fails before its first await never sees it."""
    root = backing_off("root", commands, backing_off("child", commands))
    impact = im.assess(im.rule_for("cancel", SERVER), t.Forest([root], False, 0))
    assert {i: e.caveat for i, e in impact.entries.items()} == {"root": caveat, "child": caveat}
    assert len(impact.no_await_yet) == (2 if caveat else 0)
    killed = im.assess(im.rule_for("kill", SERVER), t.Forest([backing_off("x", commands)], False, 0))
    assert not killed.no_await_yet  # kill needs no await


def test_a_cancel_still_waiting_for_an_await_is_not_a_surprise() -> None:
    n = backing_off("x", 1)
    entry = im.Reach(n, "x", True, im.SELECTED, expected="cancelled", caveat=im.NO_AWAIT_YET)
    entry.after, entry.checked = n.inv, True
    assert entry.waiting and entry.as_expected is None and entry.outcome == "still backing-off"
    entry.after = after("completed", "[409] cancelled")
    assert not entry.waiting and entry.as_expected is True
