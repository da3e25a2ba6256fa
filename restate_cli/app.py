"""The root command: global options, command groups, and the single exit point.

Module-level imports are typer and the standard library only; everything heavy is
imported by the command that needs it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperGroup

from restate_cli import __version__
from restate_cli.config import Flags, Settings
from restate_cli.errors import CliError, UsageError, did_you_mean
from restate_cli.io import IO
from restate_cli.render.output import FORMATS, TABLE_STYLES, OutputOptions
from restate_cli.render.timefmt import TIME_FORMATS

if TYPE_CHECKING:
    from restate_cli.admin.client import AdminClient


class AliasGroup(TyperGroup):
    """A group whose commands answer to aliases and to unambiguous prefixes.

    ``lazy`` names commands by ``"module:attribute"`` (a Typer sub-app or a function):
    each is imported and built the first time it is looked up, so that running one
    command does not load and convert all the others.
    """

    aliases: dict[str, str] = {}  # noqa: RUF012 - set per group by ``group()``
    hidden_aliases: dict[str, str] = {}  # noqa: RUF012
    order: tuple[str, ...] = ()  # commands listed first, in this order, in help
    lazy: dict[str, str] = {}  # noqa: RUF012

    def _names(self) -> list[str]:
        return [*self.commands, *(n for n in self.lazy if n not in self.commands)]

    def _load(self, name: str) -> Any:
        if name not in self.commands and name in self.lazy:
            import importlib

            module, attr = self.lazy[name].split(":")
            target = getattr(importlib.import_module(module), attr)
            if isinstance(target, typer.Typer):
                cmd = typer.main.get_group(target)
            else:
                cmd = typer.main.get_command_from_info(
                    typer.models.CommandInfo(name=name, callback=target, cls=Command),
                    pretty_exceptions_short=True,
                    rich_markup_mode=None,
                )
            cmd.name = name
            self.commands[name] = cmd
        return self.commands.get(name)

    def list_commands(self, ctx: Any) -> list[str]:
        names = self._names()
        return sorted(names, key=lambda n: self.order.index(n) if n in self.order else len(self.order))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        names = self._names()
        name = self.aliases.get(cmd_name) or self.hidden_aliases.get(cmd_name) or cmd_name
        if name in names:
            return self._load(name)
        matches = {
            self.aliases.get(n) or self.hidden_aliases.get(n) or n
            for n in [*names, *self.aliases, *self.hidden_aliases]
            if n.startswith(cmd_name)
        }
        matches = {m for m in matches if m in names and not self._load(m).hidden}
        if len(matches) == 1:
            return self._load(matches.pop())
        if ctx is None or ctx.resilient_parsing or cmd_name.startswith("-"):
            return None  # a name looked up by code, or an option: click reports it
        if len(matches) > 1:
            ctx.fail(f"{cmd_name!r} is ambiguous: it could be {' or '.join(sorted(matches))}")
        known = [n for n in [*names, *self.aliases] if not self._load(self.aliases.get(n, n)).hidden]
        ctx.fail(f"No such command {cmd_name!r}.{did_you_mean(cmd_name, known)}")

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, cmd, rest = super().resolve_command(ctx, args)
        return (cmd.name if cmd is not None else name), cmd, rest

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        for name in self.lazy:
            self._load(name)
        by_target: dict[str, list[str]] = {}
        for alias, target in self.aliases.items():
            by_target.setdefault(target, []).append(alias)
        for name, cmd in self.commands.items():
            if by_target.get(name) and not getattr(cmd, "_alias_shown", False):
                cmd.short_help = None
                cmd.help = f"[{', '.join(by_target[name])}] " + (cmd.help or "")
                cmd._alias_shown = True  # type: ignore[attr-defined]
        super().format_commands(ctx, formatter)


class Command(TyperCommand):
    """A command whose usage line names its arguments plainly: ``QUERY``, where Typer
    writes a required one as ``{query}``."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        return [_plain_argument(p) for p in pieces]


def _plain_argument(piece: str) -> str:
    """``{query}`` → ``QUERY``, ``{ID}...`` (typer 0.29) → ``ID...``."""
    name, dots = (piece[:-3], "...") if piece.endswith("...") else (piece, "")
    if name.startswith("{") and name.endswith("}"):
        return name[1:-1].upper() + dots
    return piece


class _NounApp(typer.Typer):
    """A Typer app whose commands are ``Command``s."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)


def group(
    help: str, aliases: dict[str, str] | None = None, hidden_aliases: dict[str, str] | None = None
) -> typer.Typer:
    """A Typer sub-app for one noun, with its verb aliases."""
    cls = type(
        "Group",
        (AliasGroup,),
        {"aliases": aliases or {}, "hidden_aliases": hidden_aliases or {}},
    )
    return _NounApp(
        help=help,
        cls=cls,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        suggest_commands=False,  # AliasGroup suggests, knowing its aliases and lazy commands
    )


@dataclass
class Runtime:
    """Everything a command needs, resolved once from the global options."""

    io: IO
    flags: Flags
    output: OutputOptions
    verbose: int = 0
    _settings: Settings | None = field(default=None, repr=False)
    offline_notice: str | None = None  # not said yet: no dev runs what this command changes

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from restate_cli.config import process_environ, resolve

            self._settings = resolve(process_environ(), self.flags)
        return self._settings

    def client(self) -> AdminClient:
        """A new admin client for the selected backend (call inside the event loop)."""
        from restate_cli.admin.backend import open_client

        return open_client(self.settings)


ROOT_ALIASES = {
    "svc": "services",
    "sub": "subscriptions",
    "kc": "kafka-clusters",
    "dp": "deployments",
    "inv": "invocations",
}
ROOT_HIDDEN = {
    "kv": "state",
    "conf": "config",
    "subscription": "subscriptions",
    "kafkaclusters": "kafka-clusters",
    "kafkacluster": "kafka-clusters",
}

app = typer.Typer(
    name="restate-cli",
    help="Manage the invocations, services, state and Kafka subscriptions of a Restate deployment.",
    cls=type(
        "Root",
        (AliasGroup,),
        {
            "aliases": ROOT_ALIASES,
            "hidden_aliases": ROOT_HIDDEN,
            "order": (
                "invocations",
                "services",
                "state",
                "sql",
                "deployments",
                "subscriptions",
                "kafka-clusters",
                "dev",
                "config",
                "whoami",
                "completions",
            ),
            "lazy": {
                "invocations": "restate_cli.commands.invocations:app",
                "services": "restate_cli.commands.services:app",
                "state": "restate_cli.commands.state:app",
                "sql": "restate_cli.commands.sql:sql_cmd",
                "config": "restate_cli.commands.config:app",
                "whoami": "restate_cli.commands.whoami:whoami_cmd",
                "subscriptions": "restate_cli.commands.subscriptions:app",
                "kafka-clusters": "restate_cli.commands.kafka_clusters:app",
                "deployments": "restate_cli.commands.deployments:app",
                "dev": "restate_cli.commands.dev:dev_cmd",
                "completions": "restate_cli.commands.completions:app",
            },
        },
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    suggest_commands=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _choice(value: str | None, allowed: Sequence[str], flag: str) -> str | None:
    if value is None:
        return None
    v = value.lower()
    if v not in allowed:
        raise typer.BadParameter(
            f"{value!r} is not one of {', '.join(allowed)}.{did_you_mean(v, allowed)}", param_hint=flag
        )
    return v


@app.callback()
def root(
    ctx: typer.Context,
    admin_url: str | None = typer.Option(
        None, "--admin-url", help="Admin API base URL [env: RESTATE_ADMIN_URL]", metavar="URL"
    ),
    environment: str | None = typer.Option(
        None,
        "-e",
        "--environment",
        help="Environment from the config file [env: RESTATE_ENVIRONMENT]",
    ),
    connect_timeout: int | None = typer.Option(
        None, "--connect-timeout", min=1, metavar="MS", help="Connect timeout in ms [default: 3000]"
    ),
    request_timeout: int | None = typer.Option(
        None,
        "--request-timeout",
        min=1,
        metavar="MS",
        help="Timeout of each request in ms [default: 13000]",
    ),
    insecure: bool = typer.Option(
        False, "--insecure-skip-tls-verify", help="Do not check the server's TLS certificate"
    ),
    yes: bool = typer.Option(False, "-y", "--yes", help="Answer yes to confirmations [env: CI]"),
    json_out: bool = typer.Option(False, "--json", help="Print JSON"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Print only ids, one per line"),
    output: str | None = typer.Option(
        None, "-o", "--output", metavar="plain|tsv|markdown", help="Print a table in this format"
    ),
    table_style: str = typer.Option(
        "compact", "--table-style", metavar="compact|borders", help="Table style"
    ),
    time_format: str = typer.Option(
        "human",
        "--time-format",
        metavar="human|iso8601|rfc2822",
        help="How times and durations are shown",
    ),
    verbose: int = typer.Option(
        0, "-v", "--verbose", count=True, help="Log requests to stderr (-vv for SQL)"
    ),
    version: bool = typer.Option(False, "-V", "--version", help="Print the version and exit"),
) -> None:
    if version:
        typer.echo(f"restate-cli {__version__}")
        raise typer.Exit()
    fmt = _choice(output, FORMATS, "-o/--output")
    style = _choice(table_style, TABLE_STYLES, "--table-style") or "compact"
    tfmt = _choice(time_format, TIME_FORMATS, "--time-format") or "human"
    if sum(bool(x) for x in (json_out, quiet, fmt)) > 1:
        raise UsageError("--json, -q and -o cannot be combined")
    if verbose:
        logging.basicConfig(
            level=logging.DEBUG if verbose > 1 else logging.INFO,
            format="%(message)s",
            stream=sys.stderr,
        )
        logging.getLogger("restate_cli").setLevel(logging.DEBUG)
        for noisy in ("httpx", "httpcore", "asyncio"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    ctx.obj = Runtime(
        io=IO.from_process(yes=yes),
        flags=Flags(
            admin_url=admin_url,
            environment=environment,
            connect_timeout_ms=connect_timeout,
            request_timeout_ms=request_timeout,
            insecure_skip_tls_verify=insecure,
        ),
        output=OutputOptions(json=json_out, quiet=quiet, fmt=fmt, table_style=style, time_format=tfmt),
        verbose=verbose,
    )


# -- argument handling -----------------------------------------------------------------

GLOBAL_WITH_VALUE = {
    "--admin-url",
    "-e",
    "--environment",
    "--connect-timeout",
    "--request-timeout",
    "-o",
    "--output",
    "--table-style",
    "--time-format",
}
GLOBAL_FLAGS = {
    "--insecure-skip-tls-verify",
    "-y",
    "--yes",
    "--json",
    "-q",
    "--quiet",
    "-v",
    "--verbose",
    "-V",
    "--version",
}
SHORT_FLAGS = {"y", "q", "v", "V"}


def hoist_global_options(argv: Sequence[str]) -> list[str]:
    """Move global options to the front, so they work anywhere on the command line.

    Typer only accepts the root's options before the first subcommand; the official
    CLI accepts them everywhere (and so does this one, even after ``KEY=VALUE``).
    """
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_WITH_VALUE:
            if "=" in arg or i + 1 >= len(argv):
                front.append(arg)
            else:
                front.extend(argv[i : i + 2])
                i += 1
        elif arg in GLOBAL_FLAGS:
            front.append(arg)
        elif len(arg) > 2 and arg[0] == "-" and arg[1] in "eo" and arg[1] != "-":
            front.append(arg)  # -eNAME, -ojson
        elif len(arg) > 2 and arg[0] == "-" and arg[1] != "-" and set(arg[1:]) <= SHORT_FLAGS:
            front.append(arg)  # -yq, -vv
        else:
            rest.append(arg)
        i += 1
    return front + rest


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code. The only place errors become messages."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = any(a in ("-v", "--verbose", "-vv", "-vvv") for a in args)
    try:
        # Click's own main would turn a closed stdout (``| head``) into exit 1: invoke directly.
        command = typer.main.get_command(app)
        with command.make_context("restate-cli", hoist_global_options(args)) as ctx:
            result = command.invoke(ctx)
        return result if isinstance(result, int) else 0
    except CliError as e:
        _print_error(e, verbose)
        return e.exit_code
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:
        sys.stderr.write("Aborted.\n")
        return 130
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except Exception as e:  # click's own usage errors and anything unexpected
        from typer._click.exceptions import ClickException

        if isinstance(e, ClickException):
            e.show()
            return e.exit_code
        if verbose:
            raise
        sys.stderr.write(f"Error: unexpected {type(e).__name__}: {e} (run with -v for details)\n")
        return 1


def _print_error(e: CliError, verbose: bool) -> None:
    if verbose and e.__cause__ is not None:
        import traceback

        traceback.print_exception(e.__cause__)
    line = f"Error: {e.message}"
    if e.hint:
        line += f" ({e.hint})"
    sys.stderr.write(line.replace("\n", " ") + "\n")
    sys.stderr.flush()


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


__all__ = ["UsageError", "app", "group", "main"]
