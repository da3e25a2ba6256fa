"""The state of virtual objects and workflows: read over SQL, replaced over the admin API.

``POST /services/{name}/state`` replaces a key's whole state and answers 202 before it is
applied. restate-server applies it in the key's turn: while invocations hold the key, the
change waits behind them. With a version, the server applies the change only if the state
still has that version when its turn comes, and otherwise drops it silently; so a write is
read back (``settle``) to tell the user what happened.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from restate_cli.admin import sql
from restate_cli.admin.client import AdminClient
from restate_cli.admin.errors import ApiError
from restate_cli.admin.models import Service
from restate_cli.admin.services import get_service, service_path
from restate_cli.errors import CliError, UsageError
from restate_cli.state_version import state_version

IN_FLIGHT_RULE = (
    "the server applies a state change only when the invocations ahead of it on the key have "
    "finished, and drops it if by then the state is no longer the version it was made from"
)


@dataclass
class State:
    """The state of one key: entry names and their raw bytes."""

    service: str
    key: str
    entries: dict[str, bytes] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return state_version((k.encode(), v) for k, v in self.entries.items())


# -- values ------------------------------------------------------------------------------


def encoding_of(raw: bytes) -> str:
    """``json`` when the bytes are a JSON document, ``text`` when UTF-8, else ``base64``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "base64"
    try:
        json.loads(text)
    except ValueError:
        return "text"
    return "json"


def b64(raw: bytes) -> str:
    """URL-safe base64, as the official CLI writes binary values."""
    return base64.urlsafe_b64encode(raw).decode()


def from_b64(text: str) -> bytes:
    """Standard or URL-safe base64, with or without padding."""
    cleaned = text.strip().replace("+", "-").replace("/", "_")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), altchars=b"-_", validate=True)
    except ValueError as e:
        raise UsageError(f"{text[:40]!r} is not base64: {e}") from None


def shown(raw: bytes, *, binary: bool = False) -> str:
    """One line for a table: compact JSON, the text, or base64."""
    if binary:
        return b64(raw)
    kind = encoding_of(raw)
    if kind == "json":
        return json.dumps(json.loads(raw), ensure_ascii=False)
    return raw.decode("utf-8") if kind == "text" else b64(raw)


def entry_json(name: str, raw: bytes, *, binary: bool = False) -> dict[str, Any]:
    """An entry for ``--json``: the value as JSON, text or base64, and which one it is."""
    kind = "base64" if binary else encoding_of(raw)
    if kind == "json":
        value: Any = json.loads(raw)
    elif kind == "text":
        value = raw.decode("utf-8")
    else:
        value = b64(raw)
    return {"key": name, "encoding": kind, "value": value, "size": len(raw)}


# -- reading -----------------------------------------------------------------------------


async def keyed_service(client: AdminClient, name: str) -> Service:
    """The service, which must be a virtual object or a workflow."""
    service = await get_service(client, name)
    if not service.keyed:
        raise UsageError(f"{name} is a service: only virtual objects and workflows have state")
    return service


async def read(client: AdminClient, service: str, keys: list[str] | None) -> dict[str, State]:
    """The state of ``keys`` (of every key with state, when None), by key."""
    rows = await client.query(sql.state_entries(service, keys))
    out: dict[str, State] = {k: State(service, k) for k in keys or ()}
    for row in rows:
        key = str(row.get("service_key", ""))
        value = row.get("value")
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
        out.setdefault(key, State(service, key)).entries[str(row.get("key", ""))] = raw
    return out


async def read_one(client: AdminClient, service: str, key: str) -> State:
    return (await read(client, service, [key]))[key]


@dataclass(frozen=True)
class Holder:
    """What a state change waits for: the invocation holding the key, and those queued."""

    id: str | None
    status: str | None
    target: str | None
    waiting: int

    def describe(self) -> str:
        parts = []
        if self.id:
            parts.append(f"{self.id} ({self.target or '?'}, {self.status or '?'}) holds the key")
        if self.waiting:
            parts.append(
                f"{self.waiting} {'invocations wait' if self.waiting != 1 else 'invocation waits'} for it"
            )
        return " and ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "target": self.target, "waiting": self.waiting}


async def holder(client: AdminClient, service: str, key: str) -> Holder | None:
    """Who holds the key now, or None when it is free; None also when the server cannot tell."""
    try:
        held, queued = await asyncio.gather(
            client.query(sql.key_holder(service, key)), client.query(sql.inbox_size(service, key))
        )
    except ApiError:
        return None
    waiting = int(queued[0].get("n") or 0) if queued else 0
    if not held and not waiting:
        return None
    h = held[0] if held else {}
    return Holder(h.get("id"), h.get("status"), h.get("target"), waiting)


# -- writing -----------------------------------------------------------------------------


async def submit(
    client: AdminClient, service: str, key: str, new: dict[str, bytes], version: str | None
) -> None:
    """Ask the server to replace the key's state with ``new`` (only from ``version``)."""
    body: dict[str, Any] = {"object_key": key, "new_state": {k: list(v) for k, v in new.items()}}
    if version is not None:
        body["version"] = version
    await client.request("POST", f"{service_path(service)}/state", json_body=body)


@dataclass(frozen=True)
class Settled:
    """What became of a state change: ``applied``, ``refused`` (the state changed meanwhile,
    and the server dropped the change) or ``queued`` (still waiting behind ``holder``)."""

    outcome: str
    state: State
    holder: Holder | None = None


async def settle(
    client: AdminClient, before: State, new: dict[str, bytes], *, timeout: float, force: bool = False
) -> Settled:
    """Read the key back until the change shows, the state moves elsewhere (which makes the
    server drop a versioned change), or ``timeout``."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        now = await read_one(client, before.service, before.key)
        if now.entries == new:
            return Settled("applied", now)
        if now.version != before.version and not force:
            return Settled("refused", now)
        if time.monotonic() >= deadline:
            return Settled("queued", now, await holder(client, before.service, before.key))
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


class StateChanged(CliError):
    """The state moved between reading it and writing: nothing was written."""
