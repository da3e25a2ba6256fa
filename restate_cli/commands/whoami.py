"""``restate-cli whoami``: which Restate this command line talks to, and how."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from restate_cli.commands._common import runtime

if TYPE_CHECKING:
    from restate_cli.app import Runtime


def whoami_cmd(ctx: typer.Context) -> None:
    """Show the environment, the admin and ingress URLs, the server and its admin API
    version, and for the embedded runtime its data directory and whether `dev` serves it."""
    rt = runtime(ctx)
    facts = _local_facts(rt)
    error = None
    try:
        facts.update(_server_facts(rt))
    except Exception as e:  # reported after what is known; the exit code comes from it
        from restate_cli.errors import CliError

        if not isinstance(e, CliError):
            raise
        error = e
        facts["reachable"] = False
    _print(rt, facts)
    if error is not None:
        raise error


def _local_facts(rt: Runtime) -> dict[str, Any]:
    from restate_cli import __version__
    from restate_cli.config import config_dir, process_environ

    s = rt.settings
    environ = process_environ()
    facts: dict[str, Any] = {
        "environment": s.environment or ("local" if not s.embedded else None),
        "environment_source": s.environment_source,
        "config_file": str(s.config_file),
        "config_file_exists": s.config_file.exists(),
        "environment_file": str(config_dir(environ) / "environment"),
        "admin_url": s.admin_url,
        "ingress_url": None,
        "bearer_token": "(set)" if s.bearer_token else None,
        "embedded": s.embedded,
        "data_dir": str(s.data_dir) if s.embedded else None,
        "dev": None,
        "server": None,
        "server_version": None,
        "admin_api_version": None,
        "reachable": None,
        "cli_version": __version__,
    }
    if s.embedded:
        from restate_cli.embedded.locate import running_dev

        dev = running_dev(s.data_dir)
        facts["dev"] = None if dev is None else {"pid": dev.get("pid"), "admin_url": dev.get("admin_url")}
        if dev is not None:
            facts["admin_url"] = dev.get("admin_url")
            facts["ingress_url"] = dev.get("ingress_url")
    return facts


def _server_facts(rt: Runtime) -> dict[str, Any]:
    from restate_cli.commands._common import run_with_client

    async def work(client) -> dict[str, Any]:
        info = await client.info()
        await client.request("GET", "health", prefixed=False)
        out: dict[str, Any] = {
            "server": info.kind,
            "server_version": info.embedded_version if info.embedded else info.version,
            "admin_api_version": info.api_version,
            "reachable": True,
        }
        if info.ingress_endpoint:
            out["ingress_url"] = info.ingress_endpoint
        return out

    return run_with_client(rt, work)


def _print(rt: Runtime, facts: dict[str, Any]) -> None:
    from rich.text import Text

    from restate_cli.render.output import kv_table, write_json, write_lines

    if rt.output.json:
        write_json(rt.io, facts)
        return
    if rt.output.quiet:
        write_lines(rt.io, [str(facts["admin_url"] or facts["data_dir"] or "")])
        return
    env = facts["environment"] or "(none: the embedded runtime)"
    source = {
        "argument": "from -e",
        "$RESTATE_ENVIRONMENT": "from $RESTATE_ENVIRONMENT",
        "file": f"from {facts['environment_file']}",
    }.get(facts["environment_source"], "")
    rows: list[tuple[str, Text | str]] = [
        ("Environment", f"{env}  ({source})" if source else env),
        (
            "Config file",
            f"{facts['config_file']}" + ("" if facts["config_file_exists"] else "  (does not exist)"),
        ),
    ]
    if facts["embedded"]:
        dev = facts["dev"]
        served = (
            f"served by restate-cli dev (pid {dev['pid']})"
            if dev
            else "no dev process: commands open it in-process; run restate-cli dev to execute invocations"
        )
        rows.append(("Embedded runtime", Text(f"{facts['data_dir']}  ({served})")))
    rows += [
        ("Admin URL", facts["admin_url"] or "(in-process)"),
        ("Ingress URL", facts["ingress_url"] or "(unknown)"),
        ("Bearer token", facts["bearer_token"] or "(none)"),
    ]
    if facts["reachable"]:
        rows += [
            ("Server", Text(str(facts["server"]), style="bold")),
            (
                "Admin API",
                f"v{facts['admin_api_version']}" if facts["admin_api_version"] else "(unversioned)",
            ),
        ]
    else:
        rows.append(("Server", Text("not reachable", style="bold red")))
    rows.append(("restate-cli", facts["cli_version"]))
    if rt.output.fmt:
        from restate_cli.render.output import write_rows

        write_rows(rt.io, ("FIELD", "VALUE"), [(k, str(v)) for k, v in rows], rt.output)
        return
    rt.io.console().print(kv_table(rt.output, rows))
