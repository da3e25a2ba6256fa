"""One embedded runtime: the store and engine of a data directory, and its registry."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restate_cli import ids
from restate_cli.durations import friendly
from restate_cli.embedded.engine.policy import (
    DAY_MS,
    DEFAULT_ABORT_TIMEOUT_MS,
    DEFAULT_INACTIVITY_TIMEOUT_MS,
    RetryPolicy,
)
from restate_cli.embedded.errors import EngineError
from restate_cli.embedded.store import NewerSchema, Store, now_ms, problem
from restate_cli.embedded.store.sysviews import ts
from restate_cli.errors import StoreUnusable

if TYPE_CHECKING:
    from restate_cli.embedded.engine import Engine
    from restate_cli.embedded.store.query import QueryPool

DB_NAME = "restate.db"

_TY = {"SERVICE": "service", "VIRTUAL_OBJECT": "virtual_object", "WORKFLOW": "workflow"}
_TY_JSON = {"service": "Service", "virtual_object": "VirtualObject", "workflow": "Workflow"}


class DataDirError(StoreUnusable):
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

            # in a CLI process, a corrupt store ends the command (inprocess.admin_app)
            self._queries = QueryPool(self.store.path, raise_corrupt=not self.active)
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
        registered at that URI (discovered again only with ``force``). A failed registration
        is logged."""
        try:
            return await self._register(uri, force, additional_headers, dry_run, use_http_11)
        except EngineError as e:
            self.engine.log(f"registering the deployment at {uri} failed: {e.message}")
            raise

    async def _register(
        self, uri: str, force: bool, additional_headers: dict[str, str], dry_run: bool, use_http_11: bool
    ) -> tuple[int, dict[str, Any]]:
        uri = uri if uri.endswith("/") else uri + "/"
        existing = self.store.deployment_by_uri(uri)
        if existing is not None and not force:  # as restate-server: no discovery, no change
            return 200, self._registered(existing)
        manifest = await _discover(uri, additional_headers, use_http_11)
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
        self._save_deployment(dep_id, uri, manifest, additional_headers, existing, use_http_11=use_http_11)
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
        use_http_11: bool | None = None,
    ) -> dict[str, Any]:
        """Point a deployment at another endpoint (or change its headers or HTTP version:
        ``use_http_11`` None keeps it), keeping its id: invocations pinned to it go on
        there. As on restate-server, the endpoint is discovered, but its services replace
        the recorded ones only with ``overwrite``."""
        from restate_cli.embedded.protocol.deployment_client import HTTP_1_1

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
        if use_http_11 is None:
            use_http_11 = dep["http_version"] == HTTP_1_1
        manifest = await _discover(uri, headers, use_http_11)
        if not dry_run:
            self._save_deployment(
                dep["id"], uri, manifest, headers, dep, services=overwrite, use_http_11=use_http_11
            )
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
        use_http_11: bool = False,
    ) -> None:
        """Record a deployment (and, unless told not to, its services) in one transaction."""
        from restate_cli.embedded.protocol.deployment_client import HTTP_1_1, HTTP_2, PROTOCOL_TYPES

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
        """``GET /services/{name}``: settings the deployment or ``PATCH`` set, else the defaults.

        For a deployment in request/response mode (``request_response``, looked up if not
        given) restate-server applies no inactivity timeout: it shows ``0s``, and an
        ``info`` entry when one is set.
        """
        if request_response is None:
            dep = self.store.deployment(svc["deployment_id"])
            request_response = dep is not None and dep["protocol_type"] == "RequestResponse"
        m = json.loads(svc["manifest"])
        handlers = [self._handler_json(svc, h) for h in m.get("handlers", [])]
        data: dict[str, Any] = {"name": svc["name"], "ty": _TY_JSON[svc["ty"]], "handlers": handlers}
        if m.get("documentation"):
            data["documentation"] = m["documentation"]
        data.update(
            {
                "deployment_id": svc["deployment_id"],
                "revision": svc["revision"],
                "public": bool(svc["public"]),
                "idempotency_retention": _friendly(m.get("idempotencyRetention"), DAY_MS),
            }
        )
        if svc["ty"] == "workflow":
            data["workflow_completion_retention"] = _friendly(m.get("workflowCompletionRetention"), DAY_MS)
        data.update(
            {
                "journal_retention": _friendly(m.get("journalRetention"), DAY_MS),
                "inactivity_timeout": (
                    "0s"
                    if request_response
                    else _friendly(m.get("inactivityTimeout"), DEFAULT_INACTIVITY_TIMEOUT_MS)
                ),
                "abort_timeout": _friendly(m.get("abortTimeout"), DEFAULT_ABORT_TIMEOUT_MS),
                "enable_lazy_state": bool(m.get("enableLazyState", False)),
                "retry_policy": _retry_policy(m, service_level=True),
            }
        )
        if request_response and m.get("inactivityTimeout") is not None:
            data["info"] = [
                {
                    "code": "RT0021",
                    "message": f"The configured inactivity_timeout {_friendly(m['inactivityTimeout'], 0)} "
                    "will not be applied because the service is exposed in Request/Response mode.",
                }
            ]
        return data

    @staticmethod
    def _handler_json(svc: dict[str, Any], h: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": h["name"]}
        ty = (h.get("ty") or "").capitalize()
        if svc["ty"] != "service":
            entry["ty"] = ty or ("Exclusive" if svc["ty"] == "virtual_object" else "Workflow")
        if h.get("documentation"):
            entry["documentation"] = h["documentation"]
        for key, name in _HANDLER_DURATIONS:
            if h.get(key) is not None:
                entry[name] = _friendly(h[key], 0)
        if h.get("enableLazyState") is not None:
            entry["enable_lazy_state"] = bool(h["enableLazyState"])
        entry["public"] = bool(svc["public"]) and not h.get("ingressPrivate", False)
        inp, out = h.get("input") or {}, h.get("output") or {}
        entry["input_description"] = _describe(inp)
        entry["output_description"] = _describe(out)
        if inp.get("jsonSchema") is not None:
            entry["input_json_schema"] = inp["jsonSchema"]
        if out.get("jsonSchema") is not None:
            entry["output_json_schema"] = out["jsonSchema"]
        entry["retry_policy"] = _retry_policy(h, service_level=False)
        return entry

    def modify_service(self, name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """``PATCH /services/{name}``: ``public`` and the service-level settings, in ms.

        They live in the stored manifest, so that registering the deployment again resets
        them to what it declares, as on restate-server."""
        with self.store.tx() as c:
            svc = self.store.service(name, c)
            if svc is None:
                raise EngineError(404, f"not found in the schema registry: service with name '{name}'")
            if "public" in changes:
                self.store.set_service_public(c, name, changes.pop("public"))
            if changes:
                manifest = {**json.loads(svc["manifest"]), **changes}
                self.store.set_service_manifest(c, name, manifest)
        return self.service_json(self.store.service(name))  # type: ignore[arg-type]

    def mutate_state(self, service: str, key: str, new_state: dict[bytes, bytes], version: str | None) -> str:
        """``POST /services/{name}/state``: ``applied``, ``dropped`` (version mismatch) or
        ``queued`` behind the invocation that holds the key."""
        from restate_cli.embedded.store.state_mutations import mutate

        with self.store.tx() as c:
            return mutate(self.store, c, service, key, new_state, version)


_HANDLER_DURATIONS = (
    ("idempotencyRetention", "idempotency_retention"),
    ("journalRetention", "journal_retention"),
    ("workflowCompletionRetention", "workflow_completion_retention"),
    ("inactivityTimeout", "inactivity_timeout"),
    ("abortTimeout", "abort_timeout"),
)


async def _discover(uri: str, headers: dict[str, str], use_http_11: bool) -> Any:
    """The manifest of the deployment at ``uri``, or the EngineError restate answers with."""
    from restate_cli.embedded.protocol.deployment_client import DiscoveryError, discover

    try:
        return await discover(uri, headers=headers, use_http_11=use_http_11)
    except DiscoveryError as e:
        raise EngineError(500, f"[{e.code}] {e}" if e.code else str(e), restate_code=e.code) from None


def _retry_policy(m: dict[str, Any], *, service_level: bool) -> dict[str, Any]:
    """The retry policy as restate-server shows it: complete with defaults for a service,
    only what is set (and ``max_attempts``) for a handler."""
    defaults = RetryPolicy()
    fields = (
        ("initial_interval", "retryPolicyInitialInterval", defaults.initial_ms, _friendly),
        ("exponentiation_factor", "retryPolicyExponentiationFactor", defaults.factor, float),
        ("max_attempts", "retryPolicyMaxAttempts", defaults.max_attempts, int),
        ("max_interval", "retryPolicyMaxInterval", defaults.max_interval_ms, _friendly),
        ("on_max_attempts", "retryPolicyOnMaxAttempts", "PAUSE", lambda v, *_: str(v).capitalize()),
    )
    out: dict[str, Any] = {}
    for name, key, default, convert in fields:
        value = m.get(key)
        if value is not None:
            out[name] = convert(value, 0) if convert is _friendly else convert(value)
        elif service_level:
            out[name] = convert(default, 0) if convert is _friendly else convert(default)
        elif name == "max_attempts":
            out[name] = None
    return out


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


def _friendly(ms: Any, default: int) -> str:
    return friendly(default if ms is None else int(ms))
