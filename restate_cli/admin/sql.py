"""Every SQL statement the CLI sends, built from quoted literals only.

User strings never reach SQL except through ``literal``. Prefix matches use
``substr(col, 1, n) = '…'`` rather than ``LIKE``, so ``%`` and ``_`` match themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from restate_cli import ids
from restate_cli.errors import UsageError


def literal(value: str) -> str:
    """A SQL string literal: single quotes doubled, NUL refused."""
    if "\x00" in value:
        raise UsageError("NUL characters are not allowed in filters")
    return "'" + value.replace("'", "''") + "'"


def in_list(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(literal(v) for v in values)})"


def starts_with(column: str, prefix: str) -> str:
    """``column`` begins with ``prefix``, with no wildcard characters anywhere."""
    return f"substr({column}, 1, {len(prefix)}) = {literal(prefix)}"


def query_filter(query: str, column_prefix: str = "") -> str:
    """The WHERE fragment for a QUERY argument: an id or a target prefix.

    ``Svc`` matches every handler of Svc; ``Svc/handler`` a service handler, or every
    handler of object/workflow ``Svc`` with key ``handler``; ``Obj/key/handler`` exactly.
    """
    c = column_prefix
    q = query.strip()
    if ids.is_valid(q, "inv"):
        return f"{c}id = {literal(q)}"
    if q.startswith("inv_") and 30 <= len(q) <= 45 and "/" not in q:
        try:
            ids.check(q, "inv")
        except ids.IdError as e:
            raise UsageError(f"invalid invocation id {q!r}: {e}") from None
    q = q.rstrip("/")
    if not q:
        raise UsageError("the query is empty: give an invocation id or a target such as Service/handler")
    slashes = q.count("/")
    if slashes == 0:
        return starts_with(f"{c}target", q + "/")
    if slashes == 1:
        return (
            f"(({c}target = {literal(q)} AND {c}target_service_ty = 'service') OR "
            f"({starts_with(f'{c}target', q + '/')} AND {c}target_service_ty != 'service'))"
        )
    return f"{c}target = {literal(q)}"


# Every status of restate-server 1.6 and 1.7 but ``completed``, in the order they are shown.
ACTIVE_STATUSES = ("pending", "scheduled", "ready", "running", "backing-off", "suspended", "paused")


def not_completed(column: str = "status") -> str:
    """``column != 'completed'``, written as the list of the other statuses: the embedded
    runtime's store answers an IN list from its index of the status, but reads every
    invocation for ``!=`` (SQLite uses no index for it)."""
    return in_list(column, ACTIVE_STATUSES)


@dataclass
class ListFilter:
    """The filters of ``invocations list``, in the official CLI's order."""

    services: Sequence[str] = ()
    handlers: Sequence[str] = ()
    keys: Sequence[str] = ()
    deployments: Sequence[str] = ()
    statuses: Sequence[str] = ()
    all: bool = False
    completion_result: str | None = None
    virtual_objects_only: bool = False
    zombie: bool = False
    query: str | None = None
    created_before: str | None = None  # an RFC 3339 UTC timestamp with milliseconds
    extra: list[str] = field(default_factory=list)

    def conditions(self) -> list[str]:
        out: list[str] = []
        if self.query:
            out.append(query_filter(self.query, "inv."))
        if self.services:
            out.append(in_list("inv.target_service_name", self.services))
        if self.handlers:
            out.append(in_list("inv.target_handler_name", self.handlers))
        if self.keys:
            out.append(in_list("inv.target_service_key", self.keys))
        if self.virtual_objects_only:
            out.append(
                "inv.target_service_name IN (SELECT name FROM sys_service WHERE ty = 'virtual_object')"
            )
        if self.zombie:
            out.append(
                "(inv.pinned_deployment_id IS NOT NULL AND "
                "inv.pinned_deployment_id NOT IN (SELECT id FROM sys_deployment))"
            )
        if self.deployments:
            out.append(
                f"({in_list('inv.pinned_deployment_id', self.deployments)} OR "
                f"{in_list('inv.last_attempt_deployment_id', self.deployments)})"
            )
        if self.created_before:
            out.append(f"inv.created_at < {literal(self.created_before)}")
        if self.completion_result:
            out.append(
                f"inv.status = 'completed' AND inv.completion_result = {literal(self.completion_result)}"
            )
        elif self.all:
            pass
        elif self.statuses:
            out.append(in_list("inv.status", self.statuses))
        else:
            out.append(not_completed("inv.status"))
        out.extend(self.extra)
        return out

    def where(self) -> str:
        conds = self.conditions()
        return f" WHERE {' AND '.join(conds)}" if conds else ""


def order_by(oldest_first: bool) -> str:
    return " ORDER BY inv.created_at ASC, inv.id" if oldest_first else " ORDER BY inv.created_at DESC, inv.id"


def list_ids(f: ListFilter, *, limit: int, oldest_first: bool) -> str:
    return (
        f"SELECT inv.id AS id FROM sys_invocation inv{f.where()}{order_by(oldest_first)} LIMIT {int(limit)}"
    )


def count(f: ListFilter, *, cap: int = 50_000) -> str:
    return f"SELECT COUNT(1) AS n FROM (SELECT inv.id FROM sys_invocation inv{f.where()} LIMIT {int(cap)})"


def details(invocation_ids: Sequence[str], *, oldest_first: bool) -> str:
    return (
        "SELECT inv.*, dp.id IS NOT NULL AS pinned_deployment_exists "
        f"FROM sys_invocation inv LEFT JOIN sys_deployment dp ON dp.id = inv.pinned_deployment_id "
        f"WHERE {in_list('inv.id', invocation_ids)}{order_by(oldest_first)}"
    )


def journal(invocation_id: str, *, limit: int = 100) -> str:
    return (
        "SELECT sj.index AS idx, sj.entry_type, sj.name, sj.completed, sj.invoked_id, "
        "sj.invoked_target, sj.sleep_wakeup_at, sj.promise_name, sj.version, sj.entry_json, "
        f"sj.appended_at FROM sys_journal sj WHERE sj.id = {literal(invocation_id)} "
        f"ORDER BY sj.index DESC LIMIT {int(limit)}"
    )


def last_event(invocation_id: str, event_type: str) -> str:
    return (
        "SELECT event_json FROM sys_journal_events "
        f"WHERE id = {literal(invocation_id)} AND event_type = {literal(event_type)} "
        "ORDER BY appended_at DESC LIMIT 1"
    )


def resolve(query: str, raw_statuses: Sequence[str], *, negate: bool = False, limit: int) -> str:
    """The bulk commands' resolver over ``sys_invocation_status`` (raw status values)."""
    if negate:
        status = f"status NOT IN ({', '.join(literal(s) for s in raw_statuses)})"
    elif len(raw_statuses) == 1:
        status = f"status = {literal(raw_statuses[0])}"
    else:
        status = in_list("status", raw_statuses)
    return (
        f"SELECT id, target, target_service_ty, status FROM sys_invocation_status "
        f"WHERE {query_filter(query)} AND {status} LIMIT {int(limit)}"
    )


def statuses_of(query: str) -> str:
    """How many invocations a QUERY matches in each raw status (when an action found none)."""
    return (
        f"SELECT status, COUNT(1) AS n FROM sys_invocation_status WHERE {query_filter(query)} GROUP BY status"
    )


def service_names() -> str:
    return "SELECT name FROM sys_service ORDER BY name"


def resolve_filtered(f: ListFilter, *, limit: int) -> str:
    """The bulk commands' resolver for ``list``'s filters, over ``sys_invocation``, oldest first."""
    return (
        "SELECT inv.id AS id, inv.target AS target, inv.target_service_ty AS target_service_ty, "
        f"inv.status AS status FROM sys_invocation inv{f.where()} "
        f"ORDER BY inv.created_at, inv.id LIMIT {int(limit)}"
    )


# -- call trees ---------------------------------------------------------------------------

# The sys_invocation columns a call-tree node needs (present on restate-server 1.6 and 1.7).
TREE_COLUMNS = (
    "id",
    "target",
    "target_service_name",
    "target_service_key",
    "target_handler_name",
    "target_service_ty",
    "status",
    "created_at",
    "modified_at",
    "scheduled_start_at",
    "completed_at",
    "invoked_by",
    "invoked_by_id",
    "invoked_by_target",
    "invoked_by_subscription_id",
    "restarted_from",
    "completion_result",
    "completion_failure",
    "retry_count",
    "journal_commands_size",
)
_TREE_SELECT = f"SELECT {', '.join(TREE_COLUMNS)} FROM sys_invocation"


def tree_nodes(invocation_ids: Sequence[str]) -> str:
    """The call-tree columns of these invocations."""
    return f"{_TREE_SELECT} WHERE {in_list('id', invocation_ids)}"


def tree_children(parent_ids: Sequence[str], *, limit: int) -> str:
    """The invocations these invocations started, oldest first."""
    return (
        f"{_TREE_SELECT} WHERE {in_list('invoked_by_id', parent_ids)} "
        f"ORDER BY created_at, id LIMIT {int(limit)}"
    )


def tree_by_query(query: str, *, limit: int) -> str:
    """The call-tree columns of the invocations a bulk action's QUERY matches that have not
    completed: the rows of its selection, in one scan instead of one per batch of ids."""
    return f"{_TREE_SELECT} WHERE {query_filter(query)} AND {not_completed()} LIMIT {int(limit)}"


def tree_children_by_query(query: str, *, limit: int) -> str:
    """The invocations started by any invocation a QUERY matches, and perhaps a few more
    (the caller keeps the children of the invocations it selected), oldest first."""
    q = query.strip()
    if ids.is_valid(q, "inv"):
        parent = f"invoked_by_id = {literal(q)}"
    else:
        q = q.rstrip("/")
        parent = f"{starts_with('invoked_by_target', q + '/')}"
        if q.count("/") == 1:  # Service/handler, or every handler of Object/key
            parent = f"(invoked_by_target = {literal(q)} OR {parent})"
        elif q.count("/") > 1:
            parent = f"invoked_by_target = {literal(q)}"
    return f"{_TREE_SELECT} WHERE {parent} ORDER BY created_at, id LIMIT {int(limit)}"


def tree_child_counts(parent_ids: Sequence[str]) -> str:
    """How many invocations each of these invocations started."""
    return (
        "SELECT invoked_by_id, COUNT(1) AS n FROM sys_invocation "
        f"WHERE {in_list('invoked_by_id', parent_ids)} GROUP BY invoked_by_id"
    )


def journal_calls(invocation_ids: Sequence[str], *, lite: bool = True) -> str:
    """The Call and OneWayCall entries of these journals: who was started, and how.

    ``entry_lite_json`` (restate-server 1.6+) carries the ids and the delay without the
    request payload; ``lite=False`` reads ``entry_json`` for servers without it. V1
    journals name the callee in ``invoked_id``.
    """
    column = "sj.entry_lite_json" if lite else "sj.entry_json"
    return (
        "SELECT sj.id AS id, sj.index AS idx, sj.entry_type, sj.invoked_id, sj.invoked_target, "
        f"{column} AS entry_json FROM sys_journal sj "
        f"WHERE {in_list('sj.id', invocation_ids)} AND "
        "(sj.entry_type IN ('Command: Call', 'Command: OneWayCall') OR sj.invoked_id IS NOT NULL)"
    )


# -- completion ----------------------------------------------------------------------


def _where(conditions: Sequence[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def invocations_by_id_prefix(prefix: str, statuses: Sequence[str], *, limit: int) -> str:
    """Ids, targets and statuses of the invocations whose id begins with ``prefix`` and whose
    status is one of ``statuses`` (any, when empty), newest first."""
    conditions = [starts_with("id", prefix)] if prefix else []
    if statuses:
        conditions.append(in_list("status", statuses))
    return (
        f"SELECT id, target, status FROM sys_invocation{_where(conditions)} "
        f"ORDER BY created_at DESC LIMIT {int(limit)}"
    )


def invocation_keys(services: Sequence[str], prefix: str, statuses: Sequence[str], *, limit: int) -> str:
    """The object and workflow keys beginning with ``prefix`` that have invocations of
    ``services`` (any, when empty) in ``statuses`` (any, when empty), with how many."""
    conditions = ["target_service_key IS NOT NULL"]
    if services:
        conditions.append(in_list("target_service_name", services))
    if prefix:
        conditions.append(starts_with("target_service_key", prefix))
    if statuses:
        conditions.append(in_list("status", statuses))
    return (
        "SELECT target_service_name, target_service_key, COUNT(1) AS n "
        f"FROM sys_invocation{_where(conditions)} GROUP BY target_service_name, target_service_key "
        f"ORDER BY target_service_key, target_service_name LIMIT {int(limit)}"
    )


# -- services and state ----------------------------------------------------------------


def active_counts(services: Sequence[str]) -> str:
    """Invocations not completed, counted by service, handler and status."""
    where = f" AND {in_list('target_service_name', services)}" if services else ""
    return (
        "SELECT target_service_name AS service, target_handler_name AS handler, status, COUNT(1) AS n "
        f"FROM sys_invocation WHERE {not_completed()}{where} "
        "GROUP BY target_service_name, target_handler_name, status"
    )


def oldest_active(service: str, handler: str) -> str:
    """The oldest invocation of one handler that has not completed."""
    return (
        "SELECT id, status, created_at FROM sys_invocation "
        f"WHERE target_service_name = {literal(service)} AND target_handler_name = {literal(handler)} "
        f"AND {not_completed()} ORDER BY created_at, id LIMIT 1"
    )


def state_entries(service: str, keys: Sequence[str] | None) -> str:
    """The state of ``keys`` of an object or workflow (every key when None): values in hex."""
    where = f"service_name = {literal(service)}"
    if keys is not None:
        where += f" AND {in_list('service_key', keys)}"
    return f"SELECT service_key, key, value FROM state WHERE {where} ORDER BY service_key, key"


def key_holder(service: str, key: str) -> str:
    """The invocation that holds an object or workflow key, with its status."""
    return (
        "SELECT ks.invocation_id AS id, inv.status AS status, inv.target AS target "
        "FROM sys_keyed_service_status ks LEFT JOIN sys_invocation inv ON inv.id = ks.invocation_id "
        f"WHERE ks.service_name = {literal(service)} AND ks.service_key = {literal(key)}"
    )


def inbox_size(service: str, key: str) -> str:
    """How many invocations wait in a key's inbox."""
    return (
        "SELECT COUNT(1) AS n FROM sys_inbox "
        f"WHERE service_name = {literal(service)} AND service_key = {literal(key)}"
    )


def state_keys(services: Sequence[str], prefix: str, *, limit: int) -> str:
    """Object and workflow keys that have state, of ``services`` (any, when empty)."""
    conditions = []
    if services:
        conditions.append(in_list("service_name", services))
    if prefix:
        conditions.append(starts_with("service_key", prefix))
    return (
        "SELECT service_name, service_key, COUNT(1) AS n FROM state"
        f"{_where(conditions)} GROUP BY service_name, service_key "
        f"ORDER BY service_key, service_name LIMIT {int(limit)}"
    )
