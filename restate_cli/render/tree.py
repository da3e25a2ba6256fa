"""How call trees look: the guided table of ``invocations tree``, its JSON and rows, and
the parent and children lines of ``describe``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.text import Text

from restate_cli.admin import tree as t
from restate_cli.admin.record import utc_iso
from restate_cli.io import IO
from restate_cli.render import timefmt
from restate_cli.render.invocations import status_word
from restate_cli.render.output import OutputOptions, new_table, notice, warn

RELATION_LABELS = {
    t.CALL: ("awaited call", "awaited calls"),
    t.SEND: ("one-way send", "one-way sends"),
    t.DELAYED_SEND: ("delayed send", "delayed sends"),
    t.INGRESS: ("ingress", "ingress"),
    t.SUBSCRIPTION: ("subscription", "subscriptions"),
    t.RESTART: ("restart", "restarts"),
    t.UNKNOWN: ("started by an unknown call", "started by unknown calls"),
}
FOCUS_MARK = "◀ this"


def relation_label(kind: str, n: int = 1) -> str:
    singular, plural = RELATION_LABELS.get(kind, (kind, kind))
    return singular if n == 1 else plural


def relation_text(node: t.Node, now: datetime, fmt: str) -> Text:
    """``awaited call``, ``delayed send, due <time> (in 59 minutes)``, ``ingress``…"""
    rel = node.relation
    text = Text(relation_label(rel.kind), style="italic")
    if rel.kind == t.DELAYED_SEND and rel.due_at is not None:
        tense = "future" if rel.due_at > now else "past"
        text.append(f", due {timefmt.timestamp(rel.due_at, fmt)} ")
        text.append(f"({timefmt.rough_duration(rel.due_at - now, fmt, tense)})", style="dim")
    elif rel.kind == t.SUBSCRIPTION and node.inv and node.inv.invoked_by_subscription_id:
        text.append(f" {node.inv.invoked_by_subscription_id}")
    elif rel.kind == t.RESTART and node.inv and node.inv.restarted_from:
        text.append(f" of {node.inv.restarted_from}")
    return text


def status_text(node: t.Node) -> Text:
    """The status word, colored as in ``list``; a failure adds its message."""
    if node.inv is None:
        return Text(t.GONE, style="dim")
    text = status_word(node.inv)
    if node.inv.completion_result == "failure" and node.inv.completion_failure:
        text.append(" ")
        text.append(node.inv.completion_failure, style="red")
    return text


# -- the guided table ---------------------------------------------------------------------


@dataclass(frozen=True)
class Hidden:
    """A line standing for the children of ``parent`` that were not read."""

    parent: t.Node
    count: int


Row = tuple[str, "t.Node | Hidden"]


def guided(
    roots: Sequence[t.Node], children: Callable[[t.Node], Sequence[t.Node]] | None = None
) -> list[Row]:
    """Pre-order (guide, node) pairs for a forest; a node whose children were not all read
    is followed by a ``Hidden`` line."""
    kids_of = children or (lambda n: n.children)
    out: list[Row] = []
    # (node, guide for its own line, guide for the lines below it)
    stack: list[tuple[t.Node | Hidden, str, str]] = [(r, "", "") for r in reversed(roots)]
    while stack:
        item, guide, below = stack.pop()
        out.append((guide, item))
        if isinstance(item, Hidden):
            continue
        kids: list[t.Node | Hidden] = list(kids_of(item))
        if item.children_not_shown and children is None:
            kids.append(Hidden(item, item.children_not_shown))
        for i in range(len(kids) - 1, -1, -1):
            last = i == len(kids) - 1
            branch, trunk = ("└── ", "    ") if last else ("├── ", "│   ")
            stack.append((kids[i], below + branch, below + trunk))
    return out


def guided_table(
    rows: Sequence[Row],
    headers: Sequence[str],
    cells: Callable[[t.Node], Sequence[Text]],
    *,
    more: Callable[[Hidden], str] = lambda h: f"… {h.count} more not shown",
    mark: Callable[[t.Node], Text | None] = lambda _: None,
    opts: OutputOptions | None = None,
    plain: bool = False,
) -> Any:
    """One text block: the id with its guide in the first column, then ``cells(node)``,
    every column aligned. Built by hand: rich tables are too slow for thousands of rows.
    ``--table-style borders`` (``opts``) gets a rich table, as every other table does;
    ``plain`` (no styles will be shown) a string, the characters rich would print."""
    if opts is not None and opts.table_style == "borders":
        return _bordered(rows, headers, cells, more, mark, opts)
    if plain:
        return _plain_table(rows, headers, cells, more, mark)
    built: list[tuple[str, Any, list[Text]]] = []
    widths = [cell_len(h) for h in headers]
    for guide, item in rows:
        if isinstance(item, Hidden):
            built.append((guide, item, []))
            continue
        row = [Text(item.id, style="bold"), *cells(item)]
        widths[0] = max(widths[0], cell_len(guide) + row[0].cell_len)
        for i, cell in enumerate(row[1:], 1):
            widths[i] = max(widths[i], cell.cell_len)
        built.append((guide, item, row))
    lines = [Text("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())]
    lines[0].stylize("bold")
    for guide, item, row in built:
        line = Text(guide, style="dim")
        if isinstance(item, Hidden):
            line.append(more(item), style="dim italic")
            lines.append(line)
            continue
        line.append_text(row[0])
        pad = widths[0] - cell_len(guide) - row[0].cell_len
        for i, cell in enumerate(row[1:], 1):
            line.append(" " * (pad + 2))
            line.append_text(cell)
            pad = widths[i] - cell.cell_len
        extra = mark(item)
        if extra is not None:
            line.append("  ")
            line.append_text(extra)
        lines.append(line)
    return Text("\n").join(lines)


def _plain_table(
    rows: Sequence[Row],
    headers: Sequence[str],
    cells: Callable[[t.Node], Sequence[Text]],
    more: Callable[[Hidden], str],
    mark: Callable[[t.Node], Text | None],
) -> str:
    """``guided_table`` as plain text, without building a rich ``Text`` per line (a third
    of the time of drawing a tree of 1,000 on a pipe)."""
    built: list[tuple[str, Any, list[str]]] = []
    widths = [cell_len(h) for h in headers]
    for guide, item in rows:
        if isinstance(item, Hidden):
            built.append((guide, item, []))
            continue
        row = [item.id, *(c.plain for c in cells(item))]
        widths[0] = max(widths[0], cell_len(guide) + cell_len(row[0]))
        for i, cell in enumerate(row[1:], 1):
            widths[i] = max(widths[i], cell_len(cell))
        built.append((guide, item, row))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for guide, item, row in built:
        if isinstance(item, Hidden):
            lines.append(guide + more(item))
            continue
        parts = [guide, row[0]]
        pad = widths[0] - cell_len(guide) - cell_len(row[0])
        for i, cell in enumerate(row[1:], 1):
            parts.append(" " * (pad + 2))
            parts.append(cell)
            pad = widths[i] - cell_len(cell)
        extra = mark(item)
        if extra is not None:
            parts.append("  " + extra.plain)
        lines.append("".join(parts))
    return "\n".join(lines)


def _bordered(
    rows: Sequence[Row],
    headers: Sequence[str],
    cells: Callable[[t.Node], Sequence[Text]],
    more: Callable[[Hidden], str],
    mark: Callable[[t.Node], Text | None],
    opts: OutputOptions,
) -> Any:
    table = new_table(opts, headers=headers)
    table.show_lines = False  # the guides run from row to row
    for guide, item in rows:
        first = Text(guide, style="dim")
        if isinstance(item, Hidden):
            first.append(more(item), style="dim italic")
            table.add_row(first, *([""] * (len(headers) - 1)))
            continue
        first.append(item.id, style="bold")
        row = list(cells(item))
        extra = mark(item)
        if extra is not None:
            row[-1] = row[-1] + Text("  ") + extra
        table.add_row(first, *row)
    return table


TREE_HEADERS = ("INVOCATION", "TARGET", "STATUS", "RELATION")


def print_tree(io: IO, tree: t.CallTree, opts: OutputOptions, now: datetime) -> None:
    fmt = opts.time_format

    def more(h: Hidden) -> str:
        if h.parent.depth < 0:
            return f"… {h.count} other {_children(h.count)} of this caller, not shown"
        if tree.max_depth is not None and h.parent.depth >= tree.max_depth:
            return f"… {h.count} {_children(h.count)} below --depth {tree.max_depth}, not shown"
        return f"… {h.count} {_children(h.count)} not read: the tree is cut at {t.MAX_NODES:,} invocations"

    block = guided_table(
        guided([tree.root]),
        TREE_HEADERS,
        lambda n: (Text(n.target), status_text(n), relation_text(n, now, fmt)),
        more=more,
        mark=lambda n: Text(FOCUS_MARK, style="bold") if n is tree.focus else None,
        opts=opts,
        plain=not io.color,
    )
    if isinstance(block, str):
        io.out.write(block + "\n")
    else:
        io.console().print(block, soft_wrap=True)
    io.out.flush()


def _children(n: int) -> str:
    return "child" if n == 1 else "children"


def print_tree_footer(io: IO, tree: t.CallTree, elapsed: float) -> None:
    callers = len(tree.callers)
    levels = max((n.depth for n in tree.focus.walk()), default=0)
    mine = f"{tree.descendants} descendant{'s' if tree.descendants != 1 else ''}" + (
        f" on {levels} level{'s' if levels != 1 else ''}" if levels else ""
    )
    if tree.subtree:
        line = mine
        if callers:
            s = "s" if callers != 1 else ""
            line += f" (--subtree: its {callers} caller{s} and the rest of the tree are not shown)"
    else:
        others = tree.size - 1 - callers - tree.descendants
        line = (
            f"{tree.size} invocation{'s' if tree.size != 1 else ''} in this call tree: "
            f"{callers or 'no'} caller{'s' if callers != 1 else ''}, {mine}"
            + (f", {others} other{'s' if others != 1 else ''}" if others else "")
        )
    notice(io, f"{line}. Read with {tree.queries} queries in {elapsed * 1000:.0f} ms")
    if tree.truncated:
        warn(
            io,
            f"The tree has more than {t.MAX_NODES:,} invocations: {tree.size:,} of them are shown",
        )


def tree_ids(tree: t.CallTree) -> list[str]:
    """Every invocation of the tree that still exists, in the order shown."""
    return [n.id for n in tree.root.walk() if not n.gone]


TREE_ROW_HEADERS = ("DEPTH", "ID", "PARENT", "RELATION", "DUE AT", "TARGET", "STATUS")


def tree_rows(tree: t.CallTree) -> list[list[Any]]:
    """Flattened rows for ``-o``; DEPTH counts from the invocation asked about (the levels
    above it are negative)."""
    rows = []
    for n in tree.root.walk():
        status = n.status
        if n.inv is not None and status == "completed" and n.inv.completion_result:
            status = f"completed:{n.inv.completion_result}"
        rows.append(
            [
                n.depth,
                n.id,
                n.parent_id,
                n.relation.kind,
                utc_iso(n.relation.due_at) if n.relation.due_at else None,
                n.target,
                status,
            ]
        )
    return rows


def node_json(node: t.Node, focus: t.Node | None = None) -> dict[str, Any]:
    inv = node.inv
    return {
        "id": node.id,
        "target": node.target or None,
        "status": node.status,
        "completion_result": inv.completion_result if inv else None,
        "completion_failure": inv.completion_failure if inv else None,
        "created_at": utc_iso(inv.created_at) if inv and inv.created_at else None,
        "parent_id": node.parent_id,
        "relation": node.relation.kind,
        "due_at": utc_iso(node.relation.due_at) if node.relation.due_at else None,
        "invoked_by_subscription_id": inv.invoked_by_subscription_id if inv else None,
        "restarted_from": inv.restarted_from if inv else None,
        "this": node is focus,
        "children_not_shown": node.children_not_shown,
        "children": [node_json(c, focus) for c in node.children],
    }


def tree_json(tree: t.CallTree) -> dict[str, Any]:
    return {
        "id": tree.focus.id,
        "subtree": tree.subtree,
        "max_depth": tree.max_depth,
        "truncated": tree.truncated,
        "callers": len(tree.callers),
        "descendants": tree.descendants,
        "invocations": tree.size,
        "tree": node_json(tree.root, tree.focus),
    }


# -- describe: parent and children ----------------------------------------------------------


def children_summary(summary: t.ChildSummary) -> str:
    """``3: 1 awaited call (suspended), 2 one-way sends (1 running, 1 completed)``."""
    if not summary.total:
        return "none"
    parts = []
    order = [t.CALL, t.SEND, t.DELAYED_SEND]
    kinds = order + sorted(k for k in summary.by_relation if k not in order)
    for kind in kinds:
        statuses = summary.by_relation.get(kind)
        if not statuses:
            continue
        n = sum(statuses.values())
        if len(statuses) == 1:
            detail = next(iter(statuses))
        else:
            ranked = sorted(statuses.items(), key=lambda kv: (-kv[1], kv[0]))
            detail = ", ".join(f"{c} {s}" for s, c in ranked)
        parts.append(f"{n} {relation_label(kind, n)} ({detail})")
    total = f"more than {summary.total:,}" if summary.truncated else str(summary.total)
    return f"{total}: " + ", ".join(parts)


def with_family(
    rows: list[tuple[str, Text]], family: t.Family, now: datetime, fmt: str
) -> list[tuple[str, Text]]:
    """The describe rows, with how the parent started this invocation and the children."""
    out: list[tuple[str, Text]] = []
    for key, value in rows:
        if key == "Invoked by" and family.parent is not None:
            value = value.copy()
            value.append(" (")
            rel = family.relation
            value.append(relation_label(rel.kind), style="italic")
            if rel.kind == t.DELAYED_SEND and rel.due_at is not None:
                value.append(f", due {timefmt.timestamp(rel.due_at, fmt)}")
            parent = family.parent
            value.append("; the caller ")
            value.append_text(
                Text("no longer exists", style="dim")
                if parent.gone
                else Text("is ") + status_word(parent.inv)  # type: ignore[arg-type]
            )
            value.append(")")
        out.append((key, value))
    anchor = max(
        (i for i, (k, _) in enumerate(out) if k in ("Status", "Idempotency key", "Invoked by")),
        default=len(out) - 1,
    )
    out.insert(anchor + 1, ("Children", Text(children_summary(family.children))))
    return out


def family_json(family: t.Family) -> dict[str, Any]:
    parent = family.parent
    return {
        "parent": None
        if parent is None
        else {
            "id": parent.id,
            "target": parent.target or None,
            "status": parent.status,
            "relation": family.relation.kind,
            "due_at": utc_iso(family.relation.due_at) if family.relation.due_at else None,
        },
        "children": {
            "total": family.children.total,
            "by_relation": family.children.by_relation,
            "truncated": family.children.truncated,
        },
    }
