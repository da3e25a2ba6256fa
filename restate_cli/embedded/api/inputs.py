"""The admin API's request bodies, checked as restate-server checks them (one function per
input), with its status codes and texts. The JSON is parsed by ``asgi.require_json``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from restate_cli.embedded.api.asgi import HttpError, Request, schema_error, type_error

MAX_URI_LENGTH = 65534  # the http crate's limit
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_URI_REFUSED = re.compile(r"[\x00-\x20\x7f-\U0010ffff<>`]")  # characters http::Uri does not take


@dataclass(frozen=True)
class Registration:
    uri: str
    additional_headers: dict[str, str]
    force: bool
    dry_run: bool
    use_http_11: bool = False


def registration(body: Any) -> Registration:
    """``POST /deployments``: restate reads it as an untagged enum, so every shape error is
    the same 422; a URI that is not absolute is a 400 of its own. Whether the URI can be
    reached (its port, its scheme) is discovery's to say."""
    untagged = schema_error("data did not match any variant of untagged enum RegisterDeploymentRequest")
    if not isinstance(body, dict) or not isinstance(body.get("uri"), str):
        raise untagged
    uri = body["uri"]
    headers = body.get("additional_headers")
    if headers is None:
        headers = {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise untagged
    _check_uri(uri, untagged)
    use_http_11 = body.get("use_http_11")
    if use_http_11 is not None and not isinstance(use_http_11, bool):
        raise untagged
    return Registration(uri, headers, bool(body.get("force")), bool(body.get("dry_run")), bool(use_http_11))


@dataclass(frozen=True)
class DeploymentUpdate:
    uri: str | None
    additional_headers: dict[str, str] | None
    overwrite: bool
    dry_run: bool
    use_http_11: bool | None = None  # None: as the deployment was registered


def deployment_update(body: Any) -> DeploymentUpdate:
    """``PATCH /deployments/{id}``: a new URI and/or headers, checked as a registration's."""
    untagged = schema_error("data did not match any variant of untagged enum UpdateDeploymentRequest")
    if not isinstance(body, dict):
        raise untagged
    uri, headers = body.get("uri"), body.get("additional_headers")
    if uri is not None:
        if not isinstance(uri, str):
            raise untagged
        _check_uri(uri, untagged)
    if headers is not None and (
        not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values())
    ):
        raise untagged
    use_http_11 = body.get("use_http_11")
    if use_http_11 is not None and not isinstance(use_http_11, bool):
        raise untagged
    return DeploymentUpdate(uri, headers, bool(body.get("overwrite")), bool(body.get("dry_run")), use_http_11)


def _check_uri(uri: str, untagged: HttpError) -> None:
    """An absolute URI with a host, in characters the http crate takes."""
    if len(uri) > MAX_URI_LENGTH or _URI_REFUSED.search(uri):
        raise untagged
    if not _SCHEME.match(uri):
        raise HttpError(
            400,
            f"The request field 'uri' is invalid. Reason: The provided uri {uri} is not absolute, "
            "only absolute URIs can be used.",
        )
    try:
        parts = urlsplit(uri)
    except ValueError:  # brackets of an IPv6 host that do not match
        raise untagged from None
    if not parts.netloc or not parts.hostname:
        raise untagged


def state_update(request: Request, body: Any) -> tuple[str, dict[bytes, bytes], str | None]:
    """``POST /services/{service}/state``: the object key, the new state (each value a byte
    array, a list of 0..255, or a string: its UTF-8 bytes, as restate takes them) and the
    version of the state it replaces, if given."""
    if not isinstance(body, dict) or not isinstance(body.get("object_key"), str):
        raise schema_error("missing field `object_key`")
    new_state = body.get("new_state")
    if not isinstance(new_state, dict):
        raise schema_error("missing field `new_state`")
    state: dict[bytes, bytes] = {}
    for name, value in new_state.items():
        if isinstance(value, str):
            state[name.encode()] = value.encode()
            continue
        if not isinstance(value, list):
            raise type_error(request, ("new_state", name), value, "byte array")
        for i, byte in enumerate(value):
            if isinstance(byte, bool) or not isinstance(byte, int):
                raise type_error(request, ("new_state", name, i), byte, "u8")
            if not 0 <= byte <= 255:
                raise type_error(request, ("new_state", name, i), byte, "u8", invalid_value=True)
        state[name.encode()] = bytes(value)
    version = body.get("version")
    if version is not None and not isinstance(version, str):
        raise schema_error("version: invalid type, expected a string")
    return body["object_key"], state, version


def query_text(request: Request, body: Any) -> str:
    """``POST /query``: the SQL text (serde also takes the struct as ``["SELECT ..."]``)."""
    if isinstance(body, list):
        if not body:
            detail = "invalid length 0, expected struct QueryRequest with 1 element"
            raise type_error(request, (), body, "", detail=detail)
        if not isinstance(body[0], str):
            raise type_error(request, (0,), body[0], "a string")
        return body[0]
    if not isinstance(body, dict):
        raise type_error(request, (), body, "struct QueryRequest")
    if "query" not in body:
        raise schema_error("missing field `query` at line 1 column 2")
    if not isinstance(body["query"], str):
        raise type_error(request, ("query",), body["query"], "a string")
    return body["query"]
