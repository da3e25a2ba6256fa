"""What cancel and kill reach in the call trees of the invocations they act on, and what
actually happened to each of those invocations afterwards.

The rules (admin-api.md §8; restate-server 1.6.2 measured the same way):

- cancel, on every server: a cancelled handler passes the cancellation on to the calls it
  awaits (the SDK sends them the cancel signal); one-way and delayed sends are detached and
  keep running.
- kill on the embedded runtime: the documented semantics, the awaited calls only.
- kill on restate-server: every descendant, one-way sends included, and delayed sends that
  have not started yet are deleted. Measured on 1.6.2 and 1.7.12; other versions are
  assumed to behave the same, which errs on the side of showing more.
- Neither goes past an invocation that has already completed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from restate_cli.admin import tree as t
from restate_cli.admin.client import AdminClient, ServerInfo
from restate_cli.admin.models import Invocation

SETTLE_SECONDS = 3.0  # how long to wait, at most, for reached invocations to end
SETTLE_INTERVAL = 0.2
MEASURED_KILL = ((1, 6), (1, 7))  # restate-server minor versions whose kill was measured

# Why an invocation is reached, or not.
SELECTED = "selected"  # the action acts on it directly
REACHED_AWAITED = "awaited"  # an awaited call of a reached invocation
REACHED_SEND = "send"  # a one-way send of a reached invocation (kill on restate-server)
REACHED_DELAYED = "delayed_send"  # a delayed send of a reached invocation (ditto)
REACHED_UNKNOWN = "unknown"  # started by a reached invocation in a way its journal hides
DETACHED = "detached"  # a one-way or delayed send: the action does not follow it
NOT_KNOWN = "relation_unknown"  # its caller's journal does not say how it was started
BELOW_UNREACHED = "below_unreached"  # under an invocation that is not reached
BELOW_COMPLETED = "below_completed"  # under an invocation that has already completed
BELOW_GONE = "below_gone"  # under an invocation that no longer exists

# Why a reached invocation may not end as expected.
NO_AWAIT_YET = "no_await_yet"  # backing off, and no attempt got past its input: a cancel
# takes effect at the handler's next await, which it has never reached (kill stops it)

_REACHED_BY = {
    t.CALL: REACHED_AWAITED,
    t.SEND: REACHED_SEND,
    t.DELAYED_SEND: REACHED_DELAYED,
    t.UNKNOWN: REACHED_UNKNOWN,
}


@dataclass(frozen=True)
class Rule:
    """Which relations an action follows down a call tree, on which server, and why."""

    action: str  # cancel | kill
    follows: frozenset[str]
    server: str  # ServerInfo.kind
    basis: str  # documented | measured | assumed
    summary: str

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.action,
            "follows": sorted(self.follows),
            "server": self.server,
            "basis": self.basis,
            "summary": self.summary,
        }


def rule_for(action: str, info: ServerInfo) -> Rule:
    kind = info.kind
    if action == "cancel":
        return Rule(
            "cancel",
            frozenset({t.CALL}),
            kind,
            "documented",
            "cancel reaches the awaited calls: at its next await, each cancelled handler "
            "passes the cancellation on to the calls it awaits; one-way and delayed sends "
            "are detached and keep running",
        )
    if info.embedded:
        return Rule(
            "kill",
            frozenset({t.CALL}),
            kind,
            "documented",
            f"kill on the {kind} follows the Restate documentation: awaited calls are killed "
            "with their caller; one-way and delayed sends are detached and survive",
        )
    every = frozenset({t.CALL, t.SEND, t.DELAYED_SEND, t.UNKNOWN})
    measured = info.version_tuple[:2] in MEASURED_KILL
    return Rule(
        "kill",
        every,
        kind,
        "measured" if measured else "assumed",
        (
            f"kill on {kind} reaches every descendant: one-way sends are killed too, and "
            "delayed sends that have not started are deleted"
            + (
                " (measured on restate-server 1.6.2 and 1.7.12; the documentation says "
                "one-way and delayed sends survive)"
                if measured
                else " (not measured on this version: assuming what restate-server 1.6.2 and "
                "1.7.12 do, which shows the most the kill can reach)"
            )
        ),
    )


@dataclass
class Reach:
    """One invocation of a selected invocation's call tree, as the action will find it."""

    node: t.Node
    selected_id: str  # the selected invocation whose tree it is in
    reached: bool
    reason: str
    via: str | None = None  # the invocation the reason refers to (caller or blocker)
    expected: str = "unchanged"  # cancelled | killed | deleted | unchanged
    after: Invocation | None = None  # the row after the action; None: gone
    checked: bool = False  # ``after`` has been read
    caveat: str | None = None  # NO_AWAIT_YET

    @property
    def ended(self) -> bool:
        return self.checked and (self.after is None or self.after.status == "completed")

    @property
    def waiting(self) -> bool:
        """Checked, reached, not ended, and that was foreseen (``caveat``)."""
        return self.checked and self.reached and self.caveat is not None and not self.ended

    @property
    def outcome(self) -> str:
        """``gone``, ``completed [409] killed``, ``completed with success``, ``still running``."""
        if not self.checked:
            return "not checked"
        inv = self.after
        if inv is None:
            return "gone"
        if inv.status == "completed":
            if inv.completion_result == "failure":
                return f"completed {inv.completion_failure or 'with failure'}"
            return "completed with success"
        return f"still {inv.status}"

    @property
    def as_expected(self) -> bool | None:
        """None when not checked, or still ``waiting`` as the preview warned."""
        if not self.checked or self.waiting:
            return None
        inv = self.after
        if self.reached:
            return self.ended
        if inv is None:
            return False
        failure = inv.completion_failure or ""
        stopped = failure.startswith("[409]") and ("killed" in failure or "cancel" in failure)
        return not (inv.status == "completed" and stopped)


@dataclass
class Impact:
    rule: Rule
    roots: list[t.Node]
    entries: dict[str, Reach]  # every listed invocation: selected, reached, not reached
    completed: int  # descendants that had already completed (left out of the lists)
    truncated: bool
    queries: int
    settle_seconds: float | None = None
    shown: set[str] = field(default_factory=set)

    @property
    def selected(self) -> list[Reach]:
        return [e for e in self.entries.values() if e.reason == SELECTED]

    @property
    def reached(self) -> list[Reach]:
        return [e for e in self.entries.values() if e.reached and e.reason != SELECTED]

    @property
    def not_reached(self) -> list[Reach]:
        return [e for e in self.entries.values() if not e.reached]

    @property
    def no_await_yet(self) -> list[Reach]:
        """Reached, but backing off without ever having awaited: a cancel may never land."""
        return [e for e in self.entries.values() if e.caveat == NO_AWAIT_YET]

    def children(self, node: t.Node) -> list[t.Node]:
        """The children worth showing: listed, or with listed invocations below them."""
        return [c for c in node.children if c.id in self.shown]


def _caveat(action: str, node: t.Node) -> str | None:
    inv = node.inv
    if action != "cancel" or inv is None or inv.status != "backing-off":
        return None
    if inv.journal_commands_size is not None and inv.journal_commands_size <= 1:
        return NO_AWAIT_YET  # only its input: no attempt ever reached an await
    return None


def _expected(action: str, node: t.Node) -> str:
    if node.status in ("pending", "scheduled"):
        return "deleted"
    return "cancelled" if action == "cancel" else "killed"


def assess(rule: Rule, forest: t.Forest) -> Impact:
    """Walk each selected invocation's tree and decide, for every invocation still running
    in it, whether the action reaches it, and why."""
    entries: dict[str, Reach] = {}
    completed = 0
    # (node, selected id, the invocation that stops the action above it, and why)
    stack: list[tuple[t.Node, str, str | None, str | None]] = []
    for root in forest.roots:
        entries[root.id] = Reach(root, root.id, True, SELECTED, expected=_expected(rule.action, root))
        blocker = root.id if root.completed else None
        stack.extend((c, root.id, blocker, BELOW_COMPLETED) for c in reversed(root.children))
    while stack:
        node, selected, blocker, why = stack.pop()
        below: tuple[str | None, str | None]
        if node.gone or node.completed:
            if node.completed:
                completed += 1
            below = (blocker, why) if blocker else (node.id, BELOW_GONE if node.gone else BELOW_COMPLETED)
        elif blocker is not None:
            entries[node.id] = Reach(node, selected, False, why or BELOW_UNREACHED, blocker)
            below = (blocker, why)
        elif node.relation.kind in rule.follows:
            entries[node.id] = Reach(
                node,
                selected,
                True,
                _REACHED_BY.get(node.relation.kind, REACHED_UNKNOWN),
                node.parent_id,
                _expected(rule.action, node),
            )
            below = (None, None)
        else:
            reason = DETACHED if node.relation.kind in (t.SEND, t.DELAYED_SEND) else NOT_KNOWN
            entries[node.id] = Reach(node, selected, False, reason, node.parent_id)
            below = (node.id, BELOW_UNREACHED)
        stack.extend((c, selected, *below) for c in reversed(node.children))
    for entry in entries.values():
        if entry.reached:
            entry.caveat = _caveat(rule.action, entry.node)
    impact = Impact(rule, forest.roots, entries, completed, forest.truncated, forest.queries)
    impact.shown = _shown(forest.roots, entries)
    return impact


def _shown(roots: Iterable[t.Node], entries: dict[str, Reach]) -> set[str]:
    """Listed invocations and the (completed or gone) ones on the way to them."""
    shown: set[str] = set()
    order = [n for r in roots for n in r.walk()]
    for node in reversed(order):  # children before their parents
        if node.id in entries or any(c.id in shown for c in node.children):
            shown.add(node.id)
    return shown


async def preview(
    client: AdminClient,
    action: str,
    invocation_ids: Sequence[str],
    *,
    max_nodes: int = t.MAX_NODES,
    query: str | None = None,
) -> Impact:
    """Read the call trees under ``invocation_ids`` (selected by ``query``, if given) and
    assess ``action`` on them."""
    info = await client.info()
    if info.embedded:
        query = None  # its store finds invocations by id at once, but by target only by a scan
    forest = await t.fetch_forest(client, invocation_ids, max_nodes=max_nodes, query=query)
    return assess(rule_for(action, info), forest)


async def settle(
    client: AdminClient,
    impact: Impact,
    acted_on: Iterable[str],
    *,
    timeout: float = SETTLE_SECONDS,
    interval: float = SETTLE_INTERVAL,
) -> float:
    """Re-read every listed invocation until those the action reached have ended (or
    ``timeout`` passes); return how long it took. Only the trees of ``acted_on`` (the
    selected invocations whose request succeeded) are waited for."""
    acted = set(acted_on)
    reader = t.TreeReader(client)
    ids = list(impact.entries)
    started = time.monotonic()
    settled = False  # everything reached has ended once; one more read catches stragglers
    while True:
        found = await reader.invocations(ids)
        for entry in impact.entries.values():
            entry.after, entry.checked = found.get(entry.node.id), True
        waiting = [
            e
            for e in impact.entries.values()
            if e.reached
            and e.caveat is None  # nothing to wait for: it may not end at all
            and e.selected_id in acted
            and e.after is not None
            and e.after.status != "completed"
        ]
        if (not waiting and settled) or time.monotonic() - started + interval > timeout:
            break
        settled = not waiting
        await asyncio.sleep(interval)
    impact.settle_seconds = time.monotonic() - started
    return impact.settle_seconds
