"""Services over the admin API: the registry, one service with its settings, changing them,
and what their invocations are doing."""

from __future__ import annotations

import asyncio
import difflib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from restate_cli.admin import sql
from restate_cli.admin.client import AdminClient
from restate_cli.admin.errors import ApiError
from restate_cli.admin.models import Deployment, Service
from restate_cli.errors import NotFound

# The settings PATCH /services/{name} changes, in the order they are shown.
SETTINGS = (
    "public",
    "idempotency_retention",
    "workflow_completion_retention",
    "journal_retention",
    "inactivity_timeout",
    "abort_timeout",
)
DURATION_SETTINGS = SETTINGS[1:]
# Statuses counted by `services status`, in the order of the lifecycle.
ACTIVE_STATUSES = sql.ACTIVE_STATUSES


def service_path(name: str) -> str:
    return f"services/{quote(name, safe='')}"


async def list_services(client: AdminClient) -> list[Service]:
    data = await client.get_json("services")
    return [Service.model_validate(s) for s in (data or {}).get("services", [])]


def unknown_service_hint(services: list[Service], name: str) -> str:
    """What exists instead of ``name``: the registered services, and the closest one."""
    names = sorted(s.name for s in services)
    if not names:
        return "no service is registered; register a deployment first"
    close = [n for n in names if n.lower() == name.lower()] or difflib.get_close_matches(name, names, n=1)
    return "services: " + ", ".join(names) + (f" (did you mean {close[0]}?)" if close else "")


async def _not_found(client: AdminClient, name: str) -> NotFound:
    try:
        hint = unknown_service_hint(await list_services(client), name)
    except ApiError:
        hint = None
    return NotFound(f"no service {name!r} is registered on {client.server}", hint=hint)


async def get_service_raw(client: AdminClient, name: str) -> dict[str, Any]:
    """The server's JSON for one service; ``NotFound`` naming the services that exist."""
    try:
        return await client.get_json(service_path(name))
    except ApiError as e:
        if e.status == 404:
            raise await _not_found(client, name) from None
        raise


async def get_service(client: AdminClient, name: str) -> Service:
    return Service.model_validate(await get_service_raw(client, name))


async def get_deployment(client: AdminClient, deployment_id: str | None) -> Deployment | None:
    """The deployment behind a service, or None when it cannot be read."""
    if not deployment_id:
        return None
    try:
        return Deployment.model_validate(await client.get_json(f"deployments/{deployment_id}"))
    except ApiError:
        return None


async def patch_service(client: AdminClient, name: str, changes: dict[str, Any]) -> dict[str, Any]:
    """``PATCH /services/{name}`` with the settings to change; the server's new JSON."""
    try:
        return await client.patch_json(service_path(name), changes)
    except ApiError as e:
        if e.status == 404:
            raise await _not_found(client, name) from None
        raise


def current_settings(service: Service) -> dict[str, Any]:
    """The settings ``patch`` can change, as the server shows them now."""
    values = {k: getattr(service, k) for k in SETTINGS}
    if service.ty != "Workflow":
        values.pop("workflow_completion_retention")
    return values


# -- status ------------------------------------------------------------------------------


@dataclass
class Oldest:
    id: str
    status: str
    created_at: str


@dataclass
class HandlerStatus:
    service: str
    handler: str
    counts: dict[str, int] = field(default_factory=dict)
    oldest: Oldest | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def status(client: AdminClient, services: list[Service]) -> list[HandlerStatus]:
    """Every handler of ``services`` with its invocations that have not completed, counted
    by status, and the oldest of them."""
    rows = await client.query(sql.active_counts([s.name for s in services]))
    table = {(s.name, h.name): HandlerStatus(s.name, h.name) for s in services for h in s.handlers}
    for row in rows:
        key = (str(row.get("service")), str(row.get("handler")))
        entry = table.setdefault(key, HandlerStatus(*key))
        entry.counts[str(row.get("status"))] = int(row.get("n") or 0)
    busy = [e for e in table.values() if e.total]

    async def oldest(entry: HandlerStatus) -> None:
        found = await client.query(sql.oldest_active(entry.service, entry.handler))
        if found:
            r = found[0]
            entry.oldest = Oldest(str(r["id"]), str(r.get("status")), str(r.get("created_at")))

    gate = asyncio.Semaphore(16)

    async def limited(entry: HandlerStatus) -> None:
        async with gate:
            await oldest(entry)

    await asyncio.gather(*(limited(e) for e in busy))
    order = {s.name: i for i, s in enumerate(services)}
    return sorted(table.values(), key=lambda e: (order.get(e.service, len(order)), e.service, e.handler))
