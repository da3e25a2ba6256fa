"""How object and workflow state, and changes to it, look."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from restate_cli.admin.state import Holder, Settled, State, encoding_of, entry_json, shown
from restate_cli.io import IO
from restate_cli.render.output import (
    OutputOptions,
    kv_table,
    new_table,
    title,
    write_json,
    write_lines,
    write_rows,
)

Change = tuple[str, bytes | None, bytes | None]  # entry, old value, new value (None: absent)


def state_json(state: State, *, binary: bool = False) -> dict[str, Any]:
    return {
        "service": state.service,
        "key": state.key,
        "version": state.version,
        "entries": [entry_json(k, v, binary=binary) for k, v in sorted(state.entries.items())],
    }


def _value_cell(raw: bytes, binary: bool) -> Text:
    kind = "base64" if binary else encoding_of(raw)
    text = Text(shown(raw, binary=binary))
    if kind == "text" and not binary:
        text.append("  (text, not JSON)", style="dim")
    elif kind == "base64" and not binary:
        text.append("  (base64: not UTF-8)", style="dim")
    return text


def print_state(io: IO, opts: OutputOptions, state: State, *, binary: bool) -> None:
    if opts.json:
        write_json(io, state_json(state, binary=binary))
        return
    names = sorted(state.entries)
    if opts.quiet:
        write_lines(io, names)
        return
    if opts.fmt:
        rows = [
            (n, shown(state.entries[n], binary=binary), "base64" if binary else encoding_of(state.entries[n]))
            for n in names
        ]
        write_rows(io, ("KEY", "VALUE", "ENCODING"), rows, opts)
        return
    console = io.console()
    title(io, "info", "State")
    console.print(
        kv_table(
            opts,
            [
                ("Service", Text(state.service, style="bold")),
                ("Key", Text(state.key, style="bold")),
                ("Version", Text(state.version, style="dim")),
            ],
        )
    )
    console.print()
    if not names:
        console.print(f"{state.service}/{state.key} has no state.", markup=False)
        return
    table = new_table(opts, headers=("KEY", "VALUE"))
    for n in names:
        table.add_row(Text(n, style="bold"), _value_cell(state.entries[n], binary))
    console.print(table)


def diff(old: dict[str, bytes], new: dict[str, bytes]) -> list[Change]:
    return [(k, old.get(k), new.get(k)) for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def _cell(raw: bytes | None, binary: bool, absent: str) -> str:
    return absent if raw is None else shown(raw, binary=binary)


def print_changes(
    io: IO, opts: OutputOptions, target: str, changes: Sequence[Change], *, binary: bool
) -> None:
    table = new_table(opts, headers=("KEY", "OLD", "NEW"))
    for name, old, new in changes:
        table.add_row(
            Text(name, style="bold"),
            Text(_cell(old, binary, "(none)"), style="red"),
            Text(_cell(new, binary, "(removed)"), style="green"),
        )
    io.console().print(f"Changes to the state of {target}:", markup=False)
    io.console().print(table)


def changes_json(changes: Sequence[Change], *, binary: bool = False) -> list[dict[str, Any]]:
    return [
        {
            "key": name,
            "old": None if old is None else entry_json(name, old, binary=binary)["value"],
            "new": None if new is None else entry_json(name, new, binary=binary)["value"],
        }
        for name, old, new in changes
    ]


def result_json(
    before: State, changes: Sequence[Change], settled: Settled | None, *, binary: bool
) -> dict[str, Any]:
    holder: Holder | None = settled.holder if settled else None
    return {
        "service": before.service,
        "key": before.key,
        "version": before.version,
        "changes": changes_json(changes, binary=binary),
        "outcome": settled.outcome if settled else "unchanged",
        "version_after": settled.state.version if settled else before.version,
        "held_by": holder.to_json() if holder else None,
    }
