"""Bad input and unusable stores: one error line, the right exit code, never a traceback."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import Result, clean_env

from restate_cli.embedded.store import MIGRATIONS, Store

LIMIT = 2**63 - 1


def one_line(r: Result, code: int) -> str:
    assert r.code == code, r
    assert "Traceback" not in r.err and "unexpected" not in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1, r.err
    return r.err


@pytest.mark.parametrize(
    "args",
    [
        ["inv", "ls", "--limit", str(LIMIT + 1)],
        ["inv", "ls", "--limit", "99999999999999999999"],
        ["inv", "kill", "--limit", str(2**64), "Greeter"],
    ],
)
def test_a_limit_beyond_64_bits_is_a_usage_error(cli_offline, args: list[str]) -> None:
    err = one_line(cli_offline(*args, env={"RESTATE_ADMIN_URL": "http://127.0.0.1:9"}), 2)
    assert f"--limit must be at most {LIMIT} (a 64-bit integer)" in err


def test_the_largest_limit_works(cli_offline, tmp_path: Path) -> None:
    r = cli_offline("inv", "ls", "--limit", str(LIMIT), env={"RESTATE_CLI_HOME": str(tmp_path / "data")})
    assert r.code == 0, r


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://[zz]:9070", "'zz' does not appear to be an IPv4 or IPv6 address"),
        ("http://127.0.0.1:99999", "bad port"),
    ],
)
def test_a_malformed_admin_url_is_a_usage_error(cli_offline, url: str, reason: str) -> None:
    err = one_line(cli_offline("--admin-url", url, "inv", "ls"), 2)
    assert err.startswith(f"Error: invalid admin URL {url!r} (from --admin-url): {reason}")


@pytest.mark.parametrize(
    ("url", "reason"),
    [("http://localhost:99999", "Port out of range 0-65535"), ("http://[::1:9080/", "Invalid IPv6 URL")],
)
def test_a_malformed_deployment_url_is_a_usage_error(
    cli_offline, tmp_path: Path, url: str, reason: str
) -> None:
    r = cli_offline("deployments", "register", url, env={"RESTATE_CLI_HOME": str(tmp_path / "data")})
    assert one_line(r, 2).startswith(f"Error: invalid deployment URL {url!r}: {reason}")


def test_a_token_with_a_line_break_names_its_source_not_itself(cli_offline, home: Path) -> None:
    token = "s3cr3t-t0ken\n"
    r = cli_offline("inv", "ls", env={"RESTATE_ADMIN_URL": "http://127.0.0.1:9", "RESTATE_AUTH_TOKEN": token})
    err = one_line(r, 2)
    assert err.startswith("Error: the bearer token from $RESTATE_AUTH_TOKEN contains a line break")
    assert "s3cr3t" not in err
    config = home / "restate.toml"
    config.write_text('[global]\nadmin_base_url = "http://127.0.0.1:9"\nbearer_token = "a\\rb\\u0000"\n')
    err = one_line(cli_offline("inv", "ls", env={"RESTATE_CLI_CONFIG": str(config)}), 2)
    assert f"the bearer token from bearer_token in {config} contains a line break" in err
    config.write_text('[global]\nadmin_base_url = "http://127.0.0.1:9"\nbearer_token = "a\\u0000b"\n')
    err = one_line(cli_offline("inv", "ls", env={"RESTATE_CLI_CONFIG": str(config)}), 2)
    assert "contains a control character" in err


def new_store(data: Path) -> Path:
    data.mkdir()
    Store(data / "restate.db").close()
    return data / "restate.db"


def test_a_store_from_a_newer_restate_cli_is_refused(cli_offline, tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = new_store(data)
    with sqlite3.connect(db) as c:
        c.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 7}")
    c.close()
    for args in (["inv", "ls"], ["dev"]):
        err = one_line(cli_offline(*args, env={"RESTATE_CLI_HOME": str(data)}), 1)
        assert err.startswith(
            f"Error: cannot open the embedded runtime's data in {data}: its store has schema version "
            f"{len(MIGRATIONS) + 7}, newer than the {len(MIGRATIONS)} this restate-cli knows"
        )
        assert "upgrade restate-cli" in err


def corrupt(db: Path, *tables: str) -> None:
    """Overwrite the first page of each table (or index) with junk; the schema page stays intact."""
    with sqlite3.connect(db) as c:
        roots = dict(c.execute("SELECT name, rootpage FROM sqlite_master WHERE rootpage > 0").fetchall())
        page_size = c.execute("PRAGMA page_size").fetchone()[0]
    c.close()
    data = bytearray(db.read_bytes())
    for table in tables:
        start = (roots[table] - 1) * page_size
        data[start : start + page_size] = b"\x0d\xff" * (page_size // 2)
    db.write_bytes(bytes(data))


def test_a_corrupt_store_says_so_and_what_to_do(cli_offline, tmp_path: Path) -> None:
    data = tmp_path / "data"
    # `inv ls` reads the index of the invocations' status (store migration 4), not the table
    corrupt(new_store(data), "deployments", "invocations", "invocations_view_status")
    env = {"RESTATE_CLI_HOME": str(data)}
    err = one_line(cli_offline("deployments", "ls", env=env), 1)
    assert err.startswith(f"Error: cannot use the embedded runtime's data in {data}: the store is corrupt (")
    assert f"move {data / 'restate.db'} (with its -wal and -shm files) aside" in err
    assert "writable" not in err
    err = one_line(cli_offline("inv", "ls", env=env), 1)  # found by /query: the same words
    assert err.startswith(f"Error: cannot use the embedded runtime's data in {data}: the store is corrupt (")
    assert f"move {data / 'restate.db'} (with its -wal and -shm files) aside" in err
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "restate.db").write_bytes(b"not a database" * 1000)
    err = one_line(cli_offline("inv", "ls", env={"RESTATE_CLI_HOME": str(garbage)}), 1)
    assert err.startswith(
        f"Error: cannot open the embedded runtime's data in {garbage}: the store is corrupt ("
    )


def without_root_powers() -> list[str]:
    """A command prefix under which file permissions apply, even to root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions would not apply")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def test_a_read_only_store_with_wal_files(home: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = new_store(data)
    writer = Store(db)  # stays open, as a dev process killed -9 leaves it: -wal and -shm remain
    writer.conn.execute("PRAGMA wal_autocheckpoint = 0")
    with writer.tx() as c:
        writer.save_kafka_cluster(c, "local-kafka", {"bootstrap.servers": "localhost:9092"}, 1)
    assert (data / "restate.db-wal").exists() and (data / "restate.db-shm").exists()
    modes = {p: p.stat().st_mode for p in (data, *data.iterdir())}
    try:
        for p in data.iterdir():
            p.chmod(0o444)
        data.chmod(0o555)
        env = clean_env(home, {"RESTATE_CLI_HOME": str(data)})

        def cli(*args: str) -> Result:
            command = [*without_root_powers(), sys.executable, "-m", "restate_cli", *args]
            proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=home, timeout=60)
            return Result(proc.returncode, proc.stdout, proc.stderr)

        r = cli("kafka-clusters", "ls")  # reading works
        assert r.code == 0 and "local-kafka" in r.out, r
        err = one_line(cli("--yes", "kafka-clusters", "create", "k2", "bootstrap.servers=localhost:9092"), 1)
        assert err.startswith(
            f"Error: cannot write the embedded runtime's data in {data}: attempt to write a readonly database"
        )
        assert "make it writable" in err
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
        writer.close()
