"""Deployments and services (read through a cache), Kafka clusters and subscriptions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from restate_cli.embedded.store.rows import Conn


class CatalogTables:
    """``deployments``, ``services``, ``kafka_clusters``, ``subscriptions`` and
    ``kafka_offsets`` (part of ``Store``)."""

    conn: Conn
    _cached_catalog: _Catalog | None
    _catalog_written: bool

    # -- deployments and services -----------------------------------------------------
    #
    # Every call reads its service (and its manifest) several times, and they change only
    # when deployments are registered or removed: they are read once into a _Catalog and
    # kept until this connection writes them, or another connection commits anything
    # (PRAGMA data_version). Returned rows are shared: callers must not modify them.

    def _catalog(self) -> _Catalog:
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        catalog = self._cached_catalog
        if catalog is None or catalog.version != version:
            cur = self.conn.execute("SELECT * FROM services ORDER BY name")
            services = {r["name"]: r for r in (_row_dict(cur, row) for row in cur.fetchall())}
            cur = self.conn.execute("SELECT * FROM deployments ORDER BY created_at")
            deployments = {r["id"]: r for r in (_row_dict(cur, row) for row in cur.fetchall())}
            catalog = _Catalog(version, services, deployments)
            self._cached_catalog = catalog
        return catalog

    def _catalog_changed(self) -> None:
        """Forget the catalog now and again when the current transaction ends."""
        self._cached_catalog = None
        self._catalog_written = True

    def deployments(self) -> list[dict[str, Any]]:
        return list(self._catalog().deployments.values())

    def deployment(self, dep_id: str) -> dict[str, Any] | None:
        return self._catalog().deployments.get(dep_id)

    def deployment_by_uri(self, uri: str) -> dict[str, Any] | None:
        return next((d for d in self._catalog().deployments.values() if d["uri"] == uri), None)

    def save_deployment(self, c: Conn, dep: dict[str, Any]) -> None:
        cols = list(dep)
        c.execute(
            f"INSERT INTO deployments ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{k} = excluded.{k}' for k in cols if k != 'id')}",
            tuple(dep.values()),
        )
        self._catalog_changed()

    def delete_deployment(self, c: Conn, dep_id: str) -> None:
        c.execute("DELETE FROM deployments WHERE id = ?", (dep_id,))
        c.execute("DELETE FROM services WHERE deployment_id = ?", (dep_id,))
        self._catalog_changed()

    def services(self) -> list[dict[str, Any]]:
        return list(self._catalog().services.values())

    def service(self, name: str, c: Conn | None = None) -> dict[str, Any] | None:
        return self._catalog().services.get(name)

    def service_manifest(self, name: str) -> dict[str, Any]:
        """The service's manifest, parsed once; ``{}`` for an unknown service."""
        catalog = self._catalog()
        manifest = catalog.manifests.get(name)
        if manifest is None:
            svc = catalog.services.get(name)
            manifest = json.loads(svc["manifest"]) if svc else {}
            catalog.manifests[name] = manifest
        return manifest

    def save_service(self, c: Conn, svc: dict[str, Any]) -> None:
        cols = list(svc)
        c.execute(
            f"INSERT INTO services ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT (name) DO UPDATE SET "
            f"{', '.join(f'{k} = excluded.{k}' for k in cols if k != 'name')}",
            tuple(svc.values()),
        )
        self._catalog_changed()

    def set_service_public(self, c: Conn, name: str, public: bool) -> None:
        c.execute("UPDATE services SET public = ? WHERE name = ?", (int(public), name))
        self._catalog_changed()

    def set_service_manifest(self, c: Conn, name: str, manifest: dict[str, Any]) -> None:
        c.execute("UPDATE services SET manifest = ? WHERE name = ?", (json.dumps(manifest), name))
        self._catalog_changed()

    # -- kafka -----------------------------------------------------------------------

    def kafka_clusters(self) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT name, properties, created_at FROM kafka_clusters ORDER BY seq")
        return [_row_dict(cur, r) for r in cur.fetchall()]

    def kafka_cluster(self, name: str) -> dict[str, Any] | None:
        cur = self.conn.execute(
            "SELECT name, properties, created_at FROM kafka_clusters WHERE name = ?", (name,)
        )
        row = cur.fetchone()
        return _row_dict(cur, row) if row else None

    def save_kafka_cluster(self, c: Conn, name: str, properties: dict[str, str], created_at: int) -> None:
        seq = c.execute("SELECT IFNULL(MAX(seq), 0) + 1 FROM kafka_clusters").fetchone()[0]
        c.execute(
            "INSERT INTO kafka_clusters (name, properties, created_at, seq) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET properties = excluded.properties",
            (name, json.dumps(properties), created_at, seq),
        )

    def delete_kafka_cluster(self, c: Conn, name: str) -> bool:
        return c.execute("DELETE FROM kafka_clusters WHERE name = ?", (name,)).rowcount == 1

    def subscriptions(self) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT id, source, sink, options FROM subscriptions ORDER BY created_at")
        return [_row_dict(cur, r) for r in cur.fetchall()]

    def subscription(self, sub_id: str) -> dict[str, Any] | None:
        cur = self.conn.execute("SELECT id, source, sink, options FROM subscriptions WHERE id = ?", (sub_id,))
        row = cur.fetchone()
        return _row_dict(cur, row) if row else None

    def save_subscription(
        self, c: Conn, sub_id: str, source: str, sink: str, options: dict[str, str], now: int
    ) -> None:
        c.execute(
            "INSERT INTO subscriptions (id, source, sink, options, created_at) VALUES (?, ?, ?, ?, ?)",
            (sub_id, source, sink, json.dumps(options), now),
        )

    def delete_subscription(self, c: Conn, sub_id: str) -> bool:
        c.execute("DELETE FROM kafka_offsets WHERE subscription_id = ?", (sub_id,))
        return c.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,)).rowcount == 1

    def kafka_offset(self, c: Conn, sub_id: str, topic: str, partition: int) -> int | None:
        row = c.execute(
            "SELECT next_offset FROM kafka_offsets WHERE subscription_id = ? AND topic = ? AND partition = ?",
            (sub_id, topic, partition),
        ).fetchone()
        return row[0] if row else None

    def set_kafka_offset(self, c: Conn, sub_id: str, topic: str, partition: int, next_offset: int) -> None:
        c.execute(
            "INSERT INTO kafka_offsets (subscription_id, topic, partition, next_offset) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (subscription_id, topic, partition) "
            "DO UPDATE SET next_offset = excluded.next_offset",
            (sub_id, topic, partition, next_offset),
        )


@dataclass
class _Catalog:
    version: int  # PRAGMA data_version when read
    services: dict[str, dict[str, Any]]
    deployments: dict[str, dict[str, Any]]
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)


def _row_dict(cur: sqlite3.Cursor, row: Sequence[Any]) -> dict[str, Any]:
    return {d[0]: v for d, v in zip(cur.description, row, strict=True)}
