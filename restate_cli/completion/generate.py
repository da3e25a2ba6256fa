"""Completion scripts for bash, zsh and fish, generated from the command tree.

Each script holds the tree as data (commands, aliases, options and which of them take a
value, the source of every value) and a small walker in the shell's own language that
follows the command line as the CLI parses it: global options anywhere, aliases, hidden
aliases and unambiguous prefixes of subcommands. Fixed values and the environments of the
config file are completed by the script alone; live values come from
``restate-cli __complete`` (``completion.dynamic``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from restate_cli.completion import SHELLS
from restate_cli.completion.tree import Command, command_tree
from restate_cli.completion.values import Source

FILE_NAMES = {"bash": "restate-cli.bash", "zsh": "_restate-cli", "fish": "restate-cli.fish"}


@dataclass
class Sources:
    """Every distinct value source of the tree, numbered from 1, so that the scripts can
    name them in their option and argument tables."""

    ids: dict[Source, int] = field(default_factory=dict)

    def id(self, source: Source | None) -> str:
        if source is None:
            return "-"
        if source not in self.ids:
            for value in source.values:
                if not value or any(c.isspace() or c in "'\"\\:$`*?[" for c in value):
                    raise ValueError(f"fixed completion value {value!r} cannot be written into a script")
            self.ids[source] = len(self.ids) + 1
        return str(self.ids[source])


@dataclass(frozen=True)
class Node:
    """One command, flattened for the script tables."""

    key: str
    commands: list[tuple[str, str]]  # (name, help)
    aliases: list[tuple[str, str]]  # (alias, command)
    hidden_aliases: list[tuple[str, str]]
    flags: list[tuple[str, str]]  # (option name, help): options without a value
    value_options: list[tuple[str, str]]
    option_sources: list[tuple[str, str]]  # (option name, source id)
    arguments: list[str]  # source id of each positional argument; "+" ends one that repeats


def nodes(tree: Command, sources: Sources) -> list[Node]:
    out = []
    for cmd in tree.walk():
        flags, value_options, option_sources = [], [], []
        for opt in cmd.options:
            for name in opt.names:
                (value_options if opt.takes_value else flags).append((name, opt.help))
                if opt.takes_value and opt.source is not None:
                    option_sources.append((name, sources.id(opt.source)))
        arguments = [sources.id(a.source) + ("+" if a.repeats else "") for a in cmd.arguments]
        out.append(
            Node(
                cmd.key,
                [(name, sub.help) for name, sub in cmd.commands.items()],
                sorted(cmd.aliases.items()),
                sorted(cmd.hidden_aliases.items()),
                flags,
                value_options,
                option_sources,
                arguments,
            )
        )
    return out


def switches(source: Source) -> list[str]:
    """The names of the script variables that are set to 1 for ``source``."""
    on = {"envs": source.environments, "files": source.files, "comma": source.comma_list}
    return [name for name, value in on.items() if value]


def posix_quote(text: str) -> str:
    """A single-quoted word for bash and zsh."""
    return "'" + text.replace("'", "'\\''") + "'"


def fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def script(shell: str, tree: Command | None = None) -> str:
    """The completion script for ``shell``, from ``tree`` (the CLI's own by default)."""
    from restate_cli.completion import bash, fish, zsh

    renderers: dict[str, Callable[[list[Node], dict[Source, int]], str]] = {
        "bash": bash.render,
        "zsh": zsh.render,
        "fish": fish.render,
    }
    if shell not in renderers:
        raise ValueError(f"unsupported shell {shell!r}; choose from {', '.join(SHELLS)}")
    sources = Sources()
    flat = nodes(tree or command_tree(), sources)
    return renderers[shell](flat, sources.ids)
