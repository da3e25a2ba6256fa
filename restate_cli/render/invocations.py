"""How invocations look: list entries, the describe view, and their status notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from restate_cli.admin.models import Invocation, JournalEntry, call_of
from restate_cli.admin.record import utc_iso
from restate_cli.io import IO
from restate_cli.render import styled, timefmt
from restate_cli.render.output import OutputOptions, kv_table, notice, tip, title
from restate_cli.render.styled import Styled

if TYPE_CHECKING:
    from rich.text import Text

STATUS_STYLES = {
    "running": "green",
    "suspended": "dim",
    "backing-off": "red",
    "pending": "yellow",
    "paused": "yellow",
    "scheduled": "blue",
    "ready": "blue",
    "completed": "blue",
}
LONG = timedelta(seconds=5)


def status_word(inv: Invocation) -> Text:
    return _status_word(inv).to_rich()


def status_cell(inv: Invocation, now: datetime, fmt: str) -> Text:
    """The status word and, after two spaces, what it means right now."""
    return _status_cell(inv, now, fmt).to_rich()


def _status_word(inv: Invocation) -> Styled:
    if inv.status == "completed" and inv.completion_result == "success":
        return Styled("completed with success", style="bold green")
    if inv.status == "completed" and inv.completion_result == "failure":
        return Styled("completed with failure", style="bold red")
    return Styled(inv.status, style=STATUS_STYLES.get(inv.status, "red"))


def _status_cell(inv: Invocation, now: datetime, fmt: str) -> Styled:
    text = _status_word(inv)
    note = _status_note(inv, now, fmt)
    if note is not None:
        text.append("  (")
        text.append_text(note)
        text.append(")")
    return text


def _status_note(inv: Invocation, now: datetime, fmt: str) -> Styled | None:
    st = inv.status
    if st == "running" and inv.last_start_at:
        elapsed = now - inv.last_start_at
        return Styled("for ") + Styled(timefmt.duration(elapsed, fmt), style="red" if elapsed > LONG else "")
    if st == "suspended" and inv.modified_at:
        elapsed = now - inv.modified_at
        if inv.keyed and elapsed > LONG:
            return Styled(timefmt.duration(elapsed, fmt), style="red") + Styled(
                ". The key will not be released until this invocation is complete"
            )
        return Styled(timefmt.duration(elapsed, fmt, "past"), style="dim")
    if st in ("backing-off", "paused") and (inv.retry_count or inv.last_failure or st == "backing-off"):
        return _retry_note(inv, now, fmt)
    if st == "scheduled" and inv.scheduled_start_at:
        when = inv.scheduled_start_at
        rel = timefmt.duration(when - now, fmt, "future" if when > now else "past")
        return Styled(f"starts {timefmt.timestamp(when, fmt)}, {rel}")
    if st == "pending" and inv.keyed:
        key = f"{inv.target_service_name}/{inv.target_service_key}"
        return Styled(f"waiting for {key} to be free")
    return None


def _retry_note(inv: Invocation, now: datetime, fmt: str) -> Styled:
    """``for 13 seconds since the first attempt, the last one 2 seconds ago. Retried 5
    times. Next retry in 5 seconds``. restate-server moves ``modified_at`` when the
    invocation starts running, not at each failure: ``running_at`` (the first attempt) and
    ``last_start_at`` (the latest) say what they measure on every server."""
    parts = Styled()
    if inv.status == "backing-off" and (inv.running_at or inv.modified_at):
        first = inv.running_at or inv.modified_at
        parts.append(f"for {timefmt.duration(now - first, fmt)}")  # type: ignore[operator]
        if inv.running_at:
            parts.append(" since the first attempt")
            if inv.last_start_at and inv.last_start_at > inv.running_at:
                ago = timefmt.duration(now - inv.last_start_at, fmt, "past")
                parts.append(f", the last one {ago if fmt == 'human' else ago + ' ago'}")
        parts.append(". ")
    n = inv.retry_count or 0
    parts.append("Retried ")
    parts.append(str(n), style="red" if n > 10 else "yellow")
    parts.append(" time" + ("" if n == 1 else "s") + ".")
    if inv.status == "backing-off" and inv.next_retry_at:
        delta = inv.next_retry_at - now
        if delta > timedelta(0):
            when = timefmt.duration(delta, fmt, "future")
            parts.append(f" Next retry {when}" if fmt == "human" else f" Next retry in {when}")
        else:
            parts.append(" Next retry due now")
    elif inv.status == "paused" and inv.last_failure:
        parts.append(" Paused after the retry policy ran out; resume to retry")
    return parts


def _deployment_cell(inv: Invocation) -> Styled | None:
    dp = inv.deployment_id
    if not dp:
        return None
    text = Styled(dp)
    if inv.pinned_deployment_id:
        if inv.pinned_deployment_exists is False:
            text.append(" [ZOMBIE]", style="bold red")
        else:
            text.append(" [required]", style="bold")
    if inv.last_attempt_server and inv.status != "completed":
        text.append(f" using {inv.last_attempt_server}")
    return text


def _invoked_by_cell(inv: Invocation) -> Styled | None:
    if inv.invoked_by_id:
        text = Styled()
        if inv.invoked_by_target:
            text.append(inv.invoked_by_target, style="italic blue")
        else:
            text.append("<UNKNOWN>", style="red")
        text.append(" ")
        text.append(inv.invoked_by_id, style="italic")
        return text
    if inv.invoked_by_subscription_id:
        return Styled("subscription ") + Styled(inv.invoked_by_subscription_id, style="italic")
    return None


def caused_by(inv: Invocation) -> str:
    """The journal entry the last failure points at: ``Run [name]``, ``Sleep [3]``, ``UNKNOWN``."""
    ty = inv.last_failure_related_command_type or inv.last_failure_related_entry_type
    name = inv.last_failure_related_command_name or inv.last_failure_related_entry_name
    index = inv.last_failure_related_command_index
    if index is None:
        index = inv.last_failure_related_entry_index
    out = ty or "UNKNOWN"
    if name:
        out += f" [{name}]"
    elif index is not None:
        out += f" [{index}]"
    return out


def invocation_rows(
    inv: Invocation, now: datetime, opts: OutputOptions, *, describe: bool = False
) -> list[tuple[str, Text]]:
    return [(key, value.to_rich()) for key, value in _rows(inv, now, opts, describe=describe)]


def _rows(
    inv: Invocation, now: datetime, opts: OutputOptions, *, describe: bool = False
) -> list[tuple[str, Styled]]:
    fmt = opts.time_format
    rows: list[tuple[str, Styled]] = []
    if describe and inv.created_at:
        rows.append(
            (
                "Created at",
                Styled(
                    f"{timefmt.timestamp(inv.created_at, fmt)} "
                    f"({timefmt.rough_duration(now - inv.created_at, fmt, 'past')})"
                ),
            )
        )
    rows.append(("Target", Styled(inv.target)))
    rows.append(("Status", _status_cell(inv, now, fmt)))
    if inv.idempotency_key:
        rows.append(("Idempotency key", Styled(inv.idempotency_key)))
    invoked_by = _invoked_by_cell(inv)
    if invoked_by is not None:
        rows.append(("Invoked by", invoked_by))
    if inv.restarted_from:
        rows.append(("Restarted from", Styled(inv.restarted_from, style="italic")))
    dp = _deployment_cell(inv)
    if dp is not None:
        rows.append(("Deployment", dp))
    if inv.trace_id:
        rows.append(("Trace ID", Styled(inv.trace_id)))
    if inv.last_failure and inv.status in ("backing-off", "paused", "running"):
        when = f"[{timefmt.timestamp(inv.last_start_at, fmt)}]" if inv.last_start_at else "[UNKNOWN]"
        err = Styled(when, style="dim")
        if inv.last_failure_error_code:
            err.append(f" {inv.last_failure_error_code}", style="dim")
        err.append("\n")
        err.append(inv.last_failure.rstrip("\n"), style="red")
        rows.append(("Last error" if inv.status == "running" else "Error", err))
        cause = caused_by(inv)
        if cause != "UNKNOWN":
            rows.append(("Caused by", Styled(cause)))
    if inv.status == "completed" and inv.completion_result == "failure":
        rows.append(("Error", Styled(inv.completion_failure or "Unknown", style="red")))
    if describe and inv.modified_at:
        rows.append(("Modified at", Styled(timefmt.timestamp(inv.modified_at, fmt))))
    return rows


def print_entries(io: IO, invocations: Sequence[Invocation], opts: OutputOptions, now: datetime) -> None:
    """The list layout: a header line per invocation, then its key/value table.

    Entries are written directly when ``styled`` can reproduce rich's output exactly
    (almost always); rich draws the others.
    """
    width = io.width or (10_000 if not io.stdout_tty else io.console().width)
    direct = opts.table_style == "compact"
    done: list[str] = []
    for inv in invocations:
        header = Styled("  ❯ ")
        if inv.created_at:
            header.append(f"[{timefmt.timestamp(inv.created_at, opts.time_format)}] ", style="dim")
        header.append(inv.id, style="bold")
        rows = _rows(inv, now, opts)
        head = styled.line(header, width=width, color=io.color) if direct else None
        block = styled.kv_block(rows, indent=4, width=width, color=io.color) if head is not None else None
        if head is not None and block is not None:
            done.append(f"{head}\n{block}\n")
            continue
        if done:
            io.out.write("".join(done))
            done.clear()
        from rich.padding import Padding

        console = io.console()
        console.print(header.to_rich())
        table = kv_table(opts, [(key, value.to_rich()) for key, value in rows])
        console.print(Padding(table, (0, 0, 0, 4), expand=False))
        console.print()
    if done:
        io.out.write("".join(done))
    io.out.flush()


def print_footer(io: IO, shown: int, total: int, exact: bool, elapsed: float) -> None:
    more = "" if exact else "+"
    notice(io, f"Showing {shown}/{total}{more} invocations. Query took {elapsed * 1000:.0f} ms")


LIST_HEADERS = (
    "ID",
    "TARGET",
    "STATUS",
    "CREATED AT",
    "RETRIES",
    "NEXT RETRY",
    "DEPLOYMENT",
    "INVOKED BY",
)


def table_rows(invocations: Sequence[Invocation]) -> list[list[Any]]:
    """One row per invocation, for ``-o plain|tsv|markdown``."""
    rows = []
    for inv in invocations:
        status = inv.status
        if status == "completed" and inv.completion_result:
            status = f"completed:{inv.completion_result}"
        rows.append(
            [
                inv.id,
                inv.target,
                status,
                utc_iso(inv.created_at) if inv.created_at else None,
                inv.retry_count,
                utc_iso(inv.next_retry_at) if inv.next_retry_at else None,
                inv.deployment_id,
                _invoked_by_word(inv),
            ]
        )
    return rows


def _invoked_by_word(inv: Invocation) -> str | None:
    """The caller's id, the subscription, ``ingress``, or ``restart of <id>``."""
    if inv.invoked_by_id or inv.invoked_by_subscription_id:
        return inv.invoked_by_id or inv.invoked_by_subscription_id
    if inv.invoked_by == "restart_as_new":
        return f"restart of {inv.restarted_from}" if inv.restarted_from else "restart"
    return inv.invoked_by


def to_json(inv: Invocation) -> dict[str, Any]:
    data = inv.model_dump(mode="json")
    data["deployment_id"] = inv.deployment_id
    return data


# -- describe -------------------------------------------------------------------------


def print_describe(
    io: IO,
    inv: Invocation,
    journal: Sequence[JournalEntry],
    opts: OutputOptions,
    now: datetime,
    *,
    journal_total: int | None = None,
    family: Any = None,
    paused_by: str | None = None,
) -> None:
    from rich.text import Text

    console = io.console()
    title(io, "info", "Invocation Information")
    rows = invocation_rows(inv, now, opts, describe=True)
    if paused_by:
        rows.insert(-1, ("Paused after", Text(paused_by, style="red")))
    if family is not None:  # an admin.tree.Family: the parent's relation and the children
        from restate_cli.render.tree import with_family

        rows = with_family(rows, family, now, opts.time_format)
    console.print(kv_table(opts, rows))
    if inv.status not in ("pending", "completed") and inv.pinned_deployment_id:
        # The tip and the blank line before it both go to stderr: stdout alone (piped, or
        # in a pager) keeps one blank line between the sections.
        io.out.flush()
        io.console(stderr=True).print()
        tip(
            io,
            f"This invocation is bound to run on deployment '{inv.pinned_deployment_id}'. "
            "Invocations that made progress on a deployment cannot move to another one "
            "automatically; use 'resume --deployment' to move it on purpose.",
        )
    title(io, "progress", "Invocation Progress")
    caller = Text()
    if inv.invoked_by_id:
        caller.append(
            inv.invoked_by_target or "<UNKNOWN>",
            style="italic blue" if inv.invoked_by_target else "red",
        )
        caller.append(" ")
        caller.append(inv.invoked_by_id, style="italic")
    elif inv.invoked_by_subscription_id:
        caller.append(f"[Subscription {inv.invoked_by_subscription_id}]", style="dim italic")
    elif inv.invoked_by == "restart_as_new" and inv.restarted_from:
        caller.append(f"[Restart of {inv.restarted_from}]", style="dim italic")
    else:
        caller.append("[Ingress]", style="dim italic")
    console.print(caller)
    console.print(Text(" └──(this)─> ") + Text(inv.target))
    if not journal:
        return
    lines = Text("     ▸\n", style="dim")
    if journal_total and journal_total > len(journal):
        lines.append(f"     … {journal_total - len(journal)} earlier entries\n", style="dim")
    for entry in journal:
        lines.append("     ├──── ", style="dim")
        lines.append_text(journal_line(entry, now, opts.time_format))
        lines.append("\n")
    lines.append("     └────>> ", style="dim")
    lines.append(inv.status, style=STATUS_STYLES.get(inv.status, "red"))
    console.print(lines)


def journal_line(entry: JournalEntry, now: datetime, fmt: str) -> Text:
    from rich.text import Text

    text = Text(f"#{entry.index} ")
    if entry.appended_at:
        text.append(f"[{timefmt.timestamp(entry.appended_at, fmt)}] ", style="dim")
    text.append(entry.entry_type)
    if entry.name:
        text.append(f" [{entry.name}]")
    details = entry_details(entry, now, fmt)
    if details:
        text.append(" ")
        text.append_text(details)
    return text


def entry_details(entry: JournalEntry, now: datetime, fmt: str) -> Text | None:
    from rich.text import Text

    call = call_of(entry)
    if call is not None:
        text = Text(f"{call['target']} {call['invocation_id'] or ''}".rstrip())
        if call["invoke_time"]:
            when = datetime.fromtimestamp(call["invoke_time"] / 1000, UTC)
            if when > now:
                text.append(f" (delayed until {timefmt.timestamp(when, fmt)})", style="dim")
        return text
    cmd = entry.decoded().get("Command")
    if not isinstance(cmd, dict) or not cmd:
        return None
    kind, body = next(iter(cmd.items()))
    if not isinstance(body, dict):
        return None
    if kind == "Sleep" and isinstance(body.get("wake_up_time"), int):
        wake = datetime.fromtimestamp(body["wake_up_time"] / 1000, UTC)
        text = Text("until ")
        if wake > now:
            text.append(timefmt.timestamp(wake, fmt))
            text.append(" (")
            text.append(timefmt.duration(wake - now, fmt), style="cyan")
            text.append(" left)")
        else:
            text.append(timefmt.timestamp(wake, fmt), style="dim")
        return text
    if kind == "SendSignal":
        signal = body.get("signal_id")
        sid = next(iter(signal.values())) if isinstance(signal, dict) and signal else signal
        label = "cancel" if sid == 1 else f"signal {sid}"
        return Text(f"{label} to {body.get('target_invocation_id', '?')}")
    if kind == "CompleteAwakeable":
        return Text(f"id {body.get('id', body.get('awakeable_id', '?'))}")
    if "key" in body and kind.endswith(("State", "Promise")):
        return Text("key ") + Text(str(body["key"]), style="cyan")
    if kind in ("AttachInvocation", "GetInvocationOutput"):
        target = body.get("target")
        return Text(
            str(target.get("InvocationId", target)) if isinstance(target, dict) else str(target or "")
        )
    return None
