"""JSON request bodies read as restate-server reads them (serde_json), for the same answers.

restate-server answers a body it cannot parse with 400 and one that does not fit the
expected type with 422, naming the field (``new_state.a[0]``) and the place (``at line 1
column 39``). ``parse`` raises ``JsonBodyError`` for the first; for the second,
``protocol.structs`` validates the parsed value with a pydantic model and words its errors
with ``describe``, ``path_text`` and the place ``value_place`` finds.

Two inputs Python's ``json`` takes where serde_json does not, or the other way round:

* a lone surrogate escape (``"\\ud800"``): a parse error naming where it is;
* deep nesting: serde_json stops at 128 levels where it keeps a value whole
  (``buffered``: the deployment registration, an endpoint manifest). Elsewhere only fields
  that expect something else see the depth, so a value nested deeper than Python's parser
  goes is replaced by an empty one of the same kind: the type checks then answer as
  restate does.

Positions are found by a small scanner over the text, only when a body needs them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 128  # serde_json's recursion limit
_KEEP_DEPTH = 200  # what the fallback parser keeps of a deeper value
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_TOKEN = re.compile(
    r'[ \t\n\r]*(?:([{}\[\]:,])|("(?:[^"\\]|\\.)*")|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)'
    r"|(true|false|null))",
    re.DOTALL,
)
_LONE = "lone leading surrogate in hex escape"
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)

Path = tuple[str | int, ...]


class JsonBodyError(Exception):
    """A body restate would refuse: ``status`` 400 (unparsable) or 422 (wrong type).
    ``message`` is the answer's text, ``reason`` what serde_json itself says (no field)."""

    def __init__(self, status: int, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason or message


def parse(body: bytes | str, *, buffered: bool = False) -> Any:
    """The JSON value of ``body``, or ``JsonBodyError(400, ...)`` with restate's text."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as e:
        where = place(body.decode("latin-1"), e.start)
        raise _parse_error((), "invalid unicode code point", where) from None
    suspicious = bool(_SURROGATE.search(text)) or (buffered and _brackets(text) >= MAX_DEPTH)
    if not suspicious:
        try:
            return json.loads(text)
        except RecursionError:
            pass
        except ValueError as e:
            raise _syntax_error(e) from None
    try:
        json.loads(text)
    except RecursionError:
        pass
    except ValueError as e:
        raise _syntax_error(e) from None
    return _Scanner(text, MAX_DEPTH if buffered else None).value()


def value_place(text: str, path: Path, *, at_end: bool = False, at_start: bool = False) -> int:
    """Where serde reports an error about the value at ``path``: its last character if it
    is a scalar (or with ``at_end``), just before it if it is an array or an object, its
    first character with ``at_start``; -1 if there is no such value."""
    found = _Scanner(text, None).locate(path)
    if found is None:
        return -1
    start, end = found
    if at_start:
        return start
    if at_end or text[start] not in "[{":
        return end - 1
    return max(start - 1, 0)


def describe(value: Any) -> str:
    """How serde names an unexpected value: ``integer `5```, ``string "x"``, ``map``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{'true' if value else 'false'}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f"string {json.dumps(value, ensure_ascii=False)}"
    return "sequence" if isinstance(value, list) else "map"


def path_text(path: Path) -> str:
    """``new_state.a[0]``: fields joined with dots, indexes in brackets."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _syntax_error(e: ValueError) -> JsonBodyError:
    msg = getattr(e, "msg", str(e))
    if msg.startswith("Expecting value"):
        msg = "expected value"
    reason = f"{msg} at line {getattr(e, 'lineno', 1)} column {getattr(e, 'colno', 1)}"
    return JsonBodyError(400, f"Failed to parse the request body as JSON: {reason}", reason)


def _parse_error(path: Path, reason: str, place: str) -> JsonBodyError:
    prefix = f"{path_text(path)}: " if path else ""
    reason = f"{reason} at {place}"
    return JsonBodyError(400, f"Failed to parse the request body as JSON: {prefix}{reason}", reason)


def place(text: str, index: int) -> str:
    """``line L column C`` of the character at ``index`` (columns count bytes, from 1)."""
    line_start = text.rfind("\n", 0, index) + 1
    column = len(text[line_start : index + 1].encode("utf-8", errors="surrogatepass"))
    return f"line {text.count(chr(10), 0, index) + 1} column {column}"


def _brackets(text: str) -> int:
    return text.count("[") + text.count("{")


class _Scanner:
    """A parser without recursion: builds the value, tracks each value's path and place,
    and reports lone surrogates and (with ``limit``) nesting past it as serde_json does."""

    def __init__(self, text: str, limit: int | None) -> None:
        self.text = text
        self.limit = limit

    def _tokens(self) -> Iterator[tuple[str, str, int, int]]:
        pos, text = 0, self.text
        while True:
            m = _TOKEN.match(text, pos)
            if m is None:
                rest = text[pos:].lstrip(" \t\n\r")
                if rest:
                    raise _parse_error((), "invalid JSON", place(text, len(text) - len(rest)))
                return
            pos = m.end()
            start = m.start(m.lastindex or 0)
            kind = (
                "punct" if m.group(1) else "string" if m.group(2) else "number" if m.group(3) else "literal"
            )
            yield kind, m.group(m.lastindex or 0), start, pos

    def _walk(self) -> Iterator[tuple[Path, Any, int, int, bool]]:
        """Every complete value: (path, value, start, end, is the value a key)."""
        stack: list[tuple[Any, Path, int, str | None]] = []  # (container, path, start, its key)
        key: str | None = None
        expect_key = False
        for kind, token, start, end in self._tokens():
            if kind == "punct":
                if token in "[{":
                    here = self._child(stack, key)
                    if self.limit is not None and len(stack) + 1 >= self.limit:
                        raise _parse_error(here, "recursion limit exceeded", place(self.text, start))
                    container: Any = [] if token == "[" else {}
                    if len(stack) >= _KEEP_DEPTH:
                        container = _Deep() if token == "[" else _DeepMap()
                    stack.append((container, here, start, key))
                    expect_key = token == "{"
                    key = None
                elif token in "]}":
                    container, here, begun, key = stack.pop()
                    yield here, container, begun, end, False
                    self._store(stack, key, container)
                    key = None
                    expect_key = False
                elif token == ",":
                    expect_key = bool(stack) and isinstance(stack[-1][0], dict)
                continue
            if kind == "string":
                is_key = expect_key
                here = (*stack[-1][1], "?") if is_key else self._child(stack, key)
                value = self._string(token, start, here)
                if is_key:
                    key, expect_key = value, False
                    yield here, value, start, end, True
                    continue
            elif kind == "number":
                value = json.loads(token)
                here = self._child(stack, key)
            else:
                value = {"true": True, "false": False, "null": None}[token]
                here = self._child(stack, key)
            yield here, value, start, end, False
            self._store(stack, key, value)
            key = None

    def value(self) -> Any:
        result: Any = None
        for here, value, _, _, is_key in self._walk():
            if not here and not is_key:
                result = value
        return result

    def locate(self, path: Path) -> tuple[int, int] | None:
        try:
            for here, _, start, end, is_key in self._walk():
                if here == path and not is_key:
                    return start, end
        except JsonBodyError:
            return None
        return None

    @staticmethod
    def _child(stack: list[tuple[Any, Path, int, str | None]], key: str | None) -> Path:
        if not stack:
            return ()
        container, here = stack[-1][0], stack[-1][1]
        return (*here, len(container)) if isinstance(container, list) else (*here, key or "?")

    @staticmethod
    def _store(stack: list[tuple[Any, Path, int, str | None]], key: str | None, value: Any) -> None:
        if not stack:
            return
        container = stack[-1][0]
        if isinstance(container, (_Deep, _DeepMap)):
            return
        if isinstance(container, list):
            container.append(value)
        else:
            container[key] = value

    def _string(self, token: str, start: int, path: Path) -> str:
        escapes = list(_ESCAPE.finditer(token))
        for i, m in enumerate(escapes):
            code = m.group(1)
            if not code.startswith("u"):
                continue
            n = int(code[1:], 16)
            at = start + m.start()  # the backslash
            if 0xDC00 <= n <= 0xDFFF:
                previous = escapes[i - 1] if i else None
                if previous is None or previous.end() != m.start() or not _is_high(previous.group(1)):
                    raise _parse_error(path, "lone leading surrogate in hex escape", place(self.text, at + 5))
            elif 0xD800 <= n <= 0xDBFF:
                following = escapes[i + 1] if i + 1 < len(escapes) else None
                if (
                    following is None
                    or following.start() != m.end()
                    or not following.group(1).startswith("u")
                ):
                    raise _parse_error(path, "unexpected end of hex escape", place(self.text, at + 6))
                if not 0xDC00 <= int(following.group(1)[1:], 16) <= 0xDFFF:
                    raise _parse_error(
                        path, "lone leading surrogate in hex escape", place(self.text, at + 11)
                    )
        return json.loads(token)


def _is_high(code: str) -> bool:
    return code.startswith("u") and 0xD800 <= int(code[1:], 16) <= 0xDBFF


class _Deep(list):  # type: ignore[type-arg]
    """An array nested deeper than kept: its kind, without its items."""


class _DeepMap(dict):  # type: ignore[type-arg]
    """An object nested deeper than kept: its kind, without its members."""
