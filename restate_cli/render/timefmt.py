"""Durations and timestamps, as the official CLI prints them (and a bit better).

``--time-format human`` (the default) gives local timestamps like
``2026-11-27 17:23:31.786 +00:00`` and durations like ``4 minutes, 42 seconds and 653 ms``.
``iso8601`` gives ``2026-11-27T17:23:31.786+00:00`` and ``PT282.653S``; ``rfc2822`` gives
``Fri, 27 Nov 2026 17:23:31 +0000`` and ISO-8601 durations.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

Tense = Literal["past", "future", "present"]
TIME_FORMATS = ("human", "iso8601", "rfc2822")

_UNITS = (
    ("year", 365 * 86_400_000),
    ("month", 30 * 86_400_000),
    ("week", 7 * 86_400_000),
    ("day", 86_400_000),
    ("hour", 3_600_000),
    ("minute", 60_000),
    ("second", 1000),
)


def precise(delta: timedelta, tense: Tense = "present") -> str:
    """``1 hour, 2 minutes, 5 seconds and 888 ms``, with ``ago`` or ``in`` for the tense."""
    ms = abs(int(delta / timedelta(milliseconds=1)))
    parts: list[str] = []
    for name, size in _UNITS:
        n, ms = divmod(ms, size)
        if n:
            parts.append(f"{n} {name}" + ("s" if n != 1 else ""))
    if ms:
        parts.append(f"{ms} ms")
    if not parts:
        text = "0 seconds"
    elif len(parts) == 1:
        text = parts[0]
    else:
        text = ", ".join(parts[:-1]) + " and " + parts[-1]
    return _tensed(text, tense)


def rough(delta: timedelta, tense: Tense = "present") -> str:
    """One unit, ``3 minutes`` or ``a day``; ``just now`` under 11 seconds."""
    s = abs(delta.total_seconds())
    if s <= 10:
        return "just now"
    minute, hour, day = 60, 3600, 86400
    if s <= 45:
        text = f"{max(int(s), 2)} seconds"
    elif s <= 90:
        text = "a minute"
    elif s <= 45 * minute:
        text = f"{max(round(s / minute), 2)} minutes"
    elif s <= 90 * minute:
        text = "an hour"
    elif s <= 22 * hour:
        text = f"{max(round(s / hour), 2)} hours"
    elif s <= 36 * hour:
        text = "a day"
    elif s <= 6.5 * day:
        text = f"{max(round(s / day), 2)} days"
    elif s <= 10.5 * day:
        text = "a week"
    elif s <= 29 * day:
        text = f"{max(round(s / (7 * day)), 2)} weeks"
    elif s <= 45 * day:
        text = "a month"
    elif s <= 345 * day:
        text = f"{max(round(s / (30 * day)), 2)} months"
    elif s <= 547 * day:
        text = "a year"
    else:
        text = f"{max(round(s / (365 * day)), 2)} years"
    return _tensed(text, tense)


def iso_duration(delta: timedelta) -> str:
    """``PT95.199S``: total seconds to the millisecond (as the human form), no day part,
    trailing zeros dropped. The official CLI prints nanoseconds; nothing here is that exact."""
    total = abs(delta)
    seconds = total.days * 86400 + total.seconds
    frac = f"{total.microseconds // 1000:03d}".rstrip("0")
    return f"PT{seconds}.{frac}S" if frac else f"PT{seconds}S"


def duration(delta: timedelta, fmt: str = "human", tense: Tense = "present") -> str:
    return precise(delta, tense) if fmt == "human" else iso_duration(delta)


def rough_duration(delta: timedelta, fmt: str = "human", tense: Tense = "present") -> str:
    return rough(delta, tense) if fmt == "human" else iso_duration(delta)


def _tensed(text: str, tense: Tense) -> str:
    if tense == "past":
        return f"{text} ago"
    if tense == "future":
        return f"in {text}"
    return text


def timestamp(dt: datetime, fmt: str = "human") -> str:
    """An absolute time in the local timezone."""
    local = dt.astimezone()
    if fmt == "rfc2822":
        from email.utils import format_datetime

        return format_datetime(local)
    ms = local.microsecond // 1000
    if fmt == "iso8601":
        base = local.strftime("%Y-%m-%dT%H:%M:%S")
        offset = local.strftime("%z")
        offset = offset[:3] + ":" + offset[3:] if offset else "+00:00"
        return f"{base}.{ms:03d}{offset}" if ms else f"{base}{offset}"
    base = local.strftime("%Y-%m-%d %H:%M:%S")
    offset = local.strftime("%z")
    offset = offset[:3] + ":" + offset[3:] if offset else "+00:00"
    return f"{base}.{ms:03d} {offset}" if ms else f"{base} {offset}"


def now() -> datetime:
    return datetime.now(UTC)
