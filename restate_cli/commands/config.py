"""``restate-cli config``: the official CLI's config file and environment file, shared with it.

The config file is ``$RESTATE_CLI_CONFIG`` or ``<config dir>/config.toml``; the environment
file ``<config dir>/environment`` names the current environment (``$RESTATE_CLI_CONFIG_HOME``,
default ``~/.config/restate``). Tokens are never printed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from restate_cli.app import group
from restate_cli.commands._common import confirm, runtime
from restate_cli.errors import CliError, NotFound, UsageError

app = group(
    "List and choose environments, view and edit the config file (shared with the official CLI).",
    aliases={"list-env": "list-environments", "use-env": "use-environment"},
)

BUILT_IN = "local"
SECRET_KEYS = ("bearer_token", "access_token")
_SECRET_LINE = re.compile(r'^(\s*(?:"?)(?:bearer_token|access_token)(?:"?)\s*=\s*).*$', re.MULTILINE)


def _paths() -> tuple[Path, Path, dict[str, str]]:
    from restate_cli.config import config_dir, config_file, process_environ

    environ = process_environ()
    return config_file(environ), config_dir(environ) / "environment", environ


def _environments(path: Path) -> dict[str, dict[str, Any]]:
    """The profiles of the config file, ``local`` first; ``default`` and ``global`` left out."""
    from restate_cli.config import load_config_file

    profiles = load_config_file(path)
    out: dict[str, dict[str, Any]] = {BUILT_IN: {"admin_base_url": "http://127.0.0.1:9070/"}}
    for name, section in sorted(profiles.items()):
        if name not in ("default", "global"):
            out[name] = {**out.get(name, {}), **section}
    return out


def masked(text: str) -> str:
    """The config text with the values of token keys replaced by ``"***"``."""
    return _SECRET_LINE.sub(lambda m: f'{m.group(1)}"***"', text)


@app.command("list-environments")
def list_cmd(ctx: typer.Context) -> None:
    """List the environments of the config file, marking the current one."""
    from restate_cli.config import Flags, selected_environment
    from restate_cli.render.output import write_json, write_lines, write_rows

    rt = runtime(ctx)
    path, _, environ = _paths()
    envs = _environments(path)
    current = selected_environment(environ, Flags(environment=rt.flags.environment))[0]
    if rt.output.json:
        write_json(
            rt.io,
            [
                {
                    "name": name,
                    "current": name == current,
                    "admin_base_url": env.get("admin_base_url"),
                    "ingress_base_url": env.get("ingress_base_url"),
                    "environment_type": env.get("environment_type", "default"),
                    "bearer_token": "***" if env.get("bearer_token") else None,
                }
                for name, env in envs.items()
            ],
        )
        return
    if rt.output.quiet:
        write_lines(rt.io, list(envs))
        return
    rows = [
        ("*" if n == current else "", n, str(e.get("admin_base_url") or "(none)")) for n, e in envs.items()
    ]
    write_rows(rt.io, ("CURRENT", "NAME", "ADMIN_BASE_URL"), rows, rt.output)
    from restate_cli.render.output import notice, warn

    if current is None:
        notice(
            rt.io,
            "No environment is selected: commands use $RESTATE_ADMIN_URL, or else the embedded runtime.",
        )
    elif current not in envs:
        warn(rt.io, f"the current environment {current!r} is not in {path}")


@app.command("use-environment")
def use_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="An environment of the config file"),
) -> None:
    """Make NAME the current environment (written to the environment file)."""
    from restate_cli.render.output import success, write_json, write_lines

    rt = runtime(ctx)
    path, env_file, _ = _paths()
    name = name.strip()
    envs = _environments(path)
    if name not in envs:
        raise NotFound(
            f"no environment {name!r} in {path}",
            hint=f"environments: {', '.join(envs)}; add one with restate-cli config edit",
        )
    _write(env_file, name)
    if rt.output.json:
        write_json(rt.io, {"environment": name, "file": str(env_file)})
    elif rt.output.quiet:
        write_lines(rt.io, [name])
    else:
        success(rt.io, f"Updated {env_file} to {name}")


@app.command("view")
def view_cmd(ctx: typer.Context) -> None:
    """Print the config file (tokens shown as ***); --json prints it parsed."""
    from restate_cli.render.output import notice, write_json

    rt = runtime(ctx)
    path, _, _ = _paths()
    if rt.output.json:
        from restate_cli.config import load_config_file

        write_json(rt.io, _mask_json(load_config_file(path)))
        return
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        notice(rt.io, f"No config file at {path} (restate-cli config edit creates one).")
        return
    except (OSError, UnicodeDecodeError) as e:
        raise CliError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    notice(rt.io, f"{path}:")
    rt.io.out.write(masked(text))
    rt.io.out.flush()


def _mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if k in SECRET_KEYS and v else _mask_json(v)) for k, v in value.items()}
    return value


TEMPLATE = """\
# restate-cli and the official restate CLI read this file.
# Each [section] is an environment; choose one with `restate-cli config use-env NAME` or -e NAME.
#
# [my-env]
# admin_base_url = "http://127.0.0.1:9070"
# bearer_token = "..."
"""


@app.command("edit")
def edit_cmd(ctx: typer.Context) -> None:
    """Edit the config file in $EDITOR; the change is checked (TOML) and shown before it is saved."""
    import tomllib

    from restate_cli.commands import _edit
    from restate_cli.render.output import success

    rt = runtime(ctx)
    path, _, _ = _paths()
    _edit.require_answer(rt, f"change {path}")
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = ""
    except (OSError, UnicodeDecodeError) as e:
        raise CliError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    new = _edit.edit_text(old or TEMPLATE, suffix=".toml")
    if new == (old or TEMPLATE):
        rt.io.console().print(f"No changes: {path} is unchanged.", markup=False)
        return
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"the edited config is not valid TOML: {e}; {path} was not changed") from None
    if not rt.output.machine:
        _edit.print_diff(rt, _edit.unified_diff(masked(old), masked(new), str(path)))
        rt.io.console().print()
    confirm(rt, f"Save {path}?", what=f"change {path}")
    _write(path, new)
    if rt.output.json:
        from restate_cli.render.output import write_json

        write_json(rt.io, {"file": str(path), "saved": True})
    elif not rt.output.machine:
        success(rt.io, f"Saved {path}")


def _write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once (a reader sees the old file or the new one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        raise CliError(f"cannot write {path}: {e.strerror}") from None
