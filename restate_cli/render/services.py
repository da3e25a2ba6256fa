"""How services, their settings and their activity look."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rich.text import Text

from restate_cli.admin.models import Deployment, Handler, Service
from restate_cli.admin.services import ACTIVE_STATUSES, HandlerStatus
from restate_cli.io import IO
from restate_cli.render.output import (
    OutputOptions,
    kv_table,
    new_table,
    notice,
    title,
    warn,
    write_json,
    write_lines,
    write_rows,
)
from restate_cli.render.timefmt import rough_duration, timestamp

KIND = {"Service": "service", "VirtualObject": "virtual object", "Workflow": "workflow"}
LIST_HEADERS = ("NAME", "TYPE", "REVISION", "PUBLIC", "HANDLERS", "DEPLOYMENT", "ENDPOINT")
SETTING_LABELS = {
    "public": "Public",
    "idempotency_retention": "Idempotency retention",
    "workflow_completion_retention": "Workflow completion retention",
    "journal_retention": "Journal retention",
    "inactivity_timeout": "Inactivity timeout",
    "abort_timeout": "Abort timeout",
    "enable_lazy_state": "Lazy state",
}
SETTING_HELP = {
    "public": "whether the ingress may call the service (false: only other services)",
    "idempotency_retention": "how long a completed invocation with an idempotency key (every "
    "ingress call has one) is kept, with its result, after it completes",
    "workflow_completion_retention": "how long a completed workflow run is kept, with its state and promises",
    "journal_retention": "how long the journal of a completed invocation is kept (at most the "
    "idempotency or workflow retention)",
    "inactivity_timeout": "how long an attempt may go without progress before it is asked to "
    "suspend (applies only to bidirectional-streaming deployments)",
    "abort_timeout": "how long an attempt may take after that before it is aborted and retried",
}


def kind(ty: str | None) -> str:
    return KIND.get(ty or "", (ty or "").lower())


def _bool(value: bool | None) -> str:
    return "" if value is None else str(value).lower()


# -- list ------------------------------------------------------------------------------


def print_list(
    io: IO,
    opts: OutputOptions,
    services: Sequence[Service],
    raw: Sequence[dict[str, Any]],
    endpoints: Mapping[str, str],
) -> None:
    if opts.json:
        write_json(io, list(raw))
        return
    if opts.quiet:
        write_lines(io, [s.name for s in services])
        return
    rows = [
        (
            s.name,
            kind(s.ty),
            str(s.revision or ""),
            _bool(s.public),
            str(len(s.handlers)),
            s.deployment_id,
            endpoints.get(s.deployment_id or "", ""),
        )
        for s in services
    ]
    if not services and not opts.fmt:
        io.console().print(
            "No services registered: register a deployment first (restate-cli dp register URL)."
        )
        return
    write_rows(io, LIST_HEADERS, rows, opts)


# -- describe --------------------------------------------------------------------------


def _retry_text(policy: Mapping[str, Any]) -> str:
    """``70 attempts, then pause; 500ms, ×2, up to 1m`` (what is set, for a handler)."""
    parts = []
    attempts = policy.get("max_attempts")
    then = str(policy.get("on_max_attempts") or "").lower()
    if attempts is not None:
        parts.append(f"{attempts} attempts" + (f", then {then}" if then else ""))
    elif then:
        parts.append(f"then {then}")
    timing = []
    if policy.get("initial_interval"):
        timing.append(f"first retry after {policy['initial_interval']}")
    if policy.get("exponentiation_factor") is not None:
        timing.append(f"×{policy['exponentiation_factor']:g}")
    if policy.get("max_interval"):
        timing.append(f"up to {policy['max_interval']}")
    if timing:
        parts.append(", ".join(timing))
    return "; ".join(parts)


def handler_overrides(h: Handler) -> str:
    """The settings a handler sets for itself, over its service's."""
    parts = []
    for name in ("idempotency_retention", "workflow_completion_retention", "journal_retention"):
        if getattr(h, name):
            parts.append(f"{SETTING_LABELS[name].lower()} {getattr(h, name)}")
    for name in ("inactivity_timeout", "abort_timeout"):
        if getattr(h, name):
            parts.append(f"{SETTING_LABELS[name].lower()} {getattr(h, name)}")
    if h.enable_lazy_state is not None:
        parts.append(f"lazy state {_bool(h.enable_lazy_state)}")
    policy = {k: v for k, v in h.retry_policy.items() if v is not None}
    if policy:
        parts.append("retries: " + _retry_text(policy))
    return "; ".join(parts)


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _handler_ty(svc: Service, h: Handler) -> str:
    return (h.ty or "").lower() if svc.keyed else ""


def _protocol(dep: Deployment) -> str:
    style = {"RequestResponse": "request/response", "BidiStream": "bidirectional streaming"}
    parts = [p for p in (dep.http_version, style.get(dep.protocol_type or "", dep.protocol_type)) if p]
    if dep.min_protocol_version is not None:
        parts.append(f"service protocol V{dep.min_protocol_version}–V{dep.max_protocol_version}")
    return ", ".join(parts)


def print_describe(
    io: IO,
    opts: OutputOptions,
    svc: Service,
    raw: dict[str, Any],
    dep: Deployment | None,
    now: datetime,
) -> None:
    if opts.json:
        data = dict(raw)
        data["deployment"] = dep.model_dump(mode="json") if dep else None
        write_json(io, data)
        return
    if opts.quiet:
        write_lines(io, [h.name for h in svc.handlers])
        return
    headers = ("HANDLER", "TYPE", "PUBLIC", "INPUT", "OUTPUT", "OVERRIDES", "DOCUMENTATION")
    rows = [
        (
            h.name,
            _handler_ty(svc, h),
            _bool(h.public),
            h.input_description,
            h.output_description,
            handler_overrides(h),
            " ".join((h.documentation or "").split()),
        )
        for h in svc.handlers
    ]
    if opts.fmt:
        write_rows(io, headers, rows, opts)
        return
    rows = [(*r[:-1], _short(r[-1])) for r in rows]
    console = io.console()
    title(io, "info", "Service")
    info: list[tuple[str, Text | str]] = [
        ("Name", Text(svc.name, style="bold")),
        ("Type", kind(svc.ty)),
        ("Revision", str(svc.revision or "")),
        ("Public", _bool(svc.public)),
    ]
    if svc.documentation:
        info.append(("Documentation", svc.documentation))
    info.append(("Deployment", svc.deployment_id or ""))
    if dep is not None:
        info.append(("Endpoint", dep.uri or ""))
        info.append(("Protocol", _protocol(dep)))
        if dep.sdk_version:
            info.append(("SDK", dep.sdk_version))
        if dep.created_at:
            info.append(("Registered at", timestamp(dep.created_at, opts.time_format)))
    console.print(kv_table(opts, info))
    title(io, "info", "Handlers")
    used = [i for i, col in enumerate(zip(*rows, strict=True)) if any(col)] if rows else range(len(headers))
    write_rows(io, [headers[i] for i in used], [[r[i] for i in used] for r in rows], opts)
    print_settings(io, opts, svc, heading=True)


def settings_rows(svc: Service) -> list[tuple[str, str]]:
    rows = [("Public", _bool(svc.public))]
    for name in ("idempotency_retention", "workflow_completion_retention", "journal_retention"):
        value = getattr(svc, name)
        if value is not None:
            rows.append((SETTING_LABELS[name], value))
    for name in ("inactivity_timeout", "abort_timeout"):
        value = getattr(svc, name)
        if value is not None:
            rows.append((SETTING_LABELS[name], value))
    if svc.enable_lazy_state is not None:
        rows.append(("Lazy state", _bool(svc.enable_lazy_state)))
    if svc.retry_policy:
        rows.append(("Retry policy", _retry_text(svc.retry_policy)))
    return rows


def print_settings(io: IO, opts: OutputOptions, svc: Service, *, heading: bool = False) -> None:
    if heading:
        title(io, "options", "Configuration")
    io.console().print(kv_table(opts, settings_rows(svc)))
    for note in svc.info:
        warn(io, f"{note.code + ': ' if note.code else ''}{note.message}")


def settings_json(svc: Service) -> dict[str, Any]:
    data: dict[str, Any] = {"service": svc.name, "ty": svc.ty}
    for name in (*SETTING_LABELS, "retry_policy"):
        value = getattr(svc, name)
        if value is not None or name != "workflow_completion_retention":
            data[name] = value
    data["info"] = [n.model_dump(mode="json") for n in svc.info]
    return data


def print_config(io: IO, opts: OutputOptions, svc: Service) -> None:
    if opts.json:
        write_json(io, settings_json(svc))
        return
    if opts.quiet:
        write_lines(io, [svc.name])
        return
    rows = settings_rows(svc)
    if opts.fmt:
        write_rows(io, ("SETTING", "VALUE"), rows, opts)
        return
    io.console().print(
        kv_table(opts, [("Service", Text(svc.name, style="bold")), ("Type", kind(svc.ty)), *rows])
    )
    for note in svc.info:
        warn(io, f"{note.code + ': ' if note.code else ''}{note.message}")


def print_changes(io: IO, opts: OutputOptions, changes: Sequence[tuple[str, Any, Any]]) -> None:
    table = new_table(opts, headers=("SETTING", "OLD", "NEW"))
    for name, old, new in changes:
        table.add_row(
            SETTING_LABELS.get(name, name), Text(_text(old), style="red"), Text(_text(new), style="green")
        )
    io.console().print(table)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "(default)" if value is None else str(value)


def changes_json(changes: Sequence[tuple[str, Any, Any]]) -> list[dict[str, Any]]:
    return [{"setting": name, "old": old, "new": new} for name, old, new in changes]


# -- status ----------------------------------------------------------------------------


def _oldest_cell(entry: HandlerStatus, now: datetime, fmt: str) -> str:
    if entry.oldest is None:
        return ""
    try:
        age = rough_duration(now - datetime.fromisoformat(entry.oldest.created_at), fmt, "past")
    except ValueError:
        age = entry.oldest.created_at
    return f"{entry.oldest.id} {entry.oldest.status}, created {age}"


STATUS_HEADERS = ("SERVICE", "HANDLER", *(s.upper() for s in ACTIVE_STATUSES), "OLDEST")


def status_json(entries: Sequence[HandlerStatus]) -> list[dict[str, Any]]:
    return [
        {
            "service": e.service,
            "handler": e.handler,
            "counts": {s: e.counts.get(s, 0) for s in ACTIVE_STATUSES},
            "total": e.total,
            "oldest": None
            if e.oldest is None
            else {"id": e.oldest.id, "status": e.oldest.status, "created_at": e.oldest.created_at},
        }
        for e in entries
    ]


def print_status(
    io: IO, opts: OutputOptions, services: Sequence[Service], entries: Sequence[HandlerStatus], now: datetime
) -> None:
    if opts.json:
        write_json(io, status_json(entries))
        return
    if opts.quiet:
        write_lines(io, [e.oldest.id for e in entries if e.oldest])
        return
    kinds = {s.name: kind(s.ty) for s in services}
    if opts.fmt:
        rows = [
            (
                e.service,
                e.handler,
                *(e.counts.get(s, 0) for s in ACTIVE_STATUSES),
                _oldest_cell(e, now, "iso8601"),
            )
            for e in entries
        ]
        write_rows(io, STATUS_HEADERS, rows, opts)
    else:
        table = new_table(opts, headers=("", *STATUS_HEADERS[2:]))
        current = None
        for e in entries:
            if e.service != current:
                if current is not None:
                    table.add_row()
                current = e.service
                table.add_row(Text.assemble((e.service, "bold"), " ", (kinds.get(e.service, ""), "dim")))
            counts = [_count(e.counts.get(s, 0), s) for s in ACTIVE_STATUSES]
            table.add_row(f"  {e.handler}", *counts, _oldest_cell(e, now, opts.time_format))
        io.console().print(table)
    total = sum(e.total for e in entries)
    busy = sum(1 for e in entries if e.total)
    notice(
        io,
        f"{total} invocation{'s' if total != 1 else ''} not completed, in {busy} of {len(entries)} handlers",
    )


_COUNT_STYLE = {"backing-off": "yellow", "paused": "magenta", "running": "green", "pending": "cyan"}


def _count(n: int, status: str) -> Text:
    return Text(str(n), style=_COUNT_STYLE.get(status, "")) if n else Text("-", style="dim")
