"""One embedded runtime: the store and engine of a data directory, and its registry."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restate_cli import ids
from restate_cli.embedded.errors import EngineError
from restate_cli.embedded.store import Store, now_ms
from restate_cli.embedded.store.sysviews import ts
from restate_cli.errors import CliError

if TYPE_CHECKING:
    from restate_cli.embedded.engine import Engine

DB_NAME = "restate.db"

_TY = {"SERVICE": "service", "VIRTUAL_OBJECT": "virtual_object", "WORKFLOW": "workflow"}
_TY_JSON = {"service": "Service", "virtual_object": "VirtualObject", "workflow": "Workflow"}


class DataDirError(CliError):
    """The data directory cannot be used (not writable, not a restate-cli store)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, hint="set $RESTATE_CLI_HOME to a writable directory of its own")


class Runtime:
    """The store, the engine, and the deployment registry of one data directory.

    ``active=False`` gives a passive runtime for a CLI process: the same admin API over
    the same store, but no attempts and no timers (a ``dev`` process runs those).
    """

    def __init__(self, data_dir: Path, *, active: bool = True) -> None:
        self.data_dir = data_dir
        try:
            self.store = Store(data_dir / DB_NAME)
        except (OSError, sqlite3.DatabaseError) as e:
            raise DataDirError(
                f"cannot open the embedded runtime's data in {data_dir}: {getattr(e, 'strerror', None) or e}"
            ) from None
        self.active = active
        self._engine: Engine | None = None
        self.ingress_url: str | None = None
        self.kafka: Any = None

    @property
    def engine(self) -> Engine:
        """The engine, built on first use: a CLI process that only reads never needs it."""
        if self._engine is None:
            from restate_cli.embedded.engine import Engine

            self._engine = Engine(self.store, active=self.active)
        return self._engine

    async def start(self) -> None:
        await self.engine.start()
        if self.engine.active:
            from restate_cli.embedded.kafka import KafkaConsumers

            self.kafka = KafkaConsumers(self.store, self.engine)
            self.kafka.start()

    async def stop(self) -> None:
        if self.kafka is not None:
            await self.kafka.stop()
        if self._engine is not None:
            await self._engine.stop()
        self.store.close()

    # -- deployments -----------------------------------------------------------------

    async def register(
        self,
        uri: str,
        *,
        force: bool,
        additional_headers: dict[str, str],
        dry_run: bool = False,
        use_http_11: bool = False,
    ) -> tuple[int, dict[str, Any]]:
        """Discover a deployment and record its services; ``(status, body)`` as restate
        answers: 201 for a new deployment (also when only a dry run), 200 for one already
        registered at that URI (rediscovered only with ``force``). A failed registration is
        logged."""
        try:
            return await self._register(uri, force, additional_headers, dry_run, use_http_11)
        except EngineError as e:
            self.engine.log(f"registering the deployment at {uri} failed: {e.message}")
            raise

    async def _register(
        self, uri: str, force: bool, additional_headers: dict[str, str], dry_run: bool, use_http_11: bool
    ) -> tuple[int, dict[str, Any]]:
        from restate_cli.embedded.protocol.deployment_client import (
            HTTP_1_1,
            HTTP_2,
            PROTOCOL_TYPES,
            DiscoveryError,
            discover,
        )

        uri = uri if uri.endswith("/") else uri + "/"
        existing = self.store.deployment_by_uri(uri)
        if existing is not None and not force:  # as restate-server: no discovery, no change
            return 200, self._registered(existing)
        try:
            manifest = await discover(uri, headers=additional_headers, use_http_11=use_http_11)
        except DiscoveryError as e:
            raise EngineError(500, f"[{e.code}] {e}", restate_code=e.code) from None
        services = manifest.raw.get("services", [])
        for svc in services:
            current = self.store.service(svc["name"])
            new_ty = _TY.get(svc.get("ty", ""), "service")
            if current is not None and current["ty"] != new_ty and not force:
                raise EngineError(
                    400,
                    f"[META0006] cannot change the type of service '{svc['name']}' from "
                    f"{current['ty']} to {new_ty}; register with force to replace it",
                    restate_code="META0006",
                )
        dep_id = existing["id"] if existing else ids.format_short_id("dp", ids.new_uuid())
        if dry_run:
            return (200 if existing else 201), self._registration(dep_id, manifest)
        now = now_ms()
        with self.store.tx() as c:
            self.store.save_deployment(
                c,
                {
                    "id": dep_id,
                    "uri": uri,
                    "protocol_type": PROTOCOL_TYPES[manifest.protocol_mode],
                    "http_version": HTTP_1_1 if use_http_11 else HTTP_2,
                    "min_protocol_version": manifest.min_protocol_version,
                    "max_protocol_version": manifest.max_protocol_version,
                    "sdk_version": manifest.sdk_version,
                    "additional_headers": json.dumps(additional_headers),
                    "created_at": existing["created_at"] if existing else now,
                    "manifest": json.dumps(manifest.raw),
                },
            )
            for svc in services:
                current = self.store.service(svc["name"], c)
                self.store.save_service(
                    c,
                    {
                        "name": svc["name"],
                        "deployment_id": dep_id,
                        "ty": _TY.get(svc.get("ty", ""), "service"),
                        "revision": (current["revision"] + 1) if current else 1,
                        "public": 0 if svc.get("ingressPrivate") else 1,
                        "manifest": json.dumps(svc),
                    },
                )
        self.engine.log(f"registered deployment {dep_id} at {uri}: {', '.join(s['name'] for s in services)}")
        return (200 if existing else 201), self._registration(dep_id, manifest)

    def _registered(self, dep: dict[str, Any]) -> dict[str, Any]:
        """The answer to registering a deployment that is registered already."""
        services = [s for s in self.store.services() if s["deployment_id"] == dep["id"]]
        return {
            "id": dep["id"],
            "services": [self.service_json(s) for s in services],
            "min_protocol_version": dep["min_protocol_version"],
            "max_protocol_version": dep["max_protocol_version"],
            "sdk_version": dep["sdk_version"],
        }

    def _registration(self, dep_id: str, manifest: Any) -> dict[str, Any]:
        services = [self.service_json(s) for s in self.store.services() if s["deployment_id"] == dep_id]
        if not services:
            services = [
                self.service_json(
                    {
                        "name": s["name"],
                        "deployment_id": dep_id,
                        "ty": _TY.get(s.get("ty", ""), "service"),
                        "revision": 1,
                        "public": 0 if s.get("ingressPrivate") else 1,
                        "manifest": json.dumps(s),
                    },
                    request_response=manifest.protocol_mode == "REQUEST_RESPONSE",
                )
                for s in manifest.raw.get("services", [])
            ]
        return {
            "id": dep_id,
            "services": services,
            "min_protocol_version": manifest.min_protocol_version,
            "max_protocol_version": manifest.max_protocol_version,
            "sdk_version": manifest.sdk_version,
        }

    def remove_deployment(self, dep_id: str) -> None:
        with self.store.tx() as c:
            self.store.delete_deployment(c, dep_id)
        self.engine.log(f"removed deployment {dep_id}")

    def deployment_json(self, dep: dict[str, Any], *, full: bool = False) -> dict[str, Any]:
        services = [s for s in self.store.services() if s["deployment_id"] == dep["id"]]
        return {
            "id": dep["id"],
            "uri": dep["uri"],
            "protocol_type": dep["protocol_type"],
            "http_version": dep["http_version"],
            "additional_headers": json.loads(dep["additional_headers"] or "{}"),
            "created_at": _ns(dep["created_at"]),
            "min_protocol_version": dep["min_protocol_version"],
            "max_protocol_version": dep["max_protocol_version"],
            "sdk_version": dep["sdk_version"],
            "services": [
                self.service_json(s) if full else {"name": s["name"], "revision": s["revision"]}
                for s in services
            ],
        }

    def service_json(self, svc: dict[str, Any], *, request_response: bool | None = None) -> dict[str, Any]:
        """A service as the admin API shows it. ``request_response``: whether its deployment
        is in that mode (looked up if not given), where restate-server shows no inactivity
        timeout (``0s``) whatever the service declares."""
        if request_response is None:
            dep = self.store.deployment(svc["deployment_id"])
            request_response = dep is not None and dep["protocol_type"] == "RequestResponse"
        m = json.loads(svc["manifest"])
        handlers = []
        for h in m.get("handlers", []):
            entry: dict[str, Any] = {"name": h["name"]}
            ty = (h.get("ty") or "").capitalize()
            if svc["ty"] != "service":
                entry["ty"] = ty or ("Exclusive" if svc["ty"] == "virtual_object" else "Workflow")
            entry["public"] = bool(svc["public"]) and not h.get("ingressPrivate", False)
            inp, out = h.get("input") or {}, h.get("output") or {}
            entry["input_description"] = _describe(inp)
            entry["output_description"] = _describe(out)
            if inp.get("jsonSchema") is not None:
                entry["input_json_schema"] = inp["jsonSchema"]
            if out.get("jsonSchema") is not None:
                entry["output_json_schema"] = out["jsonSchema"]
            entry["retry_policy"] = {"max_attempts": h.get("retryPolicyMaxAttempts")}
            handlers.append(entry)
        return {
            "name": svc["name"],
            "ty": _TY_JSON[svc["ty"]],
            "handlers": handlers,
            "deployment_id": svc["deployment_id"],
            "revision": svc["revision"],
            "public": bool(svc["public"]),
            "idempotency_retention": _human_ms(m.get("idempotencyRetention"), "1d"),
            "journal_retention": _human_ms(m.get("journalRetention"), "1d"),
            "inactivity_timeout": "0s" if request_response else _human_ms(m.get("inactivityTimeout"), "1m"),
            "abort_timeout": _human_ms(m.get("abortTimeout"), "10m"),
            "enable_lazy_state": bool(m.get("enableLazyState", False)),
        }

    def replace_state(self, service: str, key: str, new_state: dict[str, Any]) -> None:
        with self.store.tx() as c:
            self.store.state_clear(c, service, key)
            for name, value in new_state.items():
                raw = bytes(value) if isinstance(value, list) else json.dumps(value).encode()
                self.store.state_set(c, service, key, name.encode(), raw)


def _ns(ms: int) -> str:
    """``2026-11-27T17:31:35.459000000Z``: restate's admin API timestamps."""
    text = ts(ms) or ""
    return text[:-1] + "000000Z"


def _describe(io: dict[str, Any]) -> str:
    if not io or not io.get("contentType"):
        return "none"
    schema = io.get("jsonSchema")
    if isinstance(schema, dict) and isinstance(schema.get("type"), str):
        return f"JSON {schema['type']}"
    return str(io["contentType"])


def _human_ms(ms: Any, default: str) -> str:
    if ms is None:
        return default
    ms = int(ms)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"
