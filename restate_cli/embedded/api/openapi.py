"""A small OpenAPI 3.1 document describing the routes the embedded admin API serves."""

from __future__ import annotations

import re
from typing import Any

from restate_cli import __version__
from restate_cli.embedded.api.asgi import Router


def document(router: Router) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for regex, methods in router.routes:
        path = re.sub(r"\(\?P<(\w+)>\[\^/\]\*\)", r"{\1}", regex.pattern.strip("^$"))
        params = re.findall(r"\{(\w+)\}", path)
        entry = paths.setdefault(path, {})
        for method, handler in methods.items():
            entry[method.lower()] = {
                "operationId": handler.__name__,
                "parameters": [
                    {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params
                ],
                "responses": {"default": {"description": "restate-server compatible answer"}},
            }
    return {
        "openapi": "3.1.0",
        "info": {"title": "restate-cli embedded admin API", "version": __version__},
        "paths": paths,
    }
