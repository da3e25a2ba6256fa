"""What cancel and kill print about call trees: the impact preview before confirming, and
what actually happened to each previewed invocation afterwards."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from rich.text import Text

from restate_cli.admin import impact as im
from restate_cli.admin import tree as t
from restate_cli.admin.record import utc_iso
from restate_cli.io import IO
from restate_cli.render.output import OutputOptions, success, tip, warn
from restate_cli.render.tree import guided, guided_table, relation_label, relation_text, status_text

ACTION_STYLE = {"cancel": "magenta", "kill": "bold red"}


def _reached_text(entry: im.Reach, action: str) -> str:
    word = entry.expected
    if entry.caveat == im.NO_AWAIT_YET:
        word += " at its next await, if it reaches one (none so far)"
    if entry.reason == im.SELECTED:
        return word
    return f"{word} through its caller" if action == "cancel" else f"{word} with its caller"


def _not_reached_text(entry: im.Reach) -> str:
    node = entry.node
    if entry.reason == im.DETACHED:
        stays = "stays scheduled" if node.status == "scheduled" else "keeps running"
        return f"not reached: detached, {stays}"
    if entry.reason == im.NOT_KNOWN:
        return "not reached (assumed): its caller's journal does not say how it started"
    if entry.reason == im.BELOW_COMPLETED:
        return "not reached: below an invocation that has completed"
    if entry.reason == im.BELOW_GONE:
        return "not reached: below an invocation that no longer exists"
    return "not reached: below an invocation that is not reached"


def effect_text(impact: im.Impact, node: t.Node) -> Text:
    entry = impact.entries.get(node.id)
    if entry is None:
        return Text("already completed" if node.completed else "no longer exists", style="dim")
    if entry.reached:
        return Text(_reached_text(entry, impact.rule.action), style=ACTION_STYLE.get(impact.rule.action, ""))
    return Text(_not_reached_text(entry), style="green")


def _relation_cell(impact: im.Impact, node: t.Node, now: datetime, fmt: str) -> Text:
    entry = impact.entries.get(node.id)
    if entry is not None and entry.reason == im.SELECTED:
        return Text("selected", style="bold")
    return relation_text(node, now, fmt)


def _roots_to_show(impact: im.Impact, *, every_root: bool) -> list[t.Node]:
    return [r for r in impact.roots if every_root or impact.children(r)]


def print_preview(io: IO, opts: OutputOptions, impact: im.Impact, now: datetime, max_rows: int) -> None:
    """The selected invocations' call trees, each invocation with what the action does to it."""
    console = io.console()
    roots = _roots_to_show(impact, every_root=False)
    if not roots:
        line = "None of these invocations started others that are still running."
        if impact.completed:
            line = line[:-1] + f" ({impact.completed} completed ones are left as they are)."
        console.print(line)
        _no_await_tip(io, impact)
        console.print()
        return
    console.print(Text("Impact: ", style="bold") + Text(impact.rule.summary + "."))
    fmt = opts.time_format
    rows = guided(roots, impact.children)
    block = guided_table(
        rows[:max_rows],
        ("INVOCATION", "TARGET", "STATUS", "RELATION", "EFFECT"),
        lambda n: (
            Text(n.target),
            status_text(n),
            _relation_cell(impact, n, now, fmt),
            effect_text(impact, n),
        ),
        opts=opts,
    )
    console.print(block, soft_wrap=True)
    if len(rows) > max_rows:
        console.print(f"And {len(rows) - max_rows} other invocations. {_effects(impact)}")
    console.print(_tally(impact))
    _no_await_tip(io, impact)
    if impact.truncated:
        warn(
            io,
            f"The call trees have more than {t.MAX_NODES:,} invocations: only part of them was checked",
        )
    console.print()


def _no_await_tip(io: IO, impact: im.Impact) -> None:
    """Cancel is cooperative: say so for invocations that have never reached an await."""
    stuck = impact.no_await_yet
    if not stuck:
        return
    n = len(stuck)
    which = stuck[0].node.id if n == 1 else f"{n} of these invocations"
    ids = " ".join(e.node.id for e in stuck[:3]) + (" ..." if n > 3 else "")
    io.out.flush()  # after the preview so far, on a terminal
    tip(
        io,
        f"{which} {'is' if n == 1 else 'are'} backing off and no attempt has reached an await: "
        "a cancel takes effect at the handler's next suspension point (an await on the Restate "
        f"context), which {'it' if n == 1 else 'they'} may never reach. "
        f"To stop {'it' if n == 1 else 'them'} now: restate-cli invocations kill {ids}",
    )


def _tally(impact: im.Impact) -> str:
    reached = impact.reached
    by = Counter(e.node.relation.kind for e in reached)
    parts = [f"{n} {relation_label(kind, n)}" for kind, n in by.items()]
    verb = impact.rule.action
    text = f"The {verb} reaches {len(reached)} more invocation{'s' if len(reached) != 1 else ''}"
    if parts:
        text += f" ({', '.join(parts)})"
    n = len(impact.not_reached)
    text += f"; {n} {'is' if n == 1 else 'are'} not reached"
    if impact.completed:
        text += f"; {impact.completed} already completed"
    return text + "."


def _effects(impact: im.Impact) -> str:
    """``Effects: 9000 killed, 1000 unchanged.`` over every invocation of the preview."""
    by = Counter(e.expected for e in impact.entries.values())
    return "Effects: " + ", ".join(f"{n} {what}" for what, n in by.most_common()) + "."


@contextmanager
def checking(io: IO) -> Iterator[None]:
    """A spinner on an interactive stderr while the outcome is read back."""
    if not io.progress_ok:
        yield
        return
    with io.console(stderr=True).status("Checking what happened…"):
        yield


def print_after(io: IO, opts: OutputOptions, impact: im.Impact, now: datetime, max_rows: int) -> None:
    """What each previewed invocation looks like now, against what the preview said."""
    if impact.settle_seconds is None:
        return
    console = io.console()
    rows = guided(_roots_to_show(impact, every_root=True), impact.children)
    console.print()
    console.print(
        Text("What happened", style="bold")
        + Text(f" (checked {impact.settle_seconds:.1f} s after the {impact.rule.action}):")
    )

    def now_cell(n: t.Node) -> Text:
        entry = impact.entries.get(n.id)
        if entry is None:
            return Text("")
        text = Text(entry.outcome, style="green" if entry.as_expected else "yellow")
        if entry.as_expected is False:
            text.append("  (not as previewed)", style="bold yellow")
        elif entry.waiting:
            text.append("  (the cancel waits for an await)", style="yellow")
        return text

    def expected_cell(n: t.Node) -> Text:
        entry = impact.entries.get(n.id)
        if entry is None:
            return Text("already completed" if n.completed else "no longer exists", style="dim")
        if not entry.reached:
            return Text("not reached")
        return Text(entry.expected + (" at its next await" if entry.caveat == im.NO_AWAIT_YET else ""))

    block = guided_table(
        rows[:max_rows],
        ("INVOCATION", "TARGET", "RELATION", "PREVIEW", "NOW"),
        lambda n: (
            Text(n.target),
            _relation_cell(impact, n, now, opts.time_format),
            expected_cell(n),
            now_cell(n),
        ),
        opts=opts,
    )
    console.print(block, soft_wrap=True)
    if len(rows) > max_rows:
        outcomes = Counter(e.outcome for e in impact.entries.values())
        now_parts = ", ".join(f"{n} {what}" for what, n in outcomes.most_common())
        console.print(f"And {len(rows) - max_rows} other invocations. Now: {now_parts}.")
    entries = list(impact.entries.values())
    off = [e for e in entries if e.as_expected is False]
    waiting = [e for e in entries if e.waiting]
    if off:
        warn(
            io,
            f"{len(off)} of {len(entries)} invocation{'s' if len(entries) != 1 else ''} "
            "did not end up as previewed",
        )
    elif waiting:
        ids = " ".join(e.node.id for e in waiting[:3]) + (" ..." if len(waiting) > 3 else "")
        warn(
            io,
            f"{len(waiting)} of {len(entries)} invocation{'s' if len(entries) != 1 else ''} still "
            f"wait{'s' if len(waiting) == 1 else ''} for an await to take the cancel; "
            f"to stop {'it' if len(waiting) == 1 else 'them'} now: restate-cli invocations kill {ids}",
        )
    else:
        n = len(entries)
        who = {1: "The invocation", 2: "Both invocations"}.get(n, f"All {n} invocations")
        success(io, f"{who} ended up as previewed")


# -- JSON -----------------------------------------------------------------------------------


def _entry_json(entry: im.Reach, *, after: bool) -> dict[str, Any]:
    node, inv = entry.node, entry.node.inv
    data: dict[str, Any] = {
        "id": node.id,
        "target": node.target or None,
        "status": node.status,
        "depth": node.depth,
        "parent_id": node.parent_id,
        "selected_id": entry.selected_id,
        "relation": None if entry.reason == im.SELECTED else node.relation.kind,
        "due_at": utc_iso(node.relation.due_at) if node.relation.due_at else None,
        "reached": entry.reached,
        "reason": entry.reason,
        "via": entry.via,
        "expected": entry.expected if entry.reached else "not_reached",
        "caveat": entry.caveat,
    }
    if inv is not None and inv.status == "completed":
        data["completion_failure"] = inv.completion_failure
    if after:
        now = entry.after
        data["after"] = (
            None
            if not entry.checked
            else {
                "status": now.status if now is not None else t.GONE,
                "completion_result": now.completion_result if now is not None else None,
                "completion_failure": now.completion_failure if now is not None else None,
                "outcome": entry.outcome,
                "as_expected": entry.as_expected,
            }
        )
    return data


def impact_json(impact: im.Impact, *, after: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rule": impact.rule.to_json(),
        "selected": [_entry_json(e, after=after) for e in impact.selected],
        "reached": [_entry_json(e, after=after) for e in impact.reached],
        "not_reached": [_entry_json(e, after=after) for e in impact.not_reached],
        "completed_descendants": impact.completed,
        "truncated": impact.truncated,
    }
    if after:
        data["checked_after_ms"] = (
            round(impact.settle_seconds * 1000) if impact.settle_seconds is not None else None
        )
    return data
