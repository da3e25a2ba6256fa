"""Arrow IPC stream writer: every type round-trips through pyarrow, and through arrow-rs
(by way of arro3) where that is installed, and the framing matches restate-server's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from restate_cli.embedded.store import arrow
from restate_cli.embedded.store.arrow import Column

pa = pytest.importorskip("pyarrow")
ipc = pytest.importorskip("pyarrow.ipc")
try:
    import arro3.io as arro3_io
except ImportError:  # pragma: no cover - arrow-rs checks are skipped without it
    arro3_io = None

# POST /query with accept */* against restate-server 1.7.12: two LargeUtf8 columns
# (`id` nullable, `status` not), one row per record batch.
REAL_STREAM = Path(__file__).parent / "data" / "query-1.7.12.arrows"
END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def read(data: bytes) -> Any:
    """Read a stream with pyarrow, checking every buffer, offset and UTF-8 string."""
    table = ipc.open_stream(data).read_all()
    table.validate(full=True)
    return table


def read_arrow_rs(data: bytes) -> Any:
    """Read a stream with arrow-rs's StreamReader, then hand the arrays to pyarrow."""
    return pa.table(arro3_io.read_ipc_stream(data).read_all())


# Every reader available here: pyarrow always, arrow-rs (the official CLI's) when installed.
READERS = [read] + ([read_arrow_rs] if arro3_io else [])


def read_all_ways(data: bytes) -> Any:
    """Read with every reader; they must agree. Returns pyarrow's table."""
    tables = [reader(data) for reader in READERS]
    for other in tables[1:]:
        assert other.equals(tables[0], check_metadata=True)
    return tables[0]


UTC_PLUS_2 = timezone(timedelta(hours=2))

# (type, pyarrow type, values given, values read back)
CASES = [
    (
        arrow.UTF8,
        pa.string(),
        ["a", "", "grüße ✓ 日本", None, "x" * 1000],
        ["a", "", "grüße ✓ 日本", None, "x" * 1000],
    ),
    (arrow.LARGE_UTF8, pa.large_string(), ["", None, "é", "Probe/greet"], None),
    (arrow.BINARY, pa.binary(), [b"\x00\xff", b"", None, bytearray(b"42")], None),
    (arrow.LARGE_BINARY, pa.large_binary(), [b"42", None, b""], None),
    (arrow.INT64, pa.int64(), [-(2**63), -1, 0, None, 2**63 - 1], None),
    (arrow.UINT64, pa.uint64(), [0, 2**63, 14463240956964426681, None, 2**64 - 1], None),
    (arrow.UINT32, pa.uint32(), [6, None, 0, 2**32 - 1], None),
    (arrow.FLOAT64, pa.float64(), [1.5, -0.0, None, 1e300, 2], [1.5, -0.0, None, 1e300, 2.0]),
    (arrow.BOOLEAN, pa.bool_(), [True, False, None] * 4, None),
    (
        arrow.TIMESTAMP_MS,
        pa.timestamp("ms", tz="+00:00"),
        [1795800955649, None, 0, datetime(2026, 11, 27, 19, 26, 25, 200000, tzinfo=UTC_PLUS_2)],
        [
            datetime(2026, 11, 27, 17, 35, 55, 649000, tzinfo=UTC),
            None,
            datetime(1970, 1, 1, tzinfo=UTC),
            datetime(2026, 11, 27, 17, 26, 25, 200000, tzinfo=UTC),
        ],
    ),
    (
        arrow.DURATION_MS,
        pa.duration("ms"),
        [86_400_000, timedelta(seconds=1.5), 0, None],
        [timedelta(days=1), timedelta(seconds=1.5), timedelta(0), None],
    ),
    (arrow.LIST_UINT32, pa.list_(pa.uint32()), [[1], [], None, [1, None, 3]], None),
    (arrow.list_of(arrow.UTF8), pa.list_(pa.string()), [["a", ""], None, []], None),
]


@pytest.mark.parametrize(("typ", "pa_type", "values", "expected"), CASES, ids=[c[0].name for c in CASES])
def test_round_trip(typ: arrow.ArrowType, pa_type: Any, values: list, expected: list) -> None:
    data = arrow.encode_stream([("c", typ)], [[v] for v in values])
    table = read_all_ways(data)
    assert table.schema.field("c").type == pa_type
    assert table.schema.field("c").nullable
    assert table.column("c").to_pylist() == (expected or values)
    assert table.column("c").null_count == values.count(None)


def test_nulls_cross_byte_boundaries() -> None:
    values = [None if i % 3 == 0 else i for i in range(21)]
    data = arrow.encode_stream([("n", arrow.INT64), ("s", arrow.UTF8)], [[v, v and str(v)] for v in values])
    table = read_all_ways(data)
    assert table.column("n").to_pylist() == values
    assert table.column("s").to_pylist() == [v and str(v) for v in values]


def test_multiple_columns_and_nullability() -> None:
    columns = [
        Column("id", arrow.LARGE_UTF8),
        Column("status", arrow.LARGE_UTF8, nullable=False),
        ("retry_count", arrow.UINT64),
        ("in_flight", arrow.BOOLEAN, True),
    ]
    rows = [["inv_1", "running", 3, True], [None, "completed", None, None]]
    table = read_all_ways(arrow.encode_stream(columns, rows))
    assert [(f.name, f.nullable) for f in table.schema] == [
        ("id", True),
        ("status", False),
        ("retry_count", True),
        ("in_flight", True),
    ]
    assert table.to_pylist() == [dict(zip(table.column_names, r, strict=True)) for r in rows]


def test_zero_rows_is_schema_then_end_of_stream() -> None:
    data = arrow.encode_stream([("id", arrow.UTF8), ("n", arrow.INT64)], [])
    reader = ipc.open_stream(data)
    assert reader.schema.names == ["id", "n"]
    assert list(reader) == []
    assert data.endswith(END_OF_STREAM)
    assert read_all_ways(data).num_rows == 0


def test_many_rows_span_several_batches() -> None:
    rows = [[i, f"inv_{i}", i % 2 == 0] for i in range(2500)]
    data = arrow.encode_stream(
        [("n", arrow.INT64), ("id", arrow.UTF8), ("even", arrow.BOOLEAN)], rows, batch_rows=1000
    )
    reader = ipc.open_stream(data)
    assert [b.num_rows for b in reader] == [1000, 1000, 500]
    table = read_all_ways(data)
    assert table.to_pylist()[-1] == {"n": 2499, "id": "inv_2499", "even": False}
    assert table.column("n").to_pylist() == list(range(2500))


def test_default_batch_size() -> None:
    rows = [[i] for i in range(arrow.BATCH_ROWS + 1)]
    reader = ipc.open_stream(arrow.encode_stream([("n", arrow.UINT32)], rows))
    assert [b.num_rows for b in reader] == [arrow.BATCH_ROWS, 1]


def test_stream_framing() -> None:
    """Messages are continuation-prefixed, 8-byte aligned, V5, and the stream ends with EOS."""
    data = arrow.encode_stream([("s", arrow.UTF8)], [["abc"], [None]], batch_rows=1)
    messages = list(ipc.MessageReader.open_stream(pa.py_buffer(data)))
    assert [m.type for m in messages] == ["schema", "record batch", "record batch"]
    assert all(m.metadata_version == ipc.MetadataVersion.V5 for m in messages)
    pos = 0
    for message in messages:
        assert data[pos : pos + 4] == b"\xff\xff\xff\xff"
        length = int.from_bytes(data[pos + 4 : pos + 8], "little")
        assert length == message.metadata.size
        assert length % 8 == 0
        body = message.body.size if message.body is not None else 0
        assert body % 8 == 0
        pos += 8 + length + body
    assert data[pos:] == END_OF_STREAM


def _u(buf: bytes, pos: int, size: int, signed: bool = False) -> int:
    return int.from_bytes(buf[pos : pos + size], "little", signed=signed)


def _child(buf: bytes, table: int, slot: int) -> int:
    """Where a flatbuffer table's offset field ``slot`` points."""
    vtable = table - _u(buf, table, 4, signed=True)
    field = table + _u(buf, vtable + 4 + 2 * slot, 2)
    return field + _u(buf, field, 4)


def test_struct_vectors_are_8_byte_aligned() -> None:
    """FieldNode and Buffer vectors hold int64s; readers do not all check their alignment."""
    data = arrow.encode_stream([("s", arrow.UTF8), ("l", arrow.LIST_UINT32)], [["x", [1]]])
    batch = list(ipc.MessageReader.open_stream(pa.py_buffer(data)))[1]
    meta = batch.metadata.to_pybytes()
    header = _child(meta, _u(meta, 0, 4), 2)  # Message.header: the RecordBatch
    for slot, count in ((1, 3), (2, 7)):  # RecordBatch.nodes, RecordBatch.buffers
        vector = _child(meta, header, slot)
        assert _u(meta, vector, 4) == count
        assert (vector + 4) % 8 == 0


def test_iter_stream_yields_messages() -> None:
    parts = list(arrow.iter_stream([("n", arrow.INT64)], iter([[1], [2], [3]]), batch_rows=2))
    assert len(parts) == 4
    assert parts[-1] == END_OF_STREAM
    assert read(b"".join(parts)).column("n").to_pylist() == [1, 2, 3]


def test_matches_real_server_stream() -> None:
    """Same columns and rows as a real restate-server response: same schema, same table."""
    real = REAL_STREAM.read_bytes()
    assert real.endswith(END_OF_STREAM)
    expected = read_all_ways(real)
    assert expected.schema.metadata is None
    columns = [Column(f.name, arrow.LARGE_UTF8, f.nullable) for f in expected.schema]
    ours = read_all_ways(arrow.encode_stream(columns, [list(r.values()) for r in expected.to_pylist()]))
    assert ours.schema.equals(expected.schema, check_metadata=True)
    assert ours.equals(expected)


def test_count_column_reads_as_int64() -> None:
    """The official CLI asserts column 0 is Int64 and reads its first value."""
    data = arrow.encode_stream([("count(*)", arrow.INT64, False)], [[42]])
    for reader in READERS:
        table = reader(data)
        field = table.schema.field(0)
        assert field.type == pa.int64()
        assert not field.nullable
        assert field.metadata is None
        assert table.schema.metadata is None
        assert table.column(0)[0].as_py() == 42
    # The real server's schema has no metadata either, at schema or field level.
    real = ipc.open_stream(REAL_STREAM.read_bytes()).schema
    assert real.metadata is None
    assert all(f.metadata is None for f in real)


def test_encode_rows_infers_types() -> None:
    names = ["i", "f", "mixed", "b", "s", "raw", "none", "ts", "d"]
    when = datetime(2026, 11, 27, tzinfo=UTC)
    rows = [
        [1, 1.5, 1, True, "x", b"\x01", None, when, timedelta(seconds=2)],
        [None, None, 2.5, None, None, None, None, None, None],
    ]
    table = read(arrow.encode_rows(names, rows))
    assert [f.type for f in table.schema] == [
        pa.int64(),
        pa.float64(),
        pa.float64(),
        pa.bool_(),
        pa.string(),
        pa.binary(),
        pa.string(),
        pa.timestamp("ms", tz="+00:00"),
        pa.duration("ms"),
    ]
    assert all(f.nullable for f in table.schema)
    assert table.column("mixed").to_pylist() == [1.0, 2.5]
    assert table.column("none").to_pylist() == [None, None]
    assert table.column("ts").to_pylist() == [when, None]


def test_encode_rows_overrides() -> None:
    data = arrow.encode_rows(
        ["partition_key", "id", "later"],
        [[2**64 - 1, "inv_1", None]],
        {"partition_key": arrow.UINT64, "id": arrow.LARGE_UTF8, "later": arrow.TIMESTAMP_MS},
    )
    table = read(data)
    assert [f.type for f in table.schema] == [
        pa.uint64(),
        pa.large_string(),
        pa.timestamp("ms", tz="+00:00"),
    ]
    assert table.to_pylist() == [{"partition_key": 2**64 - 1, "id": "inv_1", "later": None}]


def test_encode_rows_zero_rows() -> None:
    table = read(arrow.encode_rows(["a", "b"], []))
    assert table.num_rows == 0
    assert [f.type for f in table.schema] == [pa.string(), pa.string()]


@pytest.mark.parametrize(
    ("names", "rows", "types", "message"),
    [
        (["a"], [[1], ["x"]], None, "mixed value types"),
        (["a"], [[object()]], None, "no Arrow type for object"),
        (["a"], [[1]], {"b": arrow.INT64}, "unknown columns: b"),
        (["a", "b"], [[1, 2], [3]], None, "every row must have 2 values"),
    ],
)
def test_encode_rows_errors(names: list, rows: list, types: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        arrow.encode_rows(names, rows, types)


@pytest.mark.parametrize(
    ("typ", "value", "message"),
    [
        (arrow.INT64, 2**63, "column 'c' \\(Int64\\)"),
        (arrow.UINT64, -1, "column 'c' \\(UInt64\\)"),
        (arrow.UINT32, 2**32, "column 'c'"),
        (arrow.INT64, "1", "column 'c'"),
        (arrow.FLOAT64, "1.5", "expected float"),
        (arrow.BOOLEAN, 1, "expected bool"),
        (arrow.UTF8, b"bytes", "expected str"),
        (arrow.BINARY, "text", "expected bytes"),
        (arrow.BINARY, 5, "column 'c'"),
        (arrow.TIMESTAMP_MS, datetime(2026, 1, 1), "naive datetime"),
        (arrow.LIST_UINT32, "12", "expected a sequence"),
        (arrow.LIST_UINT32, [-1], "column 'c'"),
    ],
)
def test_bad_values_name_the_column(typ: arrow.ArrowType, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        arrow.encode_stream([("c", typ)], [[value]])


def test_null_in_non_nullable_column() -> None:
    with pytest.raises(ValueError, match="'status' is not nullable"):
        arrow.encode_stream([("status", arrow.UTF8, False)], [["ok"], [None]])


def test_row_width_is_checked() -> None:
    with pytest.raises(ValueError, match="every row must have 2 values"):
        arrow.encode_stream([("a", arrow.INT64), ("b", arrow.INT64)], [[1, 2], [3]])
