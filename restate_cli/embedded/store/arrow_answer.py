"""Arrow IPC stream answers of ``POST /query``, written by arro3 (arrow-rs, as the official
CLI reads them).

Imported only when a client asks for ``application/vnd.apache.arrow.stream``. SQLite
values carry no declared type, so a column's type comes from its values, unless given:
text is LargeUtf8, blobs LargeBinary, integers Int64, reals Float64 (Float64 too for
integers mixed with reals), booleans Boolean, and a column of NULLs only LargeUtf8, as
restate-server types its string columns. Rows arrive a batch at a time (``add``), each
becoming record batches of up to ``batch_rows`` rows, counted against ``limit``; the
stream is written when all have arrived, once every column's type is known.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from arro3.core import Array, DataType, Field, RecordBatch, RecordBatchReader, Schema
from arro3.io import write_ipc_stream

CONTENT_TYPE = "application/vnd.apache.arrow.stream"
BATCH_ROWS = 65_536
BOOLEAN = DataType.bool()

# A column: its name (type from its values, nullable), or (name, type[, nullable]).
ColumnSpec = str | tuple[str, DataType] | tuple[str, DataType, bool]

_TYPES = {
    "bool": BOOLEAN,
    "int": DataType.int64(),
    "float": DataType.float64(),
    "str": DataType.large_utf8(),
    "bytes": DataType.large_binary(),
}


class TooLarge(Exception):
    """The encoded batches passed the writer's ``limit`` of bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the Arrow answer passed {limit} bytes")
        self.limit = limit


class ArrowWriter:
    """Rows in, one Arrow IPC stream out."""

    def __init__(
        self, columns: Sequence[ColumnSpec], *, limit: int | None = None, batch_rows: int = BATCH_ROWS
    ) -> None:
        specs = [
            (c, None, True) if isinstance(c, str) else (c[0], c[1], c[2] if len(c) > 2 else True)
            for c in columns
        ]
        self.names = [name for name, _, _ in specs]
        self._given: list[DataType | None] = [typ for _, typ, _ in specs]
        self._nullable = [nullable for _, _, nullable in specs]
        self._kinds: list[set[str]] = [set() for _ in specs]
        self._batches: list[list[Array | int]] = []  # an int: that many NULLs, type not yet known
        self.limit = limit
        self.batch_rows = batch_rows
        self.nbytes = 0

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        """Encode rows; raises ``TooLarge`` once the batches pass ``limit`` bytes."""
        width = len(self.names)
        if any(len(row) != width for row in rows):
            raise ValueError(f"every row must have {width} values")
        for start in range(0, len(rows), self.batch_rows):
            chunk = rows[start : start + self.batch_rows]
            self._batches.append([self._array(i, [row[i] for row in chunk]) for i in range(width)])
            if self.limit is not None and self.nbytes > self.limit:
                raise TooLarge(self.limit)

    def _array(self, i: int, values: list[Any]) -> Array | int:
        typ = self._given[i]
        if typ is None:
            kinds = {_kind(v, self.names[i]) for v in values if v is not None}
            if not kinds:
                return len(values)
            self._kinds[i] |= kinds
            typ = _TYPES[_resolve(kinds, self.names[i])]
        array = _build(values, typ, self.names[i])
        self.nbytes += array.nbytes
        return array

    def finish(self) -> bytes:
        """The stream: schema, the record batches, end of stream."""
        types = [
            given or (_TYPES[_resolve(kinds, name)] if kinds else _TYPES["str"])
            for given, kinds, name in zip(self._given, self._kinds, self.names, strict=True)
        ]
        schema = Schema(
            [Field(n, t, nullable) for n, t, nullable in zip(self.names, types, self._nullable, strict=True)]
        )
        batches = [
            RecordBatch.from_arrays(self._final(arrays, types), schema=schema) for arrays in self._batches
        ]
        self._batches = []
        out = io.BytesIO()
        write_ipc_stream(RecordBatchReader.from_batches(schema, batches), out)
        return out.getvalue()

    def _final(self, arrays: list[Array | int], types: list[DataType]) -> list[Array]:
        final = []
        for name, array, typ, nullable in zip(self.names, arrays, types, self._nullable, strict=True):
            if isinstance(array, int):
                array = Array([None] * array, typ)
            elif array.type != typ:  # integers in a batch of a column that has reals in another
                array = array.cast(typ)
            if not nullable and array.null_count:
                raise ValueError(f"column {name!r} is not nullable and has a NULL value")
            final.append(array)
        return final


def encode(
    columns: Sequence[ColumnSpec], rows: Sequence[Sequence[Any]], *, batch_rows: int = BATCH_ROWS
) -> bytes:
    """An Arrow IPC stream of ``rows`` in one call."""
    writer = ArrowWriter(columns, batch_rows=batch_rows)
    writer.add(rows)
    return writer.finish()


def _kind(value: Any, name: str) -> str:
    if isinstance(value, bool):  # before int: a bool is an int
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, bytes | bytearray | memoryview):
        return "bytes"
    raise TypeError(f"column {name!r}: no Arrow type for {type(value).__name__} values")


def _resolve(kinds: set[str], name: str) -> str:
    if kinds == {"int", "float"}:
        return "float"
    if len(kinds) > 1:
        raise TypeError(f"column {name!r} mixes value types: {', '.join(sorted(kinds))}")
    return next(iter(kinds))


def _build(values: list[Any], typ: DataType, name: str) -> Array:
    if DataType.is_binary(typ) or DataType.is_large_binary(typ):
        values = [bytes(v) if isinstance(v, memoryview) else v for v in values]
    try:
        return Array(values, typ)
    except (TypeError, ValueError, OverflowError) as e:
        type_name = str(typ).strip().removeprefix("arro3.core.DataType<").removesuffix(">")
        raise ValueError(f"column {name!r} ({type_name}): {e}") from None
