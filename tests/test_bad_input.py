"""Bad input gets restate-server's 4xx answer, not a 500: the same status and body on every
backend (measured on restate-server 1.7.12), and a full disk gets a clear error while reads
go on."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.backend import Backend
from support.hostile import MANIFEST_TYPE, HostileServer
from support.processes import EmbeddedRuntime, ServiceProcess

JSON = {"content-type": "application/json", "accept": "application/json"}
UNTAGGED = (
    "Failed to deserialize the JSON body into the target type: "
    "data did not match any variant of untagged enum RegisterDeploymentRequest"
)
DAYS = "failed to set value for day unit on span: parameter 'days' is not in the required range of -7304484..=7304484"
FRIENDLY = 'failed to parse input in the "friendly" duration format: '


def answer(r: httpx.Response) -> tuple[int, str, object]:
    """Status, content type, and the body (parsed when it is JSON)."""
    kind = r.headers.get("content-type", "").split(";")[0]
    return r.status_code, kind, r.json() if kind == "application/json" else r.text


def admin(b: Backend, method: str, path: str, body: bytes | str) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return httpx.request(method, f"{b.admin_url}{path}", content=content, headers=JSON, timeout=30)


# -- /send?delay= ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delay", "reason"),
    [
        ("99999999999d", FRIENDLY + DAYS),
        ("P99999999999D", DAYS),
        ("9999999999999999999999ms", FRIENDLY + "number too big to parse into 64-bit integer"),
    ],
)
def test_absurd_delay(backend: Backend, delay: str, reason: str) -> None:
    r = httpx.post(f"{backend.ingress_url}/Greeter/greet/send?delay={delay}", json="x", timeout=30)
    message = f"bad delay query parameter, must be a ISO8601 duration: {reason}"
    if backend.version < "1.7":  # its own error shape, and the value in the message
        assert r.status_code == 400 and r.json()["message"].startswith(message.split(": ")[0]), r.text
        return
    assert answer(r) == (400, "application/json", {"code": 400, "message": message, "source": "ingress"})


def test_delay_past_the_year_9999_is_refused(backend: Backend) -> None:
    if not backend.embedded:
        pytest.skip("restate-server 1.7.12 drops the connection (a panic) for in-range delays this long")
    r = httpx.post(f"{backend.ingress_url}/Greeter/greet/send?delay=7304484d", json="x", timeout=30)
    assert r.status_code == 400
    assert "the invocation would start after the year 9999" in r.json()["message"]


# -- JSON that serde_json refuses ----------------------------------------------------------------

PARSE = "Failed to parse the request body as JSON: "


@pytest.mark.parametrize(
    ("path", "body", "text"),
    [
        (
            "/query",
            r'{"query": "SELECT ' "'" r"\ud800" "'" '"}',
            "query: unexpected end of hex escape at line 1 column 26",
        ),
        (
            "/query",
            r'{"query": "SELECT ' "'" r"\udc00" "'" '"}',
            "query: lone leading surrogate in hex escape at line 1 column 25",
        ),
        (
            "/query",
            r'{"query": "x\ud800\u0041"}',
            "query: lone leading surrogate in hex escape at line 1 column 24",
        ),
        ("/query", '{\n  "query": "x\\ud800"}', "query: unexpected end of hex escape at line 2 column 20"),
        (
            "/deployments",
            r'{"uri": "http://x/", "z": ["q", "\ud800"]}',
            "z[1]: unexpected end of hex escape at line 1 column 40",
        ),
        (
            "/services/Counter/state",
            r'{"object_key": "\ud800", "new_state": {}}',
            "object_key: unexpected end of hex escape at line 1 column 23",
        ),
    ],
)
def test_lone_surrogate(backend: Backend, path: str, body: str, text: str) -> None:
    assert answer(admin(backend, "POST", path, body)) == (400, "text/plain", PARSE + text)


def test_lone_surrogate_in_a_map_key(backend: Backend) -> None:
    if backend.version < "1.7":
        pytest.skip("restate-server 1.6 has no /kafka-clusters")
    body = r'{"name": "a", "properties": {"x\ud800": "y"}}'
    text = PARSE + "properties.?: unexpected end of hex escape at line 1 column 38"
    assert answer(admin(backend, "POST", "/kafka-clusters", body)) == (400, "text/plain", text)


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def test_deep_registration(backend: Backend) -> None:
    body = '{"uri": "http://x/", "additional_headers": ' + nested(127) + "}"
    text = PARSE + "additional_headers" + ".a" * 126 + ": recursion limit exceeded at line 1 column 674"
    assert answer(admin(backend, "POST", "/deployments", body)) == (400, "text/plain", text)
    shallower = '{"uri": "http://x/", "additional_headers": ' + nested(126) + "}"
    assert answer(admin(backend, "POST", "/deployments", shallower)) == (422, "text/plain", UNTAGGED)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '{"query": ' + "[" * 1000 + "]" * 1000 + "}",
            "query: invalid type: sequence, expected a string at line 1 column 10",
        ),
        ("[" * 5000 + "]" * 5000, "[0]: invalid type: sequence, expected a string at line 1 column 1"),
    ],
    ids=["deep-field", "deep-body"],
)
def test_deep_query_body(backend: Backend, body: str, expected: str) -> None:
    text = "Failed to deserialize the JSON body into the target type: " + expected
    assert answer(admin(backend, "POST", "/query", body)) == (422, "text/plain", text)


def test_deep_unknown_field_is_ignored(backend: Backend) -> None:
    body = '{"query": "SELECT 1 AS x", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    r = admin(backend, "POST", "/query", body)
    assert (r.status_code, r.json()) == (200, {"rows": [{"x": 1}]})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"query": 5}', "query: invalid type: integer `5`, expected a string at line 1 column 11"),
        ('{"query": null}', "query: invalid type: null, expected a string at line 1 column 14"),
        ('{"query": {"a":1}}', "query: invalid type: map, expected a string at line 1 column 10"),
        ("[5]", "[0]: invalid type: integer `5`, expected a string at line 1 column 2"),
        ('"x"', 'invalid type: string "x", expected struct QueryRequest at line 1 column 3'),
    ],
)
def test_query_of_the_wrong_type(backend: Backend, body: str, expected: str) -> None:
    text = "Failed to deserialize the JSON body into the target type: " + expected
    assert answer(admin(backend, "POST", "/query", body)) == (422, "text/plain", text)


# -- deployment registration -------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"additional_headers": {"x": 1}},
        {"additional_headers": {"x": None}},
        {"uri": "http://[::1/"},
        {"uri": "http://a b/"},
        {"uri": "http:///x"},
        {"uri": "http://" + "a" * 65528 + "/"},  # 65535 characters
    ],
    ids=["header-number", "header-null", "ipv6-bracket", "space", "no-host", "too-long"],
)
def test_registration_that_is_no_registration(
    backend: Backend, services: ServiceProcess, fields: dict
) -> None:
    body = json.dumps({"uri": services.url, **fields})
    assert answer(admin(backend, "POST", "/deployments", body)) == (422, "text/plain", UNTAGGED)


def test_registration_of_a_relative_uri(backend: Backend) -> None:
    message = (
        "The request field 'uri' is invalid. Reason: The provided uri abc is not absolute, "
        "only absolute URIs can be used."
    )
    r = admin(backend, "POST", "/deployments", '{"uri": "abc"}')
    assert answer(r) == (400, "application/json", {"message": message, "restate_code": None})


@pytest.mark.parametrize("port", ["99999", "abc"])
def test_registration_of_a_port_that_cannot_be(backend: Backend, services: ServiceProcess, port: str) -> None:
    uri = services.url.replace(str(services.port), port)
    r = admin(backend, "POST", "/deployments", json.dumps({"uri": uri}))
    assert r.status_code == 500, r.text
    assert r.json()["restate_code"] == "META0003"
    listed = httpx.get(f"{backend.admin_url}/deployments", timeout=30).json()["deployments"]
    assert all(f":{port}" not in d["uri"] for d in listed)


def test_port_beyond_65535_that_wraps_around_is_not_registered(
    backend: Backend, services: ServiceProcess
) -> None:
    uri = f"http://127.0.0.1:{services.port + 65536}/"  # the same port, modulo 65536
    r = admin(backend, "POST", "/deployments", json.dumps({"uri": uri}))
    assert (r.status_code, r.json()["restate_code"]) == (500, "META0003"), r.text


# -- state updates -----------------------------------------------------------------------------

TYPE = "Failed to deserialize the JSON body into the target type: "


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([256], "new_state.a[0]: invalid value: integer `256`, expected u8 at line 1 column 39"),
        ([-1], "new_state.a[0]: invalid value: integer `-1`, expected u8 at line 1 column 38"),
        (["x"], 'new_state.a[0]: invalid type: string "x", expected u8 at line 1 column 39'),
        (5, "new_state.a: invalid type: integer `5`, expected byte array at line 1 column 36"),
        (None, "new_state.a: invalid type: null, expected byte array at line 1 column 39"),
        ({"b": 1}, "new_state.a: invalid type: map, expected byte array at line 1 column 35"),
    ],
)
def test_state_update_with_values_that_are_no_bytes(backend: Backend, value: object, expected: str) -> None:
    body = json.dumps({"object_key": "k", "new_state": {"a": value}}, separators=(",", ":"))
    assert answer(admin(backend, "POST", "/services/Counter/state", body)) == (
        422,
        "text/plain",
        TYPE + expected,
    )


def test_state_update_takes_strings_as_their_bytes(backend: Backend) -> None:
    key = f"bytes-{uuid.uuid4().hex[:8]}"
    body = json.dumps({"object_key": key, "new_state": {"count": "7"}})
    assert admin(backend, "POST", "/services/Counter/state", body).status_code == 202
    deadline = time.monotonic() + 20
    while True:
        got = httpx.post(f"{backend.ingress_url}/Counter/{key}/get", timeout=30)
        if got.text != "0" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert (got.status_code, got.text) == (200, "7")  # the bytes `7`, not the JSON string "7"


# -- a full disk ---------------------------------------------------------------------------------


@contextlib.contextmanager
def small_filesystem(where: Path, size: str = "8m") -> Iterator[Path]:
    """A tmpfs of ``size`` at ``where`` (needs root), or a skip."""
    where.mkdir(parents=True)
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(fs: Path) -> Path:
    filler = fs / "filler"
    with filler.open("wb", buffering=0) as f:  # unbuffered: closing has nothing left to write
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


FULL = "the embedded runtime cannot write to its store: the disk is full; free some space and retry"


def test_full_disk_is_a_clear_error_and_reads_go_on(tmp_path: Path, services: ServiceProcess) -> None:
    with small_filesystem(tmp_path / "fs") as fs:
        dev = EmbeddedRuntime(fs / "data").start()
        try:
            httpx.post(
                f"{dev.admin_url}/deployments", json={"uri": services.url}, timeout=30
            ).raise_for_status()
            filler = fill(fs)
            big = "x" * 200_000  # more than the pages SQLite still has
            call = httpx.post(f"{dev.ingress_url}/Greeter/greet", json=big, timeout=30)
            assert answer(call) == (
                507,
                "application/json",
                {"code": 507, "message": FULL, "source": "ingress"},
            )
            cluster = {"name": "full", "properties": {"bootstrap.servers": big}}
            r = httpx.post(f"{dev.admin_url}/kafka-clusters", json=cluster, timeout=30)
            assert answer(r) == (507, "application/json", {"message": FULL, "restate_code": None})
            listed = httpx.get(f"{dev.admin_url}/deployments", timeout=30)
            assert listed.status_code == 200 and len(listed.json()["deployments"]) == 1
            rows = httpx.post(
                f"{dev.admin_url}/query", json={"query": "SELECT 1 AS x"}, headers=JSON, timeout=30
            )
            assert (rows.status_code, rows.json()) == (200, {"rows": [{"x": 1}]})
            filler.unlink()  # room again: writes work as before
            again = httpx.post(f"{dev.ingress_url}/Greeter/greet", json="again", timeout=30)
            assert (again.status_code, again.json()) == (200, "Hello again!")
        finally:
            dev.stop()


def test_full_store_in_process_is_a_clear_error_and_reads_go_on(tmp_path: Path) -> None:
    """The same without root: SQLite's page limit makes the store as full as a full disk."""
    import asyncio

    from restate_cli.embedded.api import admin_api
    from restate_cli.embedded.runtime import Runtime

    rt = Runtime(tmp_path / "data", active=False)
    pages = rt.store.conn.execute("PRAGMA page_count").fetchone()[0]
    rt.store.conn.execute(f"PRAGMA max_page_count = {pages}")

    async def scenario() -> tuple[httpx.Response, ...]:
        transport = httpx.ASGITransport(app=admin_api.build(rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://embedded") as client:
            cluster = {"name": "full", "properties": {"bootstrap.servers": "x" * 200_000}}
            return (
                await client.post("/kafka-clusters", json=cluster),
                await client.get("/deployments"),
                await client.post("/query", json={"query": "SELECT 1 AS x"}, headers=JSON),
            )

    created, listed, rows = asyncio.run(scenario())
    rt.store.close()
    assert answer(created) == (507, "application/json", {"message": FULL, "restate_code": None})
    assert (listed.status_code, listed.json()) == (200, {"deployments": []})
    assert (rows.status_code, rows.json()) == (200, {"rows": [{"x": 1}]})


# -- manifests -----------------------------------------------------------------------------------

MANIFEST_HEAD = '{"protocolMode":"REQUEST_RESPONSE","minProtocolVersion":5,"maxProtocolVersion":6,"services":'


@pytest.mark.parametrize(
    ("listed", "reason"),
    [
        (
            '[{"name":"Deep","ty":"SERVICE","handlers":[{"name":"run","input":{"contentType":"application/json",'
            '"jsonSchema":' + nested(200) + "}}]}]}",
            "recursion limit exceeded at line 1 column 810",
        ),
        (
            '[{"name":"Sur\\ud800","ty":"SERVICE","handlers":[]}]}',
            "unexpected end of hex escape at line 1 column 112",
        ),
    ],
    ids=["deep", "lone-surrogate"],
)
def test_manifest_that_cannot_be_decoded(backend: Backend, listed: str, reason: str) -> None:
    r = register_serving(backend, (MANIFEST_HEAD + listed).encode())
    assert r.status_code == 500, r.text
    assert r.json()["restate_code"] is None
    message = r.json()["message"]
    assert message.startswith(
        f"received a bad response from the SDK that cannot be decoded: {reason}. Discovery response: "
    )


# -- bodies that do not fit their request type (the models of embedded/api/bodies.py) -----------

MAP = "Failed to deserialize the JSON body into the target type: "
STATE = "/services/Counter/state"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "text"),
    [
        ("POST", "/kafka-clusters", '{"name": "a"}', 422, "missing field `properties` at line 1 column 13"),
        ("POST", "/kafka-clusters", '{"name": 5, "properties": {}}', 422,
         "name: invalid type: integer `5`, expected a string at line 1 column 10"),
        ("POST", "/kafka-clusters", '{"name": "a", "properties": [1]}', 422,
         "properties: invalid type: sequence, expected a map at line 1 column 28"),
        ("POST", "/kafka-clusters", '{"name": "a", "properties": {"bootstrap.servers": "x", "y": true}}', 422,
         "properties.y: invalid type: boolean `true`, expected a string at line 1 column 64"),
        ("POST", "/kafka-clusters", '{  "name"  :  ""  , "properties": {}}', 422,
         "name: empty string at line 1 column 16"),
        ("POST", "/kafka-clusters", "null", 422,
         "invalid type: null, expected struct CreateKafkaClusterRequest at line 1 column 4"),
        ("POST", "/kafka-clusters", '["b"]', 422,
         "invalid length 1, expected struct CreateKafkaClusterRequest with 2 elements at line 1 column 5"),
        ("POST", "/kafka-clusters", "[5, {}]", 422,
         "[0]: invalid type: integer `5`, expected a string at line 1 column 2"),
        ("POST", "/kafka-clusters", '["b", {"bootstrap.servers": "x"}, 1]', 400,
         "trailing characters at line 1 column 35"),
        ("PATCH", "/kafka-clusters/zz", '{"properties": null}', 422,
         "properties: invalid type: null, expected a map at line 1 column 19"),
        ("POST", "/subscriptions", '{"source": "kafka://c/t"}', 422, "missing field `sink` at line 1 column 25"),
        ("POST", "/subscriptions", '{"source": "not a uri", "sink": "service://Greeter/greet"}', 422,
         "source: invalid uri character at line 1 column 22"),
        ("POST", "/subscriptions", '{"source": "kafka:///orders", "sink": "service://Greeter/greet"}', 422,
         "source: invalid format at line 1 column 28"),
        ("POST", "/subscriptions", '{"source": "kafka://c/t", "sink": ""}', 422,
         "sink: empty string at line 1 column 36"),
        ("POST", "/subscriptions", '{"source": "kafka://c/t", "sink": "service://G/h", "options": {"a": 1}}', 422,
         "options.a: invalid type: integer `1`, expected a string at line 1 column 69"),
        ("POST", "/subscriptions", '["kafka://c/t", "service://Greeter/greet"]', 422,
         "invalid length 2, expected struct CreateSubscriptionRequest with 3 elements at line 1 column 42"),
        ("PATCH", "/services/Counter", '{"idempotency_retention": 5}', 422,
         "idempotency_retention: invalid type: integer `5`, expected a human-friendly duration string at line 1 column 27"),
        ("PATCH", "/services/Counter", '[true, "1h", 5]', 422,
         "[2]: invalid type: integer `5`, expected a human-friendly duration string at line 1 column 14"),
        ("PATCH", "/services/Counter", "5", 422,
         "invalid type: integer `5`, expected struct ModifyServiceRequest at line 1 column 1"),
        ("POST", STATE, '{"object_key": "k"}', 422, "missing field `new_state` at line 1 column 19"),
        ("POST", STATE, '{"object_key": "k", "new_state": [], "version": null}', 422,
         "new_state: invalid type: sequence, expected a map at line 1 column 33"),
        ("POST", STATE, '{"object_key": "k", "new_state": {}, "version": 5}', 422,
         "version: invalid type: integer `5`, expected a string at line 1 column 49"),
        ("POST", STATE, '{"object_key":"k","new_state":{"a":{"b":1}}}', 422,
         "new_state.a: invalid type: map, expected byte array at line 1 column 35"),
        ("POST", STATE, '["k", {}]', 422, "[1]: invalid type: map, expected a string at line 1 column 6"),
        ("POST", STATE, '["k"]', 422,
         "invalid length 1, expected struct ModifyServiceStateRequest with 4 elements at line 1 column 5"),
        ("POST", "/query", '{"query": {}}', 422, "query: invalid type: map, expected a string at line 1 column 10"),
        ("POST", "/query", '["SELECT 1 AS x", 1]', 400, "trailing characters at line 1 column 19"),
        ("POST", "/query", '{"nope": 1}', 422, "missing field `query` at line 1 column 11"),
    ],
)  # fmt: skip
def test_body_that_does_not_fit_its_type(
    backend: Backend, method: str, path: str, body: str, status: int, text: str
) -> None:
    """restate-server's words, field path and place, measured on 1.7.12."""
    if backend.version < "1.7" and ("kafka" in path or "with 4 elements" in text):
        pytest.skip("restate-server 1.6 has no /kafka-clusters, nor the state request's scope")
    prefix = MAP if status == 422 else PARSE
    assert answer(admin(backend, method, path, body)) == (status, "text/plain", prefix + text)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"sink": "x", "source": "kafka://c/t"}',
         "[META0009] invalid sink URI 'x': must have a scheme segment, with supported schemes: [service]."),
        ('{"source": "kafka:c", "sink": "service:x"}',
         "[META0009] invalid source URI 'kafka:c': must have a scheme segment, with supported schemes: [kafka]."),
    ],
)  # fmt: skip
def test_subscription_uri_without_its_scheme(backend: Backend, body: str, message: str) -> None:
    """``x`` and ``kafka:c`` are URIs to http::Uri (an authority), only without a scheme."""
    if backend.version < "1.7":
        pytest.skip("restate-server 1.6 words these differently")
    r = admin(backend, "POST", "/subscriptions", body)
    assert answer(r) == (400, "application/json", {"message": message, "restate_code": "META0009"})


def test_registration_uri_by_http_rules(backend: Backend) -> None:
    """A URI http::Uri refuses is no registration (422); one it takes without a scheme is
    not absolute (400); a fragment is dropped."""
    for uri in ("", "h%://x/", "http://u@/", "x:1:2", "http://x/a b"):
        r = admin(backend, "POST", "/deployments", json.dumps({"uri": uri}))
        assert answer(r) == (422, "text/plain", UNTAGGED), uri
    r = admin(backend, "POST", "/deployments", json.dumps({"uri": "/abc"}))
    message = "The request field 'uri' is invalid. Reason: The provided uri /abc is not absolute, only absolute URIs can be used."
    assert answer(r) == (400, "application/json", {"message": message, "restate_code": None})
    r = admin(
        backend,
        "POST",
        "/deployments",
        json.dumps({"uri": "http://127.0.0.1:1/#a fragment", "use_http_11": True}),
    )
    assert r.status_code == 500 and "#" not in r.json()["message"], r.text


INV = "inv_1aiqX0vFEFNH1Umgre1BPQbuvoa1ajGAuL"  # well-formed, never created
QUERY = "Failed to deserialize query string: "


@pytest.mark.parametrize(
    ("method", "path", "text"),
    [
        ("PATCH", f"/invocations/{INV}/restart-as-new?from=", "from: cannot parse integer from empty string"),
        ("PATCH", f"/invocations/{INV}/restart-as-new?from=99999999999", "from: number too large to fit in target type"),
        ("PATCH", f"/invocations/{INV}/restart-as-new?from=1.5", "from: invalid digit found in string"),
        ("PATCH", f"/invocations/{INV}/restart-as-new?from=1&from=2", "duplicate field `from`"),
        ("DELETE", "/deployments/dp_10Vs6OwypTcFQ7jywaR59oB?force=1", "force: provided string was not `true` or `false`"),
        ("DELETE", f"/invocations/{INV}?mode=", "mode: unknown variant ``, expected one of `Cancel`, `cancel`, `Kill`, `kill`, `Purge`, `purge`"),
    ],
)  # fmt: skip
def test_query_parameters_that_do_not_fit(backend: Backend, method: str, path: str, text: str) -> None:
    """Checked before the invocation or deployment is looked up, as restate-server does."""
    r = httpx.request(method, f"{backend.admin_url}{path}", timeout=30)
    assert answer(r) == (400, "text/plain", QUERY + text)


def test_deployment_query_parameter(backend: Backend) -> None:
    for value, reason in (("bogus", "bad format"), ("", "bad length")):
        r = httpx.patch(f"{backend.admin_url}/invocations/{INV}/resume?deployment={value}", timeout=30)
        message = f"The query parameter 'deployment' is invalid. Reason: {reason}"
        assert answer(r) == (400, "application/json", {"message": message, "restate_code": None})
    r = httpx.patch(f"{backend.admin_url}/invocations/{INV}/resume?deployment=latest", timeout=30)
    assert r.status_code == 404


def test_removing_a_deployment_needs_force_before_it_is_looked_up(backend: Backend) -> None:
    url = f"{backend.admin_url}/deployments/dp_10Vs6OwypTcFQ7jywaR59oB"
    assert (httpx.delete(url, timeout=30).status_code, httpx.delete(url, timeout=30).text) == (501, "")
    r = httpx.delete(f"{url}?force=true", timeout=30)
    message = "not found in the schema registry: deployment with id 'dp_10Vs6OwypTcFQ7jywaR59oB'"
    assert answer(r) == (404, "application/json", {"message": message, "restate_code": None})


@pytest.mark.parametrize(
    ("listed", "reason"),
    [
        ('{"name":"A","ty":"BAD","handlers":[]}]}',
         "unknown variant `BAD`, expected one of `VIRTUAL_OBJECT`, `SERVICE`, `WORKFLOW` at line 1 column 115"),
        ('{"name":"A","ty":"SERVICE","handlers":[{"name":5}]}]}',
         "invalid type: integer `5`, expected a string at line 1 column 141"),
        ('{"name":"A","ty":"SERVICE","handlers":[{"name":"h","inactivityTimeout":"x"}]}]}',
         'invalid type: string "x", expected u64 at line 1 column 167'),
        ('{"name":"A","ty":"SERVICE","handlers":[{"name":"h","input":5}]}]}',
         "invalid type: integer `5`, expected struct InputPayload at line 1 column 153"),
        ('{"name":"A","ty":"SERVICE"}]}', "missing field `handlers` at line 1 column 120"),
    ],
    ids=["service-type", "handler-name", "timeout", "input", "no-handlers"],
)  # fmt: skip
def test_manifest_that_does_not_fit(backend: Backend, listed: str, reason: str) -> None:
    """serde's words and place, without a field path: restate reads manifests so."""
    body = (MANIFEST_HEAD + "[" + listed).encode()
    r = register_serving(backend, body)
    assert (r.status_code, r.json()["restate_code"]) == (500, None), r.text
    assert r.json()["message"] == (
        f"received a bad response from the SDK that cannot be decoded: {reason}. "
        f"Discovery response: {body.decode()}"
    )


def test_manifest_that_cannot_be_used(backend: Backend) -> None:
    body = b'{"protocolMode":"REQUEST_RESPONSE","minProtocolVersion":7,"maxProtocolVersion":6,"services":[]}'
    r = register_serving(backend, body)
    assert (r.status_code, r.json()["restate_code"]) == (500, "META0013"), r.text
    assert r.json()["message"] == (
        "[META0013] [META0013] received a bad response from the SDK: Expected min protocol version to be "
        "<= max protocol version. Received min protocol version '7', max protocol version '6'"
    )


def register_serving(backend: Backend, manifest: bytes) -> httpx.Response:
    """Register (dry run) a deployment that answers discovery with ``manifest``."""

    def serve(conn, head: bytes) -> None:
        conn.sendall(
            f"HTTP/1.1 200 OK\r\ncontent-type: {MANIFEST_TYPE}\r\ncontent-length: {len(manifest)}\r\n\r\n".encode()
            + manifest
        )

    server = HostileServer(serve)
    try:
        return httpx.post(
            f"{backend.admin_url}/deployments",
            json={"uri": server.url, "use_http_11": True, "dry_run": True},
            timeout=30,
        )
    finally:
        server.stop()
