"""state: get, patch, edit and clear on every backend, with the server's version check."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.backend import Backend, unique

EDITOR = f"{sys.executable} {Path(__file__).parent / 'support' / 'editor.py'}"


def counter_with(backend: Backend, n: int, key: str | None = None) -> str:
    key = key or unique()
    assert backend.call(f"Counter/{key}/add", n).status_code == 200
    return key


def entries(cli, key: str, service: str = "Counter") -> dict:
    data = cli("--json", "state", "get", service, key).json()
    return {e["key"]: (e["encoding"], e["value"]) for e in data["entries"]}


def test_get_shows_json_text_and_base64(cli, backend: Backend) -> None:
    key = counter_with(backend, 5)
    r = cli("state", "get", "Counter", key)
    assert r.code == 0, r
    assert "count" in r.out and "5" in r.out and "Version" in r.out
    assert entries(cli, key) == {"count": ("json", 5)}
    assert cli("-q", "state", "get", f"Counter/{key}").lines == ["count"]
    r = cli("state", "patch", "Counter", key, "--binary", "raw=3q2-7w==", "-y")  # not UTF-8
    assert r.code == 0, r
    r = cli("state", "patch", "Counter", key, "--binary", "note=aGVsbG8=", "-y")  # "hello": text, not JSON
    assert r.code == 0, r
    assert entries(cli, key) == {
        "count": ("json", 5),
        "note": ("text", "hello"),
        "raw": ("base64", "3q2-7w=="),
    }
    r = cli("state", "get", "Counter", key)
    assert "(text, not JSON)" in r.out and "(base64: not UTF-8)" in r.out
    binary = cli("--json", "state", "get", "Counter", key, "--binary").json()["entries"]
    assert {e["key"]: e["value"] for e in binary}["count"] == "NQ=="
    r = cli("state", "get", "Counter", unique())
    assert r.code == 0 and "has no state" in r.out


def test_patch_edit_and_clear(cli, backend: Backend) -> None:
    key = counter_with(backend, 5)
    r = cli("state", "patch", "Counter", key, "count=7", "name=bob", "-y")
    assert r.code == 0, r
    assert '"bob"' in r.out and "State of Counter/" in r.out
    assert entries(cli, key) == {"count": ("json", 7), "name": ("json", "bob")}
    assert backend.call(f"Counter/{key}/get").json() == 7  # the handler sees it

    env = {"EDITOR": EDITOR, "EDIT_SCRIPT": "json:{**doc, 'count': doc['count'] + 1, 'list': [1, 2]}"}
    r = cli("-y", "state", "edit", "Counter", key, env=env)
    assert r.code == 0, r
    assert entries(cli, key) == {"count": ("json", 8), "name": ("json", "bob"), "list": ("json", [1, 2])}

    data = cli("--json", "-y", "state", "patch", "Counter", key, "--remove", "list").json()
    assert data["outcome"] == "applied" and data["changes"] == [{"key": "list", "old": [1, 2], "new": None}]
    r = cli("-y", "state", "patch", "Counter", key, "count=8")
    assert r.code == 0 and "No changes" in r.out

    r = cli("-y", "state", "clear", "Counter", key)
    assert r.code == 0, r
    assert entries(cli, key) == {}


def test_refusals_write_nothing(cli, backend: Backend) -> None:
    key = counter_with(backend, 3)
    before = entries(cli, key)
    edit = {"EDITOR": EDITOR}
    r = cli("-y", "state", "edit", "Counter", key, env={**edit, "EDIT_SCRIPT": "write:{not json"})
    assert r.code == 2 and "not valid JSON" in r.err and "nothing was changed" in r.err
    r = cli("-y", "state", "edit", "Counter", key, env={**edit, "EDIT_SCRIPT": "write:[1, 2]"})
    assert r.code == 2 and "must be a JSON object" in r.err
    r = cli("-y", "state", "edit", "Counter", key, env={**edit, "EDIT_SCRIPT": "fail"})
    assert r.code == 1 and "exited with status 3" in r.err
    r = cli("state", "patch", "Counter", key, "count=9")  # no terminal and no --yes
    assert r.code == 2 and "refusing" in r.err
    r = cli("-y", "state", "patch", "Greeter", key, "count=9")
    assert r.code == 2 and "only virtual objects and workflows have state" in r.err
    r = cli("-y", "state", "patch", "Nope", key, "count=9")
    assert r.code == 4 and "no service 'Nope'" in r.err
    assert entries(cli, key) == before
    r = cli("state", "get", "Greeter", key)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    r = cli("state", "get", "Nope", key)
    assert r.code == 4 and "no service 'Nope' is registered" in r.err and len(r.err.strip().splitlines()) == 1


def test_keys_with_quotes_and_percent(cli, backend: Backend) -> None:
    odd = f"it's 100% {unique()}"
    counter_with(backend, 1, odd)
    similar = counter_with(backend, 2, odd.replace("%", "x"))
    assert cli("-y", "state", "patch", "Counter", odd, "count=41").code == 0
    assert entries(cli, odd) == {"count": ("json", 41)}
    assert entries(cli, similar) == {"count": ("json", 2)}  # % is not a wildcard
    assert backend.call(f"Counter/{odd}/get").json() == 41


def test_a_change_waits_for_the_key_and_is_refused_if_the_state_moved(cli, backend: Backend) -> None:
    key = counter_with(backend, 1)
    holder = backend.send(f"Counter/{key}/hold", 2)
    backend.wait_status(holder, "suspended")
    queued = backend.send(f"Counter/{key}/add", 10)  # ahead of the change: it moves the state
    backend.wait_status(queued, "pending")
    r = cli("-y", "state", "patch", "Counter", key, "count=100", "--wait", "20")
    assert r.code == 1, r
    assert f"{holder} (Counter/{key}/hold, suspended) holds the key" in r.err
    assert "did not apply the change" in r.err and "nothing was overwritten" in r.err
    assert "only when the invocations ahead of it on the key have finished" in r.err
    assert len([line for line in r.err.splitlines() if line.startswith("Error")]) == 1
    assert entries(cli, key) == {"count": ("json", 11)}


def test_a_change_behind_a_long_invocation_is_reported_queued(cli, backend: Backend) -> None:
    key = counter_with(backend, 1)
    holder = backend.send(f"Counter/{key}/hold", 3600)
    backend.wait_status(holder, "suspended")
    try:
        data = cli("--json", "-y", "state", "patch", "Counter", key, "count=5", "--wait", "0.5").json()
        assert data["outcome"] == "queued" and data["held_by"]["id"] == holder
        assert entries(cli, key) == {"count": ("json", 1)}
    finally:
        cli("-y", "inv", "kill", holder)
    backend.wait_status(holder, "completed")
    # Killing the holder frees the key: the queued change is applied in its turn.
    backend.wait(holder, lambda _: entries(cli, key) == {"count": ("json", 5)}, 10, "the queued change")


def test_clear_every_key(cli, backend: Backend) -> None:
    first, second = unique(), unique()
    for key in (first, second):
        assert cli("-y", "state", "patch", "KafkaCounter", key, "records=3").code == 0
    r = cli("--json", "-y", "state", "clear", "KafkaCounter")
    assert r.code == 0, r
    results = {e["key"]: e["outcome"] for e in r.json()["results"]}
    assert results[first] == results[second] == "applied"
    assert entries(cli, first, "KafkaCounter") == {} and entries(cli, second, "KafkaCounter") == {}
    r = cli("-y", "state", "clear", "KafkaCounter")
    assert r.code == 4 and "has no state" in r.err


@pytest.mark.parametrize("command", ["get", "edit", "patch", "clear"])
def test_completion_offers_keys_with_state(backend: Backend, home: Path, command: str) -> None:
    import time

    from support.completion_data import backend_env

    from restate_cli.completion.dynamic import candidates

    key = counter_with(backend, 1, unique("compl"))
    env = backend_env(backend, home)
    found = dict(
        candidates(
            "state-key", key[:8], ["state", command, "Counter"], environ=env, deadline=time.monotonic() + 10
        )
    )
    assert found.get(key) == "Counter, 1 state entry"
    services = dict(
        candidates("service:keyed", "", ["state", command], environ=env, deadline=time.monotonic() + 10)
    )
    assert services["Counter"] == "virtual object" and "Greeter" not in services
