"""Discovery and invocation attempts against the real SDK (restate-sdk 1.3.0 under hypercorn).

Journals are built with the codec and replayed the way reference §9.3 describes; a second,
deliberately broken deployment (tests/services/odd_deployment.py) covers the error paths.
hypercorn speaks HTTP/1.1 and HTTP/2 cleartext, so every test runs over both transports.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from support.processes import ServiceProcess, free_port

from restate_cli.embedded.protocol import (
    CANCEL_SIGNAL,
    REQUESTED_ACK,
    Failure,
    Frame,
    MessageType,
    decode_awaiting_on,
    decode_command,
    decode_error,
    decode_propose_run_completion,
    decode_suspension,
    encode_call_completion,
    encode_call_invocation_id_completion,
    encode_frame,
    encode_get_lazy_state_completion,
    encode_input,
    encode_signal_notification,
    encode_sleep_completion,
    encode_start,
    format_awakeable_id,
    run_completion_from_proposal,
)
from restate_cli.embedded.protocol.deployment_client import (
    ACCEPT_MANIFESTS,
    AttemptFailed,
    AttemptResult,
    DeploymentClient,
    DiscoveryError,
    Manifest,
    discover,
    pick_protocol_version,
)
from restate_cli.ids import format_invocation_id

RAW_ID = bytes(range(1, 25))
INVOCATION_ID = format_invocation_id(RAW_ID)
Entry = tuple[int, bytes]
HTTP2 = False  # the transport of the test running now (set by the ``transport`` fixture)


@pytest.fixture(autouse=True, scope="module", params=["http1.1", "http2"])
def transport(request: pytest.FixtureRequest) -> Iterator[str]:
    global HTTP2
    HTTP2 = request.param == "http2"
    yield request.param
    HTTP2 = False


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    svc = ServiceProcess(app="protocol_app:app").start(tmp_path_factory.mktemp("sdk"))
    yield svc.url
    svc.stop()


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    svc = ServiceProcess(app="odd_deployment:app").start(tmp_path_factory.mktemp("odd"))
    yield svc.url.rstrip("/")
    svc.stop()


def attempt(
    url: str,
    service: str,
    handler: str,
    journal: list[Entry],
    *,
    version: int = 6,
    key: str | None = None,
    state: dict[str, bytes] | None = None,
    partial_state: bool = False,
    retry_count: int = 0,
    known_entries: int | None = None,
    timeout: float = 10,
) -> list[Frame]:
    """The frames of one attempt: Start plus ``journal``, through a fresh DeploymentClient."""
    return attempt_result(
        url,
        service,
        handler,
        journal,
        version=version,
        key=key,
        state=state,
        partial_state=partial_state,
        retry_count=retry_count,
        known_entries=known_entries,
        timeout=timeout,
    ).frames


def attempt_result(
    url: str,
    service: str,
    handler: str,
    journal: list[Entry],
    *,
    version: int,
    key: str | None,
    state: dict[str, bytes] | None,
    partial_state: bool,
    retry_count: int,
    known_entries: int | None,
    timeout: float,
) -> AttemptResult:
    start = encode_start(
        raw_id=RAW_ID,
        debug_id=INVOCATION_ID,
        known_entries=len(journal) if known_entries is None else known_entries,
        state_map=state,
        partial_state=partial_state,
        key=key or "",
        retry_count_since_last_stored_entry=retry_count,
        random_seed=1,
    )
    body = encode_frame(MessageType.START, start)
    body += b"".join(encode_frame(t, p) for t, p in journal)

    async def go() -> AttemptResult:
        async with DeploymentClient() as client:
            return await client.invoke(
                url,
                service,
                handler,
                version=version,
                invocation_id=INVOCATION_ID,
                key=key,
                body=body,
                timeout=timeout,
                http2=HTTP2,
            )

    return asyncio.run(go())


def failed(url: str, service: str = "S", handler: str = "h", **kw: Any) -> AttemptFailed:
    with pytest.raises(AttemptFailed) as info:
        attempt(url, service, handler, [json_input(None)], **kw)
    return info.value


def json_input(value: Any) -> Entry:
    body = b"" if value is None else json.dumps(value).encode()
    return MessageType.INPUT, encode_input(body)


def entry(frame: Frame) -> Entry:
    return frame.type, frame.payload


def types(frames: list[Frame]) -> list[MessageType]:
    return [MessageType(f.type) for f in frames]


def output_of(frames: list[Frame]) -> Any:
    assert types(frames)[-2:] == [MessageType.OUTPUT, MessageType.END]
    return decode_command(MessageType.OUTPUT, frames[-2].payload)


def greet_body(name: str) -> bytes:
    start = encode_start(raw_id=RAW_ID, debug_id=INVOCATION_ID, known_entries=1)
    return encode_frame(MessageType.START, start) + encode_frame(*json_input(name))


async def invoke(client: DeploymentClient, url: str, service: str, handler: str, body: bytes) -> list[Frame]:
    result = await client.invoke(
        url, service, handler, version=6, invocation_id=INVOCATION_ID, key=None, body=body,
        timeout=10, http2=HTTP2,
    )  # fmt: skip
    return result.frames


# -- discovery -------------------------------------------------------------------------------


def discover_now(uri: str, **kw: Any) -> Manifest:
    return asyncio.run(discover(uri, use_http_11=not HTTP2, **kw))


def test_discovery_of_the_real_sdk(sdk: str) -> None:
    m = discover_now(sdk)
    # The Python SDK answers over HTTP/2 that it streams, over HTTP/1.1 that it does not
    assert m.protocol_mode == ("BIDI_STREAM" if HTTP2 else "REQUEST_RESPONSE")
    assert (m.min_protocol_version, m.max_protocol_version) == (5, 7)
    assert (m.sdk_version, m.manifest_version) == ("restate-sdk-python/1.3.0", 4)
    assert [s.name for s in m.services] == [
        "Proto", "ProtoObject", "ProtoLazy", "ProtoFlow", "Configured",
    ]  # fmt: skip
    greet = m.services[0].handler("greet")
    assert greet is not None and greet.ty is None
    assert (greet.input.content_type, greet.input.required) == ("application/json", False)
    assert greet.input.json_schema == {"type": "string"}
    assert greet.output.content_type == "application/json"
    obj = m.service("ProtoObject")
    assert obj is not None and obj.ty == "VIRTUAL_OBJECT"
    assert [(h.name, h.ty) for h in obj.handlers] == [
        ("bump", "EXCLUSIVE"), ("reset", "EXCLUSIVE"), ("peek", "SHARED"),
    ]  # fmt: skip
    assert obj.handlers[1].input.content_type is None  # `{}`: the handler takes no input
    flow = m.service("ProtoFlow")
    assert flow is not None and [(h.name, h.ty) for h in flow.handlers][:2] == [
        ("run", "WORKFLOW"), ("approve", "SHARED"),
    ]  # fmt: skip
    assert flow.handlers[1].output.content_type is None  # returns None: void output
    lazy = m.service("ProtoLazy")
    assert lazy is not None and lazy.enable_lazy_state is True


def test_discovery_of_options_and_retry_policy(sdk: str) -> None:
    m = discover_now(sdk)
    s = m.service("Configured")
    assert s is not None
    assert (s.documentation, s.metadata) == (
        "A service with every option set",
        {"team": "protocol"},
    )
    assert (s.inactivity_timeout_ms, s.abort_timeout_ms) == (30_000, 120_000)
    assert (s.journal_retention_ms, s.idempotency_retention_ms) == (86_400_000, 21_600_000)
    assert s.ingress_private is False
    assert (s.retry_policy_initial_interval_ms, s.retry_policy_max_interval_ms) == (100, 10_000)
    assert (s.retry_policy_max_attempts, s.retry_policy_exponentiation_factor) == (5, 2.0)
    assert s.retry_policy_on_max_attempts == "KILL"
    (h,) = s.handlers
    assert (h.metadata, h.retry_policy_max_attempts, h.retry_policy_on_max_attempts) == (
        {"handler": "yes"}, 3, "PAUSE",
    )  # fmt: skip
    assert h.retry_policy_initial_interval_ms is None and h.inactivity_timeout_ms is None
    assert m.raw["services"][-1]["retryPolicyOnMaxAttempts"] == "KILL"


def test_discovery_request_headers(odd: str) -> None:
    m = discover_now(f"{odd}/echo/", headers={"x-cluster": "test"})
    seen = m.services[0].metadata
    assert seen["accept"] == ACCEPT_MANIFESTS
    versions = [f"application/vnd.restate.endpointmanifest.v{v}+json" for v in (1, 2, 3, 4)]
    assert seen["accept"] == ", ".join(versions)
    assert seen["x-cluster"] == "test"
    assert "user-agent" not in seen


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("text", "content-type 'text/plain'"),
        ("badjson", "cannot be decoded: Expecting property name"),
        ("old", "versions [1, 2]"),
        ("nomode", "protocolMode"),
        ("missing", "404 Not Found (is the SDK endpoint served at this path?): no discovery"),
    ],
)
def test_discovery_errors(odd: str, path: str, message: str) -> None:
    with pytest.raises(DiscoveryError, match=re.escape(message)) as info:
        discover_now(f"{odd}/{path}")
    assert "\n" not in str(info.value)


def test_discovery_of_nothing() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(DiscoveryError, match=f"cannot reach {url}/discover: .*Connect call failed") as info:
        discover_now(url, timeout=2)
    assert "\n" not in str(info.value)


def test_pick_protocol_version() -> None:
    def manifest(lo: int, hi: int) -> Manifest:
        return Manifest(
            protocol_mode="REQUEST_RESPONSE",
            min_protocol_version=lo,
            max_protocol_version=hi,
            services=[],
        )

    assert pick_protocol_version(manifest(5, 7)) == 6
    assert pick_protocol_version(manifest(5, 7), runtime_max=7) == 7
    assert pick_protocol_version(manifest(5, 5)) == 5
    with pytest.raises(DiscoveryError):
        pick_protocol_version(manifest(7, 8))
    with pytest.raises(DiscoveryError):
        pick_protocol_version(manifest(1, 4))


# -- attempts against the real SDK ----------------------------------------------------------


def test_greet_golden_response(sdk: str) -> None:
    result = attempt_result(
        sdk, "Proto", "greet", [json_input("World")], version=6, key=None, state=None,
        partial_state=False, retry_count=0, known_entries=None, timeout=10,
    )  # fmt: skip
    assert result.server == "restate-sdk-python/1.3.0"
    assert b"".join(f.encode() for f in result.frames) == (
        bytes.fromhex("040100000000001272100a0e") + b'"Hello World!"' + bytes.fromhex("0003000000000000")
    )


@pytest.mark.parametrize("version", [5, 7])
def test_other_protocol_versions(sdk: str, version: int) -> None:
    frames = attempt(sdk, "Proto", "greet", [json_input("V")], version=version)
    assert output_of(frames).value == b'"Hello V!"'


def test_sleep_suspends_then_wakes_or_is_cancelled(sdk: str) -> None:
    journal = [json_input(5)]
    before = int(time.time() * 1000)
    frames = attempt(sdk, "Proto", "sleepy", journal)
    assert types(frames) == [MessageType.SLEEP, MessageType.SUSPENSION]
    sleep = decode_command(MessageType.SLEEP, frames[0].payload)
    assert 4_000 < sleep.wake_up_time - before < 6_000
    suspension = decode_suspension(frames[1].payload)
    assert (suspension.completion_ids, suspension.signal_indexes) == ({1}, {CANCEL_SIGNAL})
    journal.append(entry(frames[0]))

    woken = [*journal, (MessageType.SLEEP_COMPLETION, encode_sleep_completion(1))]
    assert output_of(attempt(sdk, "Proto", "sleepy", woken)).value == b'"slept"'

    cancel = encode_signal_notification(index=CANCEL_SIGNAL)
    cancelled = [*journal, (MessageType.SIGNAL_NOTIFICATION, cancel)]
    out = output_of(attempt(sdk, "Proto", "sleepy", cancelled))
    assert out.failure == Failure(409, "cancelled")


def test_v7_suspension_carries_a_future(sdk: str) -> None:
    frames = attempt(sdk, "Proto", "sleepy", [json_input(5)], version=7)
    assert types(frames) == [MessageType.SLEEP, MessageType.AWAITING_ON, MessageType.SUSPENSION]
    suspension = decode_suspension(frames[2].payload)
    assert suspension.future is not None
    assert (suspension.completion_ids, suspension.signal_indexes) == ({1}, {CANCEL_SIGNAL})
    awaiting = decode_awaiting_on(frames[1].payload)
    assert awaiting.future == suspension.future


@pytest.mark.parametrize(("version", "flags"), [(6, 0), (7, REQUESTED_ACK)])
def test_run_proposal_then_replay(sdk: str, version: int, flags: int) -> None:
    journal = [json_input(None)]
    frames = attempt(sdk, "Proto", "side", journal, version=version)
    assert types(frames) == [
        MessageType.RUN, MessageType.PROPOSE_RUN_COMPLETION, MessageType.SUSPENSION,
    ]  # fmt: skip
    run = decode_command(MessageType.RUN, frames[0].payload)
    assert (run.name, run.result_completion_id) == ("side", 1)
    assert frames[1].flags == flags
    proposal = decode_propose_run_completion(frames[1].payload)
    assert (proposal.completion_id, proposal.value) == (1, b"42")
    assert decode_suspension(frames[2].payload).completion_ids == {1}

    stored = (MessageType.RUN_COMPLETION, run_completion_from_proposal(proposal))
    replay = attempt(sdk, "Proto", "side", [*journal, entry(frames[0]), stored], version=version)
    assert output_of(replay).value == b"43"


def test_call_and_one_way_send(sdk: str) -> None:
    journal = [json_input("Bob")]
    frames = attempt(sdk, "Proto", "caller", journal)
    assert types(frames) == [MessageType.ONE_WAY_CALL, MessageType.CALL, MessageType.SUSPENSION]
    send = decode_command(MessageType.ONE_WAY_CALL, frames[0].payload)
    assert (send.service, send.handler, send.parameter) == ("Proto", "greet", b'"bg"')
    assert (send.invoke_time, send.invocation_id_notification_idx) == (0, 1)
    call = decode_command(MessageType.CALL, frames[1].payload)
    assert (call.service, call.handler, call.parameter, call.key) == (
        "Proto",
        "greet",
        b'"Bob"',
        "",
    )
    assert (call.invocation_id_notification_idx, call.result_completion_id) == (2, 3)
    suspension = decode_suspension(frames[2].payload)
    assert (suspension.completion_ids, suspension.signal_indexes) == ({3}, {CANCEL_SIGNAL})

    child_1 = encode_call_invocation_id_completion(1, "inv_1child1")
    child_2 = encode_call_invocation_id_completion(2, "inv_1child2")
    journal += [
        entry(frames[0]),
        (MessageType.CALL_INVOCATION_ID_COMPLETION, child_1),
        entry(frames[1]),
        (MessageType.CALL_INVOCATION_ID_COMPLETION, child_2),
    ]
    result = (MessageType.CALL_COMPLETION, encode_call_completion(3, value=b'"Hello Bob!"'))
    assert output_of(attempt(sdk, "Proto", "caller", [*journal, result])).value == (b'"caller:Hello Bob!"')

    cancel = (MessageType.SIGNAL_NOTIFICATION, encode_signal_notification(index=CANCEL_SIGNAL))
    frames = attempt(sdk, "Proto", "caller", [*journal, cancel])
    assert types(frames) == [MessageType.SEND_SIGNAL, MessageType.OUTPUT, MessageType.END]
    signal = decode_command(MessageType.SEND_SIGNAL, frames[0].payload)
    assert (signal.target_invocation_id, signal.signal_index) == ("inv_1child2", CANCEL_SIGNAL)
    assert output_of(frames).failure == Failure(409, "cancelled")


def test_eager_state(sdk: str) -> None:
    full = attempt(sdk, "ProtoObject", "bump", [json_input(5)], key="k", state={"count": b"10"})
    assert types(full)[:2] == [MessageType.GET_EAGER_STATE, MessageType.SET_STATE]
    assert decode_command(MessageType.GET_EAGER_STATE, full[0].payload).value == b"10"
    assert decode_command(MessageType.SET_STATE, full[1].payload).value == b"15"
    assert output_of(full).value == b"15"

    empty = attempt(sdk, "ProtoObject", "bump", [json_input(5)], key="k", state={})
    get = decode_command(MessageType.GET_EAGER_STATE, empty[0].payload)
    assert (get.key, get.value) == ("count", None)
    assert output_of(empty).value == b"5"


def test_partial_state_falls_back_to_lazy_reads(sdk: str) -> None:
    journal = [json_input(5)]
    frames = attempt(sdk, "ProtoObject", "bump", journal, key="k", partial_state=True)
    assert types(frames) == [MessageType.GET_LAZY_STATE, MessageType.SUSPENSION]
    get = decode_command(MessageType.GET_LAZY_STATE, frames[0].payload)
    assert (get.key, get.result_completion_id) == ("count", 1)
    journal += [
        entry(frames[0]),
        (MessageType.GET_LAZY_STATE_COMPLETION, encode_get_lazy_state_completion(1, b"7")),
    ]
    frames = attempt(sdk, "ProtoObject", "bump", journal, key="k", partial_state=True)
    assert decode_command(MessageType.SET_STATE, frames[0].payload).value == b"12"
    assert output_of(frames).value == b"12"


def test_state_keys_and_clearing(sdk: str) -> None:
    state = {"count": b"1", "a": b"2", "b": b"3"}
    frames = attempt(sdk, "ProtoObject", "reset", [json_input(None)], key="k", state=state)
    assert types(frames)[:3] == [
        MessageType.CLEAR_STATE, MessageType.GET_EAGER_STATE_KEYS, MessageType.CLEAR_ALL_STATE,
    ]  # fmt: skip
    assert decode_command(MessageType.CLEAR_STATE, frames[0].payload).key == "count"
    keys = decode_command(MessageType.GET_EAGER_STATE_KEYS, frames[1].payload).keys
    assert sorted(keys) == ["a", "b", "count"]


def test_plain_exception_is_an_attempt_error(sdk: str) -> None:
    frames = attempt(sdk, "Proto", "boom", [json_input(None)])
    assert types(frames) == [MessageType.ERROR]
    error = decode_error(frames[0].payload)
    assert (error.code, error.message) == (500, "Exception('boom')")
    assert "Traceback" in error.stacktrace and error.related_command_index is None


def test_terminal_error_is_the_output(sdk: str) -> None:
    out = output_of(attempt(sdk, "Proto", "teapot", [json_input(None)]))
    assert out.failure == Failure(418, "teapot")
    out = output_of(attempt(sdk, "Proto", "teapot_with_metadata", [json_input(None)]))
    assert out.failure == Failure(418, "teapot", (("brew", "earl grey"),))


def test_run_retries_count_from_start(sdk: str) -> None:
    """ctx.run(max_attempts=2) gives up only when Start says one retry already happened."""
    journal = [json_input(None)]
    frames = attempt(sdk, "Proto", "flaky_run", journal)
    assert types(frames) == [MessageType.RUN, MessageType.ERROR]
    error = decode_error(frames[1].payload)
    assert (error.code, error.message) == (500, "Exception('side effect failed')")
    assert (error.related_command_index, error.related_command_name) == (1, "flaky-step")
    assert (error.related_command_type, error.next_retry_delay) == (MessageType.RUN, 50)
    journal.append(entry(frames[0]))

    again = attempt(sdk, "Proto", "flaky_run", journal, retry_count=0)
    assert types(again) == [MessageType.ERROR]

    frames = attempt(sdk, "Proto", "flaky_run", journal, retry_count=1)
    assert types(frames) == [MessageType.PROPOSE_RUN_COMPLETION, MessageType.SUSPENSION]
    proposal = decode_propose_run_completion(frames[0].payload)
    assert proposal.failure == Failure(500, "Exception('side effect failed')")
    stored = (MessageType.RUN_COMPLETION, run_completion_from_proposal(proposal))
    out = output_of(attempt(sdk, "Proto", "flaky_run", [*journal, stored]))
    assert out.value == b"\"gave up: Exception('side effect failed')\""


def test_signals_and_awakeables(sdk: str) -> None:
    frames = attempt(sdk, "Proto", "wait_signal", [json_input(None)])
    suspension = decode_suspension(frames[0].payload)
    assert (suspension.signal_indexes, suspension.signal_names) == ({CANCEL_SIGNAL}, {"go"})
    go = encode_signal_notification(name="go", value=b'"v"')
    frames = attempt(sdk, "Proto", "wait_signal", [json_input(None), (0xFBFF, go)])
    assert output_of(frames).value == b'"v"'

    out = output_of(attempt(sdk, "Proto", "awakeable_id", [json_input(None)]))
    assert json.loads(out.value) == format_awakeable_id(RAW_ID, 17)


def test_unknown_handler_is_a_failed_attempt(sdk: str) -> None:
    e = failed(sdk, "Proto", "nope")
    assert e.message == "unexpected http status code: 404 Not Found"
    assert e.retry_after is None


def test_unsupported_version_is_a_failed_attempt(sdk: str) -> None:
    assert failed(sdk, "Proto", "greet", version=4).message.startswith(
        "unexpected http status code: 500 Internal Server Error"
    )


def test_short_journal_tears_the_stream(sdk: str) -> None:
    e = failed(sdk, "Proto", "greet", known_entries=2)
    assert e.message == "the server closed the connection while reading the response body"
    assert e.frames == []


def test_many_concurrent_attempts_share_one_client(sdk: str) -> None:
    async def go() -> list[list[Frame]]:
        async with DeploymentClient() as client:
            calls = (invoke(client, sdk, "Proto", "greet", greet_body("x")) for _ in range(96))
            return await asyncio.gather(*calls)

    assert all(output_of(frames).value == b'"Hello x!"' for frames in asyncio.run(go()))


def test_keep_alive_outlives_the_servers_connection_limit(sdk: str) -> None:
    """hypercorn closes a connection after 1000 requests; the client must not notice."""

    async def go() -> list[list[Frame]]:
        async with DeploymentClient() as client:
            return [await invoke(client, sdk, "Proto", "greet", greet_body("x")) for _ in range(1100)]

    assert all(output_of(frames).value == b'"Hello x!"' for frames in asyncio.run(go()))


# -- transport and framing failures ----------------------------------------------------------


@pytest.mark.parametrize("path", ["length", "close"])
def test_bodies_with_length_or_closing_connection(odd: str, path: str) -> None:
    async def go() -> list[list[Frame]]:
        async with DeploymentClient() as client:
            return [await invoke(client, f"{odd}/{path}", "S", "h", b"") for _ in range(3)]

    assert all(output_of(frames).value == b"1" for frames in asyncio.run(go()))


@pytest.mark.parametrize(
    ("path", "message", "retry_after"),
    [
        ("502", "service is temporarily unavailable: 502 Bad Gateway", None),
        ("504", "service is temporarily unavailable: 504 Gateway Timeout", None),
        ("503", "service is rate limited: 503 Service Unavailable (retry after 7s)", 7.0),
        ("429", "service is rate limited: 429 Too Many Requests (retry after 7s)", 7.0),
        ("415", "the SDK does not support protocol version 6, which was negotiated", None),
        ("413", "the service replied with content too large (413)", None),
        ("400", "unexpected http status code: 400 Bad Request: status on purpose", None),
        ("wrongct", "unexpected content type 'text/plain'; expected 'application/vnd", None),
        ("noend", "the response ended without End, Suspension or Error after 1 message", None),
        ("torn", "the response ended inside a frame (5 of 8 bytes received)", None),
        ("afterend", "the deployment sent 1 message(s) after the end of the attempt", None),
    ],
)
def test_failed_attempts(odd: str, path: str, message: str, retry_after: float | None) -> None:
    e = failed(f"{odd}/{path}")
    assert e.message.startswith(message)
    assert e.retry_after == retry_after


def test_frames_before_a_failure_are_kept(odd: str) -> None:
    e = failed(f"{odd}/cut")
    assert e.message == "the server closed the connection while reading the response body"
    assert types(e.frames) == [MessageType.OUTPUT]
    assert types(failed(f"{odd}/afterend").frames) == [MessageType.END]


def test_silent_deployment_times_out(odd: str) -> None:
    started = time.monotonic()
    e = failed(f"{odd}/slow", timeout=0.3)
    # The abort timeout, in restate-server's words and code.
    assert e.message == "the invocation stream was closed after the 'abort timeout' (300ms) fired."
    assert e.code == "RT0001"
    assert time.monotonic() - started < 3


def test_unreachable_deployment() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    e = failed(url)
    assert e.message.startswith(f"cannot connect to {url[7:]}: ")
    assert "Connect call failed" in e.message


@pytest.mark.parametrize("suffix", ["", "/"])
def test_deployment_uri_with_or_without_trailing_slash(sdk: str, suffix: str) -> None:
    frames = attempt(sdk.rstrip("/") + suffix, "Proto", "greet", [json_input("/")])
    assert output_of(frames).value == b'"Hello /!"'
