"""What users see from ``invocations list`` and ``describe``, per status, on a real server."""

from __future__ import annotations

import re
import time

import pytest
from support.backend import Backend
from support.scenarios import Statuses, every_status


@pytest.fixture(scope="module")
def statuses(backend: Backend) -> Statuses:
    return every_status(backend)


def status_line(out: str) -> str:
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith("Status:")]
    assert lines, out
    return lines[0]


def describe_retrying(cli, invocation_id: str, *, tries: int = 20):
    """Describe, re-reading while a retrying invocation is momentarily in its next attempt."""
    for _ in range(tries):
        r = cli("inv", "describe", invocation_id)
        if r.code != 0 or not re.match(r"Status:\s+running", status_line(r.out)):
            return r
        time.sleep(0.05)
    return r


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("success", r"^Status:\s+completed with success$"),
        ("failure", r"^Status:\s+completed with failure$"),
        ("running", r"^Status:\s+running  \(for (\d+ (ms|seconds?))( and \d+ ms)?\)$"),
        ("suspended", r"^Status:\s+suspended  \(.* ago\)$"),
        (
            "backing-off",
            r"^Status:\s+backing-off  \(for .* since the first attempt(, the last one .* ago)?\. "
            r"Retried [1-9]\d* times?\. "
            r"(Next retry in .*|Next retry due now)\)$",
        ),
        ("paused", r"^Status:\s+paused$"),
        (
            "scheduled",
            r"^Status:\s+scheduled  \(starts \d{4}-\d\d-\d\d \d\d:\d\d:\d\d.*, in 59 minutes.*\)$",
        ),
        ("pending", r"^Status:\s+pending  \(waiting for Counter/st-\w+ to be free\)$"),
    ],
)
def test_describe_shows_each_status(cli, statuses: Statuses, name: str, pattern: str) -> None:
    r = (
        describe_retrying(cli, statuses[name])
        if name == "backing-off"
        else cli("invocations", "describe", statuses[name])
    )
    assert r.code == 0, r
    line = status_line(r.out)
    assert re.match(pattern, line), line
    assert "in in" not in line and "))" not in line


def test_describe_backing_off_shows_the_error_and_its_time(cli, statuses: Statuses) -> None:
    r = describe_retrying(cli, statuses["backing-off"])
    assert r.code == 0, r
    assert re.search(r"Error:\s+\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+00:00\]", r.out), r.out
    assert "Exception('Failing on purpose')" in r.out
    assert "Deployment:" in r.out and "using restate-sdk-python/1.3.0" in r.out


def test_describe_completed_failure_shows_the_failure(cli, statuses: Statuses) -> None:
    r = cli("inv", "describe", statuses["failure"])
    assert re.search(r"Error:\s+\[418\] terminal failure on purpose", r.out), r.out
    assert re.search(r"Deployment:\s+dp_\w+ \[required\]", r.out), r.out


def test_describe_shows_the_journal_and_caller(cli, backend: Backend, statuses: Statuses) -> None:
    r = cli("inv", "describe", statuses["pending"])
    assert "[Ingress]" in r.out
    assert f"└──(this)─> Counter/{statuses.key}/add" in r.out
    r = cli("inv", "describe", statuses["suspended"])
    assert re.search(r"#1 \[.*\] Command: Sleep until .* \(.* left\)", r.out), r.out
    assert r.out.rstrip().endswith("└────>> suspended")
    # The pinned-deployment tip goes to stderr with its blank line: one blank line between
    # the sections on stdout, however the two streams end up.
    assert "[TIP]: This invocation is bound to run on deployment" in r.err
    assert r.err.startswith("\n[TIP]")
    assert "\n\n\n" not in r.out.replace(" ", ""), r.out


def test_list_filters_by_key_and_shows_entries(cli, statuses: Statuses) -> None:
    r = cli("inv", "ls", "--key", statuses.key)
    assert r.code == 0, r
    headers = re.findall(r"^  ❯ \[.*\] (inv_\w+)$", r.out, re.M)
    assert headers == [statuses["pending"], statuses["holder"]]  # newest first
    assert "Showing 2/2 invocations" in r.err


def test_list_default_hides_completed_and_all_shows_them(cli, statuses: Statuses) -> None:
    shown = {line for line in cli("-q", "inv", "ls", "--limit", "1000").lines}
    assert statuses["running"] in shown and statuses["success"] not in shown
    everything = set(cli("-q", "inv", "ls", "--all", "--limit", "1000").lines)
    assert statuses["success"] in everything and statuses["failure"] in everything


def test_list_status_and_completion_filters(cli, statuses: Statuses) -> None:
    for _ in range(20):  # the retrying invocation is momentarily running during each attempt
        r = cli("-q", "inv", "ls", "--status", "paused,backing-off", "--limit", "1000")
        if statuses["backing-off"] in r.lines:
            break
        time.sleep(0.05)
    assert statuses["paused"] in r.lines and statuses["backing-off"] in r.lines
    assert statuses["running"] not in r.lines
    r = cli("-q", "inv", "ls", "--completion-result", "failure", "--limit", "1000")
    assert statuses["failure"] in r.lines and statuses["success"] not in r.lines
    r = cli("-q", "inv", "ls", "--virtual-objects-only", "--limit", "1000")
    assert statuses["pending"] in r.lines and statuses["running"] not in r.lines


def test_list_query_argument_uses_target_prefix(cli, statuses: Statuses) -> None:
    r = cli("-q", "inv", "ls", f"Counter/{statuses.key}/add")
    assert r.lines == [statuses["pending"]]
    r = cli("-q", "inv", "ls", f"Counter/{statuses.key}", "--oldest-first")
    assert r.lines == [statuses["holder"], statuses["pending"]]


def test_list_json_shape(cli, statuses: Statuses) -> None:
    r = cli("--json", "inv", "ls", "--key", statuses.key)
    data = r.json()
    assert isinstance(data, list) and len(data) == 2
    first = data[0]
    assert first["id"] == statuses["pending"]
    assert first["status"] == "pending"
    assert first["target"] == f"Counter/{statuses.key}/add"
    assert first["target_service_key"] == statuses.key
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", first["created_at"])
    for field in (
        "retry_count",
        "next_retry_at",
        "completion_result",
        "deployment_id",
        "invoked_by_id",
    ):
        assert field in first


def test_describe_json_includes_journal(cli, statuses: Statuses) -> None:
    data = cli("--json", "inv", "describe", statuses["suspended"]).json()
    assert data["id"] == statuses["suspended"]
    assert [e["entry_type"] for e in data["journal"]][:2] == ["Command: Input", "Command: Sleep"]


def test_list_tsv_output(cli, statuses: Statuses) -> None:
    r = cli("-o", "tsv", "inv", "ls", "--key", statuses.key)
    rows = [line.split("\t") for line in r.lines]
    assert rows[0][:3] == ["ID", "TARGET", "STATUS"]
    assert rows[1][:3] == [statuses["pending"], f"Counter/{statuses.key}/add", "pending"]


def test_describe_unknown_id_exits_4(cli) -> None:
    r = cli("inv", "describe", "inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf")
    assert r.code == 4
    assert r.err.startswith("Error: invocation inv_1jVaLO6DNFvO1xuVfSeAHLAF5PI4kjb4rf not found")


def test_describe_malformed_id_is_a_usage_error(cli) -> None:
    r = cli("inv", "describe", "inv_123")
    assert r.code == 2 and "bad length" in r.err and "Traceback" not in r.err


def test_describe_paused_shows_why_the_retries_stopped(cli, statuses: Statuses) -> None:
    r = cli("inv", "describe", statuses["paused"])
    assert r.code == 0, r
    assert re.search(r"Paused after:\s+\[500\] Exception\('fail_then_pause boom'\)", r.out), r.out
    data = cli("--json", "inv", "describe", statuses["paused"]).json()
    assert data["pause_reason"] == "[500] Exception('fail_then_pause boom')"


def test_time_formats_and_table_styles(cli, statuses: Statuses) -> None:
    r = cli("--time-format", "iso8601", "inv", "describe", statuses["suspended"])
    assert re.search(
        r"Created at:\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?\+00:00 \(PT\d+(\.\d{1,3})?S\)", r.out
    ), r.out
    assert re.search(r"Status:\s+suspended  \(PT\d+(\.\d{1,3})?S\)", r.out), r.out
    r = cli("--time-format", "rfc2822", "inv", "describe", statuses["suspended"])
    assert re.search(r"Created at:\s+\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", r.out), r.out
    r = cli("--table-style", "borders", "inv", "ls", "--key", statuses.key)
    assert "╭" in r.out and "│ Target:" in r.out and "╰" in r.out


def test_watch_mode_refreshes_until_interrupted(home, backend: Backend, statuses: Statuses) -> None:
    import signal
    import subprocess
    import sys
    import time

    from support.cli import clean_env

    target = (
        {"RESTATE_CLI_HOME": str(backend.data_dir)}
        if backend.embedded
        else {"RESTATE_ADMIN_URL": backend.admin_url}
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "restate_cli", "inv", "ls", "--key", statuses.key, "-w", "-n", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(home, target),
    )
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out.count(statuses["pending"]) >= 3, out
    assert "Traceback" not in err


def test_backing_off_counts_from_the_first_attempt_and_says_so() -> None:
    """Whatever ``modified_at`` means on the server, "for X" is since the first attempt."""
    from datetime import UTC, datetime, timedelta

    from restate_cli.admin.models import Invocation
    from restate_cli.render import invocations as view

    now = datetime(2026, 11, 27, 17, 0, 0, tzinfo=UTC)
    inv = Invocation(
        id="inv_x",
        status="backing-off",
        running_at=now - timedelta(seconds=13),
        last_start_at=now - timedelta(seconds=2),
        modified_at=now - timedelta(seconds=1),  # the embedded runtime moves it at each failure
        next_retry_at=now + timedelta(seconds=5),
        retry_count=5,
    )
    assert (view._status_note(inv, now, "human").plain) == (
        "for 13 seconds since the first attempt, the last one 2 seconds ago. "
        "Retried 5 times. Next retry in 5 seconds"
    )
    assert (view._status_note(inv, now, "iso8601").plain) == (
        "for PT13S since the first attempt, the last one PT2S ago. Retried 5 times. Next retry in PT5S"
    )
