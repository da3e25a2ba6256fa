"""The list entries written without rich are exactly what rich prints for the same entries."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from rich.padding import Padding

from restate_cli.admin.models import Invocation
from restate_cli.io import IO
from restate_cli.render import invocations as view
from restate_cli.render import styled
from restate_cli.render.output import OutputOptions, kv_table
from restate_cli.render.styled import Styled

NOW = datetime(2026, 11, 27, 18, 40, 0, 123000, tzinfo=UTC)
TRACEBACK = (
    "[500] Exception('Failing on purpose')\nTraceback (most recent call last):\n"
    '  File "/app/services.py", line 27, in failing\n\n    raise Exception("Failing on purpose")\n'
    "Exception: Failing on purpose\n"
)


def iso(delta_s: float) -> str:
    return (NOW + timedelta(seconds=delta_s)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def invocations(seed: int, n: int) -> list[Invocation]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        status = rnd.choice(
            ["pending", "scheduled", "ready", "running", "backing-off", "suspended", "paused", "completed"]
        )
        keyed = rnd.random() < 0.4
        row: dict = {
            "id": f"inv_1{rnd.randrange(16**30):030x}"[:38],
            "target": f"Counter/k{i}/add"
            if keyed
            else rnd.choice(["Greeter/greet", "Greeter/failing", "S/h"]),
            "target_service_name": "Counter" if keyed else "Greeter",
            "target_service_key": f"k{i}" if keyed else None,
            "target_service_ty": "virtual_object" if keyed else "service",
            "status": status,
            "created_at": iso(-rnd.randrange(1, 400_000)),
            "modified_at": iso(-rnd.choice([1, 3, 30, 4000, 90_000])),
        }
        if rnd.random() < 0.7:
            row["idempotency_key"] = f"01M8F6{rnd.randrange(36**20):020d}"[:26]
        if rnd.random() < 0.3:
            row.update(
                invoked_by_id="inv_1parent" + "x" * 27, invoked_by_target=rnd.choice([None, "Greeter/parent"])
            )
        elif rnd.random() < 0.2:
            row["invoked_by_subscription_id"] = "sub_11XHoawrCVMQ2CT2TVfeU0"
        if rnd.random() < 0.2:
            row["restarted_from"] = "inv_1old" + "y" * 30
        if rnd.random() < 0.8:
            row["pinned_deployment_id"] = "dp_14csiafNHoWhPyar0ftkOuB"
            row["pinned_deployment_exists"] = rnd.random() < 0.8
        if rnd.random() < 0.4:
            row["last_attempt_deployment_id"] = "dp_10000000000000000000000"
            row["last_attempt_server"] = rnd.choice([None, "restate-sdk-python/1.3.0"])
        if rnd.random() < 0.1:
            row["trace_id"] = "4bf92f3577b34da6a3ce929d0e0e4736"
        if status in ("running", "backing-off", "paused"):
            row["retry_count"] = rnd.choice([0, 1, 3, 12])
            row["last_start_at"] = iso(-rnd.choice([0.5, 2, 10, 700]))
            if rnd.random() < 0.7:
                row["last_failure"] = rnd.choice([TRACEBACK, "[409] one line", "two\nlines\n"])
                row["last_failure_error_code"] = rnd.choice([None, "RT0007"])
                row["last_failure_related_command_type"] = rnd.choice([None, "Run", "Sleep"])
                row["last_failure_related_command_name"] = rnd.choice([None, "", "compensate"])
                row["last_failure_related_command_index"] = rnd.choice([None, 3])
        if status == "backing-off":
            row["next_retry_at"] = iso(rnd.choice([-2, 11.376, 3600]))
        if status == "scheduled":
            row["scheduled_start_at"] = iso(rnd.choice([-5, 3540, 90_000]))
        if status == "completed":
            row["completion_result"] = rnd.choice(["success", "failure"])
            row["completion_failure"] = rnd.choice([None, "[409] killed", "[500] boom\nwith a second line"])
        out.append(Invocation.model_validate(row))
    return out


def with_rich(io: IO, invs: list[Invocation], opts: OutputOptions) -> str:
    """The list layout drawn entirely by rich (how it was drawn before the direct writer)."""
    from rich.text import Text

    console = io.console()
    for inv in invs:
        header = Text("  ❯ ")
        if inv.created_at:
            header.append(f"[{view.timefmt.timestamp(inv.created_at, opts.time_format)}] ", style="dim")
        header.append(inv.id, style="bold")
        console.print(header)
        console.print(
            Padding(kv_table(opts, view.invocation_rows(inv, NOW, opts)), (0, 0, 0, 4), expand=False)
        )
        console.print()
    return io.out.getvalue()


def direct(io: IO, invs: list[Invocation], opts: OutputOptions) -> str:
    view.print_entries(io, invs, opts, NOW)
    return io.out.getvalue()


def make_io(color: bool, width: int) -> IO:
    io = IO.for_test(tty=color, color=color)
    io.width = width
    return io


@pytest.mark.parametrize(
    ("color", "width", "time_format"),
    list(itertools.product([False, True], [10_000, 120, 72], ["human", "iso8601", "rfc2822"])),
)
def test_direct_list_entries_match_rich(color: bool, width: int, time_format: str) -> None:
    invs = invocations(seed=width + len(time_format), n=120)
    opts = OutputOptions(time_format=time_format)
    assert direct(make_io(color, width), invs, opts) == with_rich(make_io(color, width), invs, opts)


def test_most_entries_are_written_directly() -> None:
    invs = invocations(seed=7, n=50)
    rows = [view._rows(inv, NOW, OutputOptions()) for inv in invs]
    assert all(styled.kv_block(r, indent=4, width=10_000, color=True) is not None for r in rows)


@pytest.mark.parametrize(
    "target",
    ["Counter/ключ/add", "Greeter/tab\there", "Greeter/bell\x07\rdone", "Wide/漢字/h", "Emoji/😀/h"],
)
def test_other_characters_go_through_rich(target: str) -> None:
    inv = invocations(seed=3, n=1)[0].model_copy(update={"target": target})
    rows = view._rows(inv, NOW, OutputOptions())
    if target.isascii() and target.isprintable():
        pytest.fail("not an interesting case")
    for color in (False, True):
        io_a, io_b = make_io(color, 100), make_io(color, 100)
        assert direct(io_a, [inv], OutputOptions()) == with_rich(io_b, [inv], OutputOptions())
    assert styled.kv_block(rows, indent=4, width=10_000, color=False) is None or "\x07" in target


def test_borders_style_goes_through_rich() -> None:
    invs = invocations(seed=11, n=5)
    opts = OutputOptions(table_style="borders")
    assert direct(make_io(False, 120), invs, opts) == with_rich(make_io(False, 120), invs, opts)


def test_styled_builds_the_same_text_as_rich() -> None:
    from rich.text import Text

    a = Styled("x", style="dim").append(" y\x07", style="red").append("") + Styled("z", style="bold")
    a.append_text(Styled("w\rv").append("u", style="italic"))
    b = Text("x", style="dim")
    b.append(" y\x07", style="red")
    b.append("")
    b = b + Text("z", style="bold")
    b.append_text(Text("w\rv").append("u", style="italic"))
    assert a.to_rich() == b and a.to_rich().style == b.style
    assert a.plain == b.plain


def preview_with_rich(io: IO, refs, opts: OutputOptions) -> str:
    """The bulk preview table drawn by rich (how it was drawn before the direct writer)."""
    from rich.text import Text

    from restate_cli.render import bulk
    from restate_cli.render.output import new_table

    table = new_table(opts, headers=("ID", "TARGET", "STATUS"))
    for ref in refs[:500]:
        table.add_row(Text(ref.id, style="bold"), ref.target, ref.shown_status)
    console = io.console()
    console.print(table)
    if len(refs) > 500:
        console.print(f"And {len(refs) - 500} other invocations...")
        console.print(bulk.status_summary(refs), soft_wrap=True)
    console.print()
    return io.out.getvalue()


@pytest.mark.parametrize(("color", "width"), list(itertools.product([False, True], [10_000, 120, 60])))
@pytest.mark.parametrize(("n", "odd"), [(1, False), (7, False), (503, False), (7, True)])
def test_direct_preview_table_matches_rich(color: bool, width: int, n: int, odd: bool) -> None:
    """``odd``: targets rich reads as markup, or wider characters (then rich draws it all)."""
    from restate_cli.admin.models import InvocationRef
    from restate_cli.render import bulk

    rnd = random.Random(n + width)
    targets = ["Greeter/greet", "Counter/k-1234567890/hold", "S/h"] + (["A/b[1]/c", "Ключ/h"] if odd else [])
    refs = [
        InvocationRef(
            id=f"inv_1{rnd.randrange(16**30):030x}"[:38],
            target=targets[i % len(targets)],
            status=rnd.choice(["inboxed", "invoked", "suspended", "scheduled", "paused", None]),
        )
        for i in range(n)
    ]
    io_a, io_b = make_io(color, width), make_io(color, width)
    bulk.preview(io_a, OutputOptions(), refs, 500)
    assert io_a.out.getvalue() == preview_with_rich(io_b, refs, OutputOptions())


def test_the_plain_guided_table_is_what_rich_prints_without_styles() -> None:
    """``guided_table(plain=True)`` (a tree on a pipe) writes the characters rich does."""
    from rich.text import Text

    from restate_cli.admin import tree as t
    from restate_cli.render import tree as view

    def node(i: int, depth: int, status: str, failure: str | None = None) -> t.Node:
        inv = Invocation.model_validate(
            {
                "id": f"inv_1{i:035d}"[:38],
                "target": "Greeter/greet" if i % 2 else "Counter/k-ключ/add",
                "status": status,
                "completion_result": "failure" if failure else None,
                "completion_failure": failure,
            }
        )
        return t.Node(inv.id, inv, t.Relation(t.SEND if depth else t.INGRESS), depth=depth)

    root = node(0, 0, "completed", "[500] boom")
    kids = [node(i, 1, "suspended" if i % 3 else "running") for i in range(1, 40)]
    root.children = kids
    kids[5].children = [node(100, 2, "pending")]
    kids[7].children_not_shown = 3
    rows = view.guided([root])
    now = datetime.now(UTC)

    def cells(n: t.Node):
        return (Text(n.target), view.status_text(n), view.relation_text(n, now, "human"))

    def mark(n: t.Node):
        return Text(view.FOCUS_MARK, style="bold") if n is kids[2] else None

    io = IO.for_test(color=False)
    io.console().print(view.guided_table(rows, view.TREE_HEADERS, cells, mark=mark), soft_wrap=True)
    plain = view.guided_table(rows, view.TREE_HEADERS, cells, mark=mark, plain=True)
    assert plain + "\n" == io.out.getvalue()
