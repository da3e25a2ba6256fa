"""Typed, frozen records read from the admin API's JSON, without pydantic.

The admin models use a small part of pydantic: declare fields with types and defaults,
``model_validate`` a JSON object (unknown keys ignored, lax conversions), read attributes,
``model_dump(mode="json")`` and ``model_copy(update=...)``. ``Record`` does that part
itself, with the same names, because pydantic costs a short command more than its
requests take. Measured for ``invocations list`` (import, models, 100 rows) on a 2-core
machine: 110-150 ms with pydantic models, 78-129 ms with ``defer_build=True`` and only the
model the command uses created (``from pydantic import BaseModel`` alone: 50-90 ms),
against 3-5 ms with ``Record``. ``tests/test_record.py`` reads the answers of
restate-server 1.7.12 and 1.6.2 and of the embedded runtime with each record and with a
pydantic model declared the same way, and gets the same values.

Field types understood: ``str``, ``int``, ``float``, ``bool``, ``datetime`` (and
``Timestamp``), ``Any``, ``X | None``, ``list[X]``, ``dict[str, X]`` and other records.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

_MISSING: Any = object()


class ValidationError(ValueError):
    """A value of the wrong type for its field (like pydantic's, a ValueError)."""


class _Timestamp:
    """Marks a datetime field that ``model_dump(mode="json")`` writes as ``…T…Z`` (UTC, ms)."""


Timestamp = typing.Annotated[datetime, _Timestamp]

_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise ValidationError(f"expected a string, got {type(value).__name__}")


def _int(value: Any) -> int:
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValidationError(f"expected an integer, got {value!r}")


def _float(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ValidationError(f"expected a number, got {value!r}")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValidationError(f"expected a boolean, got {value!r}")


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > 2e10 else value  # epoch milliseconds or seconds
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(f"expected a timestamp, got {value!r}")


def _any(value: Any) -> Any:
    return value


_SCALARS: dict[Any, Callable[[Any], Any]] = {
    str: _str,
    int: _int,
    float: _float,
    bool: _bool,
    datetime: _datetime,
    Any: _any,
}


def _converter(tp: Any) -> Callable[[Any], Any]:
    """A function that checks and converts one JSON value to the annotated type."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _converter(args[0])
    if origin in (typing.Union, types.UnionType):
        inner = [_converter(a) for a in args if a is not type(None)]
        nullable = type(None) in args

        def union(value: Any) -> Any:
            if value is None and nullable:
                return None
            errors = []
            for convert in inner:
                try:
                    return convert(value)
                except ValidationError as e:
                    errors.append(str(e))
            raise ValidationError("; ".join(errors) or "expected null")

        return union
    if origin is list:
        item = _converter(args[0]) if args else _any

        def as_list(value: Any) -> list[Any]:
            if not isinstance(value, list | tuple):
                raise ValidationError(f"expected a list, got {type(value).__name__}")
            return [item(v) for v in value]

        return as_list
    if origin is dict:
        val = _converter(args[1]) if len(args) == 2 else _any

        def as_dict(value: Any) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise ValidationError(f"expected an object, got {type(value).__name__}")
            return {_str(k): val(v) for k, v in value.items()}

        return as_dict
    if isinstance(tp, type) and issubclass(tp, Record):
        return tp._coerce
    if tp in _SCALARS:
        return _SCALARS[tp]
    raise TypeError(f"Record fields cannot have the type {tp!r}")


def _is_timestamp(tp: Any) -> bool:
    if typing.get_origin(tp) is typing.Annotated:
        return _Timestamp in typing.get_args(tp)[1:]
    return any(_is_timestamp(a) for a in typing.get_args(tp))


class _Field:
    __slots__ = ("convert", "default", "name", "timestamp")

    def __init__(self, name: str, tp: Any, default: Any) -> None:
        self.name = name
        self.default = default
        self.convert = _converter(tp)
        self.timestamp = _is_timestamp(tp)


@typing.dataclass_transform(kw_only_default=True, frozen_default=True)
class Record:
    """Base class: annotate fields with types and defaults, as on a dataclass."""

    __record_fields__: ClassVar[dict[str, _Field] | None] = None

    @classmethod
    def _fields(cls) -> dict[str, _Field]:
        fields = cls.__dict__.get("__record_fields__")
        if fields is None:
            hints = typing.get_type_hints(cls, include_extras=True)
            fields = {}
            for name, tp in hints.items():
                if typing.get_origin(tp) is ClassVar or name.startswith("_"):
                    continue
                fields[name] = _Field(name, tp, getattr(cls, name, _MISSING))
            cls.__record_fields__ = fields
        return fields

    def __init__(self, **values: Any) -> None:
        """Fields from keyword arguments, converted to their types; unknown names are ignored."""
        self._fill(values)

    def _fill(self, values: dict[str, Any]) -> None:
        data = self.__dict__
        for name, field in self._fields().items():
            raw = values.get(name, _MISSING)
            if raw is not _MISSING:
                try:
                    data[name] = field.convert(raw)
                except ValidationError as e:
                    raise ValidationError(f"{type(self).__name__}.{name}: {e}") from None
            elif field.default is _MISSING:
                raise ValidationError(f"{type(self).__name__}.{name} is required")
            else:
                default = field.default
                data[name] = (
                    list(default)
                    if isinstance(default, list)
                    else dict(default)
                    if isinstance(default, dict)
                    else default
                )

    @classmethod
    def model_validate(cls, obj: Any) -> Any:
        """A record from a JSON object: known keys converted, unknown keys ignored."""
        if isinstance(obj, cls):
            return obj
        if not isinstance(obj, dict):
            raise ValidationError(f"{cls.__name__}: expected an object, got {type(obj).__name__}")
        record = object.__new__(cls)
        record._fill(obj)
        return record

    @classmethod
    def _coerce(cls, value: Any) -> Any:
        return cls.model_validate(value)

    def model_dump(self, *, mode: str = "python") -> dict[str, Any]:
        """The fields as a dict; ``mode="json"``: JSON values, timestamps as UTC strings."""
        out = {}
        for name, field in self._fields().items():
            value = self.__dict__[name]
            out[name] = _dump(value, field.timestamp, mode == "json")
        return out

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.__dict__.update(update or {})
        return new

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((type(self), tuple(self.__dict__.values())))

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({body})"


def _dump(value: Any, timestamp: bool, json_mode: bool) -> Any:
    if isinstance(value, Record):
        return value.model_dump(mode="json" if json_mode else "python")
    if isinstance(value, list):
        return [_dump(v, timestamp, json_mode) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v, timestamp, json_mode) for k, v in value.items()}
    if json_mode and isinstance(value, datetime):
        if timestamp:
            return utc_iso(value)
        return value.isoformat()
    return value


def utc_iso(dt: datetime) -> str:
    """``2026-11-27T17:23:31.786Z``, always with milliseconds: the form of JSON output."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{dt.microsecond // 1000:03d}Z"
