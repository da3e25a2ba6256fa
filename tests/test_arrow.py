"""Arrow answers of /query (written by arro3): every type round-trips through pyarrow and
arrow-rs, and the framing matches restate-server's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import arro3.io as arro3_io
import pytest
from arro3.core import DataType

from restate_cli.embedded.store import arrow_answer as arrow

pa = pytest.importorskip("pyarrow")
ipc = pytest.importorskip("pyarrow.ipc")

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


# pyarrow, and arrow-rs (the official CLI's reader).
READERS = [read, read_arrow_rs]


def read_all_ways(data: bytes) -> Any:
    """Read with every reader; they must agree. Returns pyarrow's table."""
    tables = [reader(data) for reader in READERS]
    for other in tables[1:]:
        assert other.equals(tables[0], check_metadata=True)
    return tables[0]


# (type, pyarrow type, values given, values read back)
CASES = [
    (
        DataType.utf8(),
        pa.string(),
        ["a", "", "grüße ✓ 日本", None, "x" * 1000],
        ["a", "", "grüße ✓ 日本", None, "x" * 1000],
    ),
    (DataType.large_utf8(), pa.large_string(), ["", None, "é", "Probe/greet"], None),
    (DataType.binary(), pa.binary(), [b"\x00\xff", b"", None, bytearray(b"42")], None),
    (DataType.large_binary(), pa.large_binary(), [b"42", None, b"", memoryview(b"mv")], None),
    (DataType.int64(), pa.int64(), [-(2**63), -1, 0, None, 2**63 - 1], None),
    (DataType.uint64(), pa.uint64(), [0, 2**63, 14463240956964426681, None, 2**64 - 1], None),
    (DataType.uint32(), pa.uint32(), [6, None, 0, 2**32 - 1], None),
    (DataType.float64(), pa.float64(), [1.5, -0.0, None, 1e300, 2], [1.5, -0.0, None, 1e300, 2.0]),
    (DataType.bool(), pa.bool_(), [True, False, None] * 4, None),
]


@pytest.mark.parametrize(("typ", "pa_type", "values", "expected"), CASES, ids=[str(c[1]) for c in CASES])
def test_round_trip(typ: DataType, pa_type: Any, values: list, expected: list) -> None:
    data = arrow.encode([("c", typ)], [[v] for v in values])
    table = read_all_ways(data)
    assert table.schema.field("c").type == pa_type
    assert table.schema.field("c").nullable
    wanted = expected or [bytes(v) if isinstance(v, bytearray | memoryview) else v for v in values]
    assert table.column("c").to_pylist() == wanted
    assert table.column("c").null_count == values.count(None)


def test_nulls_cross_byte_boundaries() -> None:
    values = [None if i % 3 == 0 else i for i in range(21)]
    data = arrow.encode(
        [("n", DataType.int64()), ("s", DataType.utf8())], [[v, v and str(v)] for v in values]
    )
    table = read_all_ways(data)
    assert table.column("n").to_pylist() == values
    assert table.column("s").to_pylist() == [v and str(v) for v in values]


def test_multiple_columns_and_nullability() -> None:
    columns = [
        ("id", DataType.large_utf8()),
        ("status", DataType.large_utf8(), False),
        ("retry_count", DataType.uint64()),
        ("in_flight", DataType.bool(), True),
    ]
    rows = [["inv_1", "running", 3, True], [None, "completed", None, None]]
    table = read_all_ways(arrow.encode(columns, rows))
    assert [(f.name, f.nullable) for f in table.schema] == [
        ("id", True),
        ("status", False),
        ("retry_count", True),
        ("in_flight", True),
    ]
    assert table.to_pylist() == [dict(zip(table.column_names, r, strict=True)) for r in rows]


def test_zero_rows_is_schema_then_end_of_stream() -> None:
    data = arrow.encode([("id", DataType.utf8()), ("n", DataType.int64())], [])
    reader = ipc.open_stream(data)
    assert reader.schema.names == ["id", "n"]
    assert list(reader) == []
    assert data.endswith(END_OF_STREAM)
    assert read_all_ways(data).num_rows == 0


def test_many_rows_span_several_batches() -> None:
    rows = [[i, f"inv_{i}", i % 2 == 0] for i in range(2500)]
    data = arrow.encode(
        [("n", DataType.int64()), ("id", DataType.utf8()), ("even", DataType.bool())], rows, batch_rows=1000
    )
    reader = ipc.open_stream(data)
    assert [b.num_rows for b in reader] == [1000, 1000, 500]
    table = read_all_ways(data)
    assert table.to_pylist()[-1] == {"n": 2499, "id": "inv_2499", "even": False}
    assert table.column("n").to_pylist() == list(range(2500))


def test_default_batch_size() -> None:
    rows = [[i] for i in range(arrow.BATCH_ROWS + 1)]
    reader = ipc.open_stream(arrow.encode([("n", DataType.uint32())], rows))
    assert [b.num_rows for b in reader] == [arrow.BATCH_ROWS, 1]


def test_stream_framing() -> None:
    """Messages are continuation-prefixed, 8-byte aligned, V5, and the stream ends with EOS."""
    data = arrow.encode([("s", DataType.utf8())], [["abc"], [None]], batch_rows=1)
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
    data = arrow.encode(
        [("s", DataType.utf8()), ("n", DataType.int64()), ("b", DataType.bool())], [["x", 1, True]]
    )
    batch = list(ipc.MessageReader.open_stream(pa.py_buffer(data)))[1]
    meta = batch.metadata.to_pybytes()
    header = _child(meta, _u(meta, 0, 4), 2)  # Message.header: the RecordBatch
    for slot, count in ((1, 3), (2, 7)):  # RecordBatch.nodes, RecordBatch.buffers
        vector = _child(meta, header, slot)
        assert _u(meta, vector, 4) == count
        assert (vector + 4) % 8 == 0


def test_rows_added_in_parts_make_one_stream() -> None:
    writer = arrow.ArrowWriter(["n", "s"], batch_rows=2)
    writer.add([[1, None], [None, None], [3, None]])
    writer.add([[2.5, "x"]])  # a real after integers: the column is Float64 throughout
    data = writer.finish()
    assert [b.num_rows for b in ipc.open_stream(data)] == [2, 1, 1]
    table = read_all_ways(data)
    assert [f.type for f in table.schema] == [pa.float64(), pa.large_string()]
    assert table.column("n").to_pylist() == [1.0, None, 3.0, 2.5]
    assert table.column("s").to_pylist() == [None, None, None, "x"]


def test_limit_counts_encoded_bytes() -> None:
    writer = arrow.ArrowWriter(["s"], limit=10_000)
    writer.add([["x" * 1000]] * 5)
    with pytest.raises(arrow.TooLarge):
        writer.add([["x" * 1000]] * 10)


def test_matches_real_server_stream() -> None:
    """Same columns and rows as a real restate-server response: same schema, same table."""
    real = REAL_STREAM.read_bytes()
    assert real.endswith(END_OF_STREAM)
    expected = read_all_ways(real)
    assert expected.schema.metadata is None
    columns = [(f.name, DataType.large_utf8(), f.nullable) for f in expected.schema]
    ours = read_all_ways(arrow.encode(columns, [list(r.values()) for r in expected.to_pylist()]))
    assert ours.schema.equals(expected.schema, check_metadata=True)
    assert ours.equals(expected)


def test_count_column_reads_as_int64() -> None:
    """The official CLI asserts column 0 is Int64 and reads its first value."""
    for columns in ([("count(*)", DataType.int64(), False)], ["count(*)"]):
        data = arrow.encode(columns, [[42]])
        for reader in READERS:
            table = reader(data)
            field = table.schema.field(0)
            assert field.type == pa.int64()
            assert field.metadata is None
            assert table.schema.metadata is None
            assert table.column(0)[0].as_py() == 42
    # The real server's schema has no metadata either, at schema or field level.
    real = ipc.open_stream(REAL_STREAM.read_bytes()).schema
    assert real.metadata is None
    assert all(f.metadata is None for f in real)


def test_types_come_from_values() -> None:
    """As /query types SQLite's untyped values: text and blobs are the large types."""
    names = ["i", "f", "mixed", "b", "s", "raw", "none"]
    rows = [
        [1, 1.5, 1, True, "x", b"\x01", None],
        [None, None, 2.5, None, None, None, None],
    ]
    table = read_all_ways(arrow.encode(names, rows))
    assert [f.type for f in table.schema] == [
        pa.int64(),
        pa.float64(),
        pa.float64(),
        pa.bool_(),
        pa.large_string(),
        pa.large_binary(),
        pa.large_string(),
    ]
    assert all(f.nullable for f in table.schema)
    assert table.column("mixed").to_pylist() == [1.0, 2.5]
    assert table.column("none").to_pylist() == [None, None]


def test_given_types_win() -> None:
    data = arrow.encode(
        [("partition_key", DataType.uint64()), ("id", DataType.large_utf8()), "later"],
        [[2**64 - 1, "inv_1", None]],
    )
    table = read(data)
    assert [f.type for f in table.schema] == [pa.uint64(), pa.large_string(), pa.large_string()]
    assert table.to_pylist() == [{"partition_key": 2**64 - 1, "id": "inv_1", "later": None}]


def test_zero_rows() -> None:
    table = read(arrow.encode(["a", "b"], []))
    assert table.num_rows == 0
    assert [f.type for f in table.schema] == [pa.large_string(), pa.large_string()]


@pytest.mark.parametrize(
    ("names", "rows", "message"),
    [
        (["a"], [[1], ["x"]], "column 'a' mixes value types: int, str"),
        (["a"], [[object()]], "no Arrow type for object"),
        (["a", "b"], [[1, 2], [3]], "every row must have 2 values"),
    ],
)
def test_inference_errors(names: list, rows: list, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        arrow.encode(names, rows)


@pytest.mark.parametrize(
    ("typ", "value", "message"),
    [
        (DataType.int64(), 2**63, "column 'c' \\(Int64\\)"),
        (DataType.uint64(), -1, "column 'c' \\(UInt64\\)"),
        (DataType.uint32(), 2**32, "column 'c'"),
        (DataType.int64(), "1", "column 'c'"),
        (DataType.float64(), "1.5", "column 'c' \\(Float64\\)"),
        (DataType.bool(), 1, "column 'c' \\(Boolean\\)"),
        (DataType.utf8(), b"bytes", "column 'c' \\(Utf8\\)"),
        (DataType.binary(), "text", "column 'c' \\(Binary\\)"),
        (DataType.binary(), 5, "column 'c'"),
    ],
)
def test_bad_values_name_the_column(typ: DataType, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        arrow.encode([("c", typ)], [[value]])


def test_null_in_non_nullable_column() -> None:
    with pytest.raises(ValueError, match="'status' is not nullable"):
        arrow.encode([("status", DataType.utf8(), False)], [["ok"], [None]])


def test_row_width_is_checked() -> None:
    with pytest.raises(ValueError, match="every row must have 2 values"):
        arrow.encode([("a", DataType.int64()), ("b", DataType.int64())], [[1, 2], [3]])
