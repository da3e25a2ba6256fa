"""What the bulk actions print: the preview, the progress bar, the summary and failures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from restate_cli.io import IO
from restate_cli.render import styled
from restate_cli.render.output import (
    OutputOptions,
    new_table,
    success,
    warn,
    write_json,
    write_lines,
    write_rows,
)
from restate_cli.render.styled import Styled

if TYPE_CHECKING:
    from restate_cli.admin.actions import Action, Outcome
    from restate_cli.admin.impact import Impact
    from restate_cli.admin.models import InvocationRef

PROGRESS_THRESHOLD = 8
PREVIEW_AFTER_ROWS = 50  # a page; beyond it, counts (render/impact.py)

# What a 2xx status means for each operation, when it is not simply "done".
_MEANINGS = {
    ("cancel", 200): "removed at once",
    ("cancel", 202): "signalled; the handler stops at its next await",
    ("pause", 200): "already paused, or suspended (stays suspended)",
    ("pause", 202): "paused",
}
# ... and on an offline store, where no runtime carries out what was recorded.
_OFFLINE_MEANINGS = {
    **_MEANINGS,
    ("cancel", 202): "recorded; the handler stops at its next await once `restate-cli dev` runs it",
}


def preview(io: IO, opts: OutputOptions, refs: Sequence[InvocationRef], max_rows: int) -> None:
    shown = refs[:max_rows]
    block = None
    # Written directly (render.styled) unless rich would read markup in a cell.
    if opts.table_style == "compact" and not any("[" in r.target or "[" in r.shown_status for r in shown):
        rows = [[Styled(r.id, style="bold"), Styled(r.target), Styled(r.shown_status)] for r in shown]
        width = io.width or (10_000 if not io.stdout_tty else io.console().width)
        block = styled.table_block(["ID", "TARGET", "STATUS"], rows, width=width, color=io.color)
    if block is None:
        from rich.text import Text

        table = new_table(opts, headers=("ID", "TARGET", "STATUS"))
        for ref in shown:
            table.add_row(Text(ref.id, style="bold"), ref.target, ref.shown_status)
        io.console().print(table)
    else:
        io.out.write(block)
    if len(refs) > max_rows:
        io.out.write(f"And {len(refs) - max_rows} other invocations...\n")
        io.out.write(status_summary(refs) + "\n")
    io.out.write("\n")
    io.out.flush()


def status_summary(refs: Sequence[InvocationRef]) -> str:
    """``In all: 10000 invocations: 9000 suspended, 1000 backing-off.`` (the order of ``list``)."""
    from restate_cli.admin.actions import SHOWN_ORDER

    counts = Counter(r.shown_status for r in refs)
    order = {s: i for i, s in enumerate(SHOWN_ORDER)}
    parts = [f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))]
    return f"In all: {len(refs)} invocations: {', '.join(parts)}."


def dry_run(
    io: IO,
    opts: OutputOptions,
    action: Action,
    query: str | None,
    refs: Sequence[InvocationRef],
    impact: Impact | None = None,
    filters: dict[str, Any] | None = None,
) -> None:
    if opts.json:
        data: dict[str, Any] = {
            "action": action.verb,
            "query": query,
            **({"filters": filters} if filters else {}),
            "dry_run": True,
            "invocations": [{"id": r.id, "target": r.target, "status": r.shown_status} for r in refs],
        }
        if impact is not None:
            from restate_cli.render.impact import impact_json

            data["impact"] = impact_json(impact, after=False)
        write_json(io, data)
        return
    if opts.quiet:
        write_lines(io, [r.id for r in refs])
        return
    if opts.fmt:
        write_rows(
            io,
            ("ID", "TARGET", "STATUS"),
            [(r.id, r.target, r.shown_status) for r in refs],
            opts,
        )
        return
    preview(io, opts, refs, len(refs))
    if impact is not None:
        from restate_cli.render.impact import print_preview
        from restate_cli.render.timefmt import now

        print_preview(io, opts, impact, now(), len(refs) + len(impact.entries))
    io.console().print(
        f"Dry run: would {action.verb} {len(refs)} invocation{'s' if len(refs) != 1 else ''}; "
        "nothing was changed."
    )


@contextmanager
def progress(io: IO, total: int) -> Iterator[Callable[[], None] | None]:
    """A progress bar on an interactive stderr for more than a handful of items."""
    if not io.progress_ok or total < PROGRESS_THRESHOLD:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=io.console(stderr=True),
        transient=True,
    )
    task = bar.add_task("Working", total=total)
    with bar:
        yield lambda: bar.advance(task)


def report(
    io: IO,
    opts: OutputOptions,
    action: Action,
    query: str | None,
    outcomes: Sequence[Outcome],
    impact: Impact | None = None,
    filters: dict[str, Any] | None = None,
    *,
    offline: bool = False,
    interrupted: bool = False,
) -> None:
    """What was done; after Ctrl-C (``interrupted``), exactly which invocations were done,
    which failed, and which were not attempted."""
    ok = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if o.failed]
    skipped = [o for o in outcomes if not o.attempted]
    if opts.json:
        data: dict[str, Any] = {
            "action": action.verb,
            "query": query,
            **({"filters": filters} if filters else {}),
            "dry_run": False,
            "succeeded": len(ok),
            "failed": len(failed),
            **({"interrupted": True, "not_attempted": len(skipped)} if interrupted else {}),
            "results": [o.to_json() for o in outcomes],
        }
        if impact is not None:
            from restate_cli.render.impact import impact_json

            data["impact"] = impact_json(impact, after=True)
        write_json(io, data)
        return
    if opts.quiet:
        write_lines(
            io,
            [o.new_invocation_id or o.ref.id if action.verb == "restart" else o.ref.id for o in ok],
        )
        return
    if opts.fmt:
        headers = ("ID", "TARGET", "OK", "HTTP", "ERROR", "NEW ID")
        rows = [
            (
                o.ref.id,
                o.ref.target,
                o.ok,
                o.http_status,
                o.error if o.attempted else "not attempted (interrupted)",
                o.new_invocation_id,
            )
            for o in outcomes
        ]
        write_rows(io, headers, rows, opts)
        return
    from rich.text import Text

    console = io.console()
    n = len(ok)
    line = f"{action.done} {n} invocation{'s' if n != 1 else ''}"
    words = _OFFLINE_MEANINGS if offline else _MEANINGS
    meanings = Counter(words.get((action.verb, o.http_status or 0)) for o in ok)
    meanings.pop(None, None)
    if meanings:
        line += " (" + ", ".join(f"{c} {m}" for m, c in meanings.items()) + ")"
    if interrupted:
        warn(
            io,
            f"Interrupted: {len(ok)} done, {len(failed)} failed, {len(skipped)} not attempted "
            f"of {len(outcomes)} invocations.",
        )
        _ids(io, f"{action.done} ({len(ok)}):", ok)
        _ids(io, f"Not attempted ({len(skipped)}):", skipped)
    elif ok or not failed:
        success(io, line)
    if action.verb == "restart" and ok:
        table = new_table(opts, headers=("OLD ID", "NEW ID"))
        for o in ok:
            table.add_row(o.ref.id, Text(o.new_invocation_id or "", style="bold"))
        console.print(table)
    if failed:
        console.print()
        warn(
            io,
            f"Failed to {action.verb} {len(failed)} invocation{'s' if len(failed) != 1 else ''}:",
        )
        table = new_table(opts, headers=("ID", "TARGET", "REASON"))
        for o in failed:
            table.add_row(o.ref.id, o.ref.target, Text(o.error or "", style="red"))
        console.print(table)
    if impact is not None:
        from restate_cli.render.impact import print_after
        from restate_cli.render.timefmt import now

        print_after(io, opts, impact, now(), PREVIEW_AFTER_ROWS)


def _ids(io: IO, heading: str, outcomes: Sequence[Outcome]) -> None:
    """A heading and the ids of ``outcomes``, one a line (nothing when there are none)."""
    if outcomes:
        write_lines(io, [heading, *(o.ref.id for o in outcomes), ""])
