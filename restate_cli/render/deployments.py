"""How deployments and their services look."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text

from restate_cli.admin.record import utc_iso
from restate_cli.io import IO
from restate_cli.render import timefmt
from restate_cli.render.output import (
    OutputOptions,
    kv_table,
    new_table,
    success,
    title,
    write_json,
    write_lines,
    write_rows,
)

HEADERS = ("ID", "URI", "TYPE", "HTTP", "SERVICES", "CREATED AT")


def _services(dep: dict[str, Any]) -> str:
    return ", ".join(s["name"] for s in dep.get("services", []))


def _created(dep: dict[str, Any], opts: OutputOptions, *, ago: bool = False) -> str | None:
    """``created_at`` in ``--time-format`` (UTC ISO for ``-o``); the server's text if odd."""
    raw = dep.get("created_at")
    try:
        at = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return raw
    if at is None:
        return raw
    if opts.fmt:
        return utc_iso(at)
    text = timefmt.timestamp(at, opts.time_format)
    if ago:
        text += f" ({timefmt.rough_duration(timefmt.now() - at, opts.time_format, 'past')})"
    return text


def listing(io: IO, opts: OutputOptions, deployments: list[dict[str, Any]]) -> None:
    deployments = sorted(deployments, key=lambda d: d.get("created_at") or "")
    if opts.json:
        write_json(io, deployments)
        return
    if opts.quiet:
        write_lines(io, [d["id"] for d in deployments])
        return
    rows = [
        (
            d["id"],
            d.get("uri") or d.get("arn"),
            d.get("protocol_type"),
            d.get("http_version"),
            _services(d),
            _created(d, opts),
        )
        for d in deployments
    ]
    if opts.fmt:
        write_rows(io, HEADERS, rows, opts)
        return
    if not deployments:
        io.console().print("No deployments registered.")
        return
    write_rows(io, HEADERS, rows, opts)


def registered(io: IO, opts: OutputOptions, data: dict[str, Any], *, dry_run: bool) -> None:
    if opts.json:
        write_json(io, data)
        return
    if opts.quiet:
        write_lines(io, [data["id"]])
        return
    services_table(io, opts, data.get("services", []))
    word = "Would register" if dry_run else "Registered"
    success(io, f"{word} deployment {data['id']} ({_services(data) or 'no services'})")


def services_table(io: IO, opts: OutputOptions, services: list[dict[str, Any]]) -> None:
    table = new_table(opts, headers=("SERVICE", "TYPE", "HANDLER", "HANDLER TYPE", "INPUT", "OUTPUT"))
    for svc in services:
        for h in svc.get("handlers", []):
            table.add_row(
                Text(svc["name"], style="bold"),
                svc.get("ty", ""),
                h["name"],
                h.get("ty", ""),
                h.get("input_description", ""),
                h.get("output_description", ""),
            )
    io.console().print(table)


def describe(io: IO, opts: OutputOptions, dep: dict[str, Any]) -> None:
    if opts.json:
        write_json(io, dep)
        return
    if opts.quiet:
        write_lines(io, [dep["id"]])
        return
    title(io, "info", "Deployment")
    rows = [
        ("ID", dep["id"]),
        ("URI", dep.get("uri") or dep.get("arn") or ""),
        ("Protocol", f"{dep.get('protocol_type', '')} over {dep.get('http_version', '')}"),
        (
            "Protocol versions",
            f"{dep.get('min_protocol_version')}..{dep.get('max_protocol_version')}",
        ),
        ("SDK", dep.get("sdk_version") or ""),
        ("Created at", _created(dep, opts, ago=True) or ""),
    ]
    io.console().print(kv_table(opts, rows))
    title(io, "options", "Services")
    services_table(io, opts, dep.get("services", []))
