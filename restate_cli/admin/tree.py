"""Call trees: who started an invocation, and everything it started, read level by level.

Membership comes from ``sys_invocation.invoked_by_id``; how a child was started (awaited
call, one-way send, delayed send and its due time) comes from the parent's journal
(``Command: Call`` / ``Command: OneWayCall`` entries in ``sys_journal``). Descendants are
read breadth first, one level at a time, with ``IN (...)`` batches of ``BATCH`` ids, so a
tree costs a few queries per level however wide it is. A tree larger than ``MAX_NODES``
is cut, and says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from restate_cli.admin import sql
from restate_cli.admin.client import AdminClient
from restate_cli.admin.errors import ApiError
from restate_cli.admin.models import Invocation, JournalEntry
from restate_cli.errors import NotFound

BATCH = 500  # ids per IN (...) list
MAX_NODES = 10_000  # descendants read at most, per tree or per impact preview
MAX_CALLERS = 64  # callers followed upwards at most

# How an invocation was started, seen from its parent (or, for a root, from outside).
CALL = "call"  # awaited call
SEND = "send"  # one-way send
DELAYED_SEND = "delayed_send"  # one-way send with a delay
INGRESS = "ingress"
SUBSCRIPTION = "subscription"
RESTART = "restart_as_new"
UNKNOWN = "unknown"  # the parent's journal does not say (purged, or not retained)

GONE = "gone"  # the status of an invocation that is referenced but no longer exists


@dataclass(frozen=True)
class Relation:
    kind: str
    due_at: datetime | None = None  # delayed sends: when the child is (or was) due to start
    journal_index: int | None = None  # the parent's journal entry that started the child


@dataclass
class Node:
    """One invocation in a call tree. ``inv`` is None when it no longer exists."""

    id: str
    inv: Invocation | None
    relation: Relation
    parent_id: str | None = None
    depth: int = 0  # levels below the invocation asked about (callers are negative)
    target_hint: str = ""  # where a gone invocation's target is known from
    children: list[Node] = field(default_factory=list)
    children_not_shown: int = 0  # started, but not read (depth limit, size cap, or callers)

    @property
    def status(self) -> str:
        return self.inv.status if self.inv is not None else GONE

    @property
    def target(self) -> str:
        return self.inv.target if self.inv is not None else self.target_hint

    @property
    def gone(self) -> bool:
        return self.inv is None

    @property
    def completed(self) -> bool:
        return self.inv is not None and self.inv.status == "completed"

    def walk(self) -> Iterable[Node]:
        """This node and every node below it, depth first, in order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


@dataclass
class CallTree:
    """The call tree one invocation (the focus) belongs to: from its root, or (``subtree``)
    from the focus itself."""

    root: Node
    focus: Node
    callers: list[Node]  # root first, the focus's parent last
    truncated: bool  # MAX_NODES was reached: some invocations were not read
    max_depth: int | None  # levels read below the focus
    queries: int
    subtree: bool = False

    @property
    def descendants(self) -> int:
        return sum(1 for _ in self.focus.walk()) - 1

    @property
    def size(self) -> int:
        """Invocations in the tree as read (the focus, callers, descendants and the rest)."""
        return sum(1 for _ in self.root.walk())


@dataclass
class Forest:
    """Several invocations with all their descendants (the impact preview reads this)."""

    roots: list[Node]
    truncated: bool
    queries: int


@dataclass(frozen=True)
class ChildSummary:
    """How many invocations one invocation started, by relation and status."""

    total: int
    by_relation: dict[str, dict[str, int]]  # relation -> status -> count
    truncated: bool


@dataclass(frozen=True)
class Family:
    """For ``describe``: the parent, how it started this invocation, and the children."""

    parent: Node | None
    relation: Relation
    children: ChildSummary


def relation_of_root(inv: Invocation) -> Relation:
    if inv.invoked_by_subscription_id or inv.invoked_by == "subscription":
        return Relation(SUBSCRIPTION)
    if inv.invoked_by == "restart_as_new":
        return Relation(RESTART)
    if inv.invoked_by == "service" or inv.invoked_by_id:
        return Relation(UNKNOWN)
    return Relation(INGRESS)


@dataclass(frozen=True)
class _Call:
    parent_id: str
    child_id: str
    target: str
    relation: Relation


def _calls(rows: Iterable[dict[str, Any]]) -> dict[str, list[_Call]]:
    """Journal rows of ``sql.journal_calls`` → the calls each parent made, in journal order."""
    from restate_cli.admin.models import call_of

    out: dict[str, list[_Call]] = {}
    for row in sorted(rows, key=lambda r: (str(r.get("id")), int(r.get("idx") or 0))):
        entry = JournalEntry.from_row(row)
        call = call_of(entry)
        if call is None or not call.get("invocation_id") or not row.get("id"):
            continue
        if call["kind"] == "call":
            relation = Relation(CALL, journal_index=entry.index)
        elif call.get("invoke_time"):
            due = datetime.fromtimestamp(int(call["invoke_time"]) / 1000, UTC)
            relation = Relation(DELAYED_SEND, due, entry.index)
        else:
            relation = Relation(SEND, journal_index=entry.index)
        parent = str(row["id"])
        out.setdefault(parent, []).append(
            _Call(parent, str(call["invocation_id"]), call.get("target") or "", relation)
        )
    return out


def _fallback_relation(inv: Invocation) -> Relation:
    """When the parent's journal does not say: a scheduled start still tells a delayed send."""
    if inv.scheduled_start_at is not None:
        return Relation(DELAYED_SEND, inv.scheduled_start_at)
    return Relation(UNKNOWN)


def _batches(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[i : i + BATCH]) for i in range(0, len(ids), BATCH)]


class TreeReader:
    """Reads call trees through one admin client, counting the queries it sends."""

    def __init__(self, client: AdminClient) -> None:
        self.client = client
        self.queries = 0
        self._lite_journal = True

    async def _query(self, statement: str) -> list[dict[str, Any]]:
        self.queries += 1
        return await self.client.query(statement)

    async def _each_batch(self, ids: Sequence[str], build) -> list[dict[str, Any]]:
        results = await asyncio.gather(*(self._query(build(b)) for b in _batches(ids)))
        return [row for rows in results for row in rows]

    async def invocations(self, ids: Sequence[str]) -> dict[str, Invocation]:
        rows = await self._each_batch(list(dict.fromkeys(ids)), sql.tree_nodes)
        return {str(r["id"]): Invocation.model_validate(r) for r in rows if "id" in r}

    async def calls(self, ids: Sequence[str]) -> dict[str, list[_Call]]:
        """The calls recorded in these journals; empty when the server has no V2 journal."""
        if not ids:
            return {}
        try:
            rows = await self._each_batch(ids, lambda b: sql.journal_calls(b, lite=self._lite_journal))
        except ApiError as e:
            if self._lite_journal:
                self._lite_journal = False  # a server without entry_lite_json: try entry_json
                return await self.calls(ids)
            if "No field named" in e.server_message or e.status >= 500:
                return {}  # a server without the V2 journal columns
            raise
        return _calls(rows)

    async def _children(self, ids: Sequence[str], limit: int) -> list[Invocation]:
        rows = await self._each_batch(ids, lambda b: sql.tree_children(b, limit=limit))
        return [Invocation.model_validate(r) for r in rows]

    async def by_query(
        self, query: str, ids: Sequence[str], limit: int
    ) -> tuple[dict[str, Invocation], list[Invocation]]:
        """``invocations(ids)`` and ``_children(ids, limit)`` for ``ids`` that a bulk
        QUERY selected, read by that QUERY: two scans, however many ids. What those two
        reads leave out (rows cut by their limits, or changed since) is read by id."""
        wanted = set(ids)
        rows_cap, kids_cap = 2 * len(wanted) + 1, 4 * limit
        rows, kids = await asyncio.gather(
            self._query(sql.tree_by_query(query, limit=rows_cap)),
            self._query(sql.tree_children_by_query(query, limit=kids_cap)),
        )
        found = {str(r["id"]): Invocation.model_validate(r) for r in rows if r.get("id") in wanted}
        missing = [i for i in ids if i not in found]
        if missing:
            found.update(await self.invocations(missing))
        if len(kids) >= kids_cap:
            return found, await self._children(ids, limit)
        children = [Invocation.model_validate(r) for r in kids if r.get("invoked_by_id") in wanted]
        return found, children[:limit]

    async def child_counts(self, ids: Sequence[str]) -> dict[str, int]:
        if not ids:
            return {}
        rows = await self._each_batch(ids, sql.tree_child_counts)
        return {str(r["invoked_by_id"]): int(r.get("n", 0)) for r in rows if "invoked_by_id" in r}

    # -- downwards --------------------------------------------------------------------

    async def descend(
        self,
        starts: Sequence[Node],
        *,
        depth: int | None = None,
        max_nodes: int = MAX_NODES,
        count_hidden: bool = True,
        first: tuple[list[Invocation], dict[str, list[_Call]]] | None = None,
    ) -> bool:
        """Attach every descendant of ``starts`` (down to ``depth`` levels) as children.

        Returns True when ``max_nodes`` cut the walk short. Invocations that a journal
        names but that no longer exist become ``gone`` leaves. With ``count_hidden``, the
        nodes of the last level read learn how many children they have beyond it.
        ``first``: the children and calls of ``starts``, if they have been read already.
        """
        seen = {n.id for n in starts}
        frontier = list(starts)
        read = 0
        level = 0
        truncated = False
        while frontier and (depth is None or level < depth):
            by_id = {n.id: n for n in frontier}
            ids = list(by_id)
            room = max_nodes - read
            if first is not None:
                (rows, calls), first = first, None
            else:
                rows, calls = await asyncio.gather(
                    self._children(ids, room + 1), self.calls([n.id for n in frontier if not n.gone])
                )
            if len(rows) > room:
                rows, truncated = rows[:room], True
            found = {inv.id: inv for inv in rows if inv.id not in seen}
            missing = [
                c.child_id
                for cs in calls.values()
                for c in cs
                if c.child_id not in found and c.child_id not in seen
            ]
            if missing and not truncated:
                # Started after the children were read? Then they exist: read them too.
                found.update(await self.invocations(missing))
            placed: set[str] = set()
            next_frontier: list[Node] = []
            for parent_id, parent_calls in calls.items():
                parent = by_id.get(parent_id)
                if parent is None:
                    continue
                for c in parent_calls:
                    if c.child_id in seen or c.child_id in placed:
                        continue
                    inv = found.get(c.child_id)
                    if inv is None and truncated:
                        continue
                    node = Node(c.child_id, inv, c.relation, parent_id, parent.depth + 1, c.target)
                    parent.children.append(node)
                    placed.add(c.child_id)
                    next_frontier.append(node)
            for inv in rows:  # started, but not in the parent's journal (or no journal)
                if inv.id in seen or inv.id in placed or inv.invoked_by_id not in by_id:
                    continue
                parent = by_id[inv.invoked_by_id]
                node = Node(inv.id, inv, _fallback_relation(inv), parent.id, parent.depth + 1)
                parent.children.append(node)
                placed.add(inv.id)
                next_frontier.append(node)
            seen |= placed
            read += len(placed)
            frontier = next_frontier
            level += 1
            if truncated or read >= max_nodes:
                break
        full = read >= max_nodes and not truncated  # stopped at the cap: anything below?
        if frontier and (count_hidden or full):
            counts = await self.child_counts([n.id for n in frontier])
            for n in frontier:
                n.children_not_shown = counts.get(n.id, 0)
            truncated = truncated or (full and any(counts.values()))
        return truncated

    # -- upwards ----------------------------------------------------------------------

    async def callers(self, inv: Invocation) -> list[Node]:
        """The chain of callers of ``inv``, root first; a caller that no longer exists
        ends the chain as a ``gone`` node."""
        chain: list[Node] = []
        current = inv
        seen = {inv.id}
        while current.invoked_by_id and len(chain) < MAX_CALLERS:
            parent_id = current.invoked_by_id
            if parent_id in seen:
                break
            seen.add(parent_id)
            found = await self.invocations([parent_id])
            if parent_id not in found:
                chain.append(
                    Node(
                        parent_id,
                        None,
                        Relation(UNKNOWN),
                        target_hint=current.invoked_by_target or "",
                    )
                )
                break
            current = found[parent_id]
            chain.append(Node(current.id, current, relation_of_root(current)))
        chain.reverse()
        return chain


async def fetch_tree(
    client: AdminClient,
    invocation_id: str,
    *,
    depth: int | None = None,
    subtree: bool = False,
    max_nodes: int = MAX_NODES,
) -> CallTree:
    """The whole call tree ``invocation_id`` belongs to, from its root (its callers, their
    other children, and so on), down to ``depth`` levels below ``invocation_id`` (all of
    them when None); with ``subtree``, only ``invocation_id`` and its descendants."""
    reader = TreeReader(client)
    found = await reader.invocations([invocation_id])
    if invocation_id not in found:
        raise NotFound(f"invocation {invocation_id} not found on {client.server}")
    inv = found[invocation_id]
    chain = await reader.callers(inv)
    if chain and not subtree:
        tree = await _whole_tree(reader, chain, invocation_id, depth, max_nodes)
        if tree is not None:
            return tree
    # Only the invocation and its descendants (asked for, or the whole tree was cut short
    # above it), with the chain of callers above it.
    focus = Node(inv.id, inv, relation_of_root(inv))
    path = [*chain, focus]
    links, counts, truncated = await asyncio.gather(
        reader.calls([n.id for n in chain if not n.gone]),
        reader.child_counts([n.id for n in chain]),
        reader.descend([focus], depth=depth, max_nodes=max_nodes),
    )
    for i, (parent, child) in enumerate(pairwise(path)):
        made = next((c for c in links.get(parent.id, []) if c.child_id == child.id), None)
        if made is not None:
            child.relation = made.relation
        elif child.inv is not None:
            child.relation = _fallback_relation(child.inv)
        child.parent_id = parent.id
        parent.children = [child]
        parent.children_not_shown = max(counts.get(parent.id, 0) - 1, 0)
        parent.depth = i - len(chain)
    root = focus if subtree else path[0]
    cut = bool(chain) and not subtree  # the whole tree was too large to reach this one
    return CallTree(root, focus, chain, truncated or cut, depth, reader.queries, subtree=subtree)


async def _whole_tree(
    reader: TreeReader, chain: list[Node], invocation_id: str, depth: int | None, max_nodes: int
) -> CallTree | None:
    """Everything below the root of ``chain``, with depths counted from ``invocation_id``;
    None when the tree was cut before it reached ``invocation_id``."""
    root = chain[0]
    root.depth = -len(chain)
    root.children, root.children_not_shown = [], 0
    levels = None if depth is None else len(chain) + depth
    truncated = await reader.descend([root], depth=levels, max_nodes=max_nodes)
    by_id = {n.id: n for n in root.walk()}
    focus = by_id.get(invocation_id)
    if focus is None:
        return None
    callers: list[Node] = []
    node = focus
    while node.parent_id is not None and node.parent_id in by_id:
        node = by_id[node.parent_id]
        callers.append(node)
    callers.reverse()
    return CallTree(root, focus, callers, truncated, depth, reader.queries)


async def fetch_forest(
    client: AdminClient,
    invocation_ids: Sequence[str],
    *,
    max_nodes: int = MAX_NODES,
    query: str | None = None,
) -> Forest:
    """These invocations (those that still exist) and all their descendants.

    Journals are read only for the invocations that have children on record. The others
    have started nothing that is still there: a child that is gone can no longer be
    reached by an action, so it is left out, and so is what it started in turn (``tree``
    shows those, under the gone node). Most selections have no children at all, and
    their journals are the most expensive read. ``query``: the bulk action's QUERY that
    selected them (not completed), to read them and their children by it.
    """
    reader = TreeReader(client)
    if query is not None:
        found, children = await reader.by_query(query, invocation_ids, max_nodes + 1)
    else:
        found, children = await asyncio.gather(
            reader.invocations(invocation_ids), reader._children(invocation_ids, max_nodes + 1)
        )
    parents = {c.invoked_by_id for c in children}
    calls = await reader.calls([i for i in invocation_ids if i in parents])
    roots = [Node(i, found[i], relation_of_root(found[i])) for i in invocation_ids if i in found]
    truncated = await reader.descend(roots, max_nodes=max_nodes, first=(children, calls))
    return Forest(roots, truncated, reader.queries)


async def fetch_family(client: AdminClient, inv: Invocation, *, max_children: int = MAX_NODES) -> Family:
    """The parent of ``inv`` (how it started ``inv``) and a summary of its children."""
    reader = TreeReader(client)
    me = Node(inv.id, inv, relation_of_root(inv))

    async def parent() -> Node | None:
        if not inv.invoked_by_id:
            return None
        found, links = await asyncio.gather(
            reader.invocations([inv.invoked_by_id]), reader.calls([inv.invoked_by_id])
        )
        node = Node(
            inv.invoked_by_id,
            found.get(inv.invoked_by_id),
            Relation(UNKNOWN),
            target_hint=inv.invoked_by_target or "",
        )
        made = next((c for c in links.get(node.id, []) if c.child_id == inv.id), None)
        me.relation = made.relation if made is not None else _fallback_relation(inv)
        return node

    parent_node, truncated = await asyncio.gather(
        parent(), reader.descend([me], depth=1, max_nodes=max_children, count_hidden=False)
    )
    by_relation: dict[str, dict[str, int]] = {}
    for child in me.children:
        statuses = by_relation.setdefault(child.relation.kind, {})
        statuses[child.status] = statuses.get(child.status, 0) + 1
    total = len(me.children)
    return Family(parent_node, me.relation, ChildSummary(total, by_relation, truncated))


__all__ = [
    "CALL",
    "DELAYED_SEND",
    "GONE",
    "INGRESS",
    "RESTART",
    "SEND",
    "SUBSCRIPTION",
    "UNKNOWN",
    "CallTree",
    "ChildSummary",
    "Family",
    "Forest",
    "Node",
    "Relation",
    "TreeReader",
    "fetch_family",
    "fetch_forest",
    "fetch_tree",
]
