"""Call trees on a real backend: ``tree``, ``describe``'s parent and children, and what
cancel and kill reach (previewed, then checked).

The trees come from ``Greeter/branch(2)``: every non-leaf makes a one-way send, a delayed
send (1 h) and an awaited call, each to ``branch(1)``, whose children are leaves. The
tests read the backend only through its admin and ingress APIs.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from support.backend import Backend

from restate_cli.admin import tree as tr


@dataclass
class Tree:
    """A ``branch(2)`` tree: each node's children by relation, worked out from raw SQL."""

    root: str
    kids: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> relation -> child

    def at(self, *path: str) -> str:
        node = self.root
        for rel in path:
            node = self.kids[node][rel]
        return node

    @property
    def ids(self) -> set[str]:
        return {self.root} | {c for rels in self.kids.values() for c in rels.values()}


def relation_in_journal(b: Backend, parent: str, child: str) -> str:
    """How ``parent`` started ``child``, read straight from the journal (the test's oracle)."""
    rows = b.query(
        f"SELECT entry_type, entry_lite_json FROM sys_journal WHERE id = '{parent}' "
        f"AND entry_type IN ('Command: Call', 'Command: OneWayCall')"
    )
    for row in rows:
        if child in row["entry_lite_json"]:
            if row["entry_type"] == "Command: Call":
                return "call"
            return "send" if '"invoke_time":0' in row["entry_lite_json"] else "delayed_send"
    raise AssertionError(f"{child} is not in the journal of {parent}")


def branch_tree(b: Backend) -> Tree:
    """Start ``branch(2)`` and wait until all 10 invocations exist and have settled."""
    root = b.send("Greeter/branch", 2)
    deadline = time.monotonic() + 30
    while True:
        found: dict[str, list[str]] = {}
        frontier, settled = [root], b.status(root) == "suspended"
        while frontier:
            ids = ", ".join(f"'{i}'" for i in frontier)
            rows = b.query(
                f"SELECT id, invoked_by_id, status FROM sys_invocation WHERE invoked_by_id IN ({ids})"
            )
            frontier = [r["id"] for r in rows if r["status"] != "scheduled"]
            for r in rows:
                found.setdefault(r["invoked_by_id"], []).append(r["id"])
                settled &= r["status"] in ("suspended", "scheduled")
        if settled and sum(len(c) for c in found.values()) == 9:
            break
        assert time.monotonic() < deadline, f"branch(2) did not settle: {found}"
        time.sleep(0.2)
    tree = Tree(root)
    for parent, children in found.items():
        tree.kids[parent] = {relation_in_journal(b, parent, c): c for c in children}
    return tree


@pytest.fixture(scope="module")
def tree(backend: Backend) -> Tree:
    t = branch_tree(backend)
    yield t
    kill_all(backend, t.ids)


def kill_all(b: Backend, ids: set[str] | list[str]) -> None:
    """Clean up: kill what is left of a tree (one client, so it stays quick)."""
    import httpx

    with httpx.Client(timeout=30) as client:
        for inv in ids:
            client.patch(f"{b.admin_url}/invocations/{inv}/kill")


def flatten(node: dict) -> list[dict]:
    out = [node]
    for c in node["children"]:
        out.extend(flatten(c))
    return out


# -- tree ---------------------------------------------------------------------------------


def test_delayed_relation_from_journal_entry() -> None:
    rows = [
        {
            "id": "p",
            "idx": 3,
            "entry_type": "Command: OneWayCall",
            "entry_json": '{"Command":{"OneWayCall":{"invocation_id":"c","invocation_target":'
            '{"Service":{"name":"S","handler":"h"}},"invoke_time":1795808695775}}}',
        },
        {
            "id": "p",
            "idx": 5,
            "entry_type": "Command: Call",
            "entry_json": '{"Command":{"Call":{"invocation_id":"d","invocation_target":'
            '{"VirtualObject":{"name":"O","key":"k","handler":"h"}}}}}',
        },
    ]
    calls = tr._calls(rows)["p"]
    assert [(c.child_id, c.target, c.relation.kind) for c in calls] == [
        ("c", "S/h", tr.DELAYED_SEND),
        ("d", "O/k/h", tr.CALL),
    ]
    assert calls[0].relation.due_at == datetime.fromtimestamp(1795808695.775, UTC)
    assert calls[0].relation.journal_index == 3


def test_tree_of_a_child_shows_the_whole_tree_from_the_root(cli, tree: Tree) -> None:
    focus = tree.at("call")
    r = cli("inv", "tree", focus)
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert lines[0].split() == ["INVOCATION", "TARGET", "STATUS", "RELATION"]
    assert re.match(rf"^{tree.root}\s+Greeter/branch\s+suspended\s+ingress$", lines[1]), lines[1]
    assert len(lines) == 1 + 10  # every invocation of the tree, siblings and their children too
    shown = {re.search(r"(inv_\w+)", line).group(1): line for line in lines[1:]}
    assert set(shown) == tree.ids
    marked = [line for line in lines if line.endswith("◀ this")]
    assert len(marked) == 1 and focus in marked[0] and "awaited call" in marked[0], marked
    relations = {
        "send": r"one-way send$",
        "delayed_send": r"delayed send, due \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? "
        r"\+00:00 \((in an hour|in \d\d minutes)\)$",
        "call": r"awaited call$",
    }
    for rel, pattern in relations.items():
        assert re.search(pattern, shown[tree.at(rel)].removesuffix("  ◀ this")), shown[tree.at(rel)]
        for sub, sub_pattern in relations.items():
            if rel != "delayed_send":  # scheduled: has started nothing
                line = shown[tree.at(rel, sub)]
                assert line.startswith(("│   ", "    ")), line  # one level down
                assert re.search(sub_pattern, line.removesuffix("  ◀ this")), line
    assert "10 invocations in this call tree: 1 caller, 3 descendants on 1 level, 5 others." in r.err


def test_subtree_shows_only_the_invocation_and_its_descendants(cli, tree: Tree) -> None:
    focus = tree.at("call")
    r = cli("inv", "tree", "--subtree", focus)
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert re.match(rf"^{focus}\s+Greeter/branch\s+suspended\s+awaited call  ◀ this$", lines[1]), lines[1]
    assert {re.search(r"(inv_\w+)", line).group(1) for line in lines[2:]} == set(tree.kids[focus].values())
    assert len(lines) == 1 + 1 + 3
    assert (
        "3 descendants on 1 level (--subtree: its 1 caller and the rest of the tree are not shown)" in r.err
    )
    data = cli("--json", "inv", "tree", "--subtree", focus).json()
    assert data["subtree"] is True and data["tree"]["id"] == focus and data["tree"]["this"] is True
    assert data["callers"] == 1 and data["descendants"] == 3 and data["invocations"] == 4


def test_tree_json_is_nested_and_depth_limits_it(cli, backend: Backend, tree: Tree) -> None:
    data = cli("--json", "inv", "tree", tree.root).json()
    assert data["id"] == tree.root and data["callers"] == 0 and data["descendants"] == 9
    assert data["truncated"] is False and data["max_depth"] is None and data["subtree"] is False
    assert data["invocations"] == 10
    child = cli("--json", "inv", "tree", tree.at("send", "call")).json()
    assert child["tree"]["id"] == tree.root and child["invocations"] == 10
    assert child["callers"] == 2 and child["descendants"] == 0
    marked = [n["id"] for n in flatten(child["tree"]) if n["this"]]
    assert marked == [tree.at("send", "call")]
    nodes = {n["id"]: n for n in flatten(data["tree"])}
    assert set(nodes) == tree.ids
    assert nodes[tree.root]["this"] is True and nodes[tree.root]["relation"] == "ingress"
    for parent, children in tree.kids.items():
        got = {c["relation"]: c["id"] for c in nodes[parent]["children"]}
        assert got == children
    delayed = nodes[tree.at("delayed_send")]
    row = backend.row(delayed["id"])
    due = datetime.fromisoformat(delayed["due_at"].replace("Z", "+00:00"))
    start = datetime.fromisoformat(row["scheduled_start_at"].replace("Z", "+00:00"))
    assert abs(due - start) < timedelta(seconds=1) and due > datetime.now(UTC)
    assert delayed["status"] == "scheduled"

    shallow = cli("--json", "inv", "tree", "--depth", "1", tree.root).json()
    nodes = {n["id"]: n for n in flatten(shallow["tree"])}
    assert set(nodes) == {tree.root, *tree.kids[tree.root].values()}
    assert nodes[tree.at("call")]["children_not_shown"] == 3
    assert nodes[tree.at("send")]["children_not_shown"] == 3
    assert nodes[tree.at("delayed_send")]["children_not_shown"] == 0
    # --depth counts from the invocation asked about, over the whole tree
    level = cli("--json", "inv", "tree", "--depth", "0", tree.at("call")).json()
    nodes = {n["id"]: n for n in flatten(level["tree"])}
    assert set(nodes) == {tree.root, *tree.kids[tree.root].values()}
    assert nodes[tree.at("call")]["this"] and nodes[tree.at("call")]["children_not_shown"] == 3


def test_table_style_borders_reaches_every_table(cli, tree: Tree) -> None:
    r = cli("--table-style", "borders", "inv", "tree", tree.at("call"))
    assert r.code == 0, r
    assert r.out.startswith("╭") and r.out.rstrip().endswith("╯"), r.out
    assert re.search(rf"│ └── {tree.at('call')}\s+│.*awaited call  ◀ this\s+│", r.out), r.out
    r = cli("--table-style", "borders", "inv", "cancel", "--dry-run", tree.root)
    assert r.code == 0, r
    assert r.out.count("╭") == 2, r.out  # the selection, and the impact preview below it
    assert re.search(r"│ INVOCATION\s+│ TARGET\s+│ STATUS\s+│ RELATION\s+│ EFFECT\s+│", r.out), r.out


def test_tree_ids_and_flat_rows(cli, tree: Tree) -> None:
    r = cli("-q", "inv", "tree", tree.root)
    assert r.lines[0] == tree.root and set(r.lines) == tree.ids and len(r.lines) == 10
    r = cli("-o", "tsv", "inv", "tree", tree.at("send"))
    rows = [line.split("\t") for line in r.lines]
    assert rows[0] == ["DEPTH", "ID", "PARENT", "RELATION", "DUE AT", "TARGET", "STATUS"]
    by_id = {row[1]: row for row in rows[1:]}
    assert by_id[tree.root][0] == "-1" and by_id[tree.root][3] == "ingress"
    assert by_id[tree.at("send")][:4] == ["0", tree.at("send"), tree.root, "send"]
    delayed = by_id[tree.at("send", "delayed_send")]
    assert delayed[0] == "1" and delayed[3] == "delayed_send" and delayed[6] == "scheduled"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", delayed[4])
    assert by_id[tree.at("call", "send")][0] == "1"  # a sibling's child: depth from the focus
    assert len(rows) == 1 + 10


def test_describe_shows_the_parent_relation_and_children(cli, tree: Tree) -> None:
    r = cli("inv", "describe", tree.at("call"))
    assert re.search(
        rf"Invoked by:\s+Greeter/branch {tree.root} \(awaited call; the caller is suspended\)",
        r.out,
    ), r.out
    assert re.search(
        r"Children:\s+3: 1 awaited call \(suspended\), 1 one-way send \(suspended\), "
        r"1 delayed send \(scheduled\)",
        r.out,
    ), r.out
    data = cli("--json", "inv", "describe", tree.at("send", "delayed_send")).json()
    assert data["parent"]["id"] == tree.at("send") and data["parent"]["relation"] == "delayed_send"
    assert data["parent"]["due_at"].endswith("Z")
    assert data["children"] == {"total": 0, "by_relation": {}, "truncated": False}
    r = cli("inv", "describe", tree.root)
    assert re.search(r"Children:\s+3: 1 awaited call", r.out) and "Invoked by:" not in r.out


def test_tree_of_unknown_invocation_exits_4(cli) -> None:
    r = cli("inv", "tree", "inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf")
    assert r.code == 4 and "not found" in r.err


# -- cancel and kill: preview, then what happened ----------------------------------------


def by_id(entries: list[dict]) -> dict[str, dict]:
    return {e["id"]: e for e in entries}


def test_cancel_preview_and_outcome(cli, backend: Backend) -> None:
    t = branch_tree(backend)
    awaited = {t.at("call"), t.at("call", "call")}
    r = cli("--json", "inv", "cancel", "--dry-run", t.root)
    assert r.code == 0, r
    impact = r.json()["impact"]
    assert impact["rule"]["action"] == "cancel" and impact["rule"]["follows"] == ["call"]
    assert set(by_id(impact["reached"])) == awaited
    assert all(e["expected"] == "cancelled" for e in impact["reached"])
    not_reached = by_id(impact["not_reached"])
    assert set(not_reached) == t.ids - awaited - {t.root}
    assert not_reached[t.at("send")]["reason"] == "detached"
    assert not_reached[t.at("delayed_send")]["reason"] == "detached"
    assert not_reached[t.at("call", "send")]["reason"] == "detached"
    for rel in ("call", "send", "delayed_send"):
        below = not_reached[t.at("send", rel)]
        assert below["reason"] == "below_unreached" and below["via"] == t.at("send")

    r = cli("inv", "cancel", "--dry-run", t.root)
    assert re.search(rf"├── {t.at('send')} .* one-way send\s+not reached: detached, keeps running", r.out), (
        r.out
    )
    assert re.search(rf"└── {t.at('call')} .* awaited call\s+cancelled through its caller", r.out), r.out
    assert "The cancel reaches 2 more invocations (2 awaited calls); 7 are not reached." in r.out

    r = cli("--json", "-y", "inv", "cancel", t.root)
    assert r.code == 0, r
    data = r.json()
    assert data["succeeded"] == 1 and data["results"][0]["id"] == t.root
    impact = data["impact"]
    outcome = {e["id"]: e["after"] for k in ("selected", "reached", "not_reached") for e in impact[k]}
    assert outcome[t.root]["outcome"] == "completed [409] compensated: cancelled"
    assert outcome[t.at("call")]["outcome"] == "completed [409] compensated: cancelled"
    assert outcome[t.at("call", "call")]["outcome"] == "completed [409] cancelled"
    assert outcome[t.at("send")]["outcome"] == "still suspended"
    assert outcome[t.at("delayed_send")]["outcome"] == "still scheduled"
    assert all(a["as_expected"] for a in outcome.values()), outcome
    # and that is what the server says too
    assert backend.row(t.at("call", "call"))["completion_failure"] == "[409] cancelled"
    assert backend.status(t.at("send", "call")) == "suspended"
    r = cli("-y", "inv", "kill", t.at("send"))
    assert r.code == 0, r
    assert re.search(r"What happened \(checked \d+\.\d s after the kill\):", r.out), r.out
    assert "ended up as previewed" in r.out
    kill_all(backend, t.ids)


def test_kill_preview_follows_the_server_and_is_checked(cli, backend: Backend) -> None:
    t = branch_tree(backend)
    every = backend.kind.startswith("restate-server")  # the embedded runtime spares sends
    reached = t.ids - {t.root} if every else {t.at("call"), t.at("call", "call")}
    delayed = {t.at("delayed_send"), t.at("call", "delayed_send"), t.at("send", "delayed_send")}

    r = cli("--json", "inv", "kill", "--dry-run", t.root)
    impact = r.json()["impact"]
    rule = impact["rule"]
    server = backend.kind if every else "embedded runtime"
    assert rule["action"] == "kill" and rule["server"].startswith(server)
    if every:
        assert rule["basis"] == "measured" and "one-way sends are killed too" in rule["summary"]
    assert set(by_id(impact["reached"])) == reached
    for e in impact["reached"]:
        assert e["expected"] == ("deleted" if e["id"] in delayed else "killed")

    r = cli("inv", "kill", "--dry-run", t.root)
    assert f"Impact: kill on {'' if every else 'the '}{server}" in r.out
    r = cli("-y", "inv", "kill", t.root)
    assert r.code == 0, r
    assert "ended up as previewed" in r.out, r.out
    if every:
        assert re.search(rf"{t.at('delayed_send')} .*\s+deleted\s+gone$", r.out, re.M), r.out
    for inv in reached:
        row = backend.row(inv)
        if inv in delayed:
            assert row is None
        else:
            assert row["completion_failure"] == "[409] killed"
    # the tree of a killed root: what is left, and what is gone
    data = cli("--json", "inv", "tree", t.root).json()
    nodes = {n["id"]: n for n in flatten(data["tree"])}
    for inv in delayed & reached:
        assert nodes[inv]["status"] == "gone" and nodes[inv]["relation"] == "delayed_send"
    kill_all(backend, t.ids)


def test_tree_reads_a_wide_tree_with_few_queries(backend: Backend) -> None:
    import asyncio

    from restate_cli.admin.client import AdminClient
    from restate_cli.admin.tree import fetch_tree
    from restate_cli.config import Settings

    root = backend.send("Greeter/fan_out", [30, 4])
    expected = 30 + 30 * 4
    deadline = time.monotonic() + 30
    while True:
        n = backend.query(
            "SELECT COUNT(1) AS n FROM sys_invocation WHERE invoked_by_id IN "
            f"(SELECT id FROM sys_invocation WHERE invoked_by_id = '{root}') "
            f"OR invoked_by_id = '{root}'"
        )[0]["n"]
        if n == expected:
            break
        assert time.monotonic() < deadline, n
        time.sleep(0.2)

    async def read(inv: str = root, **kw):
        async with AdminClient(Settings(admin_url=backend.admin_url + "/")) as client:
            return await fetch_tree(client, inv, **kw)

    t = asyncio.run(read())
    assert t.descendants == expected and not t.truncated
    assert {n.relation.kind for n in t.focus.walk() if n is not t.focus} == {"send"}
    # one row, then per level: the children and the journals (leaves included)
    assert t.queries <= 1 + 2 * 3, t.queries

    leaf = t.focus.children[-1].children[-1]
    whole = asyncio.run(read(leaf.id))
    assert whole.root.id == root and whole.focus.id == leaf.id and whole.size == 1 + expected
    assert [n.id for n in whole.callers] == [root, leaf.parent_id] and not whole.truncated
    assert whole.queries <= 3 + 2 + 2 * 3, whole.queries  # the row, two callers, then the levels
    # A tree too large to read down to the invocation: the path to it, and its subtree.
    cut = asyncio.run(read(leaf.id, max_nodes=10))
    assert cut.truncated and cut.root.id == root and cut.focus.id == leaf.id
    assert [n.id for n in cut.root.walk()] == [root, leaf.parent_id, leaf.id]
    kill_all(backend, [n.id for n in t.focus.walk()])
