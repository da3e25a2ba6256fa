"""A running Restate-compatible backend as the tests see it: admin and ingress URLs, helpers."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx


@dataclass
class Backend:
    kind: str  # "restate-server 1.7.12", "embedded", ...
    version: str
    admin_url: str
    ingress_url: str
    data_dir: Path | None = None  # set for the embedded runtime
    streaming: bool = False  # the test services registered over HTTP/2: bidirectional attempts

    @property
    def embedded(self) -> bool:
        return self.kind == "embedded"

    @property
    def api_version(self) -> int:
        return 4 if self.version >= "1.7" else 3

    # -- admin ---------------------------------------------------------------------------

    def register(self, uri: str, *, use_http_11: bool | None = None) -> dict:
        """Register ``uri`` (over HTTP/1.1, request/response, unless this backend streams)."""
        if use_http_11 is None:
            use_http_11 = not self.streaming
        r = httpx.post(
            f"{self.admin_url}/deployments",
            json={"uri": uri, "use_http_11": use_http_11, "force": True},
            timeout=30,
        )
        assert r.status_code in (200, 201), r.text
        return r.json()

    def wait_queryable(self, timeout: float = 30.0) -> None:
        """Wait until ``/query`` answers: just after start-up, partitions that are not yet
        running fail queries with ``expecting a partition store`` and the like."""
        deadline = time.monotonic() + timeout
        while True:
            r = httpx.post(
                f"{self.admin_url}/query",
                json={"query": "SELECT COUNT(1) AS n FROM sys_invocation"},
                headers={"accept": "application/json"},
                timeout=30,
            )
            if r.status_code == 200:
                return
            assert time.monotonic() < deadline, f"/query not ready in {timeout}s: {r.text}"
            time.sleep(0.1)

    def query(self, sql: str) -> list[dict[str, Any]]:
        for _ in range(50):  # a partition that is not ready yet answers 500 for a moment
            r = httpx.post(
                f"{self.admin_url}/query",
                json={"query": sql},
                headers={"accept": "application/json"},
                timeout=30,
            )
            if r.status_code != 500 or "partition" not in r.text:
                break
            time.sleep(0.1)
        assert r.status_code == 200, r.text
        return r.json()["rows"]

    def row(self, invocation_id: str) -> dict[str, Any] | None:
        rows = self.query(f"SELECT * FROM sys_invocation WHERE id = '{invocation_id}'")
        return rows[0] if rows else None

    def status(self, invocation_id: str) -> str | None:
        row = self.row(invocation_id)
        return row["status"] if row else None

    def wait(
        self,
        invocation_id: str,
        check: Callable[[dict[str, Any] | None], bool],
        timeout: float = 20.0,
        what: str = "condition",
    ) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        row = None
        while time.monotonic() < deadline:
            row = self.row(invocation_id)
            if check(row):
                return row
            time.sleep(0.1)
        raise AssertionError(f"{invocation_id}: {what} not reached in {timeout}s; last row: {row}")

    def wait_status(self, invocation_id: str, *statuses: str, timeout: float = 20.0) -> dict[str, Any]:
        row = self.wait(
            invocation_id,
            lambda r: r is not None and r["status"] in statuses,
            timeout,
            f"status in {statuses}",
        )
        assert row is not None
        return row

    def wait_gone(self, invocation_id: str, timeout: float = 20.0) -> None:
        self.wait(invocation_id, lambda r: r is None, timeout, "removal")

    # -- ingress -------------------------------------------------------------------------

    def send(
        self,
        target: str,
        body: Any = None,
        *,
        delay: str | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Start an invocation without waiting (``/send``); return its id."""
        url = f"{self.ingress_url}/{_path(target)}/send"
        if delay:
            url += f"?delay={delay}"
        content, headers = _body(body)
        if idempotency_key:
            headers["idempotency-key"] = idempotency_key
        r = httpx.post(url, content=content, headers=headers, timeout=30)
        assert r.status_code == 202, f"{r.status_code} {r.text}"
        return r.json()["invocationId"]

    def call(self, target: str, body: Any = None, *, timeout: float = 30) -> httpx.Response:
        content, headers = _body(body)
        return httpx.post(
            f"{self.ingress_url}/{_path(target)}", content=content, headers=headers, timeout=timeout
        )

    def attach(self, invocation_id: str, timeout: float = 30) -> httpx.Response:
        """Wait for an invocation's result (``/restate/invocation/{id}/attach``)."""
        return httpx.get(f"{self.ingress_url}/restate/invocation/{invocation_id}/attach", timeout=timeout)

    def resolve_awakeable(self, awakeable_id: str, value: Any) -> httpx.Response:
        """Resolve an awakeable through the ingress with ``value`` as JSON (``None``: null)."""
        return httpx.post(
            f"{self.ingress_url}/restate/awakeables/{awakeable_id}/resolve",
            content=json.dumps(value).encode(),
            headers={"content-type": "application/json"},
            timeout=10,
        )

    def children(self, parent_id: str) -> list[dict[str, Any]]:
        return self.query(f"SELECT * FROM sys_invocation WHERE invoked_by_id = '{parent_id}'")


def _body(body: Any) -> tuple[bytes, dict[str, str]]:
    """No body for ``None`` (handlers without input), else JSON."""
    if body is None:
        return b"", {}
    return json.dumps(body).encode(), {"content-type": "application/json"}


def _path(target: str) -> str:
    return "/".join(quote(part, safe="") for part in target.split("/"))


def wait_for(fn: Callable[[], Any], what: str = "condition", timeout: float = 20) -> Any:
    """The first truthy value of ``fn()``, asked every 0.1 s for up to ``timeout`` seconds;
    past that, an AssertionError naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not reached within {timeout}s")


def unique(prefix: str = "k") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def ids_of(rows: Iterable[dict[str, Any]]) -> set[str]:
    return {r["id"] for r in rows}
