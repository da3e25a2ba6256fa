"""Live values for shell completion, from the admin API that the command line selects.

The scripts in ``completions/`` run ``restate-cli __complete SPEC CURRENT WORD...``. SPEC
names one of ``COMPLETERS``, with ``:ARG`` for those that take one (the statuses a bulk
command acts on); CURRENT is the word being completed; the WORDs are the rest of the
command line, where ``--admin-url``, ``-e/--environment``, ``--insecure-skip-tls-verify``
and ``--service`` are looked for. ``__main__`` sends ``__complete`` here before typer, rich
or pydantic are imported.

The answer is one candidate per line, ``value<TAB>description``. Whatever the server does
(down, slow, failing, talking nonsense), the process writes nothing to stderr, exits 0, and
is gone within ``BUDGET`` seconds of its start: a watchdog ends it, with no output, when
the answer is not ready by then. ``$RESTATE_CLI_COMPLETE_TIMEOUT_MS`` changes the budget, for
admin APIs that are far away.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from restate_cli.admin import sql
from restate_cli.completion.admin_reader import AdminReader, ReadError

BUDGET = 0.25  # seconds from the process's start; the shell's own work fits in the rest of 0.3
LIMIT = 100  # candidates of one kind

Candidates = list[tuple[str, str]]
Completer = Callable[[AdminReader, "Line", str, str], Candidates]


class Line:
    """The other words of the command line being completed."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = list(words[: words.index("--")] if "--" in words else words)

    def values(self, *names: str) -> list[str]:
        """Every value given to the option ``names`` (``--x v``, ``--x=v``, ``-xv``)."""
        out: list[str] = []
        words = self.words
        for i, word in enumerate(words):
            for name in names:
                if word == name and i + 1 < len(words):
                    out.append(words[i + 1])
                elif word.startswith(name + "="):
                    out.append(word[len(name) + 1 :])
                elif len(name) == 2 and name[1] != "-" and word.startswith(name) and len(word) > 2:
                    out.append(word[2:])
        return out

    def last(self, *names: str) -> str | None:
        found = self.values(*names)
        return found[-1] if found else None

    def listed(self, *names: str) -> list[str]:
        """The values of a list option, commas split: ``--service a,b --service c``."""
        return [v.strip() for value in self.values(*names) for v in value.split(",") if v.strip()]

    def has(self, name: str) -> bool:
        return name in self.words


# -- completers ------------------------------------------------------------------------


def _could_be(prefix: str, scheme: str) -> bool:
    return prefix.startswith(scheme) or scheme.startswith(prefix)


def _statuses(arg: str) -> list[str]:
    return [s for s in arg.split(",") if s]


def invocations(reader: AdminReader, line: Line, current: str, arg: str) -> Candidates:
    """Invocation ids, newest first, described by their target and status."""
    if not _could_be(current, "inv_"):
        return []
    rows = reader.query(sql.invocations_by_id_prefix(current, _statuses(arg), limit=LIMIT))
    return [(str(r["id"]), f"{r.get('target', '')} ({r.get('status', '?')})") for r in rows if "id" in r]


def _services(reader: AdminReader) -> list[dict[str, Any]]:
    data = reader.get("services")
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, list):
        raise ReadError("no services")
    return [s for s in services if isinstance(s, dict) and isinstance(s.get("name"), str)]


def _handlers(service: dict[str, Any]) -> list[str]:
    handlers = service.get("handlers")
    if not isinstance(handlers, list):
        return []
    return [h["name"] for h in handlers if isinstance(h, dict) and isinstance(h.get("name"), str)]


_KIND = {"Service": "service", "VirtualObject": "virtual object", "Workflow": "workflow"}


def _kind(service: dict[str, Any]) -> str:
    return _KIND.get(str(service.get("ty")), "service")


def query(reader: AdminReader, line: Line, current: str, arg: str) -> Candidates:
    """A QUERY: invocation ids and ``Service/``, then ``Service/handler`` or ``Object/key/``,
    then ``Object/key/handler``. Ids and keys only of invocations the command acts on."""
    slashes = current.count("/")
    if slashes == 0:
        out = invocations(reader, line, current, arg)
        out += [(s["name"] + "/", _kind(s)) for s in _services(reader)]
        return out
    name, _, rest = current.partition("/")
    service = next((s for s in _services(reader) if s["name"] == name), None)
    if service is None:
        return []
    keyed = _kind(service) != "service"
    if slashes == 1 and not keyed:
        return [(f"{name}/{h}", "handler") for h in _handlers(service)]
    if slashes == 1:
        rows = reader.query(sql.invocation_keys([name], rest, _statuses(arg), limit=LIMIT))
        return [(f"{name}/{r['target_service_key']}/", _count(r)) for r in rows if "target_service_key" in r]
    if slashes == 2 and keyed:
        key = rest.partition("/")[0]
        return [(f"{name}/{key}/{h}", "handler") for h in _handlers(service)]
    return []


def _count(row: dict[str, Any]) -> str:
    n = int(row.get("n", 0) or 0)
    return f"{n} invocation{'' if n == 1 else 's'}"


def services(reader: AdminReader, line: Line, current: str, arg: str) -> Candidates:
    """Service names; ``keyed``: only virtual objects and workflows (which have state)."""
    found = _services(reader)
    if arg == "keyed":
        found = [s for s in found if _kind(s) != "service"]
    return [(s["name"], _kind(s)) for s in found]


def state_keys(reader: AdminReader, line: Line, current: str, arg: str) -> Candidates:
    """Keys that have state, of the service named on the line (``state get Counter <TAB>``)."""
    names = [w for w in line.words if w and not w.startswith("-") and "/" not in w]
    if not names:
        return []
    rows = reader.query(sql.state_keys(names, current, limit=LIMIT))
    return [
        (str(r["service_key"]), f"{r.get('service_name', '')}, {_entries(r)}")
        for r in rows
        if "service_key" in r
    ]


def _entries(row: dict[str, Any]) -> str:
    n = int(row.get("n", 0) or 0)
    return f"{n} state entr{'y' if n == 1 else 'ies'}"


def handlers(reader: AdminReader, line: Line, current: str, arg: str) -> Candidates:
    """Handler names, of the ``--service`` services on the line if any."""
    chosen = set(line.listed("--service"))
    owners: dict[str, list[str]] = {}
    for s in _services(reader):
        if not chosen or s["name"] in chosen:
            for h in _handlers(s):
                owners.setdefault(h, []).append(s["name"])
    return [(h, ", ".join(names)) for h, names in owners.items()]


def keys(reader: AdminReader, line: Line, current: str, arg: str) -> Candidates:
    """Keys that have invocations, of the ``--service`` services on the line if any."""
    rows = reader.query(sql.invocation_keys(line.listed("--service"), current, [], limit=LIMIT))
    return [
        (str(r["target_service_key"]), f"{r.get('target_service_name', '')}, {_count(r)}")
        for r in rows
        if "target_service_key" in r
    ]


def deployments(reader: AdminReader, line: Line, current: str, arg: str) -> Candidates:
    data = reader.get("deployments")
    items = data.get("deployments") if isinstance(data, dict) else None
    return [
        (d["id"], str(d.get("uri") or d.get("arn") or ""))
        for d in items or ()
        if isinstance(d, dict) and isinstance(d.get("id"), str)
    ]


def _subscriptions(reader: AdminReader) -> list[dict[str, Any]]:
    data = reader.get("subscriptions")
    items = data.get("subscriptions") if isinstance(data, dict) else None
    return [s for s in items or () if isinstance(s, dict) and isinstance(s.get("id"), str)]


def subscriptions(reader: AdminReader, line: Line, current: str, arg: str) -> Candidates:
    """Subscription ids, described by their source and sink."""
    subs = sorted(_subscriptions(reader), key=lambda s: s["id"])
    return [(s["id"], f"{s.get('source', '')} -> {s.get('sink', '')}") for s in subs]


def _clusters(reader: AdminReader) -> list[dict[str, Any]]:
    data = reader.get("kafka-clusters")
    items = data.get("clusters") if isinstance(data, dict) else None
    return [c for c in items or () if isinstance(c, dict) and isinstance(c.get("name"), str)]


def _brokers(cluster: dict[str, Any]) -> str:
    props = cluster.get("properties")
    if not isinstance(props, dict):
        return "Kafka cluster"
    return str(props.get("bootstrap.servers") or props.get("metadata.broker.list") or "Kafka cluster")


def kafka_clusters(reader: AdminReader, line: Line, current: str, arg: str) -> Candidates:
    return [(c["name"], _brokers(c)) for c in _clusters(reader)]


def kafka_sources(reader: AdminReader, line: Line, current: str, arg: str) -> Candidates:
    """``kafka://cluster/`` for every cluster, then the topics its subscriptions read."""
    if not _could_be(current, "kafka://"):
        return []
    out = [(f"kafka://{c['name']}/", _brokers(c)) for c in _clusters(reader)]
    if current.count("/") >= 3:
        used: dict[str, int] = {}
        for s in _subscriptions(reader):
            source = s.get("source")
            if isinstance(source, str) and source.startswith("kafka://"):
                used[source] = used.get(source, 0) + 1
        out += [(src, f"topic of {n} subscription{'' if n == 1 else 's'}") for src, n in sorted(used.items())]
    return out


def sinks(reader: AdminReader, line: Line, current: str, arg: str) -> Candidates:
    """``service://Service/handler`` for every handler."""
    if not _could_be(current, "service://"):
        return []
    return [(f"service://{s['name']}/{h}", _kind(s)) for s in _services(reader) for h in _handlers(s)]


COMPLETERS: dict[str, Completer] = {
    "invocation": invocations,
    "query": query,
    "service": services,
    "state-key": state_keys,
    "handler": handlers,
    "key": keys,
    "deployment": deployments,
    "subscription": subscriptions,
    "kafka-cluster": kafka_clusters,
    "kafka-source": kafka_sources,
    "sink": sinks,
}
# Options that take comma-separated lists: the completion is for the part after the last comma.
LISTS = frozenset({"service", "handler", "key", "deployment"})


def candidates(
    spec: str,
    current: str,
    words: Sequence[str],
    *,
    environ: Mapping[str, str] | None = None,
    deadline: float | None = None,
) -> Candidates:
    """The values for ``current``, as ``(value, description)``. Raises ``ReadError`` (and
    ``UsageError`` for a broken configuration) instead of returning partial answers."""
    from restate_cli.config import Flags, process_environ, resolve

    name, _, arg = spec.partition(":")
    completer = COMPLETERS.get(name)
    if completer is None:
        return []
    line = Line(words)
    flags = Flags(
        admin_url=line.last("--admin-url"),
        environment=line.last("-e", "--environment"),
        insecure_skip_tls_verify=line.has("--insecure-skip-tls-verify"),
    )
    settings = resolve(process_environ() if environ is None else environ, flags)
    reader = AdminReader(settings, deadline if deadline is not None else time.monotonic() + BUDGET)
    head = ""
    if name in LISTS and "," in current:
        head, _, current = current.rpartition(",")
        head += ","
    seen: set[str] = set()
    out: Candidates = []
    for value, description in completer(reader, line, current, arg):
        if value.startswith(current) and value not in seen and value.isprintable():
            seen.add(value)
            out.append((head + value, " ".join(description.split())))
    return out


# -- the process -----------------------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    """``restate-cli __complete SPEC CURRENT WORD...``: print candidates, or nothing."""
    _silence_stderr()
    left = budget(os.environ) - _age()
    lock = _start_watchdog(left)
    try:
        spec, current, *words = argv
        found = candidates(spec, current, words, deadline=time.monotonic() + left)
        text = "".join(f"{value}\t{description}\n" for value, description in found)
    except BaseException:  # nothing but candidates may reach the shell
        text = ""
    lock.acquire()  # the watchdog can no longer end us halfway through the answer
    data = text.encode("utf-8", "replace")
    try:
        while data:
            data = data[os.write(1, data) :]
    except OSError:
        pass
    return 0


def budget(environ: Mapping[str, str]) -> float:
    """Seconds from the process's start: ``BUDGET``, or ``$RESTATE_CLI_COMPLETE_TIMEOUT_MS``."""
    try:
        return min(max(int(environ["RESTATE_CLI_COMPLETE_TIMEOUT_MS"]), 50), 10_000) / 1000
    except (KeyError, ValueError):
        return BUDGET


def _silence_stderr() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    except OSError:
        pass


def _age() -> float:
    """Seconds since this process started (the interpreter's start-up counts against the
    budget); an estimate where /proc is missing."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.05


def _start_watchdog(seconds: float) -> Any:
    """A lock the main thread takes before it writes; a thread that exits the process
    silently after ``seconds`` unless the main thread took the lock first."""
    import _thread

    lock = _thread.allocate_lock()

    def watch() -> None:
        time.sleep(max(0.0, seconds))
        if lock.acquire(False):
            os._exit(0)

    _thread.start_new_thread(watch, ())
    return lock
