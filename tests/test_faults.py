"""Broken and hostile servers: every failure is one clear line and the right exit code.

Faults a real server will not produce on demand are injected with httpx's MockTransport;
connection refusal and hanging servers are real sockets.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from restate_cli.admin import backend as backend_module
from restate_cli.admin.client import AdminClient

INV = "inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf"
INV2 = "inv_1foAirY4KKzi4CfWx3qBQHeQGW8jhK5eQm"
VERSION = {"version": "1.7.12", "min_admin_api_version": 2, "max_admin_api_version": 4}

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def mock_server(monkeypatch: pytest.MonkeyPatch) -> Callable[[Handler], list[httpx.Request]]:
    """Route the CLI's admin client to ``handler``; return the list of requests it saw."""

    def install(handler: Handler) -> list[httpx.Request]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        def open_client(settings):
            return AdminClient(settings, transport=httpx.MockTransport(record), base_url="http://mock:9070/")

        monkeypatch.setattr(backend_module, "open_client", open_client)
        return seen

    return install


def rows(*items: dict) -> httpx.Response:
    return httpx.Response(200, json={"rows": list(items)})


def server(ops: Callable[[httpx.Request], httpx.Response] | None = None, query_rows=()) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/version":
            return httpx.Response(200, json=VERSION)
        if path.endswith("/query"):
            return rows(*query_rows)
        if ops is not None:
            return ops(request)
        return httpx.Response(404)

    return handler


REFS = [
    {"id": INV, "target": "Greeter/greet", "target_service_ty": "service", "status": "invoked"},
    {"id": INV2, "target": "Greeter/greet", "target_service_ty": "service", "status": "suspended"},
]


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (
            409,
            {"message": f"The invocation '{INV}' was already completed.", "restate_code": None},
            "application/json",
            "was already completed.",
        ),
        (
            425,
            {"message": "is either inboxed or scheduled", "restate_code": None},
            "application/json",
            "[425] is either inboxed",
        ),
        (
            400,
            {"message": "[META0009] invalid sink", "restate_code": "META0009"},
            "application/json",
            "[META0009] invalid sink",
        ),
        (500, {"message": "Datafusion error: boom"}, "application/json", "Datafusion error: boom"),
        (422, "Failed to deserialize the JSON body", "text/plain", "Failed to deserialize"),
        (503, "", "", "[503]"),
        (502, "<html><body>Bad gateway from proxy</body></html>", "text/html", "[502] <html>"),
    ],
)
def test_per_invocation_failures_are_reported_and_exit_1(
    cli_offline,
    mock_server,
    status: int,
    body,
    content_type: str,
    expected: str,
) -> None:
    def ops(request: httpx.Request) -> httpx.Response:
        if INV in request.url.path:
            content = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
            return httpx.Response(
                status,
                content=content,
                headers={"content-type": content_type} if content_type else {},
            )
        return httpx.Response(202)

    seen = mock_server(server(ops, REFS))
    r = cli_offline("-y", "inv", "cancel", "--wait", "0", "Greeter")
    assert r.code == 1, r
    assert "Cancelled 1 invocation" in r.out
    assert INV in r.out and expected in r.out
    assert r.err.strip().endswith("Error: failed to cancel 1 of 2 invocations")
    assert "Traceback" not in r.err
    assert sum(1 for q in seen if q.method == "PATCH") == 2


def test_json_reports_one_result_per_invocation(cli_offline, mock_server) -> None:
    def ops(request: httpx.Request) -> httpx.Response:
        if INV in request.url.path:
            return httpx.Response(409, json={"message": "nope", "restate_code": None})
        return httpx.Response(200)

    mock_server(server(ops, REFS))
    r = cli_offline("--json", "-y", "inv", "kill", "--wait", "0", "Greeter")
    assert r.code == 1
    data = r.json()
    assert data["action"] == "kill" and data["succeeded"] == 1 and data["failed"] == 1
    by_id = {x["id"]: x for x in data["results"]}
    assert by_id[INV] == {
        "id": INV,
        "target": "Greeter/greet",
        "status": "running",
        "ok": False,
        "attempted": True,
        "http_status": 409,
        "error": "[409] nope",
    }
    assert by_id[INV2]["ok"] is True and by_id[INV2]["http_status"] == 200


def test_no_match_exits_4_and_sends_no_action(cli_offline, mock_server) -> None:
    seen = mock_server(server(None, []))
    r = cli_offline("-y", "inv", "purge", "Greeter/greet")
    assert r.code == 4
    assert "no service 'Greeter'" in r.err  # the mock server has no invocations and no services
    assert not [q for q in seen if q.method == "PATCH"]


def test_refuses_without_a_terminal_and_without_yes(cli_offline, mock_server) -> None:
    seen = mock_server(server(lambda r: httpx.Response(200), REFS))
    r = cli_offline("inv", "kill", "Greeter")
    assert r.code == 2
    assert "refusing to kill these 2 invocations without confirmation" in r.err
    assert not [q for q in seen if q.method == "PATCH"]


def test_ci_variable_confirms(cli_offline, mock_server) -> None:
    seen = mock_server(server(lambda r: httpx.Response(200), REFS))
    r = cli_offline("inv", "kill", "--wait", "0", "Greeter", env={"CI": "true"})
    assert r.code == 0, r
    assert "Auto-confirming --yes is set." in r.out
    assert len([q for q in seen if q.method == "PATCH"]) == 2


def test_dry_run_changes_nothing(cli_offline, mock_server) -> None:
    seen = mock_server(server(lambda r: httpx.Response(200), REFS))
    r = cli_offline("inv", "cancel", "--dry-run", "Greeter")
    assert r.code == 0, r
    assert INV in r.out and "Dry run: would cancel 2 invocations; nothing was changed." in r.out
    assert not [q for q in seen if q.method != "GET" and not q.url.path.endswith("/query")]


def test_legacy_server_uses_delete_with_mode(cli_offline, mock_server) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/version":
            return httpx.Response(
                200,
                json={"version": "1.3.2", "min_admin_api_version": 1, "max_admin_api_version": 2},
            )
        if request.url.path.endswith("/query"):
            return rows(*REFS[:1])
        return httpx.Response(202)

    seen = mock_server(handler)
    r = cli_offline("-y", "inv", "kill", "--wait", "0", INV)
    assert r.code == 0, r
    action = [q for q in seen if not q.url.path.endswith(("/query", "/version"))]
    assert [(q.method, q.url.path, q.url.params.get("mode")) for q in action] == [
        ("DELETE", f"/v2/invocations/{INV}", "kill")
    ]


def test_pause_needs_api_v3(cli_offline, mock_server) -> None:
    mock_server(
        lambda r: httpx.Response(
            200, json={"version": "1.5.0", "min_admin_api_version": 1, "max_admin_api_version": 2}
        )
    )
    r = cli_offline("-y", "inv", "pause", "Greeter")
    assert r.code == 1 and "pausing invocations needs admin API v3" in r.err


def test_version_fallback_to_health_warns(cli_offline, mock_server) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/version":
            return httpx.Response(404)
        if request.url.path == "/health":
            return httpx.Response(200)
        if request.url.path == "/query":
            return rows()
        return httpx.Response(500)

    seen = mock_server(handler)
    r = cli_offline("inv", "ls")
    assert r.code == 0, r
    assert "could not verify the admin API version" in r.err
    assert any(q.url.path == "/query" for q in seen)


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            httpx.Response(200, content=b"<html>not json</html>", headers={"content-type": "text/html"}),
            "lacks JSON /query support",
        ),
        (
            httpx.Response(200, content=b"{garbage", headers={"content-type": "application/json"}),
            "unreadable /query answer",
        ),
        (httpx.Response(200, json={"rows": "nope"}), "unreadable /query answer"),
        (httpx.Response(401, content=b""), "check the bearer token"),
        (httpx.Response(403, json={"message": "forbidden"}), "forbidden (HTTP 403"),
        (
            httpx.Response(500, json={"message": "Datafusion error: table not found"}),
            "Datafusion error: table not found (HTTP 500",
        ),
    ],
)
def test_query_failures(cli_offline, mock_server, response: httpx.Response, message: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/version":
            return httpx.Response(200, json=VERSION)
        return response

    mock_server(handler)
    r = cli_offline("inv", "ls")
    assert r.code == 1, r
    assert message in r.err
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err


def test_tls_failure_is_explained(cli_offline, mock_server) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        err = ssl.SSLCertVerificationError(1, "certificate verify failed")
        err.verify_message = "self-signed certificate"
        raise httpx.ConnectError("tls") from err

    mock_server(handler)
    r = cli_offline("inv", "ls")
    assert r.code == 3
    assert "TLS certificate verification failed (self-signed certificate)" in r.err
    assert "--insecure-skip-tls-verify" in r.err


def test_connection_refused_exits_3(cli_offline) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = cli_offline("--admin-url", f"http://127.0.0.1:{port}", "inv", "ls")
    assert r.code == 3
    assert r.err == (
        f"Error: cannot reach the Restate admin API at http://127.0.0.1:{port}/: connection refused "
        "(check that the server is running and reachable, and --admin-url, -e or $RESTATE_ADMIN_URL)\n"
    )


@pytest.fixture
def hanging_server() -> Iterator[int]:
    """A socket that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    conns: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conns.append(sock.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield sock.getsockname()[1]
    stop.set()
    t.join()
    for c in conns:
        c.close()
    sock.close()


def test_request_timeout_exits_3(cli_offline, hanging_server: int) -> None:
    r = cli_offline(
        "--admin-url", f"http://127.0.0.1:{hanging_server}", "--request-timeout", "300", "inv", "ls"
    )
    assert r.code == 3
    assert "timed out waiting for an answer after 0.3s" in r.err


def test_token_is_sent_and_never_printed(cli_offline, mock_server) -> None:
    seen = mock_server(lambda r: httpx.Response(401, json={"message": "bad token", "restate_code": None}))
    r = cli_offline("-v", "inv", "ls", env={"RESTATE_AUTH_TOKEN": "sekrit-token"})
    assert r.code == 1
    assert seen[0].headers["authorization"] == "Bearer sekrit-token"
    assert "sekrit" not in r.out + r.err


def test_tree_falls_back_to_entry_json(cli_offline, mock_server) -> None:
    parent, child = INV, INV2
    call = json.dumps(
        {
            "Command": {
                "Call": {
                    "request": {
                        "invocation_id": child,
                        "invocation_target": {"Service": {"name": "Greeter", "handler": "greet"}},
                    }
                }
            }
        }
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/version":
            return httpx.Response(200, json=VERSION)
        sql = json.loads(request.content)["query"]
        if "entry_lite_json" in sql:
            return httpx.Response(400, json={"message": "unknown column entry_lite_json"})
        if "FROM sys_journal" in sql:
            return rows({"id": parent, "idx": 1, "entry_type": "Command: Call", "entry_json": call})
        if "invoked_by_id IN" in sql and "GROUP BY" not in sql:
            if parent in sql:
                return rows(
                    {
                        "id": child,
                        "target": "Greeter/greet",
                        "status": "running",
                        "invoked_by": "service",
                        "invoked_by_id": parent,
                    }
                )
            return rows()
        if "WHERE id IN" in sql:
            return rows(
                {
                    "id": parent,
                    "target": "Greeter/parent",
                    "status": "suspended",
                    "invoked_by": "ingress",
                }
            )
        return rows()

    mock_server(handler)
    r = cli_offline("-o", "tsv", "inv", "tree", parent)
    assert r.code == 0, r
    assert r.lines[1:] == [
        f"0\t{parent}\t\tingress\t\tGreeter/parent\tsuspended",
        f"1\t{child}\t{parent}\tcall\t\tGreeter/greet\trunning",
    ]
