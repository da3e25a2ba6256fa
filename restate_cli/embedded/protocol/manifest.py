"""The endpoint manifest an SDK deployment returns from ``GET /discover`` (v1 to v4), typed.

The JSON is camelCase; durations are milliseconds. Fields a service or handler leaves out
are ``None`` here, so handler settings can override service settings, which override the
runtime's defaults. ``parse_manifest`` raises ``ManifestError`` naming the bad field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SERVICE_TYPES = ("SERVICE", "VIRTUAL_OBJECT", "WORKFLOW")
HANDLER_TYPES = ("EXCLUSIVE", "SHARED", "WORKFLOW")
PROTOCOL_MODES = ("BIDI_STREAM", "REQUEST_RESPONSE")


class ManifestError(ValueError):
    """The manifest JSON is not a valid endpoint manifest."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Optional settings a service and each of its handlers may declare."""

    documentation: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    inactivity_timeout_ms: int | None = None
    abort_timeout_ms: int | None = None
    journal_retention_ms: int | None = None
    idempotency_retention_ms: int | None = None
    enable_lazy_state: bool | None = None
    ingress_private: bool | None = None
    retry_policy_initial_interval_ms: int | None = None
    retry_policy_max_interval_ms: int | None = None
    retry_policy_max_attempts: int | None = None
    retry_policy_exponentiation_factor: float | None = None
    retry_policy_on_max_attempts: str | None = None  # "PAUSE" or "KILL"


@dataclass(frozen=True)
class HandlerInput:
    """What the handler accepts. ``content_type=None`` means no input at all (``{}``)."""

    required: bool = False
    content_type: str | None = "*/*"
    json_schema: Any = None


@dataclass(frozen=True)
class HandlerOutput:
    """What the handler returns. ``content_type=None`` means an empty (void) output."""

    content_type: str | None = "application/json"
    set_content_type_if_empty: bool = False
    json_schema: Any = None


@dataclass(frozen=True, kw_only=True)
class HandlerManifest(Settings):
    name: str
    ty: str | None  # EXCLUSIVE, SHARED or WORKFLOW; None for plain services
    input: HandlerInput = field(default_factory=HandlerInput)
    output: HandlerOutput = field(default_factory=HandlerOutput)
    workflow_completion_retention_ms: int | None = None


@dataclass(frozen=True, kw_only=True)
class ServiceManifest(Settings):
    name: str
    ty: str  # SERVICE, VIRTUAL_OBJECT or WORKFLOW
    handlers: list[HandlerManifest]

    def handler(self, name: str) -> HandlerManifest | None:
        return next((h for h in self.handlers if h.name == name), None)


@dataclass(frozen=True, kw_only=True)
class Manifest:
    protocol_mode: str  # BIDI_STREAM or REQUEST_RESPONSE
    min_protocol_version: int
    max_protocol_version: int
    services: list[ServiceManifest]
    sdk_version: str | None = None  # the x-restate-server response header
    manifest_version: int = 4  # the endpointmanifest version the deployment answered with
    lambda_compression: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # the JSON as received

    def service(self, name: str) -> ServiceManifest | None:
        return next((s for s in self.services if s.name == name), None)


_SETTINGS = {
    "documentation": ("documentation", str),
    "inactivityTimeout": ("inactivity_timeout_ms", int),
    "abortTimeout": ("abort_timeout_ms", int),
    "journalRetention": ("journal_retention_ms", int),
    "idempotencyRetention": ("idempotency_retention_ms", int),
    "enableLazyState": ("enable_lazy_state", bool),
    "ingressPrivate": ("ingress_private", bool),
    "retryPolicyInitialInterval": ("retry_policy_initial_interval_ms", int),
    "retryPolicyMaxInterval": ("retry_policy_max_interval_ms", int),
    "retryPolicyMaxAttempts": ("retry_policy_max_attempts", int),
    "retryPolicyExponentiationFactor": ("retry_policy_exponentiation_factor", float),
    "retryPolicyOnMaxAttempts": ("retry_policy_on_max_attempts", str),
}


def parse_manifest(doc: Any, *, sdk_version: str | None = None, manifest_version: int = 4) -> Manifest:
    obj = _object(doc, "the manifest")
    mode = obj.get("protocolMode")
    if mode not in PROTOCOL_MODES:
        raise ManifestError(f"protocolMode is {mode!r}, expected one of {', '.join(PROTOCOL_MODES)}")
    min_v = _get(obj, "minProtocolVersion", int, "the manifest", required=True)
    max_v = _get(obj, "maxProtocolVersion", int, "the manifest", required=True)
    if min_v > max_v:
        raise ManifestError(f"minProtocolVersion {min_v} is above maxProtocolVersion {max_v}")
    services = obj.get("services")
    if not isinstance(services, list):
        raise ManifestError("services is missing or not a list")
    return Manifest(
        protocol_mode=mode,
        min_protocol_version=min_v,
        max_protocol_version=max_v,
        services=[_service(s, i) for i, s in enumerate(services)],
        sdk_version=sdk_version,
        manifest_version=manifest_version,
        lambda_compression=_get(obj, "lambdaCompression", str, "the manifest"),
        raw=obj,
    )


def _service(doc: Any, index: int) -> ServiceManifest:
    where = f"services[{index}]"
    obj = _object(doc, where)
    name = _get(obj, "name", str, where, required=True)
    where = f"service {name!r}"
    ty = _get(obj, "ty", str, where, required=True)
    if ty not in SERVICE_TYPES:
        raise ManifestError(f"{where} has ty {ty!r}, expected one of {', '.join(SERVICE_TYPES)}")
    handlers = obj.get("handlers")
    if not isinstance(handlers, list):
        raise ManifestError(f"{where} has no handlers list")
    return ServiceManifest(
        name=name,
        ty=ty,
        handlers=[_handler(h, name, ty, i) for i, h in enumerate(handlers)],
        **_settings(obj, where),
    )


def _handler(doc: Any, service: str, service_ty: str, index: int) -> HandlerManifest:
    where = f"service {service!r}, handlers[{index}]"
    obj = _object(doc, where)
    name = _get(obj, "name", str, where, required=True)
    where = f"handler {service}/{name}"
    ty = _get(obj, "ty", str, where)
    if ty is None:
        ty = {"VIRTUAL_OBJECT": "EXCLUSIVE", "WORKFLOW": "WORKFLOW"}.get(service_ty)
    elif ty not in HANDLER_TYPES:
        raise ManifestError(f"{where} has ty {ty!r}, expected one of {', '.join(HANDLER_TYPES)}")
    return HandlerManifest(
        name=name,
        ty=ty,
        input=_input(obj.get("input"), where),
        output=_output(obj.get("output"), where),
        workflow_completion_retention_ms=_get(obj, "workflowCompletionRetention", int, where),
        **_settings(obj, where),
    )


def _input(doc: Any, where: str) -> HandlerInput:
    if doc is None:
        return HandlerInput()
    obj = _object(doc, f"{where} input")
    return HandlerInput(
        required=bool(_get(obj, "required", bool, where)),
        content_type=_get(obj, "contentType", str, where),
        json_schema=obj.get("jsonSchema"),
    )


def _output(doc: Any, where: str) -> HandlerOutput:
    if doc is None:
        return HandlerOutput()
    obj = _object(doc, f"{where} output")
    return HandlerOutput(
        content_type=_get(obj, "contentType", str, where),
        set_content_type_if_empty=bool(_get(obj, "setContentTypeIfEmpty", bool, where)),
        json_schema=obj.get("jsonSchema"),
    )


def _settings(obj: dict[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {attr: _get(obj, key, kind, where) for key, (attr, kind) in _SETTINGS.items()}
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise ManifestError(f"{where} has metadata that is not a map of strings")
    out["metadata"] = metadata
    return out


def _object(doc: Any, where: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ManifestError(f"{where} is not a JSON object")
    return doc


def _get(obj: dict[str, Any], key: str, kind: type, where: str, *, required: bool = False) -> Any:
    value = obj.get(key)
    if value is None:
        if required:
            raise ManifestError(f"{where} has no {key}")
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ManifestError(f"{where} has {key} = {value!r}, expected a {kind.__name__}")
    return value
