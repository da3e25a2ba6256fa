"""Live completion values (``restate-cli __complete``): the completers against real servers,
and a process that answers in time or not at all, silently."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.backend import Backend
from support.cli import clean_env
from support.completion_data import backend_env, cluster_and_subscription, known_invocations
from support.fake_admin import BEHAVIOURS, FakeAdmin
from support.processes import free_port

from restate_cli.completion.admin_reader import ReadError, in_process_exchange
from restate_cli.completion.dynamic import Line, candidates
from restate_cli.completion.tree import command_tree
from restate_cli.config import Flags, resolve

ROOT = Path(__file__).resolve().parents[1]
ALL_COMMANDS = ("describe", "cancel", "kill", "purge", "pause", "resume", "restart-as-new")


def spec_of(path: str, argument: str) -> str:
    """What the generated scripts pass to ``__complete`` for this argument."""
    node = next(c for c in command_tree().walk() if c.key == path)
    source = next(a.source for a in node.arguments if a.name == argument)
    assert source is not None and source.live
    return source.live


def offered(spec: str, current: str, env: dict[str, str], words: tuple[str, ...] = ()) -> dict[str, str]:
    found = candidates(spec, current, list(words), environ=env, deadline=time.monotonic() + 10)
    return dict(found)


@pytest.fixture(scope="module")
def known(backend: Backend) -> dict[str, str]:
    return known_invocations(backend)


# -- against real servers --------------------------------------------------------------


def test_invocation_ids_are_those_each_command_acts_on(backend: Backend, home: Path, known) -> None:
    env = backend_env(backend, home)
    expected = {
        "describe": {"completed", "paused", "suspended"},
        "cancel": {"paused", "suspended"},
        "kill": {"paused", "suspended"},
        "purge": {"completed"},
        "restart-as-new": {"completed"},
        "pause": {"suspended"},
        "resume": {"paused", "suspended"},
    }
    for command in ALL_COMMANDS:
        argument = "INVOCATION_ID" if command == "describe" else "QUERY"
        spec = spec_of(f"invocations {command}", argument)
        got = set()
        for status in ("completed", "paused", "suspended"):
            inv = known[status]
            found = offered(spec, inv[:-3], env)
            if inv in found:
                got.add(status)
                assert found[inv].startswith("Greeter/"), found
        assert got == expected[command], command
    found = offered("invocation", known["completed"][:-3], env)
    assert found == {known["completed"]: "Greeter/greet (completed)"}


def test_query_walks_services_handlers_and_keys(backend: Backend, home: Path, known) -> None:
    env = backend_env(backend, home)
    cancel = spec_of("invocations cancel", "QUERY")
    purge = spec_of("invocations purge", "QUERY")
    top = offered(cancel, "", env)
    assert top["Greeter/"] == "service" and top["Counter/"] == "virtual object"
    assert known["paused"] in top and known["completed"] not in top
    assert set(offered(cancel, "Gre", env)) == {"Greeter/"}
    assert {"Greeter/greet", "Greeter/sleepy"} <= set(offered(cancel, "Greeter/", env))
    assert set(offered(cancel, "Greeter/gre", env)) == {"Greeter/greet"}
    key = known["key"]
    assert offered(cancel, f"Counter/{key[:4]}", env)[f"Counter/{key}/"] == "1 invocation"
    assert f"Counter/{key}/" not in offered(purge, f"Counter/{key[:4]}", env)  # nothing to purge there
    assert set(offered(cancel, f"Counter/{key}/", env)) == {
        f"Counter/{key}/{h}" for h in ("add", "hold", "get")
    }
    assert offered(cancel, "Nope/", env) == {}


def test_services_handlers_keys_and_deployments(backend: Backend, home: Path, known) -> None:
    env = backend_env(backend, home)
    services = offered("service", "", env)
    assert services["Greeter"] == "service" and services["Counter"] == "virtual object"
    assert set(offered("service", "Greeter,Cou", env)) == {"Greeter,Counter"}
    handlers = offered("handler", "", env, ("inv", "ls", "--service", "Counter"))
    assert set(handlers) == {"add", "hold", "get"} and handlers["add"] == "Counter"
    assert "greet" in offered("handler", "", env)
    keys = offered("key", known["key"][:5], env, ("--service=Counter",))
    assert keys[known["key"]].startswith("Counter, ")
    deployments = offered("deployment", "dp_", env)
    assert deployments and all(k.startswith("dp_") for k in deployments)
    assert any(v.startswith("http://127.0.0.1:") for v in deployments.values())


def test_the_command_line_chooses_the_server(backend: Backend, home: Path, known) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    env = clean_env(home, {"RESTATE_ADMIN_URL": dead})
    inv = known["completed"]
    with pytest.raises(ReadError):
        offered("invocation", inv[:-3], env)
    assert inv in offered("invocation", inv[:-3], env, ("inv", "describe", "--admin-url", backend.admin_url))
    assert inv in offered("invocation", inv[:-3], env, (f"--admin-url={backend.admin_url}",))
    config = home / ".config" / "restate" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[staging]\nadmin_base_url = "{backend.admin_url}"\n')
    env.pop("RESTATE_ADMIN_URL")
    assert inv in offered("invocation", inv[:-3], env, ("-e", "staging"))
    assert inv in offered("invocation", inv[:-3], env, ("-estaging",))
    assert inv in offered("invocation", inv[:-3], {**env, "RESTATE_ENVIRONMENT": "staging"})


@pytest.fixture
def kafka(backend: Backend) -> Iterator[dict[str, str]]:
    if backend.version < "1.7":
        pytest.skip(f"{backend.kind} has no Kafka clusters API (restate-server 1.7+)")
    with cluster_and_subscription(backend) as created:
        yield created


def test_subscriptions_and_kafka(backend: Backend, home: Path, kafka) -> None:
    env = backend_env(backend, home)
    name, sub = kafka["cluster"], kafka["subscription"]
    assert offered("subscription", "sub_", env)[sub] == f"kafka://{name}/orders -> service://Greeter/greet"
    clusters = offered("kafka-cluster", name[:3], env)
    assert clusters[name].startswith("127.0.0.1:")
    assert f"kafka://{name}/" in offered("kafka-source", "", env)
    assert set(offered("kafka-source", f"kafka://{name}", env)) == {f"kafka://{name}/"}
    assert offered("kafka-source", f"kafka://{name}/", env) == {
        f"kafka://{name}/": clusters[name],
        f"kafka://{name}/orders": "topic of 1 subscription",
    }
    assert offered("kafka-source", "service://", env) == {}
    sinks = offered("sink", "service://Gre", env)
    assert sinks["service://Greeter/greet"] == "service"
    assert offered("sink", "service://Counter/", env)["service://Counter/add"] == "virtual object"


# -- the embedded runtime with no dev process ---------------------------------------------


def test_embedded_runtime_in_process(home: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = clean_env(home, {"RESTATE_CLI_HOME": str(data)})
    with pytest.raises(ReadError):
        offered("kafka-cluster", "", env)
    assert not data.exists()  # a completion never creates the data directory
    data.mkdir()
    settings = resolve(env, Flags())
    body = json.dumps({"name": "local-kafka", "properties": {"bootstrap.servers": "127.0.0.1:1"}}).encode()
    status, _ = in_process_exchange(
        settings, "POST", "kafka-clusters", body, {"content-type": "application/json"}
    )
    assert status == 201
    query = json.dumps({"query": "SELECT 1 AS one"}).encode()
    status, answer = in_process_exchange(
        settings, "POST", "query", query, {"content-type": "application/json", "accept": "application/json"}
    )
    assert (status, json.loads(answer)) == (200, {"rows": [{"one": 1}]})
    assert offered("kafka-cluster", "", env) == {"local-kafka": "127.0.0.1:1"}
    assert offered("service", "", env) == {}
    r = run_complete(["kafka-cluster", ""], {**env, **RELAXED})
    assert (r.returncode, r.stdout, r.stderr) == (0, "local-kafka\t127.0.0.1:1\n", "")


# -- the process: bounded, silent, light -------------------------------------------------


RELAXED = {"RESTATE_CLI_COMPLETE_TIMEOUT_MS": "5000"}  # for tests of what, not of when


def run_complete(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "restate_cli", "__complete", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=env["HOME"],
        timeout=10,
    )


@pytest.mark.parametrize("behaviour", [b for b in BEHAVIOURS if b not in ("ok", "chunked")])
def test_nothing_but_silence_when_the_server_misbehaves(behaviour: str, home: Path) -> None:
    fake = FakeAdmin(behaviour)
    try:
        env = clean_env(home, {"RESTATE_ADMIN_URL": fake.url})
        started = time.monotonic()
        r = run_complete(["service", ""], env)
        elapsed = time.monotonic() - started
    finally:
        fake.close()
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert elapsed < 0.3, f"{behaviour}: {elapsed:.3f}s"


def test_nothing_when_the_server_is_down_or_the_config_is_broken(home: Path) -> None:
    env = clean_env(home, {"RESTATE_ADMIN_URL": f"http://127.0.0.1:{free_port()}"})
    r = run_complete(["query", "", "inv", "cancel"], env)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    config = home / ".config" / "restate" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("this is [not toml")
    for args in (["service", ""], ["service", "", "-e", "nowhere"], ["no-such-completer", ""], []):
        r = run_complete(args, clean_env(home))
        assert (r.returncode, r.stdout, r.stderr) == (0, "", ""), args


@pytest.mark.parametrize("behaviour", ["ok", "chunked"])
def test_reads_plain_and_chunked_answers_with_the_token(behaviour: str, home: Path) -> None:
    fake = FakeAdmin(behaviour)
    try:
        env = clean_env(
            home, {"RESTATE_ADMIN_URL": fake.url + "/admin/", "RESTATE_AUTH_TOKEN": "s3cret", **RELAXED}
        )
        r = run_complete(["query", "", "inv", "cancel"], env)
    finally:
        fake.close()
    assert (r.returncode, r.stdout, r.stderr) == (0, "Greeter/\tservice\nCounter/\tvirtual object\n", "")
    query, services = fake.requests
    assert query.startswith(b"POST /admin/query HTTP/1.1\r\n")
    assert services.startswith(b"GET /admin/services HTTP/1.1\r\n")
    assert b"\r\nauthorization: Bearer s3cret\r\n" in services


def test_no_id_query_for_what_cannot_be_an_id(home: Path) -> None:
    fake = FakeAdmin("ok")
    try:
        r = run_complete(
            ["query", "Gr", "inv", "cancel"], clean_env(home, {"RESTATE_ADMIN_URL": fake.url, **RELAXED})
        )
    finally:
        fake.close()
    assert r.stdout == "Greeter/\tservice\n"
    assert [q.split(b" ", 2)[:2] for q in fake.requests] == [[b"GET", b"/services"]]


def test_the_completion_process_stays_light(home: Path) -> None:
    fake = FakeAdmin("ok")
    code = (
        "import sys\n"
        "from restate_cli.completion.dynamic import candidates\n"
        "found = candidates('service', '', [])\n"
        "heavy = {'typer', 'rich', 'pydantic', 'httpx', 'asyncio', 'restate_cli.app'} & set(sys.modules)\n"
        "print(len(found), sorted(heavy))\n"
    )
    try:
        env = clean_env(home, {"RESTATE_ADMIN_URL": fake.url})
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=10)
    finally:
        fake.close()
    assert r.stdout == "2 []\n", r.stderr


def test_line_options() -> None:
    line = Line(["inv", "ls", "--service", "a,b", "--service=c", "-eprod", "--", "--service", "x"])
    assert line.listed("--service") == ["a", "b", "c"]
    assert line.last("-e", "--environment") == "prod"
    assert Line(["-e", "dev", "--environment=stage"]).values("-e", "--environment") == ["dev", "stage"]
    assert Line(["--insecure-skip-tls-verify"]).has("--insecure-skip-tls-verify")
    assert Line(["--service"]).values("--service") == []


def test_the_budget_counts_the_interpreter_start_and_can_be_changed(home: Path) -> None:
    from restate_cli.completion import dynamic

    assert 0 <= dynamic._age() < 3600
    assert dynamic.budget({}) == dynamic.BUDGET == 0.25
    assert dynamic.budget({"RESTATE_CLI_COMPLETE_TIMEOUT_MS": "800"}) == 0.8
    assert dynamic.budget({"RESTATE_CLI_COMPLETE_TIMEOUT_MS": "1"}) == 0.05
    assert dynamic.budget({"RESTATE_CLI_COMPLETE_TIMEOUT_MS": "soon"}) == 0.25
    fake = FakeAdmin("hang")
    try:
        env = clean_env(home, {"RESTATE_ADMIN_URL": fake.url, "RESTATE_CLI_COMPLETE_TIMEOUT_MS": "600"})
        started = time.monotonic()
        r = run_complete(["service", ""], env)
        elapsed = time.monotonic() - started
    finally:
        fake.close()
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert 0.55 < elapsed < 1.5
