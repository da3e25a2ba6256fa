"""Reading the admin API's inputs: a request body or query string is validated with its
pydantic model (``bodies``) and answered, when it does not fit, with restate-server's
status code and text (``protocol.structs``). The JSON is parsed by ``jsonbody`` as serde
parses it.

pydantic is imported by the first request that has such input to read. ``POST /query``,
the one request of a short command, checks the usual ``{"query": "..."}`` without it and
leaves anything else to its model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl

from restate_cli.embedded.api.asgi import HttpError, Request, require_json, schema_error

if TYPE_CHECKING:
    from restate_cli.embedded.api import bodies
    from restate_cli.embedded.protocol.structs import Struct

S = TypeVar("S", bound="Struct")
P = TypeVar("P", bound="bodies.QueryParameters")


def body(request: Request, model: type[S], *, buffered: bool = False) -> S:
    """The JSON body as ``model``: 415 without the JSON content type, 400 for JSON serde
    cannot parse, 422 (text, with the field path and place) for JSON that does not fit."""
    from restate_cli.embedded.protocol import jsonbody, structs

    value = require_json(request, buffered=buffered)
    try:
        return structs.validate(model, value, request.body)
    except jsonbody.JsonBodyError as e:
        raise HttpError(e.status, e.message, text=True) from None


def query_text(request: Request) -> str:
    """``POST /query``: the SQL text."""
    value = require_json(request)
    if isinstance(value, dict) and isinstance(value.get("query"), str):
        return value["query"]
    from restate_cli.embedded.api.bodies import QueryRequest
    from restate_cli.embedded.protocol import jsonbody, structs

    try:
        return structs.validate(QueryRequest, value, request.body).query
    except jsonbody.JsonBodyError as e:
        raise HttpError(e.status, e.message, text=True) from None


def registration(request: Request) -> bodies.RegisterDeploymentRequest:
    """``POST /deployments``: restate reads it as an untagged enum, so every shape error is
    the same 422; a URI that is not absolute is a 400 of its own. Whether the URI can be
    reached (its port, its scheme) is discovery's to say."""
    from restate_cli.embedded.api import bodies

    registered = _untagged(request, bodies.RegisterDeploymentRequest, buffered=True)
    _check_absolute(registered.uri)
    return registered


def deployment_update(request: Request) -> bodies.UpdateDeploymentRequest:
    """``PATCH /deployments/{id}``: a new URI and/or headers, checked as a registration's."""
    from restate_cli.embedded.api import bodies

    update = _untagged(request, bodies.UpdateDeploymentRequest)
    if update.uri is not None:
        _check_absolute(update.uri)
    return update


def _untagged(request: Request, model: type[S], *, buffered: bool = False) -> S:
    from restate_cli.embedded.protocol.structs import struct_name

    try:
        return body(request, model, buffered=buffered)
    except HttpError as e:
        if e.status != 422:
            raise
        untagged = f"data did not match any variant of untagged enum {struct_name(model)}"
        raise schema_error(untagged) from None


def _check_absolute(uri: str) -> None:
    from restate_cli.embedded.api import http_uri

    if not http_uri.parse(uri).absolute:
        raise HttpError(
            400,
            f"The request field 'uri' is invalid. Reason: The provided uri {uri} is not absolute, "
            "only absolute URIs can be used.",
        )


_SERVICE_DURATIONS = {
    "idempotency_retention": "idempotencyRetention",
    "workflow_completion_retention": "workflowCompletionRetention",
    "journal_retention": "journalRetention",
    "inactivity_timeout": "inactivityTimeout",
    "abort_timeout": "abortTimeout",
}


def service_changes(request: Request) -> dict[str, Any]:
    """``PATCH /services/{name}``: the settings it changes, ``public`` and manifest keys
    in ms. Nulls and unknown fields change nothing, as on restate-server."""
    from restate_cli.durations import parse_ms
    from restate_cli.embedded.api import bodies

    patch = body(request, bodies.ModifyServiceRequest)
    changes: dict[str, Any] = {}
    if patch.public is not None:
        changes["public"] = patch.public
    for field, key in _SERVICE_DURATIONS.items():
        value = getattr(patch, field)
        if value is not None:
            changes[key] = parse_ms(value)
    return changes


def state_update(request: Request) -> tuple[str, dict[bytes, bytes], str | None]:
    """``POST /services/{service}/state``: the object key, the new state (each value a byte
    array, a list of 0..255, or a string: its UTF-8 bytes, as restate takes them) and the
    version of the state it replaces, if given."""
    from restate_cli.embedded.api import bodies

    update = body(request, bodies.ModifyServiceStateRequest)
    state = {name.encode(): bytes(value) for name, value in update.new_state.items()}
    return update.object_key, state, update.version


def parameters(request: Request, model: type[P]) -> P:
    """The query string as ``model``: restate's 400 texts for a value that does not fit."""
    from pydantic import ValidationError

    pairs = parse_qsl(request.query_string, keep_blank_values=True)
    fields = {f.alias or name for name, f in model.model_fields.items()}
    seen: set[str] = set()
    for name, _ in pairs:
        if name in fields and name in seen:
            raise _query_error(f"duplicate field `{name}`")
        seen.add(name)
    try:
        return model.model_validate(dict(pairs))
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        if first["type"] == "query_value":
            raise HttpError(
                400, f"The query parameter '{name}' is invalid. Reason: {first['ctx']['reason']}"
            ) from None
        if first["type"] == "literal_error":
            from restate_cli.embedded.protocol.structs import variants

            reason = f"unknown variant `{first['input']}`, expected {variants(first['ctx']['expected'])}"
        else:
            reason = first["msg"]
        raise _query_error(f"{name}: {reason}") from None


def _query_error(reason: str) -> HttpError:
    return HttpError(400, f"Failed to deserialize query string: {reason}", text=True)
