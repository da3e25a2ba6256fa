"""SQL builders: every user string is a quoted literal; prefixes have no wildcards."""

from __future__ import annotations

import pytest

from restate_cli.admin import sql
from restate_cli.errors import UsageError


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("plain", "'plain'"),
        ("it's", "'it''s'"),
        ("'; DROP TABLE x; --", "'''; DROP TABLE x; --'"),
        ("back\\slash", "'back\\slash'"),
        ("a%b_c", "'a%b_c'"),
    ],
)
def test_literal(value: str, quoted: str) -> None:
    assert sql.literal(value) == quoted


def test_literal_refuses_nul() -> None:
    with pytest.raises(UsageError):
        sql.literal("a\x00b")


def test_query_forms() -> None:
    assert sql.query_filter("Greeter") == "substr(target, 1, 8) = 'Greeter/'"
    assert sql.query_filter("Greeter/greet") == (
        "((target = 'Greeter/greet' AND target_service_ty = 'service') OR "
        "(substr(target, 1, 14) = 'Greeter/greet/' AND target_service_ty != 'service'))"
    )
    assert sql.query_filter("Obj/k/h") == "target = 'Obj/k/h'"
    assert sql.query_filter("  Greeter/  ") == "substr(target, 1, 8) = 'Greeter/'"
    inv = "inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf"
    assert sql.query_filter(inv) == f"id = '{inv}'"


def test_query_with_hostile_strings_is_quoted() -> None:
    f = sql.query_filter("O'b/k%_")
    assert "'O''b/k%_'" in f and "LIKE" not in f
    assert sql.query_filter("a_b") == "substr(target, 1, 4) = 'a_b/'"


def test_prefix_length_counts_characters() -> None:
    assert sql.query_filter("Grüße") == "substr(target, 1, 6) = 'Grüße/'"


@pytest.mark.parametrize(
    "bad", ["inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4", "inv_0jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf", " / "]
)
def test_bad_queries_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError):
        sql.query_filter(bad)


def test_service_named_like_an_id_prefix_is_a_target() -> None:
    assert sql.query_filter("inv_service/run").startswith("((target = 'inv_service/run'")
    assert sql.query_filter("inv_service") == "substr(target, 1, 12) = 'inv_service/'"


def test_list_filter_default_and_order() -> None:
    f = sql.ListFilter(services=["A", "B'"], statuses=["running"], keys=["k"])
    assert f.where() == (
        " WHERE inv.target_service_name IN ('A', 'B''') AND inv.target_service_key IN ('k')"
        " AND inv.status IN ('running')"
    )
    assert sql.ListFilter().where() == (
        " WHERE inv.status IN ('pending', 'scheduled', 'ready', 'running', 'backing-off', 'suspended', 'paused')"
    )
    assert sql.ListFilter(all=True).where() == ""
    assert "inv.completion_result = 'failure'" in sql.ListFilter(completion_result="failure").where()


def test_resolve_statement() -> None:
    s = sql.resolve("Greeter", ("completed",), negate=True, limit=500)
    assert s == (
        "SELECT id, target, target_service_ty, status FROM sys_invocation_status "
        "WHERE substr(target, 1, 8) = 'Greeter/' AND status NOT IN ('completed') LIMIT 500"
    )
    s = sql.resolve("Greeter", ("paused", "invoked"), limit=3)
    assert s.endswith("AND status IN ('paused', 'invoked') LIMIT 3")


def test_call_tree_statements_quote_every_id() -> None:
    ids = ["inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf", "it's"]
    quoted = "'inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf', 'it''s'"
    assert sql.tree_children(ids, limit=11).endswith(
        f"FROM sys_invocation WHERE invoked_by_id IN ({quoted}) ORDER BY created_at, id LIMIT 11"
    )
    assert sql.tree_nodes(ids).endswith(f"FROM sys_invocation WHERE id IN ({quoted})")
    assert sql.tree_child_counts(ids) == (
        "SELECT invoked_by_id, COUNT(1) AS n FROM sys_invocation "
        f"WHERE invoked_by_id IN ({quoted}) GROUP BY invoked_by_id"
    )
    lite = sql.journal_calls(ids)
    assert "sj.entry_lite_json AS entry_json" in lite and f"sj.id IN ({quoted})" in lite
    assert "'Command: Call', 'Command: OneWayCall'" in lite
    assert "sj.entry_json AS entry_json" in sql.journal_calls(ids, lite=False)


def test_completion_statements_quote_what_the_user_typed() -> None:
    assert sql.invocations_by_id_prefix("inv_1a'", ["completed"], limit=100) == (
        "SELECT id, target, status FROM sys_invocation WHERE substr(id, 1, 7) = 'inv_1a''' "
        "AND status IN ('completed') ORDER BY created_at DESC LIMIT 100"
    )
    assert sql.invocations_by_id_prefix("", [], limit=5) == (
        "SELECT id, target, status FROM sys_invocation ORDER BY created_at DESC LIMIT 5"
    )
    assert sql.invocation_keys(["Cart'"], "a%", ["paused"], limit=10) == (
        "SELECT target_service_name, target_service_key, COUNT(1) AS n FROM sys_invocation "
        "WHERE target_service_key IS NOT NULL AND target_service_name IN ('Cart''') "
        "AND substr(target_service_key, 1, 2) = 'a%' AND status IN ('paused') "
        "GROUP BY target_service_name, target_service_key "
        "ORDER BY target_service_key, target_service_name LIMIT 10"
    )


def test_the_preview_reads_a_selection_and_its_children_by_the_query() -> None:
    """Two scans instead of one per batch of ids: the selection's rows by its QUERY, and the
    children of anything the QUERY matches (a superset the preview narrows by parent id)."""
    assert sql.tree_by_query("Greeter", limit=21).endswith(
        "WHERE substr(target, 1, 8) = 'Greeter/' AND status IN ('pending', 'scheduled', 'ready', "
        "'running', 'backing-off', 'suspended', 'paused') LIMIT 21"
    )
    kids = {
        "Greeter": "WHERE substr(invoked_by_target, 1, 8) = 'Greeter/'",
        "Greeter/greet": "WHERE (invoked_by_target = 'Greeter/greet' OR substr(invoked_by_target, 1, 14) = 'Greeter/greet/')",
        "Counter/k'1/add": "WHERE invoked_by_target = 'Counter/k''1/add'",
        "inv_1aiqX0vFEFNH1Umgre1ZrLwHkpXO9XRsHl": "WHERE invoked_by_id = 'inv_1aiqX0vFEFNH1Umgre1ZrLwHkpXO9XRsHl'",
    }
    for query, where in kids.items():
        statement = sql.tree_children_by_query(query, limit=40_004)
        assert f" {where} ORDER BY created_at, id LIMIT 40004" in statement, statement
