"""The engine's vocabulary: targets, results, failures, and the open transaction ``Tx``.

Every state change of the engine is a function of a ``Tx``: the store, its connection
inside one write transaction, the time of the change, and the ``Effects`` to apply once
the transaction has committed (start an attempt, answer a waiting caller, wake the
timers, log a line).
"""

from __future__ import annotations

import hashlib
import logging
import random
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from restate_cli import ids
from restate_cli.embedded.errors import EngineError
from restate_cli.embedded.protocol.results import Failure
from restate_cli.embedded.store import Conn, Inv, Store

# Levels of the dev log's lines (logging's): each state change (``dev -v``), an invocation's
# end (the default), a failure or retry (also ``dev -q``).
CHANGE, END, FAILURE = logging.DEBUG, logging.INFO, logging.WARNING

CANCELED_PENDING = Failure(409, "canceled")
KILLED = Failure(409, "killed")


@dataclass(frozen=True)
class Result:
    """How an invocation ended: ``value`` on success, else ``failure``."""

    value: bytes | None = None
    failure: Failure | None = None


class Attempt(NamedTuple):
    """An attempt ready to send: the invocation as marked in flight, the request body
    (Start, then the journal), the deployment's URI, the protocol version, the abort
    timeout in seconds, and whether the deployment speaks HTTP/2 (else HTTP/1.1)."""

    inv: Inv
    body: bytes
    uri: str
    version: int
    timeout: float
    http2: bool = False


@dataclass
class Effects:
    """Work to do once the transaction that caused it has committed."""

    run: list[str] = field(default_factory=list)
    abort: list[str] = field(default_factory=list)
    results: dict[str, Result] = field(default_factory=dict)
    timers: bool = False
    logs: list[tuple[int, str]] = field(default_factory=list)  # (level, line) for the dev log
    started: dict[str, Attempt] = field(default_factory=dict)  # of ``run``: begun in the same transaction

    def log(self, line: str, level: int = CHANGE) -> None:
        self.logs.append((level, line))


@dataclass(slots=True)
class Tx:
    """One open write transaction of the engine."""

    store: Store
    c: Conn
    fx: Effects
    now: int

    def get(self, inv_id: str) -> Inv | None:
        return self.store.get(inv_id, self.c)

    def get_or_404(self, inv_id: str) -> Inv:
        inv = self.store.get(inv_id, self.c)
        if inv is None:
            raise EngineError(404, f"The requested invocation '{inv_id}' does not exist")
        return inv


@dataclass(frozen=True)
class AttemptError:
    """Why an attempt failed: an SDK error, a broken stream, a protocol violation."""

    code: int
    message: str
    doc_code: str | None = None  # restate's RT00xx code
    stacktrace: str = ""

    @property
    def text(self) -> str:
        """The invocation's ``last_failure``, as restate-server words it."""
        label = "500 Internal" if self.code == 500 else str(self.code)
        return f"[{label}] {self.message}" + (f"\n{self.stacktrace}" if self.stacktrace else "")

    def event(self) -> dict[str, Any]:
        """The failure as restate-server records it in ``sys_journal_events``."""
        return {
            "error_code": self.code,
            "error_message": self.message,
            "error_stacktrace": self.stacktrace,
            "restate_doc_error_code": self.doc_code,
        }


@dataclass(frozen=True)
class Target:
    service: str
    key: str | None
    handler: str
    service_ty: str
    handler_ty: str | None


class ProtocolViolation(Exception):
    """The SDK sent something the protocol does not allow: the attempt fails (retryable)."""


def raw_id(target: Target, idempotency_key: str | None) -> bytes:
    """24 bytes: partition key (stable per object/workflow key) and a uuid (deterministic
    for idempotent requests and workflow runs)."""
    if target.key is not None and target.service_ty != "service":
        pk = hashlib.sha256(f"{target.service}\0{target.key}".encode()).digest()[:8]
    else:
        pk = random.getrandbits(64).to_bytes(8, "big")
    if target.handler_ty == "workflow" and target.service_ty == "workflow":
        uuid = hashlib.sha256(f"wf\0{target.service}\0{target.key}".encode()).digest()[:16]
    elif idempotency_key:
        text = f"ik\0{target.service}\0{target.key or ''}\0{target.handler}\0{idempotency_key}"
        uuid = hashlib.sha256(text.encode()).digest()[:16]
    else:
        uuid = ids.new_uuid()
    return pk + uuid


def workflow_run_id(service: str, key: str) -> str:
    """The invocation id of a workflow's run: one per workflow key."""
    return ids.format_invocation_id(raw_id(Target(service, key, "run", "workflow", "workflow"), None))


def result_of(inv: Inv) -> Result:
    """The result of a completed invocation."""
    if inv.completion_result == "failure":
        return Result(failure=Failure(inv.failure_code or 500, inv.failure_message or ""))
    return Result(value=inv.output or b"")
