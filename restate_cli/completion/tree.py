"""The command tree as plain data, read from the Typer app, for the script generators."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import typer

from restate_cli.completion.values import Source, for_argument, for_option

HELP_NAMES = ("-h", "--help")


@dataclass(frozen=True)
class Option:
    names: tuple[str, ...]
    help: str
    takes_value: bool
    source: Source | None = None


@dataclass(frozen=True)
class Argument:
    name: str
    help: str
    repeats: bool  # takes every remaining word
    source: Source | None = None


@dataclass
class Command:
    path: tuple[str, ...]
    help: str
    options: list[Option] = field(default_factory=list)
    arguments: list[Argument] = field(default_factory=list)
    commands: dict[str, Command] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # offered
    hidden_aliases: dict[str, str] = field(default_factory=dict)  # understood, not offered

    @property
    def key(self) -> str:
        """The path as the scripts spell it: names joined by spaces, ``""`` for the root."""
        return " ".join(self.path)

    def walk(self) -> list[Command]:
        out = [self]
        for sub in self.commands.values():
            out.extend(sub.walk())
        return out


def command_tree(app: Any = None) -> Command:
    """The visible commands of ``app`` (the root app by default), with their options,
    arguments, aliases and where their values come from."""
    if app is None:
        from restate_cli.app import app
    return _command(typer.main.get_command(app), ())


def _command(cmd: Any, path: tuple[str, ...]) -> Command:
    node = Command(path, _first_line(cmd.help or cmd.short_help or ""))
    for param in cmd.params:
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "option":
            names = (*param.opts, *param.secondary_opts)
            takes_value = not (param.is_flag or param.count)
            source = (
                _choices(param) or for_option(path, names, metavar=param.metavar) if takes_value else None
            )
            node.options.append(Option(names, _first_line(param.help or ""), takes_value, source))
        elif param.param_type_name == "argument":
            name = param.metavar or param.name.upper()
            source = _choices(param) or for_argument(path, param.name)
            node.arguments.append(
                Argument(name, _first_line(getattr(param, "help", "") or ""), param.nargs < 0, source)
            )
    node.options.append(Option(HELP_NAMES, "Show this message and exit", False))
    if hasattr(cmd, "list_commands"):
        ctx = typer.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if not sub.hidden:
                node.commands[name] = _command(sub, (*path, name))
    for attr, target in (("aliases", node.aliases), ("hidden_aliases", node.hidden_aliases)):
        for alias, name in getattr(cmd, attr, {}).items():
            if name in node.commands:
                target[alias] = name
    return node


def _choices(param: Any) -> Source | None:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None:
        return None
    try:
        choices = descriptor.choices
        if choices:
            return Source(values=tuple(str(getattr(c, "value", c)) for c in choices))
        if descriptor.is_path or descriptor.is_file:
            return Source(files=True)
    except (AttributeError, TypeError):
        return None
    return None


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0].strip()
    return line.removesuffix(".")
