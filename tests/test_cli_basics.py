"""The command line itself: help, version, aliases, global options anywhere, usage errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from restate_cli.app import hoist_global_options


def test_version_and_help_are_light(cli_proc) -> None:
    r = cli_proc("--version")
    assert r.code == 0 and r.out.startswith("restate-cli ")
    code = (
        "import sys; from restate_cli.app import main; main(['--help']);"
        "heavy = {'httpx', 'pydantic', 'rich.table', 'restate_cli.embedded.engine'} & set(sys.modules);"
        "print('HEAVY', sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out
    assert "invocations" in out


def test_console_script_entry_point(cli_proc) -> None:
    r = cli_proc("invocations", "--help")
    assert r.code == 0
    for verb in (
        "list",
        "describe",
        "cancel",
        "kill",
        "purge",
        "pause",
        "resume",
        "restart-as-new",
        "tree",
    ):
        assert verb in r.out


@pytest.mark.parametrize(
    ("argv", "hoisted"),
    [
        (["inv", "ls", "--json"], ["--json", "inv", "ls"]),
        (
            ["inv", "kill", "X", "-y", "--admin-url", "http://h:1"],
            ["-y", "--admin-url", "http://h:1", "inv", "kill", "X"],
        ),
        (["sub", "create", "a", "b", "k=v", "--yes"], ["--yes", "sub", "create", "a", "b", "k=v"]),
        (["inv", "ls", "-ojson", "-yq"], ["-ojson", "-yq", "inv", "ls"]),
        (["inv", "ls", "--", "-y"], ["inv", "ls", "--", "-y"]),
        (["inv", "ls", "--time-format=iso8601"], ["--time-format=iso8601", "inv", "ls"]),
    ],
)
def test_global_options_work_anywhere(argv: list[str], hoisted: list[str]) -> None:
    assert hoist_global_options(argv) == hoisted


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["inv", "ls", "--status", "bogus"], "unknown status 'bogus'"),
        (["inv", "ls", "--status", "runing"], "unknown status 'runing'. Did you mean 'running'"),
        (["inv", "ls", "--status", "backingoff"], "Did you mean 'backing-off'?"),
        (["inv", "ls", "--completion-result", "sucess"], "Did you mean 'success'?"),
        (["-o", "tvs", "inv", "ls"], "'tvs' is not one of plain, tsv, markdown. Did you mean 'tsv'?"),
        (["--time-format", "iso", "inv", "ls"], "Did you mean 'iso8601'?"),
        (["inv", "ls", "--completion-result", "success", "--all"], "cannot be combined with --all"),
        (["inv", "ls", "--limit", "0"], "--limit must be at least 1"),
        (["inv", "ls", "-n", "0", "-w"], "-n/--interval must be positive"),
        (["--json", "-q", "inv", "ls"], "--json, -q and -o cannot be combined"),
        (["-o", "xml", "inv", "ls"], "'xml' is not one of plain, tsv, markdown"),
        (["inv", "cancel", "inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4r!"], "base62 decode error"),
        (["inv", "resume", "--deployment", "nope", "X"], "--deployment must be a deployment id"),
        (["inv", "tree", "inv_123"], "bad length"),
        (
            ["inv", "tree", "--depth", "-1", "inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf"],
            "--depth must be 0 or more",
        ),
        (["inv", "frobnicate"], "No such command"),
        (["d", "ls"], "'d' is ambiguous: it could be deployments or dev"),
        (["inv", "p", "X"], "'p' is ambiguous: it could be pause or purge"),
        (["invocatons", "ls"], "No such command 'invocatons'. Did you mean 'invocations'?"),
        (["inv", "lsit"], "Did you mean 'list' or 'ls'?"),
        (["inv", "cancel"], "say which invocations to cancel: give a QUERY"),
        (["inv", "kill", "--older-than", "3x"], "--older-than: '3x': unknown unit 'x'"),
        (["inv", "kill", "--created-before", "yesterday"], "--created-before: 'yesterday' is not a date"),
        (["inv", "kill", "--older-than", "1h", "--created-before", "2026-01-01"], "cannot be combined"),
        (["inv", "purge", "--status", "running"], "purge works only on completed invocations"),
        (["inv", "resume", "--status", "bogus"], "unknown status 'bogus'"),
        (["svc", "config", "patch", "Greeter"], "nothing to change"),
        (
            ["svc", "config", "patch", "Greeter", "--abort-timeout", "soon"],
            "abort-timeout: 'soon' is not a duration",
        ),
        (["svc", "config", "patch", "Greeter", "--public", "maybe"], "public in flags must be true or false"),
        (["state", "get", "Counter"], "give the key too"),
        (["state", "patch", "Counter", "k"], "nothing to change"),
        (["state", "patch", "Counter", "k", "novalue"], "expected NAME=VALUE"),
        (["state", "patch", "Counter", "k", "a=1", "--remove", "a"], "'a' is both set and removed"),
        (["state", "patch", "Counter", "k", "--binary", "a=!!"], "is not base64"),
        (["state", "edit", "Counter", "k"], "refusing to change the state of Counter/k without confirmation"),
        (["sql", " "], "the query is empty"),
        (["--json", "sql", "--jsonl", "select 1"], "--jsonl cannot be combined"),
        (["s", "ls"], "'s' is ambiguous: it could be"),
    ],
)
def test_usage_errors_exit_2_before_any_request(cli_offline, args: list[str], message: str | None) -> None:
    r = cli_offline(*args, env={"RESTATE_ADMIN_URL": "http://127.0.0.1:9"})
    assert r.code == 2, r
    if message:
        assert message in r.err
    assert "Traceback" not in r.err
    assert "cannot reach" not in r.err


def test_aliases_and_prefixes(cli_offline) -> None:
    for argv in (["inv", "ls", "--help"], ["invocations", "list", "--help"], ["i", "l", "--help"]):
        r = cli_offline(*argv)
        assert r.code == 0, r
        assert "List invocations" in r.out
    assert cli_offline("inv", "rm", "--help").out.count("Delete completed invocations") == 1


@pytest.mark.parametrize("args", [["inv", "ls"], ["dev"]])
def test_unusable_data_directory_is_one_clear_line(cli_offline, tmp_path, args: list[str]) -> None:
    bad = tmp_path / "not-a-db"
    bad.mkdir()
    (bad / "restate.db").write_text("garbage")
    r = cli_offline(*args, env={"RESTATE_CLI_HOME": str(bad)})
    assert r.code == 1
    assert r.err.startswith(f"Error: cannot open the embedded runtime's data in {bad}")
    assert len(r.err.strip().splitlines()) == 1


def test_usage_lines_name_arguments_plainly(cli_offline) -> None:
    """Typer writes a required argument as ``{query}``; ours say ``QUERY``."""
    import typer

    from restate_cli.app import app

    root = typer.main.get_command(app)
    seen = 0
    for group_name in root.list_commands(None):
        group = root.get_command(None, group_name)
        for name in getattr(group, "list_commands", lambda _: [None])(None):
            argv = [group_name] + ([name] if name else [])
            usage = cli_offline(*argv, "--help").out.splitlines()[0]
            assert usage.startswith("Usage: restate-cli ") and "{" not in usage, usage
            seen += 1
    assert seen > 20
    r = cli_offline("inv", "describe")
    assert r.code == 2 and "Usage: restate-cli invocations describe [OPTIONS] INVOCATION_ID" in r.err, r
    assert "Missing argument 'INVOCATION_ID'" in r.err
