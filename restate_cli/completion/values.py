"""Where the values of each option and argument come from, for shell completion.

A value source is one or more of:

- fixed values, written into the scripts (``--output``, ``--status``);
- the environments of the config file, which the scripts read themselves;
- file names, completed by the shell;
- a live completer (``completion.dynamic.COMPLETERS``), which the scripts run as
  ``restate-cli __complete SPEC CURRENT WORDS...``.

Options are found by any of their names and arguments by their parameter name. A key may
start with a command path (``"invocations resume --deployment"``); such a key wins over the
bare name. Keys naming commands that do not exist are simply unused, so a command added
later picks up its entry here when it appears in the tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from restate_cli.app import app as _root  # noqa: F401 - the command modules need it loaded first
from restate_cli.commands.invocations import STATUS_VALUES
from restate_cli.completion import SHELLS
from restate_cli.render.output import FORMATS, TABLE_STYLES
from restate_cli.render.timefmt import TIME_FORMATS


@dataclass(frozen=True)
class Source:
    values: tuple[str, ...] = ()
    live: str | None = None  # a completer of completion.dynamic, with ":ARG" when it takes one
    environments: bool = False
    files: bool = False
    comma_list: bool = False  # the option takes ``a,b,c``: complete the part after the last comma


def live(name: str) -> Source:
    return Source(live=name)


OPTIONS: dict[str, Source] = {
    "--environment": Source(environments=True),
    "--output": Source(values=FORMATS),
    "--table-style": Source(values=TABLE_STYLES),
    "--time-format": Source(values=TIME_FORMATS),
    "--status": Source(values=STATUS_VALUES, comma_list=True),
    "--completion-result": Source(values=("success", "failure")),
    "--service": live("service"),
    "--handler": live("handler"),
    "--key": live("key"),
    "--deployment": live("deployment"),
    "invocations resume --deployment": Source(values=("latest", "keep"), live="deployment"),
    "invocations resume --on-deployment": live("deployment"),
    "--from-file": Source(files=True),
    "subscriptions list --source": live("kafka-source"),
    "subscriptions list --sink": live("sink"),
}

ARGUMENTS: dict[str, Source] = {
    "query": live("query"),
    "invocation_id": live("invocation"),
    "deployment_id": live("deployment"),
    "subscription_id": live("subscription"),
    "subscription_ids": live("subscription"),
    "subscriptions create source": live("kafka-source"),
    "subscriptions create sink": live("sink"),
    "kafka-clusters describe name": live("kafka-cluster"),
    "kafka-clusters edit name": live("kafka-cluster"),
    "kafka-clusters patch name": live("kafka-cluster"),
    "kafka-clusters delete name": live("kafka-cluster"),
    "service": live("service"),
    "services status services": live("service"),
    "state get service": live("service:keyed"),
    "state edit service": live("service:keyed"),
    "state patch service": live("service:keyed"),
    "state clear service": live("service:keyed"),
    "state get key": live("state-key"),
    "state edit key": live("state-key"),
    "state patch key": live("state-key"),
    "state clear key": live("state-key"),
    "config use-environment name": Source(environments=True),
    "completions generate shell": Source(values=SHELLS),
    "completions install shell": Source(values=SHELLS),
}

# Completers that offer invocations narrow them to the statuses the command acts on.
INVOCATION_COMPLETERS = ("query", "invocation")


def for_option(path: Sequence[str], names: Sequence[str], *, metavar: str | None = None) -> Source | None:
    for name in names:
        found = OPTIONS.get(" ".join([*path, name]))
        if found is not None:
            return found
    for name in names:
        if name in OPTIONS:
            return OPTIONS[name]
    if metavar == "FILE":
        return Source(files=True)
    return None


def for_argument(path: Sequence[str], name: str) -> Source | None:
    source = ARGUMENTS.get(" ".join([*path, name])) or ARGUMENTS.get(name)
    if source is None or source.live not in INVOCATION_COMPLETERS:
        return source
    statuses = acted_on(path[-1] if path else "")
    if statuses is None:
        return source
    return Source(live=f"{source.live}:{','.join(statuses)}")


def acted_on(command: str) -> tuple[str, ...] | None:
    """The statuses (as ``sys_invocation`` shows them) of the invocations that the bulk
    command ``command`` selects, or None for a command that is not a bulk action."""
    from restate_cli.admin.actions import ACTIONS

    for action in ACTIONS.values():
        if action.op == command:
            return action.shown_statuses
    return None
