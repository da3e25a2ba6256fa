"""pydantic models made from the admin records' own declarations (``admin/record.py``):
the same fields, types and defaults, for checking that ``Record`` reads what pydantic
would read."""

from __future__ import annotations

import types
import typing
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer, create_model

from restate_cli.admin.record import Record, _Timestamp, utc_iso

_TWINS: dict[type, type[BaseModel]] = {}
PydanticTimestamp = Annotated[datetime, PlainSerializer(utc_iso, when_used="json")]


def twin(record: type[Record]) -> type[BaseModel]:
    """The pydantic model declared as ``record`` is: frozen, unknown keys ignored."""
    if record not in _TWINS:
        fields: dict[str, Any] = {}
        for name, field in record._fields().items():
            tp = typing.get_type_hints(record, include_extras=True)[name]
            fields[name] = (_convert(tp), ... if _missing(field.default) else field.default)
        config = ConfigDict(frozen=True, extra="ignore")
        _TWINS[record] = create_model(f"{record.__name__}Twin", __config__=config, **fields)
    return _TWINS[record]


def _missing(default: Any) -> bool:
    from restate_cli.admin import record as module

    return default is module._MISSING


def _convert(tp: Any) -> Any:
    """``tp`` with records replaced by their twins and ``Timestamp`` by pydantic's."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Annotated:
        return PydanticTimestamp if _Timestamp in args[1:] else _convert(args[0])
    if origin in (typing.Union, types.UnionType):
        converted = tuple(_convert(a) for a in args)
        return typing.Union[converted]  # noqa: UP007 - built from a tuple
    if origin is list:
        return list[_convert(args[0])]  # type: ignore[misc]
    if origin is dict:
        return dict[args[0], _convert(args[1])]  # type: ignore[misc]
    if isinstance(tp, type) and issubclass(tp, Record):
        return twin(tp)
    return tp
