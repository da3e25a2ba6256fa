"""The OpenAPI 3.1 document of the embedded admin API (``GET /openapi``): its routes, and
the request bodies and query parameters of each, from the pydantic models that read them
(``bodies``)."""

from __future__ import annotations

import re
from typing import Any

from pydantic.json_schema import models_json_schema

from restate_cli import __version__
from restate_cli.embedded.api import bodies
from restate_cli.embedded.api.asgi import Router

_REF = "#/components/schemas/{model}"
_ERRORS = {
    "400": "the request is not valid (text/plain for a body that is not JSON)",
    "415": "the body is not `application/json`",
    "422": "the body does not fit the request type (text/plain, with the field and place)",
}


def document(router: Router) -> dict[str, Any]:
    models = list(dict.fromkeys(bodies.REQUEST_BODIES.values()))
    _, schemas = models_json_schema([(m, "validation") for m in models], ref_template=_REF, by_alias=True)
    paths: dict[str, Any] = {}
    for regex, methods in router.routes:
        path = re.sub(r"\(\?P<(\w+)>\[\^/\]\*\)", r"{\1}", regex.pattern.strip("^$"))
        entry = paths.setdefault(path, {})
        for method in methods:
            entry[method.lower()] = _operation(method, path)
    return {
        "openapi": "3.1.0",
        "info": {"title": "restate-cli embedded admin API", "version": __version__},
        "paths": paths,
        "components": {"schemas": schemas.get("$defs", {})},
    }


def _operation(method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": method.lower() + re.sub(r"[^A-Za-z0-9]+", "_", path).rstrip("_"),
        "parameters": [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in re.findall(r"\{(\w+)\}", path)
        ],
        "responses": {"default": {"description": "restate-server's answer"}},
    }
    params = bodies.QUERY_PARAMETERS.get((method, path))
    if params is not None:
        operation["parameters"] += _query_parameters(params)
    model = bodies.REQUEST_BODIES.get((method, path))
    if model is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}},
        }
        operation["responses"].update({code: {"description": text} for code, text in _ERRORS.items()})
    return operation


def _query_parameters(model: type[bodies.QueryParameters]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True)
    return [
        {"name": name, "in": "query", "required": False, "schema": field}
        for name, field in schema.get("properties", {}).items()
    ]
