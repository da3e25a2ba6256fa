"""sql, config and whoami; and bulk actions that select by list's filters and by age."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from support.backend import Backend, unique

EDITOR = f"{sys.executable} {Path(__file__).parent / 'support' / 'editor.py'}"


# -- sql ---------------------------------------------------------------------------------


def test_sql_outputs(cli, backend: Backend) -> None:
    key = unique()
    backend.call(f"Counter/{key}/add", 3)
    query = f"SELECT service_key, key, value_utf8 FROM state WHERE service_key = '{key}'"
    r = cli("sql", query)
    assert r.code == 0, r
    assert r.lines[0].split() == ["SERVICE_KEY", "KEY", "VALUE_UTF8"] and key in r.out
    assert "1 row. Query took" in r.err
    assert cli("--json", "sql", query).json() == [{"service_key": key, "key": "count", "value_utf8": "3"}]
    assert [json.loads(line) for line in cli("sql", "--jsonl", query).lines] == [
        {"service_key": key, "key": "count", "value_utf8": "3"}
    ]
    assert cli("-o", "tsv", "sql", query).lines == ["service_key\tkey\tvalue_utf8", f"{key}\tcount\t3"]
    assert cli("-q", "sql", query).lines == [key]
    r = cli("sql", "SELECT * FROM state WHERE service_key = 'no such key'")
    assert r.code == 0 and r.out == "" and "0 rows" in r.err


def test_sql_errors_are_one_line(cli, backend: Backend) -> None:
    r = cli("sql", "SELECT * FROM no_such_table")
    assert r.code == 1 and "no_such_table" in r.err and len(r.err.strip().splitlines()) == 1
    if backend.embedded:
        r = cli("sql", "SELECT date_trunc('hour', created_at) FROM sys_invocation")
        assert r.code == 1 and len(r.err.strip().splitlines()) == 1
        assert (
            "the embedded runtime cannot run this query" in r.err and "Invalid function 'date_trunc'" in r.err
        )
        r = cli("sql", "DELETE FROM sys_invocation")
        assert r.code == 1 and "DML not supported" in r.err


# -- config ------------------------------------------------------------------------------


def write_config(home: Path, text: str) -> Path:
    path = home / ".config" / "restate" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_environments_are_shared_with_the_official_cli(cli_offline, home: Path, backend: Backend) -> None:
    path = write_config(
        home, f'[staging]\nadmin_base_url = "{backend.admin_url}"\nbearer_token = "s3cret"\n[prod]\n'
    )
    r = cli_offline("config", "list-env")
    assert r.code == 0, r
    assert [line.split()[0] for line in r.lines[1:]] == ["local", "prod", "staging"]
    r = cli_offline("config", "use-env", "staging")
    assert r.code == 0 and f"Updated {path.parent / 'environment'} to staging" in r.out
    assert (path.parent / "environment").read_text() == "staging"
    listed = {e["name"]: e for e in cli_offline("--json", "config", "list-environments").json()}
    assert listed["staging"]["current"] and listed["staging"]["bearer_token"] == "***"
    r = cli_offline("config", "use-environment", "nope")
    assert r.code == 4 and "environments: local, prod, staging" in r.err
    assert (path.parent / "environment").read_text() == "staging"
    r = cli_offline("config", "view")
    assert 'bearer_token = "***"' in r.out and "s3cret" not in r.out + r.err
    assert "s3cret" not in cli_offline("--json", "config", "view").out
    who = cli_offline("--json", "whoami").json()
    assert (who["environment"], who["environment_source"]) == ("staging", "file")
    assert who["admin_url"] == backend.admin_url + "/" and who["bearer_token"] == "(set)"
    assert who["reachable"] and who["admin_api_version"] == backend.api_version


def test_config_edit(cli_offline, home: Path) -> None:
    path = write_config(home, '[a]\nadmin_base_url = "http://127.0.0.1:1"\n')
    env = {"EDITOR": EDITOR, "EDIT_SCRIPT": "127.0.0.1:1 -> 127.0.0.1:2"}
    r = cli_offline("-y", "config", "edit", env=env)
    assert r.code == 0, r
    assert '-admin_base_url = "http://127.0.0.1:1"' in r.out and "Saved" in r.out
    assert "127.0.0.1:2" in path.read_text()
    r = cli_offline("-y", "config", "edit", env={**env, "EDIT_SCRIPT": "write:[a\nbroken"})
    assert r.code == 2 and "not valid TOML" in r.err and "was not changed" in r.err
    assert "127.0.0.1:2" in path.read_text()
    r = cli_offline("config", "edit", env=env)
    assert r.code == 2 and "refusing" in r.err


def test_a_config_file_that_is_not_toml(cli_offline, home: Path) -> None:
    write_config(home, "this is [not toml\n")
    for args in (("config", "list-env"), ("whoami",), ("inv", "ls")):
        r = cli_offline(*args)
        assert r.code == 2, r
        assert "is not valid TOML" in r.err and len(r.err.strip().splitlines()) == 1
    assert "this is [not toml" in cli_offline("config", "view").out


def test_whoami(cli, backend: Backend) -> None:
    data = cli("--json", "whoami").json()
    assert data["reachable"] and data["admin_api_version"] == backend.api_version
    assert data["embedded"] == backend.embedded
    if backend.embedded:
        assert data["server"].startswith("embedded runtime") and data["data_dir"] == str(backend.data_dir)
        assert data["dev"]["pid"] and data["ingress_url"] == backend.ingress_url + "/"
    else:
        assert data["server"] == f"restate-server {backend.version}"
    r = cli("whoami")
    assert r.code == 0 and "Admin API" in r.out


def test_whoami_unreachable(cli_offline) -> None:
    r = cli_offline("whoami", env={"RESTATE_ADMIN_URL": "http://127.0.0.1:9"})
    assert r.code == 3 and "not reachable" in r.out and "cannot reach" in r.err


# -- bulk actions by criteria ------------------------------------------------------------


def test_bulk_actions_by_filters_and_age(cli, backend: Backend) -> None:
    key = unique()
    old = [backend.send(f"Counter/{key}/hold", 3600)]
    backend.wait_status(old[0], "suspended")
    old.append(backend.send(f"Counter/{key}/add", 1))
    backend.wait_status(old[1], "pending")
    time.sleep(1.1)
    cutoff = datetime.now(UTC).isoformat()
    time.sleep(0.1)
    new = backend.send(f"Counter/{key}/add", 2)
    backend.wait_status(new, "pending")

    r = cli(
        "--json", "inv", "kill", "--service", "Counter", "--key", key, "--created-before", cutoff, "--dry-run"
    )
    assert r.code == 0, r
    data = r.json()
    assert {i["id"] for i in data["invocations"]} == set(old)
    assert data["query"] is None and data["filters"] == {
        "service": "Counter",
        "key": key,
        "created-before": cutoff,
    }
    r = cli(
        "--json", "inv", "cancel", f"Counter/{key}", "--status", "pending", "--older-than", "1s", "--dry-run"
    )
    assert {i["id"] for i in r.json()["invocations"]} == {old[1]}

    r = cli("-y", "inv", "kill", "--key", key, "--handler", "add", "--created-before", cutoff, "--wait", "0")
    assert r.code == 0, r
    backend.wait_gone(old[1])
    assert backend.status(new) == "pending" and backend.status(old[0]) == "suspended"
    r = cli("-y", "inv", "kill", "--key", key, "--older-than", "1h")
    assert r.code == 4 and "no invocations found for --key" in r.err
    assert cli("-y", "inv", "kill", "--key", key, "--handler", "hold", "--wait", "0").code == 0
    backend.wait_status(old[0], "completed")
    backend.wait_status(new, "completed")  # the key is free: the last add ran
    r = cli("-q", "-y", "inv", "purge", "--key", key, "--service", "Counter")
    assert r.code == 0 and set(r.lines) == {old[0], new}


def test_environment_names_complete_for_use_env() -> None:
    from restate_cli.completion.tree import command_tree

    node = next(c for c in command_tree().walk() if c.key == "config use-environment")
    source = node.arguments[0].source
    assert source is not None and source.environments
    assert "config" in command_tree().commands and "list-env" in command_tree().commands["config"].aliases
