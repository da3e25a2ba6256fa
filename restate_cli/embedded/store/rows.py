"""The rows the engine reads and writes: invocations and journal entries."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, fields

Conn = sqlite3.Connection


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Inv:
    """One row of ``invocations``."""

    id: str
    raw_id: bytes
    partition_key: int
    service: str
    service_key: str | None
    handler: str
    service_ty: str
    handler_ty: str | None
    status: str
    in_flight: int
    attempts: int
    idempotency_key: str | None
    invoked_by: str
    invoked_by_id: str | None
    invoked_by_target: str | None
    invoked_by_service_name: str | None
    invoked_by_subscription_id: str | None
    restarted_from: str | None
    pinned_deployment_id: str | None
    pinned_protocol_version: int | None
    created_at: int
    modified_at: int
    inboxed_at: int | None
    inbox_seq: int | None
    scheduled_at: int | None
    scheduled_start_at: int | None
    running_at: int | None
    completed_at: int | None
    completion_retention: int
    journal_retention: int
    expires_at: int | None
    journal_size: int
    journal_commands_size: int
    last_stored_at: int | None
    retries_since_stored: int
    last_start_at: int | None
    next_retry_at: int | None
    last_attempt_deployment_id: str | None
    last_attempt_server: str | None
    last_failure: str | None
    last_failure_error_code: str | None
    last_failure_command_index: int | None
    last_failure_command_name: str | None
    last_failure_command_type: str | None
    retry_override_ms: int | None
    waiting: str | None
    completion_result: str | None
    completion_failure: str | None
    output: bytes | None
    failure_code: int | None
    failure_message: str | None
    random_seed: int
    epoch: int

    @property
    def target(self) -> str:
        if self.service_key is not None and self.service_ty != "service":
            return f"{self.service}/{self.service_key}/{self.handler}"
        return f"{self.service}/{self.handler}"

    @property
    def keyed(self) -> bool:
        return self.service_ty != "service"

    @property
    def exclusive(self) -> bool:
        """Whether it takes the key's lock: exclusive object handlers and workflow runs."""
        return self.keyed and self.handler_ty in ("exclusive", "workflow")


INV_COLUMNS = tuple(f.name for f in fields(Inv))


@dataclass(frozen=True)
class Entry:
    idx: int
    msg_type: int
    payload: bytes
    appended_at: int
