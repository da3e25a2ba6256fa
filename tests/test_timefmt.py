"""Durations and timestamps as the official CLI words them (without its typos)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from restate_cli.admin.record import utc_iso
from restate_cli.render import timefmt


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0 seconds"),
        (timedelta(milliseconds=253), "253 ms"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(minutes=4, seconds=42, milliseconds=653), "4 minutes, 42 seconds and 653 ms"),
        (
            timedelta(hours=1, minutes=2, seconds=5, milliseconds=888),
            "1 hour, 2 minutes, 5 seconds and 888 ms",
        ),
        (timedelta(days=8), "1 week and 1 day"),
        (timedelta(days=400), "1 year, 1 month and 5 days"),
        (timedelta(microseconds=999), "0 seconds"),
        (timedelta(seconds=-90), "1 minute and 30 seconds"),
    ],
)
def test_precise(delta: timedelta, text: str) -> None:
    assert timefmt.precise(delta) == text


def test_precise_tenses() -> None:
    d = timedelta(seconds=58, milliseconds=687)
    assert timefmt.precise(d, "past") == "58 seconds and 687 ms ago"
    assert timefmt.precise(d, "future") == "in 58 seconds and 687 ms"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (3, "just now"),
        (30, "30 seconds"),
        (80, "a minute"),
        (600, "10 minutes"),
        (4000, "an hour"),
        (3 * 3600, "3 hours"),
        (30 * 3600, "a day"),
        (3 * 86400, "3 days"),
        (8 * 86400, "a week"),
        (20 * 86400, "3 weeks"),
        (40 * 86400, "a month"),
        (100 * 86400, "3 months"),
        (400 * 86400, "a year"),
        (1000 * 86400, "3 years"),
    ],
)
def test_rough(seconds: int, text: str) -> None:
    assert timefmt.rough(timedelta(seconds=seconds)) == text


def test_rough_past_never_says_now_ago() -> None:
    assert timefmt.rough(timedelta(seconds=2), "past") == "just now"
    assert timefmt.rough(timedelta(minutes=3), "past") == "3 minutes ago"


def test_iso_durations() -> None:
    assert timefmt.iso_duration(timedelta(seconds=95, microseconds=199249)) == "PT95.199S"
    assert timefmt.iso_duration(timedelta(seconds=31, microseconds=134061)) == "PT31.134S"
    assert timefmt.iso_duration(timedelta(seconds=2, microseconds=500999)) == "PT2.5S"
    assert timefmt.iso_duration(timedelta(microseconds=999)) == "PT0S"
    assert timefmt.iso_duration(timedelta(days=1, seconds=2)) == "PT86402S"
    assert timefmt.iso_duration(timedelta(0)) == "PT0S"
    assert timefmt.duration(timedelta(seconds=3), "rfc2822", "future") == "PT3S"


def test_timestamps_in_each_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    dt = datetime(2026, 11, 27, 17, 23, 31, 786000, tzinfo=UTC)
    assert timefmt.timestamp(dt) == "2026-11-27 17:23:31.786 +00:00"
    assert timefmt.timestamp(dt.replace(microsecond=0)) == "2026-11-27 17:23:31 +00:00"
    assert timefmt.timestamp(dt, "iso8601") == "2026-11-27T17:23:31.786+00:00"
    assert timefmt.timestamp(dt, "rfc2822") == "Fri, 27 Nov 2026 17:23:31 +0000"
    assert utc_iso(dt.replace(microsecond=0)) == "2026-11-27T17:23:31.000Z"


def test_timestamps_use_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        dt = datetime(2026, 11, 27, 17, 0, 0, tzinfo=UTC)
        assert timefmt.timestamp(dt) == "2026-11-27 22:30:00 +05:30"
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
