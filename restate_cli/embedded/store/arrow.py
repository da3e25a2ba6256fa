"""A small Arrow IPC stream writer, enough for ``POST /query`` without pyarrow.

A stream is a Schema message, zero or more RecordBatch messages and an end-of-stream
marker. Each message is ``0xFFFFFFFF``, an int32 metadata length, a flatbuffer
``Message`` padded to 8 bytes, then the body: the batch's buffers, each padded to 8 bytes.
Metadata version is V5 and everything is little-endian. A stream with no rows has no
RecordBatch: readers see the schema and an empty table.

The flatbuffers are laid out front to back: a table comes before the strings, vectors
and tables it points to, so every offset is positive and no generated code is needed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, NamedTuple

__all__ = [
    "BATCH_ROWS",
    "BINARY",
    "BOOLEAN",
    "CONTENT_TYPE",
    "DURATION_MS",
    "FLOAT64",
    "INT64",
    "LARGE_BINARY",
    "LARGE_UTF8",
    "LIST_UINT32",
    "TIMESTAMP_MS",
    "UINT32",
    "UINT64",
    "UTF8",
    "ArrowType",
    "Column",
    "encode_rows",
    "encode_stream",
    "infer_type",
    "iter_stream",
    "list_of",
]

CONTENT_TYPE = "application/vnd.apache.arrow.stream"
BATCH_ROWS = 65_536

# A field of a flatbuffer table: (slot in the vtable, struct code, value). The code "obj"
# marks an offset to a child object: a str, a _Table, a _Structs or a list of _Table.
_Slot = tuple[int, str, Any]


@dataclass(frozen=True)
class ArrowType:
    """An Arrow data type: its ``Type`` union tag in Schema.fbs and its memory layout."""

    name: str
    tag: int
    layout: str  # "fixed", "bool", "bytes" (offsets + data) or "list" (offsets + child)
    code: str = ""  # struct code of one value ("fixed") or of one offset ("bytes", "list")
    params: tuple[_Slot, ...] = ()  # fields of the type's own flatbuffer table
    item: ArrowType | None = None  # element type of a list

    def __repr__(self) -> str:
        return self.name


_UTF8_TAGS = frozenset({5, 20})
_TIMESTAMP, _DURATION, _LIST = 10, 18, 12
_MILLISECOND, _DOUBLE = 1, 2

UTF8 = ArrowType("Utf8", 5, "bytes", "i")
LARGE_UTF8 = ArrowType("LargeUtf8", 20, "bytes", "q")
BINARY = ArrowType("Binary", 4, "bytes", "i")
LARGE_BINARY = ArrowType("LargeBinary", 19, "bytes", "q")
INT64 = ArrowType("Int64", 2, "fixed", "q", ((0, "i", 64), (1, "?", True)))
UINT64 = ArrowType("UInt64", 2, "fixed", "Q", ((0, "i", 64), (1, "?", False)))
UINT32 = ArrowType("UInt32", 2, "fixed", "I", ((0, "i", 32), (1, "?", False)))
FLOAT64 = ArrowType("Float64", 3, "fixed", "d", ((0, "h", _DOUBLE),))
BOOLEAN = ArrowType("Boolean", 6, "bool")
TIMESTAMP_MS = ArrowType(
    "Timestamp(ms, +00:00)",
    _TIMESTAMP,
    "fixed",
    "q",
    ((0, "h", _MILLISECOND), (1, "obj", "+00:00")),
)
DURATION_MS = ArrowType("Duration(ms)", _DURATION, "fixed", "q", ((0, "h", _MILLISECOND),))


def list_of(item: ArrowType) -> ArrowType:
    """``List(item)`` with int32 offsets; the child field is the nullable ``item``."""
    return ArrowType(f"List({item.name})", _LIST, "list", "i", (), item)


LIST_UINT32 = list_of(UINT32)


class Column(NamedTuple):
    """A schema column; plain ``(name, type)`` or ``(name, type, nullable)`` tuples work too."""

    name: str
    type: ArrowType
    nullable: bool = True


def iter_stream(
    columns: Sequence[Column | tuple[Any, ...]],
    rows: Iterable[Sequence[Any]],
    *,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[bytes]:
    """Yield the stream message by message: schema, a batch per ``batch_rows`` rows, end marker.

    A value that does not fit its type raises ValueError naming the column, while
    iterating, so possibly after earlier messages went out; ``encode_stream`` fails first.
    """
    cols = [Column(*c) for c in columns]
    for col in cols:
        if not isinstance(col.type, ArrowType):
            raise TypeError(f"column {col.name!r}: {col.type!r} is not an ArrowType")
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    schema = _Table(((0, "h", 0), (1, "obj", [_field(c.name, c.type, c.nullable) for c in cols])))
    yield _message(1, schema, b"")
    it = iter(rows)
    while chunk := list(islice(it, batch_rows)):
        yield _record_batch(cols, chunk)
    yield _END_OF_STREAM


def encode_stream(
    columns: Sequence[Column | tuple[Any, ...]],
    rows: Iterable[Sequence[Any]],
    *,
    batch_rows: int = BATCH_ROWS,
) -> bytes:
    """The whole Arrow IPC stream for ``rows`` (row-major) under the schema ``columns``.

    Values by type: ints for the integer types; floats (or ints) for Float64; bools;
    str for Utf8/LargeUtf8; bytes-like for Binary/LargeBinary; epoch milliseconds or an
    aware datetime for Timestamp; milliseconds or a timedelta for Duration; a sequence
    of item values for List. ``None`` is null, in any column.
    """
    return b"".join(iter_stream(columns, rows, batch_rows=batch_rows))


def encode_rows(
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    types: Mapping[str, ArrowType] | None = None,
) -> bytes:
    """Like ``encode_stream``, with every column nullable and typed by ``infer_type``.

    ``types`` maps column names to explicit types, which win over inference.
    """
    rows = list(rows)
    if any(len(row) != len(names) for row in rows):
        raise ValueError(f"every row must have {len(names)} values")
    types = dict(types or {})
    if unknown := types.keys() - set(names):
        raise ValueError(f"types given for unknown columns: {', '.join(sorted(unknown))}")
    columns = [
        Column(name, types.get(name) or infer_type(row[i] for row in rows)) for i, name in enumerate(names)
    ]
    return encode_stream(columns, rows)


_INFERENCE: tuple[tuple[type | tuple[type, ...], ArrowType], ...] = (
    (bool, BOOLEAN),  # before int: bool is an int
    (int, INT64),
    (float, FLOAT64),
    (str, UTF8),
    ((bytes, bytearray, memoryview), BINARY),
    (datetime, TIMESTAMP_MS),
    (timedelta, DURATION_MS),
)


def infer_type(values: Iterable[Any]) -> ArrowType:
    """The type for a column of Python values; all-None gives Utf8, ints with floats Float64."""
    found: set[ArrowType] = set()
    for value in values:
        if value is None:
            continue
        kind = next((t for cls, t in _INFERENCE if isinstance(value, cls)), None)
        if kind is None:
            raise TypeError(f"no Arrow type for {type(value).__name__} values")
        found.add(kind)
    if not found:
        return UTF8
    if found == {INT64, FLOAT64}:
        return FLOAT64
    if len(found) > 1:
        raise TypeError(f"mixed value types: {', '.join(sorted(t.name for t in found))}")
    return found.pop()


# ---------------------------------------------------------------------------------------
# Record batches

_CONTINUATION = b"\xff\xff\xff\xff"
_END_OF_STREAM = _CONTINUATION + b"\x00\x00\x00\x00"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _field(name: str, typ: ArrowType, nullable: bool) -> _Table:
    children = [_field("item", typ.item, True)] if typ.item else []
    return _Table(
        (
            (0, "obj", name),
            (1, "?", nullable),
            (2, "B", typ.tag),
            (3, "obj", _Table(typ.params)),
            (5, "obj", children),
        )
    )


def _record_batch(columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> bytes:
    if any(len(row) != len(columns) for row in rows):
        raise ValueError(f"every row must have {len(columns)} values")
    nodes: list[tuple[int, int]] = []
    buffers: list[bytes] = []
    for i, col in enumerate(columns):
        first_node = len(nodes)
        try:
            _encode_array(col.type, [row[i] for row in rows], nodes, buffers)
        except (struct.error, TypeError, ValueError, OverflowError) as e:
            raise ValueError(f"column {col.name!r} ({col.type.name}): {e}") from e
        if not col.nullable and nodes[first_node][1]:
            raise ValueError(f"column {col.name!r} is not nullable but has nulls")
    body = bytearray()
    spans = []
    for buf in buffers:
        spans.append((len(body), len(buf)))
        body += buf
        body += bytes(-len(buf) % 8)
    batch = _Table(
        ((0, "q", len(rows)), (1, "obj", _Structs("qq", nodes)), (2, "obj", _Structs("qq", spans)))
    )
    return _message(3, batch, bytes(body))


def _encode_array(
    typ: ArrowType, values: list[Any], nodes: list[tuple[int, int]], buffers: list[bytes]
) -> None:
    """Append the field nodes and buffers of one array, depth first, as Message.fbs orders them."""
    present = [v is not None for v in values]
    nulls = len(values) - sum(present)
    nodes.append((len(values), nulls))
    buffers.append(_bitmap(present) if nulls else b"")
    if typ.layout == "fixed":
        convert = _CONVERTERS.get(typ.tag)
        if convert:
            values = [None if v is None else convert(v) for v in values]
        zero = 0.0 if typ.code == "d" else 0
        buffers.append(struct.pack(f"<{len(values)}{typ.code}", *(zero if v is None else v for v in values)))
    elif typ.layout == "bool":
        buffers.append(_bitmap([_bool(v) for v in values]))
    elif typ.layout == "bytes":
        encode = _utf8 if typ.tag in _UTF8_TAGS else _binary
        data = [b"" if v is None else encode(v) for v in values]
        buffers.append(_offsets(typ.code, (len(d) for d in data)))
        buffers.append(b"".join(data))
    else:
        assert typ.item is not None
        items = [() if v is None else _sequence(v) for v in values]
        buffers.append(_offsets(typ.code, (len(i) for i in items)))
        _encode_array(typ.item, [x for i in items for x in i], nodes, buffers)


def _offsets(code: str, lengths: Iterable[int]) -> bytes:
    offsets = [0]
    for n in lengths:
        offsets.append(offsets[-1] + n)
    if code == "i" and offsets[-1] >= 2**31:
        raise OverflowError("more than 2 GiB of data; use a Large type")
    return struct.pack(f"<{len(offsets)}{code}", *offsets)


def _bitmap(bits: Sequence[bool]) -> bytes:
    """LSB-first bit-packed booleans, as validity bitmaps and Boolean values use."""
    out = bytearray((len(bits) + 7) // 8)
    for i, bit in enumerate(bits):
        if bit:
            out[i >> 3] |= 1 << (i & 7)
    return bytes(out)


def _utf8(value: Any) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    return value.encode()


def _binary(value: Any) -> bytes:
    if isinstance(value, str):
        raise TypeError("expected bytes, got str")
    return bytes(memoryview(value))


def _sequence(value: Any) -> Sequence[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(f"expected a sequence, got {type(value).__name__}")
    return value


def _epoch_ms(value: Any) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime; give it a time zone")
        return (value - _EPOCH) // _MS
    return value


def _duration_ms(value: Any) -> int:
    return value // _MS if isinstance(value, timedelta) else value


def _bool(value: Any) -> bool:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"expected bool, got {type(value).__name__}")
    return bool(value)


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected float, got {type(value).__name__}")
    return float(value)


_CONVERTERS = {_TIMESTAMP: _epoch_ms, _DURATION: _duration_ms, 3: _float}


# ---------------------------------------------------------------------------------------
# Flatbuffers


class _Table(NamedTuple):
    slots: tuple[_Slot, ...]


class _Structs(NamedTuple):
    """A vector of structs made of 8-byte fields (FieldNode, Buffer)."""

    code: str
    items: Sequence[tuple[int, ...]]


def _message(header_type: int, header: _Table, body: bytes) -> bytes:
    """One encapsulated IPC message: prefix, ``Message`` flatbuffer (V5), body."""
    message = _Table(((0, "h", 4), (1, "B", header_type), (2, "obj", header), (3, "q", len(body))))
    meta = _Builder().finish(message)
    return _CONTINUATION + struct.pack("<i", len(meta)) + meta + body


class _Builder:
    """Lays out one flatbuffer front to back, each scalar aligned to its size."""

    def __init__(self) -> None:
        self.buf = bytearray(4)  # the root offset, patched by finish

    def finish(self, root: _Table) -> bytes:
        self._point(0, self._table(root))
        self._pad(8)
        return bytes(self.buf)

    def _pad(self, align: int, ahead: int = 0) -> None:
        """Pad so that an object starting ``ahead`` bytes from here is aligned."""
        self.buf += bytes(-(len(self.buf) + ahead) % align)

    def _point(self, at: int, target: int) -> None:
        struct.pack_into("<I", self.buf, at, target - at)

    def _object(self, obj: Any) -> int:
        if isinstance(obj, str):
            return self._string(obj)
        if isinstance(obj, _Table):
            return self._table(obj)
        if isinstance(obj, _Structs):
            return self._structs(obj)
        return self._tables(obj)

    def _string(self, text: str) -> int:
        data = text.encode()
        self._pad(4)
        pos = len(self.buf)
        self.buf += struct.pack("<I", len(data)) + data + b"\x00"
        return pos

    def _structs(self, vec: _Structs) -> int:
        self._pad(8, 4)  # the elements after the length are 8-aligned
        pos = len(self.buf)
        self.buf += struct.pack("<I", len(vec.items))
        for item in vec.items:
            self.buf += struct.pack(f"<{vec.code}", *item)
        return pos

    def _tables(self, tables: Sequence[_Table]) -> int:
        self._pad(4)
        pos = len(self.buf)
        self.buf += struct.pack("<I", len(tables)) + bytes(4 * len(tables))
        for i, table in enumerate(tables):
            self._point(pos + 4 + 4 * i, self._table(table))
        return pos

    def _table(self, table: _Table) -> int:
        # Largest fields first: with the table 4 bytes short of an 8-byte boundary, every
        # field after its int32 vtable offset then lands aligned without padding.
        slots = sorted(table.slots, key=lambda s: -_size(s[1]))
        count = max((s[0] for s in slots), default=-1) + 1
        vtable_size = 4 + 2 * count
        self._pad(8, vtable_size + 4)
        vtable = len(self.buf)
        self.buf += bytes(vtable_size)
        start = len(self.buf)
        self.buf += struct.pack("<i", start - vtable)
        where = [0] * count
        children = []
        for slot, code, value in slots:
            where[slot] = len(self.buf) - start
            if code == "obj":
                children.append((len(self.buf), value))
                self.buf += bytes(4)
            else:
                self.buf += struct.pack(f"<{code}", value)
        struct.pack_into(f"<HH{count}H", self.buf, vtable, vtable_size, len(self.buf) - start, *where)
        for at, child in children:
            self._point(at, self._object(child))
        return start


def _size(code: str) -> int:
    return 4 if code == "obj" else struct.calcsize(f"<{code}")
