"""Record sys_journal rows from a real restate-server as golden data for the protocol codec.

Runs tests/services/protocol_app.py under hypercorn, registers it with a private
restate-server (loopback only), drives one invocation per journal shape, and writes every
journal entry (raw bytes, entry_type, entry_json, entry_lite_json) to tests/data/.

    .venv/bin/python tests/support/record_journal.py [server-version]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from support.processes import ROOT, RestateServer, ServiceProcess

from restate_cli.embedded.protocol import format_awakeable_id
from restate_cli.ids import parse_invocation_id


def record(version: str) -> Path:
    out = ROOT / "tests" / "data" / f"journal-restate-{version}.json"
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        svc = ServiceProcess(app="protocol_app:app").start(base)
        server = RestateServer(version, base / "server")
        try:
            server.start()
            r = httpx.post(
                f"{server.admin_url}/deployments",
                json={"uri": svc.url, "use_http_11": True},
                timeout=30,
            )
            r.raise_for_status()
            ids = _drive(server.ingress_url)
            (run,) = _query(
                server.admin_url, "SELECT id FROM sys_invocation WHERE target = 'ProtoFlow/wf1/run'"
            )
            ids["workflow-run"] = run["id"]
            entries = []
            for scenario, invocation_id in ids.items():
                rows = _query(
                    server.admin_url,
                    "SELECT index, entry_type, raw, entry_json, entry_lite_json "
                    f"FROM sys_journal WHERE id = '{invocation_id}' ORDER BY index",
                )
                entries += [{"scenario": scenario, "id": invocation_id, **row} for row in rows]
        finally:
            server.stop()
            svc.stop()
    out.parent.mkdir(exist_ok=True)
    doc = {"server": f"restate-server {version}", "sdk": "restate-sdk 1.3.0", "entries": entries}
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return out


def _query(admin_url: str, sql: str) -> list[dict]:
    r = httpx.post(
        f"{admin_url}/query",
        json={"query": sql},
        headers={"accept": "application/json"},
        timeout=30,
    )
    r.raise_for_status()
    return r.json()["rows"]


def _drive(ingress: str) -> dict[str, str]:
    """Start one invocation per scenario; return scenario name -> invocation id."""

    def call(path: str, body: object = None) -> str:
        content = b"" if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"content-type": "application/json"}
        r = httpx.post(f"{ingress}/{path}", content=content, headers=headers, timeout=30)
        assert r.status_code < 500, r.text
        return r.headers["x-restate-id"]

    def send(path: str, body: object = None) -> str:
        content = b"" if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"content-type": "application/json"}
        r = httpx.post(f"{ingress}/{path}/send", content=content, headers=headers, timeout=30)
        assert r.status_code == 202, r.text
        return r.json()["invocationId"]

    ids = {
        "greet": call("Proto/greet", "World"),
        "sleep": send("Proto/sleepy", 3600),
        "short-sleep": call("Proto/sleepy", 0.1),
        "run": call("Proto/side"),
        "call-and-send": call("Proto/caller", "Bob"),
        "object-call": call("Proto/call_object", "k1"),
        "workflow-call": send("Proto/call_workflow", "wf1"),
    }
    time.sleep(1)
    ids["workflow-approve"] = call("ProtoFlow/wf1/approve", "yes")
    ids["workflow-peek"] = call("ProtoFlow/wf1/peek_approval")
    ids["terminal-failure"] = call("Proto/teapot")
    ids["failure-metadata"] = call("Proto/teapot_with_metadata")
    ids["run-gives-up"] = call("Proto/flaky_run")
    ids["awakeable"] = send("Proto/awaken")
    ids["awakeable-resolve"] = call(
        "Proto/resolve", format_awakeable_id(parse_invocation_id(ids["awakeable"]), 17)
    )
    ids["named-signal"] = send("Proto/wait_signal")
    ids["resolve-signal"] = call("Proto/send_signal", ids["named-signal"])
    ids["rejected-signal"] = send("Proto/wait_signal")
    ids["reject-signal"] = call("Proto/reject_signal", ids["rejected-signal"])
    ids["cancelled-sleep"] = send("Proto/sleepy", 3600)
    time.sleep(0.5)
    ids["cancel"] = call("Proto/cancel", ids["cancelled-sleep"])
    ids["attach"] = call("Proto/attach", ids["greet"])
    ids["eager-state"] = call("ProtoObject/k2/bump", 5)
    ids["clear-state"] = call("ProtoObject/k2/reset")
    ids["lazy-state"] = call("ProtoLazy/k3/bump", 2)
    ids["lazy-state-keys"] = call("ProtoLazy/k3/keys")
    time.sleep(1)
    return ids


if __name__ == "__main__":
    print(record(sys.argv[1] if len(sys.argv) > 1 else "1.7.12"))
