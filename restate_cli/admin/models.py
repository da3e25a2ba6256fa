"""Typed views of what the admin API returns.

Field names are the server's column and JSON names (snake_case); they are also the
``--json`` output, so renaming one is a breaking change.
"""

from __future__ import annotations

import json
from typing import Any

from restate_cli.admin.record import Record, Timestamp

__all__ = ["Timestamp"]


class _Model(Record):
    """Frozen; unknown keys in the server's answer are ignored. A ``Record``, not a pydantic
    model, for the start-up time of short commands (``admin.record`` has the figures)."""


class Invocation(_Model):
    """One row of ``sys_invocation`` (plus whether its pinned deployment still exists)."""

    id: str
    target: str = ""
    target_service_name: str | None = None
    target_service_key: str | None = None
    target_handler_name: str | None = None
    target_service_ty: str | None = None
    status: str = "unknown"
    created_at: Timestamp | None = None
    modified_at: Timestamp | None = None
    scheduled_start_at: Timestamp | None = None
    running_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    idempotency_key: str | None = None
    invoked_by: str | None = None
    invoked_by_id: str | None = None
    invoked_by_target: str | None = None
    invoked_by_subscription_id: str | None = None
    restarted_from: str | None = None
    pinned_deployment_id: str | None = None
    pinned_deployment_exists: bool | None = None
    last_attempt_deployment_id: str | None = None
    last_attempt_server: str | None = None
    trace_id: str | None = None
    retry_count: int | None = None
    last_start_at: Timestamp | None = None
    next_retry_at: Timestamp | None = None
    last_failure: str | None = None
    last_failure_error_code: str | None = None
    last_failure_related_entry_index: int | None = None
    last_failure_related_entry_name: str | None = None
    last_failure_related_entry_type: str | None = None
    last_failure_related_command_index: int | None = None
    last_failure_related_command_name: str | None = None
    last_failure_related_command_type: str | None = None
    completion_result: str | None = None
    completion_failure: str | None = None
    journal_size: int | None = None
    journal_commands_size: int | None = None

    @property
    def deployment_id(self) -> str | None:
        return self.pinned_deployment_id or self.last_attempt_deployment_id

    @property
    def keyed(self) -> bool:
        return self.target_service_ty in ("virtual_object", "workflow")


class InvocationRef(_Model):
    """An invocation found by the bulk resolver."""

    id: str
    target: str = ""
    target_service_ty: str | None = None
    status: str | None = None

    @property
    def shown_status(self) -> str:
        """The status as ``list`` names it (the resolver reads raw ``sys_invocation_status``)."""
        return {"inboxed": "pending", "invoked": "running"}.get(self.status or "", self.status or "")


class JournalEntry(_Model):
    """One row of ``sys_journal``."""

    index: int
    entry_type: str = ""
    name: str | None = None
    completed: bool | None = None
    invoked_id: str | None = None
    invoked_target: str | None = None
    sleep_wakeup_at: Timestamp | None = None
    promise_name: str | None = None
    version: int | None = None
    entry_json: str | None = None
    appended_at: Timestamp | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> JournalEntry:
        return cls.model_validate({**row, "index": row.get("idx", row.get("index", 0))})

    def decoded(self) -> dict[str, Any]:
        """``entry_json`` parsed, or ``{}``."""
        if not self.entry_json:
            return {}
        try:
            value = json.loads(self.entry_json)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class Subscription(_Model):
    id: str
    source: str
    sink: str
    options: dict[str, str] = {}


class SchemaInfo(_Model):
    """A note the server attaches to a resource, e.g. a deprecation."""

    message: str
    code: str | None = None


class KafkaCluster(_Model):
    name: str
    properties: dict[str, str] = {}
    created_at: Timestamp | None = None
    subscriptions: list[Subscription] = []
    info: list[SchemaInfo] = []


class _Settings(_Model):
    """What a service sets for its handlers, and a handler may set for itself."""

    documentation: str | None = None
    public: bool | None = None
    idempotency_retention: str | None = None
    workflow_completion_retention: str | None = None
    journal_retention: str | None = None
    inactivity_timeout: str | None = None
    abort_timeout: str | None = None
    enable_lazy_state: bool | None = None
    retry_policy: dict[str, Any] = {}


class Handler(_Settings):
    name: str
    ty: str | None = None
    input_description: str | None = None
    output_description: str | None = None


class Service(_Settings):
    """``GET /services/{name}``: the service, its handlers and its settings."""

    name: str
    ty: str | None = None
    revision: int | None = None
    deployment_id: str | None = None
    handlers: list[Handler] = []
    info: list[SchemaInfo] = []

    @property
    def keyed(self) -> bool:
        return self.ty in ("VirtualObject", "Workflow")


class Deployment(_Model):
    id: str
    uri: str | None = None
    protocol_type: str | None = None
    http_version: str | None = None
    created_at: Timestamp | None = None
    min_protocol_version: int | None = None
    max_protocol_version: int | None = None
    sdk_version: str | None = None
    services: list[Service] = []


def _target_str(target: Any) -> str:
    if not isinstance(target, dict) or not target:
        return "?"
    kind, body = next(iter(target.items()))
    if not isinstance(body, dict):
        return "?"
    name, handler, key = body.get("name", "?"), body.get("handler", "?"), body.get("key")
    return f"{name}/{key}/{handler}" if kind != "Service" and key is not None else f"{name}/{handler}"


def call_of(entry: JournalEntry) -> dict[str, Any] | None:
    """For Call and OneWayCall entries: ``{"kind", "invocation_id", "target", "invoke_time"}``."""
    cmd = entry.decoded().get("Command")
    if not isinstance(cmd, dict):
        if entry.invoked_id:  # V1 journals
            kind = "call" if "Call" in entry.entry_type and "OneWay" not in entry.entry_type else "send"
            return {
                "kind": kind,
                "invocation_id": entry.invoked_id,
                "target": entry.invoked_target or "?",
                "invoke_time": None,
            }
        return None
    for name, kind in (("Call", "call"), ("OneWayCall", "send")):
        body = cmd.get(name)
        if isinstance(body, dict):
            request = body.get("request") if isinstance(body.get("request"), dict) else body
            invoke_time = body.get("invoke_time") or None
            return {
                "kind": kind,
                "invocation_id": request.get("invocation_id"),
                "target": _target_str(request.get("invocation_target")),
                "invoke_time": invoke_time,
            }
    return None
