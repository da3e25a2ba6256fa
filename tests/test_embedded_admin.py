"""The embedded admin API under hostile input: /query stays read-only and bounded."""

from __future__ import annotations

import httpx
import pytest
from support.backend import Backend


@pytest.fixture
def embedded(backend: Backend) -> Backend:
    if not backend.embedded:
        pytest.skip("checks the embedded runtime's own admin API")
    return backend


def query(b: Backend, sql: str, accept: str = "application/json") -> httpx.Response:
    return httpx.post(f"{b.admin_url}/query", json={"query": sql}, headers={"accept": accept}, timeout=60)


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM sys_invocation",
        "UPDATE invocations SET status = 'completed'",
        "DROP TABLE invocations",
        "ATTACH DATABASE '/tmp/evil.db' AS evil",
        "PRAGMA query_only = OFF",
        "WITH x AS (SELECT 1) DELETE FROM invocations",
        "INSERT INTO kv_state VALUES ('a', 'b', x'00', x'00')",
        "SELECT 1; DELETE FROM invocations",
        "CREATE TEMP TABLE t (x)",
    ],
)
def test_query_is_read_only(embedded: Backend, sql: str) -> None:
    before = query(embedded, "SELECT COUNT(*) AS n FROM sys_invocation").json()["rows"][0]["n"]
    r = query(embedded, sql)
    assert r.status_code in (400, 500), r.text
    assert r.json()["message"].startswith("Datafusion error: ")
    assert query(embedded, "SELECT COUNT(*) AS n FROM sys_invocation").json()["rows"][0]["n"] == before


def test_query_errors_are_restate_shaped(embedded: Backend) -> None:
    r = query(embedded, "SELEC nonsense")
    assert r.status_code == 400 and "restate_code" not in r.json()
    r = query(embedded, "SELECT * FROM sys_nope")
    assert r.status_code == 500
    assert (
        r.json()["message"]
        == "Datafusion error: Error during planning: table 'restate.public.sys_nope' not found"
    )
    r = query(embedded, "")
    assert r.status_code == 400
    r = httpx.post(
        f"{embedded.admin_url}/query", content=b"not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/plain")
    r = httpx.post(f"{embedded.admin_url}/query", json={"nope": 1})
    assert r.status_code == 422
    r = httpx.post(f"{embedded.admin_url}/query", content=b'{"query": "SELECT 1"}')
    assert r.status_code == 415


def test_json_only_for_exact_accept_and_arrow_otherwise(embedded: Backend) -> None:
    r = query(embedded, "SELECT COUNT(1) FROM sys_invocation", accept="*/*")
    assert r.headers["content-type"] == "application/vnd.apache.arrow.stream"
    pa = pytest.importorskip("pyarrow")
    table = pa.ipc.open_stream(r.content).read_all()
    assert table.schema.field(0).type == pa.int64()
    r = query(
        embedded, "SELECT id, status FROM sys_invocation LIMIT 1", accept="application/json; charset=utf-8"
    )
    assert r.headers["content-type"] == "application/vnd.apache.arrow.stream"


def test_runaway_query_is_stopped_and_the_runtime_keeps_serving(embedded: Backend, monkeypatch) -> None:
    import threading
    import time

    slow: dict[str, httpx.Response] = {}
    sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"
    t = threading.Thread(target=lambda: slow.setdefault("r", query(embedded, sql)))
    t.start()
    time.sleep(0.5)
    started = time.monotonic()
    ok = embedded.call("Greeter/greet", "still here")
    assert ok.status_code == 200 and time.monotonic() - started < 5
    t.join(60)
    assert slow["r"].status_code == 500 and "ran longer than" in slow["r"].text


def test_version_prefixes(embedded: Backend) -> None:
    for prefix in ("", "/v2", "/v3", "/v4"):
        assert httpx.get(f"{embedded.admin_url}{prefix}/version").status_code == 200
    r = httpx.get(f"{embedded.admin_url}/v1/version")
    assert r.status_code == 400 and r.text.startswith("Unsupported Admin API version V1.")
    assert httpx.get(f"{embedded.admin_url}/v5/version").status_code == 404
    r = httpx.get(f"{embedded.admin_url}/invocations/inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf")
    assert r.status_code == 405 and r.headers["allow"] == "DELETE"
    doc = httpx.get(f"{embedded.admin_url}/openapi").json()
    assert doc["openapi"].startswith("3.1") and "/invocations/{invocation_id}/cancel" in doc["paths"]


def test_openapi_document_is_valid_and_made_from_the_input_models(embedded: Backend) -> None:
    from openapi_spec_validator import validate

    doc = httpx.get(f"{embedded.admin_url}/openapi").json()
    validate(doc)  # raises on a document that is not OpenAPI 3.1
    bodies = {
        (method.upper(), path): op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if "requestBody" in op
    }
    assert bodies == {
        ("POST", "/query"): "#/components/schemas/QueryRequest",
        ("POST", "/deployments"): "#/components/schemas/RegisterDeploymentRequest",
        ("PATCH", "/deployments/{deployment}"): "#/components/schemas/UpdateDeploymentRequest",
        ("PATCH", "/services/{service}"): "#/components/schemas/ModifyServiceRequest",
        ("POST", "/services/{service}/state"): "#/components/schemas/ModifyServiceStateRequest",
        ("POST", "/kafka-clusters"): "#/components/schemas/CreateKafkaClusterRequest",
        ("PATCH", "/kafka-clusters/{cluster_name}"): "#/components/schemas/UpdateKafkaClusterRequest",
        ("POST", "/subscriptions"): "#/components/schemas/CreateSubscriptionRequest",
    }
    schemas = doc["components"]["schemas"]
    state = schemas["ModifyServiceStateRequest"]
    assert state["required"] == ["object_key", "new_state"]
    assert schemas["CreateSubscriptionRequest"]["properties"]["source"]["format"] == "uri"
    restart = doc["paths"]["/invocations/{invocation_id}/restart-as-new"]["patch"]["parameters"]
    assert [(p["name"], p["in"]) for p in restart] == [
        ("invocation_id", "path"),
        ("from", "query"),
        ("deployment", "query"),
    ]
