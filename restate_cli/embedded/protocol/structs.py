"""pydantic models that read JSON as restate-server's serde reads its Rust structs.

The admin API's request bodies and the SDKs' endpoint manifests are models of ``Struct``;
``validate`` checks a value parsed by ``jsonbody`` against one and, if it does not fit,
raises ``jsonbody.JsonBodyError`` with serde's words for the first error in the text:

    new_state.a[0]: invalid value: integer `256`, expected u8 at line 1 column 39
    missing field `properties` at line 1 column 13

As with serde: types are strict (no string for a number), unknown fields are ignored, a
struct may also be written as an array of its fields in order, and the error reported is
the first one in the text. Field types whose serde name is not the default ("a string",
"a boolean", "a map", "a sequence") say it with ``expect``; integers are ``U8``, ``U32``,
``U64`` or ``NonZeroU64``.

This module imports pydantic: only code that reads such input imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WrapValidator, model_validator
from pydantic_core import PydanticCustomError

from restate_cli.embedded.protocol import jsonbody

_DEFAULT_EXPECTED = {
    "string_type": "a string",
    "bool_type": "a boolean",
    "dict_type": "a map",
    "list_type": "a sequence",
    "int_type": "i64",
    "float_type": "f64",
}
_OUT_OF_RANGE = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
PREFIX = "Failed to deserialize the JSON body into the target type: "
_NAMES: dict[str, str] = {}  # class name -> serde's name of the struct


def serde_error(detail: str, *, at_end: bool = False) -> PydanticCustomError:
    """An error with serde's own text for the value it is raised for (placed after the
    value, or with ``at_end`` at the end of a container)."""
    return PydanticCustomError("serde", "{detail}", {"detail": detail, "at_end": at_end})


def expect(expected: str) -> WrapValidator:
    """Errors of the annotated type itself name what serde expects there."""

    def wrap(value: Any, handler: Callable[[Any], Any]) -> Any:
        try:
            return handler(value)
        except ValidationError as e:
            first = e.errors()[0]
            if first["loc"] or first["type"] == "serde":
                raise  # an error inside the value, or one with its own text
            kind = "invalid value" if first["type"] in _OUT_OF_RANGE else "invalid type"
            raise serde_error(f"{kind}: {jsonbody.describe(value)}, expected {expected}") from None

    return WrapValidator(wrap)


U8 = Annotated[int, Field(ge=0, le=255), expect("u8")]
U32 = Annotated[int, Field(ge=0, le=2**32 - 1), expect("u32")]
U64 = Annotated[int, Field(ge=0, le=2**64 - 1), expect("u64")]
NonZeroU64 = Annotated[int, Field(ge=1, le=2**64 - 1), expect("a nonzero u64")]
F64 = Annotated[float, expect("f64")]


class Struct(BaseModel):
    """A Rust struct as serde reads it. ``serde_name`` is its name in errors;
    ``seq_required`` how many of its fields an array form must have (serde's
    ``#[serde(default)]`` fields may be left out)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, populate_by_name=True)
    serde_name: ClassVar[str] = ""
    seq_required: ClassVar[int | None] = None  # None: every field

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _NAMES[cls.__name__] = cls.serde_name or cls.__name__

    @model_validator(mode="wrap")
    @classmethod
    def _sequence(cls, value: Any, handler: Callable[[Any], Any]) -> Any:
        """``["SELECT 1"]`` for ``{"query": "SELECT 1"}``, as serde takes a struct: its
        elements are checked first, then their number."""
        if not isinstance(value, list):
            return handler(value)
        names = _field_names(cls)
        struct = handler(dict(zip(names, value, strict=False)))  # missing: see _describe
        if len(value) > len(names):
            raise PydanticCustomError("serde_trailing", "trailing characters", {"index": len(names)})
        if len(value) < _required(cls):
            raise serde_error(_length_error(cls, len(value)), at_end=True)
        return struct


def _field_names(model: type[Struct]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _required(model: type[Struct]) -> int:
    return len(model.model_fields) if model.seq_required is None else model.seq_required


def _length_error(model: type[Struct], length: int) -> str:
    required = _required(model)
    plural = "element" if required == 1 else "elements"
    return f"invalid length {length}, expected struct {struct_name(model)} with {required} {plural}"


M = TypeVar("M", bound=Struct)


def struct_name(model: type[Struct]) -> str:
    return _NAMES.get(model.__name__, model.__name__)


def validate(model: type[M], value: Any, body: bytes | str, *, with_path: bool = True) -> M:
    """``value`` (parsed from ``body`` by ``jsonbody``) as ``model``, or ``JsonBodyError``:
    422 with serde's text for the first error in ``body`` (its field path first unless
    ``with_path`` is false, as restate reads manifests), 400 for an array form with more
    elements than fields."""
    try:
        return model.model_validate(value)
    except ValidationError as e:
        raise _first_error(model, e, value, body, with_path) from None


def _first_error(
    model: type[Struct], error: ValidationError, value: Any, body: bytes | str, with_path: bool
) -> jsonbody.JsonBodyError:
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    found = []
    for e in error.errors(include_url=False):
        loc = tuple(e["loc"])
        if isinstance(value, list) and loc and isinstance(loc[0], str):  # the array form
            if e["type"] == "missing":  # serde counts the elements instead
                e = {"type": "serde", "ctx": {"detail": _length_error(model, len(value)), "at_end": True}}
                loc = ()
            else:
                loc = (_field_names(model).index(loc[0]), *loc[1:])
        found.append(_describe(model, e, loc, text))
    # serde stops at the first error in the text
    errors = sorted(found, key=lambda f: f[0] if f[0] >= 0 else len(text))
    _, status, path, detail = errors[0]
    if status == 400:
        return jsonbody.JsonBodyError(400, f"Failed to parse the request body as JSON: {detail}", detail)
    prefix = f"{jsonbody.path_text(path)}: " if path and with_path else ""
    return jsonbody.JsonBodyError(422, f"{PREFIX}{prefix}{detail}", detail)


def _describe(
    model: type[Struct], e: Any, loc: tuple[str | int, ...], text: str
) -> tuple[int, int, tuple[str | int, ...], str]:
    """(where in the text, status, field path, serde's text with its place) of one error."""
    kind, ctx, given = e["type"], e.get("ctx") or {}, e.get("input")
    if kind == "missing":
        path, detail, at_end = loc[:-1], f"missing field `{loc[-1]}`", True
        index = jsonbody.value_place(text, path, at_end=True)
    elif kind == "serde_trailing":
        path, at_end = (), False
        index = jsonbody.value_place(text, (ctx["index"],), at_start=True)
        detail = "trailing characters"
        return (index, 400, path, _at(detail, text, index))
    else:
        path = loc
        at_end = bool(ctx.get("at_end"))
        if kind == "serde":
            detail = ctx["detail"]
        elif kind in ("model_type", "model_attributes_type"):
            name = _NAMES.get(ctx.get("class_name", ""), struct_name(model))
            detail = f"invalid type: {jsonbody.describe(given)}, expected struct {name}"
        elif kind == "literal_error" and isinstance(given, str):
            detail = f"unknown variant `{given}`, expected {variants(ctx.get('expected', ''))}"
        elif kind == "literal_error":  # serde_json reads an enum from a string or a map only
            index = jsonbody.value_place(text, path, at_start=True)
            return (index, 422, path, _at("expected value", text, index))
        else:
            expected = _DEFAULT_EXPECTED.get(kind, "a valid value")
            detail = f"invalid type: {jsonbody.describe(given)}, expected {expected}"
        index = jsonbody.value_place(text, path, at_end=at_end)
    return (index, 422, path, _at(detail, text, index))


def _at(detail: str, text: str, index: int) -> str:
    return detail if index < 0 else f"{detail} at {jsonbody.place(text, index)}"


def variants(expected: str) -> str:
    """pydantic's ``'A', 'B' or 'C'`` in serde's words: ```A` or `B```, ``one of `A`, `B`, `C```."""
    names = [f"`{n.strip(chr(39))}`" for n in expected.replace(" or ", ", ").split(", ") if n]
    if len(names) == 2:
        return f"{names[0]} or {names[1]}"
    return names[0] if len(names) == 1 else "one of " + ", ".join(names)
