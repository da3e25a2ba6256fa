"""Completion scripts: generated from the command tree, committed, installed where shells look."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.kafka_tree import kafka_app

from restate_cli.completion import SHELLS
from restate_cli.completion.generate import FILE_NAMES, script
from restate_cli.completion.tree import command_tree
from restate_cli.completion.values import Source

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("shell", SHELLS)
def test_committed_scripts_match_the_command_tree(shell: str) -> None:
    committed = (ROOT / "completions" / FILE_NAMES[shell]).read_text()
    assert committed == script(shell), (
        f"completions/{FILE_NAMES[shell]} no longer matches the command tree: run scripts/update-completions"
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_scripts_name_no_machine_paths(shell: str) -> None:
    text = script(shell)
    for fragment in (str(ROOT), str(Path.home()), "/tmp/", "/usr/", ".venv"):
        assert fragment not in text


@pytest.mark.parametrize("module", ["restate_cli.completion.values", "restate_cli.completion.generate"])
def test_the_generator_imports_on_its_own(module: str) -> None:
    r = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


def test_tree_has_every_visible_command_alias_and_value_source() -> None:
    tree = command_tree()
    nodes = {c.key: c for c in tree.walk()}
    assert {"invocations", "deployments", "dev", "completions"} <= set(tree.commands)
    assert {"inv": "invocations", "dp": "deployments"}.items() <= tree.aliases.items()
    for alias, target in (*tree.aliases.items(), *tree.hidden_aliases.items()):
        assert target in tree.commands, alias  # sub and kc appear with their commands
    inv = nodes["invocations"]
    assert inv.aliases["rm"] == "purge" and inv.aliases["restart"] == "restart-as-new"
    query = {c.path[-1]: c.arguments[0].source for c in inv.commands.values() if c.path[-1] != "list"}
    assert query["purge"] == Source(live="query:completed")
    assert query["describe"] == Source(live="invocation")
    assert query["resume"] == Source(live="query:ready,running,backing-off,suspended,paused")
    assert query["pause"] == Source(live="query:ready,running,backing-off,suspended")
    assert query["cancel"] == query["kill"]
    assert "completed" not in (query["cancel"].live or "")
    listing = {o.names[-1]: o for o in nodes["invocations list"].options}
    assert listing["--status"].source == Source(
        values=(
            "pending",
            "scheduled",
            "ready",
            "running",
            "backing-off",
            "suspended",
            "paused",
            "completed",
        ),
        comma_list=True,
    )
    assert listing["--dp"].source == Source(live="deployment") and listing["--dp"].names == (
        "--deployment",
        "--dp",
    )
    assert not listing["--all"].takes_value
    globals_ = {o.names[-1]: o.source for o in tree.options}
    assert globals_["--environment"] == Source(environments=True)
    assert globals_["--output"] == Source(values=("plain", "tsv", "markdown"))
    resume = {o.names[-1]: o.source for o in nodes["invocations resume"].options}
    assert resume["--deployment"] == Source(values=("latest", "keep"), live="deployment")
    assert nodes["deployments describe"].arguments[0].source == Source(live="deployment")
    assert nodes["completions generate"].arguments[0].source == Source(values=SHELLS)


def test_commands_joining_the_tree_pick_up_their_completers() -> None:
    nodes = {c.key: c for c in command_tree(kafka_app()).walk()}
    subs = nodes["subscriptions"]
    assert subs.aliases == {"get": "describe", "ls": "list", "rm": "delete"}
    assert subs.hidden_aliases == {"register": "create", "remove": "delete"}
    create = nodes["subscriptions create"]
    assert [(a.name, a.source, a.repeats) for a in create.arguments] == [
        ("SOURCE", Source(live="kafka-source"), False),
        ("SINK", Source(live="sink"), False),
        ("KEY=VALUE", None, True),
    ]
    assert {o.names[-1]: o.source for o in create.options}["--from-file"] == Source(files=True)
    assert {o.names[-1]: o.source for o in nodes["subscriptions list"].options}["--sink"] == Source(
        live="sink"
    )
    assert nodes["subscriptions describe"].arguments[0].source == Source(live="subscription")
    assert nodes["subscriptions delete"].arguments[0].source == Source(live="subscription")
    assert nodes["kafka-clusters describe"].arguments[0].source == Source(live="kafka-cluster")
    assert nodes["kafka-clusters delete"].arguments[0].source == Source(live="kafka-cluster")
    assert nodes["kafka-clusters create"].arguments[0].source is None  # a new name: nothing to offer
    assert "secret" not in nodes["kafka-clusters"].commands


def test_generate_prints_the_script(cli_offline) -> None:
    for shell in SHELLS:
        r = cli_offline("completions", "generate", shell)
        assert (r.code, r.err) == (0, "")
        assert r.out == script(shell)
    assert cli_offline("completions", "generate", env={"SHELL": "/usr/bin/fish"}).out == script("fish")
    assert cli_offline("completions", "generate", env={"SHELL": "/bin/tcsh"}).out == script("bash")
    r = cli_offline("completions", "generate", "tcsh")
    assert r.code == 2 and "unsupported shell 'tcsh'; choose from bash, zsh, fish" in r.err


@pytest.mark.parametrize(
    ("shell", "where", "hint"),
    [
        ("bash", ".local/share/bash-completion/completions/restate-cli", "bash-completion loads it"),
        ("zsh", ".local/share/zsh/site-functions/_restate-cli", "fpath=("),
        ("fish", ".config/fish/completions/restate-cli.fish", "fish loads it"),
    ],
)
def test_install_puts_the_script_where_the_shell_looks(cli_offline, home: Path, shell, where, hint) -> None:
    r = cli_offline("completions", "install", shell)
    assert r.code == 0, r
    path = home / where
    assert path.read_text() == script(shell)
    assert f"{shell} completions installed to: {path}" in r.out
    assert hint in r.err
    r = cli_offline("--json", "completions", "install", shell)
    assert json.loads(r.out) == {"shell": shell, "path": str(path)}


def test_install_follows_the_users_directories(cli_offline, home: Path, tmp_path: Path) -> None:
    (home / ".zsh" / "completions").mkdir(parents=True)
    r = cli_offline("-q", "completions", "install", "zsh")
    assert r.out == f"{home / '.zsh' / 'completions' / '_restate-cli'}\n"
    (home / ".local" / "share" / "zsh" / "site-functions").mkdir(parents=True)
    r = cli_offline("-q", "completions", "install", "zsh")
    assert r.out == f"{home / '.local' / 'share' / 'zsh' / 'site-functions' / '_restate-cli'}\n"
    data, config = tmp_path / "data", tmp_path / "config"
    r = cli_offline("-q", "completions", "install", "bash", env={"XDG_DATA_HOME": str(data)})
    assert r.out == f"{data / 'bash-completion' / 'completions' / 'restate-cli'}\n"
    r = cli_offline("-q", "completions", "install", "fish", env={"XDG_CONFIG_HOME": str(config)})
    assert r.out == f"{config / 'fish' / 'completions' / 'restate-cli.fish'}\n"
    blocked = tmp_path / "file"
    blocked.write_text("")
    r = cli_offline("completions", "install", "fish", env={"XDG_CONFIG_HOME": str(blocked)})
    assert r.code == 1 and r.err.startswith("Error: cannot write ")
