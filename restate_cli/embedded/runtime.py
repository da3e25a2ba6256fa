"""One embedded runtime: the store and engine of a data directory, and its registry."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restate_cli import ids
from restate_cli.embedded.errors import EngineError
from restate_cli.embedded.store import NewerSchema, Store, now_ms, problem
from restate_cli.embedded.store.sysviews import ts
from restate_cli.errors import CliError

if TYPE_CHECKING:
    from restate_cli.embedded.engine import Engine
    from restate_cli.embedded.store.query import QueryPool

DB_NAME = "restate.db"

_TY = {"SERVICE": "service", "VIRTUAL_OBJECT": "virtual_object", "WORKFLOW": "workflow"}
_TY_JSON = {"service": "Service", "virtual_object": "VirtualObject", "workflow": "Workflow"}


class DataDirError(CliError):
    """The data directory cannot be used (not writable, corrupt, from a newer restate-cli)."""

    def __init__(
        self, message: str, hint: str = "set $RESTATE_CLI_HOME to a writable directory of its own"
    ) -> None:
        super().__init__(message, hint=hint)


def store_error(data_dir: Path, e: Exception, doing: str = "open") -> DataDirError:
    """The one-line error for a store that cannot be opened (``doing="open"``) or used."""
    where = f"the embedded runtime's data in {data_dir}"
    if isinstance(e, NewerSchema):
        return DataDirError(
            f"cannot {doing} {where}: its store has {e}",
            hint="upgrade restate-cli, or set $RESTATE_CLI_HOME to a directory of its own for this one",
        )
    reason = getattr(e, "strerror", None) or str(e)
    kind = problem(e) if isinstance(e, sqlite3.Error) else None
    if kind == "corrupt":
        db = data_dir / DB_NAME
        return DataDirError(
            f"cannot {doing} {where}: the store is corrupt ({reason})",
            hint=f"move {db} (with its -wal and -shm files) aside to start with an empty store, "
            "or put back a copy you trust",
        )
    if kind == "read-only" or isinstance(e, PermissionError):
        return DataDirError(
            f"cannot {'write' if doing == 'use' else doing} {where}: {reason}",
            hint="make it writable, or set $RESTATE_CLI_HOME to a writable directory of its own",
        )
    return DataDirError(f"cannot {doing} {where}: {reason}")


def wipe_store(data_dir: Path) -> None:
    """Delete the store of ``data_dir`` (invocations, deployments, subscriptions, ...):
    the next runtime starts empty. The caller holds the directory's ``DevLock``."""
    for suffix in ("", "-wal", "-shm"):
        (data_dir / (DB_NAME + suffix)).unlink(missing_ok=True)


class Runtime:
    """The store, the engine, and the deployment registry of one data directory.

    ``active=False`` gives a passive runtime for a CLI process: the same admin API over
    the same store, but no attempts and no timers (a ``dev`` process runs those).
    """

    def __init__(self, data_dir: Path, *, active: bool = True) -> None:
        self.data_dir = data_dir
        try:
            self.store = Store(data_dir / DB_NAME)
        except (OSError, sqlite3.DatabaseError, NewerSchema) as e:
            raise store_error(data_dir, e) from None
        self.active = active
        self._engine: Engine | None = None
        self._queries: QueryPool | None = None
        self.ingress_url: str | None = None
        self.kafka: Any = None

    @property
    def engine(self) -> Engine:
        """The engine, built on first use: a CLI process that only reads never needs it."""
        if self._engine is None:
            from restate_cli.embedded.engine import Engine

            self._engine = Engine(self.store, active=self.active)
        return self._engine

    @property
    def queries(self) -> QueryPool:
        """The threads and read connections of ``POST /query``, opened on first use."""
        if self._queries is None:
            from restate_cli.embedded.store.query import QueryPool

            self._queries = QueryPool(self.store.path)
        return self._queries

    async def start(self) -> None:
        await self.engine.start()
        if self.engine.active:
            from restate_cli.embedded.kafka import KafkaConsumers

            self.kafka = KafkaConsumers(self.store, self.engine)
            self.kafka.start()

    async def stop(self) -> None:
        if self.kafka is not None:
            await self.kafka.stop()
        if self._queries is not None:
            self._queries.close()
        if self._engine is not None:
            await self._engine.stop()
        self.store.close()

    # -- deployments -----------------------------------------------------------------

    async def register(
        self, uri: str, *, force: bool, additional_headers: dict[str, str], dry_run: bool = False
    ) -> tuple[int, dict[str, Any]]:
        """Discover a deployment and record its services; ``(status, body)`` as restate answers."""
        from restate_cli.embedded.protocol.deployment_client import DiscoveryError, discover

        uri = uri if uri.endswith("/") else uri + "/"
        existing = self.store.deployment_by_uri(uri)
        try:
            manifest = await discover(uri, headers=additional_headers)
        except DiscoveryError as e:
            raise EngineError(500, f"[{e.code}] {e}" if e.code else str(e), restate_code=e.code) from None
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
        if existing is not None and not force:
            known = {s["name"] for s in self.store.services() if s["deployment_id"] == existing["id"]}
            if known == {s["name"] for s in services}:
                return 200, self._registration(existing["id"], manifest)
            raise EngineError(
                409,
                f"[META0004] the deployment {uri} is already registered as {existing['id']} with other "
                "services; register with force to update it",
                restate_code="META0004",
            )
        dep_id = existing["id"] if existing else ids.format_short_id("dp", ids.new_uuid())
        if dry_run:
            return 200, self._registration(dep_id, manifest)
        self._save_deployment(dep_id, uri, manifest, additional_headers, existing)
        self.engine.log(f"registered deployment {dep_id} at {uri}: {', '.join(s['name'] for s in services)}")
        return (200 if existing else 201), self._registration(dep_id, manifest)

    async def update_deployment(
        self,
        dep: dict[str, Any],
        *,
        uri: str | None,
        additional_headers: dict[str, str] | None,
        overwrite: bool,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Point a deployment at another endpoint (or change its headers), keeping its id:
        invocations pinned to it go on there. As on restate-server, the endpoint is
        discovered, but its services replace the recorded ones only with ``overwrite``."""
        from restate_cli.embedded.protocol.deployment_client import DiscoveryError, discover

        uri = dep["uri"] if uri is None else (uri if uri.endswith("/") else uri + "/")
        other = self.store.deployment_by_uri(uri)
        if other is not None and other["id"] != dep["id"]:  # one deployment per endpoint here
            raise EngineError(
                409,
                f"[META0004] the endpoint {uri} is already registered as {other['id']}",
                restate_code="META0004",
            )
        headers = additional_headers
        if headers is None:
            headers = json.loads(dep["additional_headers"] or "{}")
        try:
            manifest = await discover(uri, headers=headers)
        except DiscoveryError as e:
            raise EngineError(500, f"[META0003] {e}", restate_code="META0003") from None
        if not dry_run:
            self._save_deployment(dep["id"], uri, manifest, headers, dep, services=overwrite)
            self.engine.log(f"updated deployment {dep['id']}: now at {uri}")
        return self.deployment_json(self.store.deployment(dep["id"]) or dep, full=True)

    def _save_deployment(
        self,
        dep_id: str,
        uri: str,
        manifest: Any,
        additional_headers: dict[str, str],
        existing: dict[str, Any] | None,
        *,
        services: bool = True,
    ) -> None:
        """Record a deployment (and, unless told not to, its services) in one transaction."""
        now = now_ms()
        with self.store.tx() as c:
            self.store.save_deployment(
                c,
                {
                    "id": dep_id,
                    "uri": uri,
                    "protocol_type": "RequestResponse",
                    "http_version": "HTTP/1.1",
                    "min_protocol_version": manifest.min_protocol_version,
                    "max_protocol_version": manifest.max_protocol_version,
                    "sdk_version": manifest.sdk_version,
                    "additional_headers": json.dumps(additional_headers),
                    "created_at": existing["created_at"] if existing else now,
                    "manifest": json.dumps(manifest.raw),
                },
            )
            for svc in manifest.raw.get("services", []) if services else ():
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
                    }
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

    def service_json(self, svc: dict[str, Any]) -> dict[str, Any]:
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
            "inactivity_timeout": _human_ms(m.get("inactivityTimeout"), "1m"),
            "abort_timeout": _human_ms(m.get("abortTimeout"), "10m"),
            "enable_lazy_state": bool(m.get("enableLazyState", False)),
        }

    def replace_state(self, service: str, key: str, new_state: dict[bytes, bytes]) -> None:
        with self.store.tx() as c:
            self.store.state_clear(c, service, key)
            for name, value in new_state.items():
                self.store.state_set(c, service, key, name, value)


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
