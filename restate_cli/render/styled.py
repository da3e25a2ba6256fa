"""Styled text without rich, and the key/value blocks of ``invocations list`` written directly.

rich lays out every ``kv_table`` by measuring and wrapping each cell, about a millisecond
per invocation, and importing rich is itself a good part of a short command. A list entry
is a fixed layout, so it is built here from ``Styled`` strings (rich's ``Text`` semantics:
a base style and styled spans, control codes stripped) and written directly: exactly the
characters, and with color exactly the escape sequences, that rich prints for the same
``Padding(kv_table(rows), (0, 0, 0, indent))``. That holds only for printable ASCII in a
compact table that fits the width, with styles made of attribute and color words;
``kv_block`` returns None for anything else, and the caller lets rich do it.
``tests/test_styled.py`` compares both ways on many invocations.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

# The control codes rich's Text removes from every string it is given.
_STRIP = {c: None for c in (7, 8, 11, 12, 13)}

Span = tuple[int, int, str]


class Styled:
    """A string with a base style and styled spans, built like rich's ``Text``."""

    __slots__ = ("plain", "spans", "style")

    def __init__(self, text: str = "", style: str = "") -> None:
        self.plain = text.translate(_STRIP)
        self.style = style
        self.spans: list[Span] = []

    def append(self, text: str | Styled, style: str = "") -> Styled:
        if isinstance(text, Styled):
            return self.append_text(text)
        if text:
            clean = text.translate(_STRIP)
            start = len(self.plain)
            self.plain += clean
            if style:
                self.spans.append((start, start + len(clean), style))
        return self

    def append_text(self, other: Styled) -> Styled:
        offset = len(self.plain)
        if other.style:
            self.spans.append((offset, offset + len(other.plain), other.style))
        self.plain += other.plain
        self.spans.extend((start + offset, end + offset, style) for start, end, style in other.spans)
        return self

    def copy(self) -> Styled:
        new = Styled.__new__(Styled)
        new.plain, new.style, new.spans = self.plain, self.style, list(self.spans)
        return new

    def __add__(self, other: Styled) -> Styled:
        return self.copy().append_text(other)

    def __len__(self) -> int:
        return len(self.plain)

    def to_rich(self) -> Text:
        from rich.text import Span as RichSpan
        from rich.text import Text

        text = Text(self.plain, style=self.style)
        text.spans = [RichSpan(*span) for span in self.spans]
        return text


# -- styles as rich renders them -------------------------------------------------------

_ATTRIBUTES = {
    "bold": 1,
    "dim": 2,
    "italic": 3,
    "underline": 4,
    "blink": 5,
    "blink2": 6,
    "reverse": 7,
    "conceal": 8,
    "strike": 9,
}
_COLORS = {
    name: code
    for i, base in enumerate(("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"))
    for name, code in ((base, 30 + i), (f"bright_{base}", 90 + i))
}
_Parsed = tuple[frozenset[int], int | None]
_parsed: dict[str, _Parsed | None] = {"": (frozenset(), None)}


def _parse(style: str) -> _Parsed | None:
    """Attribute codes and color code of a style made of attribute and color words."""
    if style not in _parsed:
        attrs: set[int] = set()
        color: int | None = None
        result: _Parsed | None = None
        for word in style.lower().split():
            if word in _ATTRIBUTES:
                attrs.add(_ATTRIBUTES[word])
            elif word in _COLORS:
                color = _COLORS[word]
            else:
                break
        else:
            result = (frozenset(attrs), color)
        _parsed[style] = result
    return _parsed[style]


def _sgr(styles: list[str]) -> str | None:
    """The SGR parameters of styles combined in order (later colors win), as rich writes them."""
    attrs: set[int] = set()
    color: int | None = None
    for style in styles:
        parsed = _parse(style)
        if parsed is None:
            raise _Unsupported
        attrs |= parsed[0]
        if parsed[1] is not None:
            color = parsed[1]
    codes = [str(a) for a in sorted(attrs)]
    if color is not None:
        codes.append(str(color))
    return ";".join(codes) or None


class _Unsupported(Exception):
    pass


def _seg(text: str, sgr: str | None, color: bool) -> str:
    return f"\x1b[{sgr}m{text}\x1b[0m" if color and sgr and text else text


def _printable(text: str) -> bool:
    return text.isascii() and text.isprintable()


def _runs(
    line: str, start: int, base: str, spans: list[Span], color: bool, width: int, cell: str = ""
) -> str:
    """One line of a Text cell, padded to ``width``: segments split at every span edge.

    ``cell`` is the style of the table cell, applied under the text's own styles.
    """
    end = start + len(line)
    padded = line + " " * (width - len(line))
    if not color:
        return padded
    inside = [(max(s, start) - start, min(e, end) - start, st) for s, e, st in spans if s < end and e > start]
    edges = sorted({0, len(padded), *(x for s, e, _ in inside for x in (s, e))})
    out = []
    for a, b in pairwise(edges):
        styles = [st for st in (cell, base) if st] + [st for s, e, st in inside if s <= a and b <= e]
        out.append(_seg(padded[a:b], _sgr(styles), color))
    return "".join(out)


def line(text: Styled, *, width: int, color: bool) -> str | None:
    """A Styled on one line, as ``console.print`` writes it (without the newline), or None.

    Besides printable ASCII, only ``❯`` (one cell wide) is allowed: the list's marker.
    """
    if len(text.plain) > width or not _printable(text.plain.replace("❯", "")):
        return None
    if any(start >= end for start, end, _ in text.spans):
        return None
    try:
        if not color:
            return text.plain
        return _runs(text.plain, 0, text.style, text.spans, color, len(text.plain))
    except _Unsupported:
        return None


def kv_block(rows: list[tuple[str, Styled]], *, indent: int, width: int, color: bool) -> str | None:
    """What rich prints for ``Padding(kv_table(rows), (0, 0, 0, indent))`` (compact style), or None.

    The key column is bold and as wide as the longest ``key:``; values are left-justified
    and padded to the widest line of any value; every cell has one space on each side.
    """
    keys = [f"{key}:" for key, _ in rows]
    cells: list[list[str]] = []
    for key, (_, value) in zip(keys, rows, strict=True):
        lines = value.plain.split("\n")
        if not value.plain or not _printable(key) or not all(_printable(x) for x in lines):
            return None
        if any(start >= end for start, end, _ in value.spans):
            return None  # an empty span splits a run in rich's output: not worth copying
        cells.append(lines)
    key_width = max(len(k) for k in keys)
    value_width = max(len(x) for lines in cells for x in lines)
    if indent + key_width + value_width + 4 > width:
        return None  # rich would wrap: leave it to rich
    pad = " " * indent
    bold = _seg(" ", "1", color)
    blank_key = _seg(" " * (key_width + 2), "1", color)
    out: list[str] = []
    try:
        for key, lines, (_, value) in zip(keys, cells, rows, strict=True):
            offset = 0
            for i, text in enumerate(lines):
                head = bold + _seg(key.ljust(key_width), "1", color) + bold if i == 0 else blank_key
                body = _runs(text, offset, value.style, value.spans, color, value_width)
                out.append(f"{pad}{head} {body} \n")
                offset += len(text) + 1
    except _Unsupported:
        return None
    return "".join(out)


def table_block(headers: list[str], rows: list[list[Styled]], *, width: int, color: bool) -> str | None:
    """What rich prints for ``new_table(opts, headers=headers)`` (compact style) with these
    one-line rows, or None.

    A bold header row, then the rows; every column as wide as its widest cell, with one
    space on each side of every cell.
    """
    if any(not _printable(h) for h in headers):
        return None
    for row in rows:
        if len(row) != len(headers):
            return None
        for cell in row:
            if not _printable(cell.plain) or any(start >= end for start, end, _ in cell.spans):
                return None
    widths = [max([len(h)] + [len(row[i].plain) for row in rows]) for i, h in enumerate(headers)]
    if sum(w + 2 for w in widths) > width:
        return None  # rich would wrap: leave it to rich
    try:
        bold = _seg(" ", "1", color)
        out = [
            "".join(bold + _seg(h.ljust(w), "1", color) + bold for h, w in zip(headers, widths, strict=True))
        ]
        for row in rows:
            cells = (
                f" {_runs(c.plain, 0, c.style, c.spans, color, w)} " for c, w in zip(row, widths, strict=True)
            )
            out.append("".join(cells))
    except _Unsupported:
        return None
    return "\n".join(out) + "\n"
