"""The endpoint manifest an SDK deployment returns from ``GET /discover`` (v1 to v4), as
pydantic models.

The JSON is camelCase (the aliases); durations are milliseconds. Fields a service or
handler leaves out are ``None`` here, so handler settings can override service settings,
which override the runtime's defaults. ``parse_manifest`` raises ``ManifestError`` with
restate-server's message: serde's words and place for a manifest it cannot decode, its
own for one that decodes but cannot be used.

This module imports pydantic (``protocol.structs``): only discovery imports it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from restate_cli.embedded.protocol import jsonbody, structs
from restate_cli.embedded.protocol.structs import F64, U64, NonZeroU64, Struct

SERVICE_TYPES = ("SERVICE", "VIRTUAL_OBJECT", "WORKFLOW")
HANDLER_TYPES = ("EXCLUSIVE", "SHARED", "WORKFLOW")
PROTOCOL_MODES = ("BIDI_STREAM", "REQUEST_RESPONSE")
_SHOWN_BYTES = 1000  # of the manifest, in the message about it


class ManifestError(ValueError):
    """The manifest cannot be used; ``str()`` is restate-server's message for it and
    ``code`` its restate error code (none for one that cannot be decoded)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class Settings(Struct):
    """Optional settings a service and each of its handlers may declare."""

    documentation: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    inactivity_timeout_ms: U64 | None = Field(None, alias="inactivityTimeout")
    abort_timeout_ms: U64 | None = Field(None, alias="abortTimeout")
    journal_retention_ms: U64 | None = Field(None, alias="journalRetention")
    idempotency_retention_ms: U64 | None = Field(None, alias="idempotencyRetention")
    enable_lazy_state: bool | None = Field(None, alias="enableLazyState")
    ingress_private: bool | None = Field(None, alias="ingressPrivate")
    retry_policy_initial_interval_ms: U64 | None = Field(None, alias="retryPolicyInitialInterval")
    retry_policy_max_interval_ms: U64 | None = Field(None, alias="retryPolicyMaxInterval")
    retry_policy_max_attempts: U64 | None = Field(None, alias="retryPolicyMaxAttempts")
    retry_policy_exponentiation_factor: F64 | None = Field(None, alias="retryPolicyExponentiationFactor")
    retry_policy_on_max_attempts: Literal["PAUSE", "KILL"] | None = Field(
        None, alias="retryPolicyOnMaxAttempts"
    )


class HandlerInput(Struct):
    """What the handler accepts. ``content_type=None`` means no input at all (``{}``)."""

    serde_name = "InputPayload"
    required: bool = False
    content_type: str | None = Field(None, alias="contentType")
    json_schema: Any = Field(None, alias="jsonSchema")


class HandlerOutput(Struct):
    """What the handler returns. ``content_type=None`` means an empty (void) output."""

    serde_name = "OutputPayload"
    content_type: str | None = Field(None, alias="contentType")
    set_content_type_if_empty: bool = Field(False, alias="setContentTypeIfEmpty")
    json_schema: Any = Field(None, alias="jsonSchema")


_NO_INPUT_DECLARED = HandlerInput(content_type="*/*")
_NO_OUTPUT_DECLARED = HandlerOutput(content_type="application/json")


class HandlerManifest(Settings):
    serde_name = "Handler"
    name: str
    ty: Literal["WORKFLOW", "EXCLUSIVE", "SHARED"] | None = None  # None for plain services
    input: Annotated[HandlerInput, BeforeValidator(lambda v: _NO_INPUT_DECLARED if v is None else v)] = (
        _NO_INPUT_DECLARED
    )
    output: Annotated[HandlerOutput, BeforeValidator(lambda v: _NO_OUTPUT_DECLARED if v is None else v)] = (
        _NO_OUTPUT_DECLARED
    )
    workflow_completion_retention_ms: U64 | None = Field(None, alias="workflowCompletionRetention")


class ServiceManifest(Settings):
    serde_name = "Service"
    name: str
    ty: Literal["VIRTUAL_OBJECT", "SERVICE", "WORKFLOW"]
    handlers: list[HandlerManifest]

    @model_validator(mode="after")
    def _handler_types(self) -> ServiceManifest:
        """A handler of a virtual object is exclusive, one of a workflow a workflow
        handler, unless it says otherwise."""
        default = {"VIRTUAL_OBJECT": "EXCLUSIVE", "WORKFLOW": "WORKFLOW"}.get(self.ty)
        if default is None or all(h.ty for h in self.handlers):
            return self
        typed = [h if h.ty else h.model_copy(update={"ty": default}) for h in self.handlers]
        return self.model_copy(update={"handlers": typed})

    def handler(self, name: str) -> HandlerManifest | None:
        return next((h for h in self.handlers if h.name == name), None)


class Manifest(Struct):
    serde_name = "Endpoint"
    protocol_mode: Literal["BIDI_STREAM", "REQUEST_RESPONSE"] | None = Field(None, alias="protocolMode")
    min_protocol_version: NonZeroU64 = Field(alias="minProtocolVersion")
    max_protocol_version: NonZeroU64 = Field(alias="maxProtocolVersion")
    services: list[ServiceManifest]
    lambda_compression: str | None = Field(None, alias="lambdaCompression")
    # Not in the JSON: set by discovery.
    sdk_version: str | None = Field(None, exclude=True)  # the x-restate-server response header
    manifest_version: int = Field(4, exclude=True)  # the version the deployment answered with
    raw: dict[str, Any] = Field(default_factory=dict, exclude=True)  # the JSON as received

    def service(self, name: str) -> ServiceManifest | None:
        return next((s for s in self.services if s.name == name), None)


def parse_manifest(
    doc: Any, *, sdk_version: str | None = None, manifest_version: int = 4, body: bytes | None = None
) -> Manifest:
    """The manifest in ``doc`` (parsed from ``body`` by ``jsonbody``, whose text places
    an error), or ``ManifestError``."""
    text = body if body is not None else b""
    try:
        manifest = structs.validate(Manifest, doc, text, with_path=False)
    except jsonbody.JsonBodyError as e:
        shown = text[:_SHOWN_BYTES].decode(errors="replace")
        raise ManifestError(
            f"received a bad response from the SDK that cannot be decoded: {e.reason}. "
            f"Discovery response: {shown}"
        ) from None
    if manifest.protocol_mode is None:
        raise _unusable("missing protocol mode (protocolMode)")  # restate names no field
    lo, hi = manifest.min_protocol_version, manifest.max_protocol_version
    if lo > hi:
        raise _unusable(
            "Expected min protocol version to be <= max protocol version. "
            f"Received min protocol version '{lo}', max protocol version '{hi}'"
        )
    update = {"sdk_version": sdk_version, "manifest_version": manifest_version, "raw": doc}
    return manifest.model_copy(update=update)


def _unusable(reason: str) -> ManifestError:
    return ManifestError(f"[META0013] received a bad response from the SDK: {reason}", "META0013")
