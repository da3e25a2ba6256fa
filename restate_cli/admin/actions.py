"""The invocation actions (cancel, kill, purge, pause, resume, restart-as-new): which
statuses each selects, the admin operation it calls, its words; and the outcome of one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from restate_cli.admin.models import InvocationRef


@dataclass(frozen=True)
class Action:
    verb: str  # cancel
    op: str  # the admin operation: PATCH /invocations/{id}/<op>
    done: str  # Cancelled
    raw_statuses: tuple[str, ...]
    negate: bool  # select every status except raw_statuses
    works_on: str  # for the "nothing found" message
    style: str = ""
    needs_pause_api: bool = False

    @property
    def shown_statuses(self) -> tuple[str, ...]:
        """The statuses, as ``sys_invocation`` shows them, of the invocations it acts on."""
        raw = [r for r in SHOWN_AS if (r in self.raw_statuses) != self.negate]
        return tuple(s for s in SHOWN_ORDER if any(s in SHOWN_AS[r] for r in raw))


# How sys_invocation shows each status of sys_invocation_status.
SHOWN_AS = {
    "inboxed": ("pending",),
    "scheduled": ("scheduled",),
    "invoked": ("ready", "running", "backing-off"),
    "suspended": ("suspended",),
    "paused": ("paused",),
    "completed": ("completed",),
}
SHOWN_ORDER = ("pending", "scheduled", "ready", "running", "backing-off", "suspended", "paused", "completed")


ACTIONS = {
    "cancel": Action("cancel", "cancel", "Cancelled", ("completed",), True, "non-completed", "magenta"),
    "kill": Action("kill", "kill", "Killed", ("completed",), True, "non-completed", "bold red"),
    "purge": Action("purge", "purge", "Purged", ("completed",), False, "completed"),
    "restart": Action("restart", "restart-as-new", "Restarted", ("completed",), False, "completed"),
    "resume": Action(
        "resume",
        "resume",
        "Resumed",
        ("paused", "invoked", "suspended"),
        False,
        "running, backing-off, suspended or paused",
    ),
    "pause": Action(
        "pause",
        "pause",
        "Paused",
        ("invoked", "suspended"),
        False,
        "running, backing-off or suspended",
        needs_pause_api=True,
    ),
}


@dataclass
class Outcome:
    ref: InvocationRef
    http_status: int | None = None
    error: str | None = None
    new_invocation_id: str | None = None
    attempted: bool = True  # False: the action was interrupted (Ctrl-C) before its request

    @property
    def ok(self) -> bool:
        return self.attempted and self.error is None

    @property
    def failed(self) -> bool:
        return self.attempted and self.error is not None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.ref.id,
            "target": self.ref.target,
            "status": self.ref.shown_status,
            "ok": self.ok,
            "attempted": self.attempted,
            "http_status": self.http_status,
            "error": self.error,
        }
        if self.new_invocation_id is not None or self.ref.status == "completed":
            data["new_invocation_id"] = self.new_invocation_id
        return data
