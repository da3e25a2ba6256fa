"""Shared writers: JSON, bare ids, tabulate formats, rich tables, titles and notices.

Data goes to stdout; notices, warnings and footers go to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from restate_cli.io import IO

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

FORMATS = ("plain", "tsv", "markdown")
TABLE_STYLES = ("compact", "borders")


@dataclass(frozen=True)
class OutputOptions:
    """How a command should present its result."""

    json: bool = False
    quiet: bool = False
    fmt: str | None = None
    table_style: str = "compact"
    time_format: str = "human"

    @property
    def machine(self) -> bool:
        """JSON, bare ids or a tabulate format: no decoration, no prompts on stdout."""
        return self.json or self.quiet or self.fmt is not None


def write_json(io: IO, data: Any) -> None:
    io.out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    io.out.flush()


def write_lines(io: IO, lines: Iterable[str]) -> None:
    for line in lines:
        io.out.write(line + "\n")
    io.out.flush()


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return ""
    text = str(value)
    if fmt == "tsv":
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    if fmt == "markdown":
        return text.replace("|", "\\|").replace("\n", "<br>")
    return text.replace("\n", " ")


def write_rows(io: IO, headers: Sequence[str], rows: Sequence[Sequence[Any]], opts: OutputOptions) -> None:
    """A table in ``-o plain|tsv|markdown``, or as a rich table on the console."""
    if opts.fmt == "tsv":
        lines = ["\t".join(headers)]
        lines += ["\t".join(_cell(v, "tsv") for v in row) for row in rows]
        write_lines(io, lines)
        return
    if opts.fmt in ("plain", "markdown"):
        from tabulate import tabulate

        body = [[_cell(v, opts.fmt) for v in row] for row in rows]
        text = tabulate(body, headers=list(headers), tablefmt="github" if opts.fmt == "markdown" else "plain")
        write_lines(io, [text] if text else [])
        return
    table = new_table(opts, headers=headers)
    for row in rows:
        table.add_row(*[v if not isinstance(v, str | type(None)) else (v or "") for v in row])
    io.console().print(table)


def new_table(opts: OutputOptions, *, headers: Sequence[str] = (), indent: int = 0) -> Table:
    """A rich table in the selected style: compact (no borders) or borders."""
    from rich import box
    from rich.table import Table

    borders = opts.table_style == "borders"
    table = Table(
        box=box.ROUNDED if borders else None,
        show_header=bool(headers),
        header_style="bold",
        show_edge=borders,
        show_lines=borders,
        pad_edge=True,
        padding=(0, 1),
        expand=False,
    )
    for h in headers:
        table.add_column(h, overflow="fold")
    return table


def kv_table(opts: OutputOptions, rows: Sequence[tuple[str, Text | str]]) -> Table:
    """A two-column key/value table with bold keys ending in ``:``."""
    from rich.text import Text

    table = new_table(opts)
    table.add_column(no_wrap=True, style="bold")
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(Text(f"{key}:"), value if not isinstance(value, str) else Text(value))
    return table


def title(io: IO, icon: str, text: str) -> None:
    """A blank line, `` <icon> <Title>:`` and a rule of ``―`` as wide as that line."""
    from rich.cells import cell_len

    console = io.console()
    line = f" {io.icon(icon)}{text}:"
    console.print()
    console.print(line, style="bold", markup=False)
    console.print("―" * cell_len(line), markup=False)


def success(io: IO, text: str) -> None:
    io.console().print(f"{io.icon('ok')} {text}", markup=False)


def warn(io: IO, text: str) -> None:
    io.console(stderr=True).print(f"{io.icon('warn')} {text}", style="bold yellow", markup=False)


def tip(io: IO, text: str) -> None:
    io.console(stderr=True).print(f"{io.icon('tip')} {text}", style="italic dim", markup=False)


def notice(io: IO, text: str) -> None:
    """A footer or progress note on stderr."""
    if not _plain_line(io, text, stderr=True):
        io.console(stderr=True).print(text, style="italic", markup=False)


def _plain_line(io: IO, text: str, *, stderr: bool) -> bool:
    """Write one uncolored line directly when rich would write exactly ``text`` (no rich import)."""
    tty = io.stderr_tty if stderr else io.stdout_tty
    width = io.width or (None if tty else 10_000)
    if io.color or width is None or len(text) > width or not (text.isascii() and text.isprintable()):
        return False
    stream = io.err if stderr else io.out
    stream.write(text + "\n")
    stream.flush()
    return True
