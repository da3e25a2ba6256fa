"""bash, zsh and fish completing command lines through the committed scripts: the command
tree and fixed values from the scripts alone, live values from real servers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.backend import Backend
from support.completion_data import backend_target, cluster_and_subscription, known_invocations
from support.fake_admin import FakeAdmin
from support.kafka_tree import kafka_app
from support.processes import free_port
from support.shells import Shell, missing, shell_env

from restate_cli.completion import SHELLS
from restate_cli.completion.generate import FILE_NAMES, script
from restate_cli.completion.tree import command_tree

SHELL_PARAMS = [
    pytest.param(name, marks=pytest.mark.skipif(missing(name) is not None, reason=str(missing(name))))
    for name in SHELLS
]

Open = Callable[..., Shell]


@pytest.fixture(params=SHELL_PARAMS)
def shell(request: pytest.FixtureRequest, home: Path, tmp_path: Path) -> Iterator[Open]:
    """Open the shell of this test's parameter with a given environment."""
    opened: list[Shell] = []

    def open_(env: dict[str, str] | None = None, scripts: Path | None = None) -> Shell:
        workdir = tmp_path / f"shell{len(opened)}"
        workdir.mkdir()
        s = Shell(request.param, env or shell_env(home), workdir, *([scripts] if scripts else []))
        opened.append(s)
        return s

    yield open_
    for s in opened:
        s.close()


def scripts_for(app: object, where: Path) -> Path:
    """The three scripts generated from ``app``'s tree, in ``where``."""
    where.mkdir()
    tree = command_tree(app)
    for name in SHELLS:
        (where / FILE_NAMES[name]).write_text(script(name, tree))
    return where


def opts(shell: Shell, line: str, value: str) -> str:
    """bash completes the value after ``--opt=``; zsh and fish the whole word."""
    return value if shell.name == "bash" else line.rsplit(" ", 1)[1].split("=", 1)[0] + "=" + value


# -- from the scripts alone ----------------------------------------------------------------


def test_commands_aliases_prefixes_and_options(shell: Open) -> None:
    sh = shell()
    tree = command_tree()
    assert sh("restate-cli ") == {*tree.commands, *tree.aliases}  # no hidden alias
    assert {"invocations", "inv", "deployments", "dp", "dev", "completions"} <= sh("restate-cli ")
    assert {"list", "ls", "purge", "rm", "restart-as-new", "restart", "get"} <= sh("restate-cli inv ")
    assert sh("restate-cli i l --st") == {"--status"}
    assert sh("restate-cli invo rm --dr") == {"--dry-run"}
    assert {"--status", "--service", "--admin-url", "--time-format", "--json", "-h"} <= sh(
        "restate-cli inv ls --json -"
    )
    assert {"--kill", "--dry-run", "--limit"} <= sh("restate-cli -y inv cancel --")
    assert sh("restate-cli --admin-url http://127.0.0.1:9 dp ") >= {"list", "register", "describe", "remove"}
    assert sh("restate-cli nope ") == set()
    assert sh("restate-cli inv ls --limit ") == set()


def test_fixed_values(shell: Open) -> None:
    sh = shell()
    assert sh("restate-cli -o ") == {"plain", "tsv", "markdown"}
    assert sh("restate-cli inv ls --time-format ") == {"human", "iso8601", "rfc2822"}
    assert sh("restate-cli inv ls --table-style=b") == {
        opts(sh, "restate-cli inv ls --table-style=b", "borders")
    }
    assert sh("restate-cli inv ls --status running,p") == {"running,paused", "running,pending"}
    assert sh("restate-cli inv ls --status ") >= {"pending", "backing-off", "completed"}
    assert sh("restate-cli inv list --completion-result ") == {"success", "failure"}
    assert sh("restate-cli completions install ") == {"bash", "zsh", "fish"}


def test_environments_come_from_the_config_file(shell: Open, home: Path, tmp_path: Path) -> None:
    config = home / ".config" / "restate" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[default]\nx = 1\n[global]\n[global.cloud]\naccess_token = "t"\n[staging]\n'
        'admin_base_url = "http://x"\n  [ "prod" ]\n[dev-1] # mine\n[[array]]\n'
    )
    sh = shell()
    assert sh("restate-cli -e ") == {"local", "staging", "prod", "dev-1"}
    assert sh("restate-cli inv ls --environment s") == {"staging"}
    other = tmp_path / "other.toml"
    other.write_text("[qa]\n")
    assert shell(shell_env(home, {"RESTATE_CLI_CONFIG": str(other)}))("restate-cli -e ") == {"local", "qa"}


def test_file_options_complete_file_names(shell: Open, home: Path, tmp_path: Path) -> None:
    (home / "sub.toml").write_text("")
    sh = shell(shell_env(home), scripts_for(kafka_app(), tmp_path / "scripts"))
    assert sh("restate-cli sub create -f su") == {"sub.toml"}
    line = "restate-cli sub create --from-file=su"
    assert sh(line) == {opts(sh, line, "sub.toml")}


def test_the_tree_and_fixed_values_need_no_python(shell: Open, home: Path, tmp_path: Path) -> None:
    trap = tmp_path / "bin"
    trap.mkdir()
    called = tmp_path / "called"
    (trap / "restate-cli").write_text(f"#!/bin/sh\ntouch {called}\n")
    (trap / "restate-cli").chmod(0o755)
    env = shell_env(home)
    sh = shell({**env, "PATH": f"{trap}:{env['PATH']}"})
    assert sh("restate-cli inv ") and sh("restate-cli -o ") and sh("restate-cli -e ")
    assert sh("restate-cli inv ls --status ") and sh("restate-cli i l --time-format=h")
    assert not called.exists()
    assert sh("restate-cli inv resume --deployment ") == {"latest", "keep"}  # and live ids: asked
    assert called.exists()


# -- live values from real servers --------------------------------------------------------


@pytest.fixture(scope="module")
def known(backend: Backend) -> dict[str, str]:
    return known_invocations(backend)


def test_live_ids_targets_and_names(shell: Open, backend: Backend, home: Path, known) -> None:
    sh = shell(shell_env(home, backend_target(backend)))
    done, paused, key = known["completed"], known["paused"], known["key"]
    assert sh(f"restate-cli inv purge {done[:-3]}") == {done}
    assert sh(f"restate-cli inv purge {paused[:-3]}") == set()
    assert sh(f"restate-cli inv resume {paused[:-3]}") == {paused}
    assert sh(f"restate-cli invocations kill {done[:-3]}") == set()
    described = sh.described(f"restate-cli inv get {done[:-3]}")
    assert set(described) == {done}
    if sh.name != "bash":
        assert described[done] == "Greeter/greet (completed)"
    assert sh("restate-cli inv cancel Gre") == {"Greeter/"}
    assert sh("restate-cli inv ls Greeter/gre") == {"Greeter/greet"}
    assert sh(f"restate-cli inv cancel Counter/{key[:9]}") == {f"Counter/{key}/"}
    assert sh("restate-cli inv ls --service Cou") == {"Counter"}
    assert sh("restate-cli inv ls --service Counter --handler ") == {"add", "get", "hold"}
    deployments = sh("restate-cli dp describe ")
    assert deployments and all(d.startswith("dp_") for d in deployments)


def test_the_command_line_chooses_the_server(shell: Open, backend: Backend, home: Path, known) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    config = home / ".config" / "restate" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[staging]\nadmin_base_url = "{backend.admin_url}"\n')
    sh = shell(shell_env(home, {"RESTATE_ADMIN_URL": dead}))
    done = known["completed"]
    line = f"restate-cli inv describe {done[:-3]}"
    assert sh(line) == set()
    assert sh(f"restate-cli --admin-url {backend.admin_url} inv describe {done[:-3]}") == {done}
    assert sh(f"restate-cli inv describe --admin-url={backend.admin_url} {done[:-3]}") == {done}
    plain = shell(shell_env(home))  # nothing set: the (empty) embedded runtime, or -e
    assert plain(line) == set()
    assert plain(f"restate-cli -e staging inv describe {done[:-3]}") == {done}
    if sh.name != "fish":  # fish's test hook completes at the end of the line only
        assert sh(line, after=f" --admin-url {backend.admin_url}") == {done}
    if sh.name != "bash":  # bash hides VAR=value words from completion functions
        assert sh(f"RESTATE_ADMIN_URL={backend.admin_url} {line}") == {done}


def test_silent_and_bounded_when_the_server_is_down_or_hangs(shell: Open, home: Path) -> None:
    def env(url: str) -> dict[str, str]:
        e = shell_env(home, {"RESTATE_ADMIN_URL": url})
        del e["RESTATE_CLI_COMPLETE_TIMEOUT_MS"]  # the real budget
        return e

    sh = shell(env(f"http://127.0.0.1:{free_port()}"))
    assert sh("restate-cli inv describe inv_1") == set()
    sh("restate-cli inv ")
    static = sh.elapsed
    fake = FakeAdmin("hang")
    try:
        sh = shell(env(fake.url))
        sh("restate-cli inv ")  # start the shell
        started = time.monotonic()
        assert sh("restate-cli inv cancel Greeter/") == set()
        assert time.monotonic() - started < 1.0
        assert sh.elapsed - static < 0.3, (sh.elapsed, static)
    finally:
        fake.close()
    assert fake.requests  # it was asked, and never answered


def test_commands_joining_the_tree_complete_live(
    shell: Open, backend: Backend, home: Path, tmp_path: Path
) -> None:
    if backend.version < "1.7":
        pytest.skip(f"{backend.kind} has no Kafka clusters API (restate-server 1.7+)")
    sh = shell(shell_env(home, backend_target(backend)), scripts_for(kafka_app(), tmp_path / "scripts"))
    with cluster_and_subscription(backend) as made:
        name, sub = made["cluster"], made["subscription"]
        assert sh("restate-cli ") == {"subscriptions", "sub", "kafka-clusters", "kc"}
        assert sh(f"restate-cli sub describe {sub[:-3]}") == {sub}
        assert sh(f"restate-cli sub rm {sub[:-3]}") == {sub}
        assert sh(f"restate-cli subscriptions remove {sub} {sub[:-3]}") == {sub}
        assert sh(f"restate-cli kc delete {name[:5]}") == {name}
        assert sh(f"restate-cli kc create {name[:5]}") == set()
        assert sh(f"restate-cli sub create kafka://{name}/") == {f"kafka://{name}/", f"kafka://{name}/orders"}
        assert sh(f"restate-cli sub create kafka://{name}/orders service://Greeter/gre") == {
            "service://Greeter/greet"
        }
        assert sh("restate-cli sub ls --sink service://Cou") >= {"service://Counter/add"}
