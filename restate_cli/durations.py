"""Durations as the admin API writes them: jiff's "friendly" format and ISO 8601.

restate-server reads service settings (retentions, timeouts) as ``5d 1h 30m 15s``,
``10 minutes``, ``2days`` or ``PT1H30M``, and writes them back as ``1d 1h 30m 15s``. No
Python library reads the friendly format (isodate reads only ISO 8601), so this module
parses both with two regular expressions; ``tests/test_durations.py`` holds it to what
restate-server 1.7.12 accepts and prints. Calendar units (years, months) are refused: a
retention is a fixed length of time.
"""

from __future__ import annotations

import re

MS = {
    "w": 7 * 86_400_000,
    "d": 86_400_000,
    "h": 3_600_000,
    "m": 60_000,
    "s": 1000,
    "ms": 1,
    "us": 0.001,
    "ns": 0.000001,
}
_UNITS = {
    "w": ("w", "wk", "wks", "week", "weeks"),
    "d": ("d", "day", "days"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "m": ("m", "min", "mins", "minute", "minutes"),
    "s": ("s", "sec", "secs", "second", "seconds"),
    "ms": ("ms", "msec", "msecs", "millisecond", "milliseconds"),
    "us": ("us", "µs", "μs", "usec", "usecs", "microsecond", "microseconds"),
    "ns": ("ns", "nsec", "nsecs", "nanosecond", "nanoseconds"),
}
_UNIT_OF = {spelling: unit for unit, spellings in _UNITS.items() for spelling in spellings}
_CALENDAR = ("y", "yr", "yrs", "year", "years", "mo", "mos", "month", "months")
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zµμ]+)\s*,?", re.IGNORECASE)
_ISO = re.compile(
    r"P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?",
    re.IGNORECASE,
)


class DurationError(ValueError):
    """Text that is not a duration; the message says why."""


def parse_ms(text: str) -> int:
    """Milliseconds in ``text`` (friendly or ISO 8601), rounded to the millisecond."""
    raw = text.strip()
    if not raw:
        raise DurationError("a duration is empty; write e.g. 10m, 1h 30m, 2days or PT1H")
    if raw[0] in "Pp":
        return _iso(raw)
    if raw == "0":
        return 0
    total = 0.0
    pos = 0
    seen: list[str] = []
    while pos < len(raw):
        m = _PART.match(raw, pos)
        if m is None:
            raise DurationError(f"{text!r} is not a duration; write e.g. 10m, 1h 30m, 2days or PT1H")
        spelling = m.group(2).lower()
        unit = _UNIT_OF.get(spelling)
        if unit is None:
            if spelling in _CALENDAR:
                raise DurationError(f"{text!r}: years and months vary in length; use days or weeks")
            raise DurationError(f"{text!r}: unknown unit {m.group(2)!r} (use w, d, h, m, s or ms)")
        if unit in seen:
            raise DurationError(f"{text!r}: the unit {unit} appears twice")
        seen.append(unit)
        total += float(m.group(1)) * MS[unit]
        pos = m.end()
    return round(total)


def _iso(text: str) -> int:
    m = _ISO.fullmatch(text)
    if m is None or not any(m.groupdict().values()) or text.upper().endswith("T"):
        raise DurationError(f"{text!r} is not an ISO 8601 duration (e.g. PT1H30M, P1D)")
    return round(sum(float(v) * MS[k] for k, v in m.groupdict().items() if v))


def friendly(ms: int) -> str:
    """``1d 1h 30m 15s``, ``500ms``, ``0s``: how restate-server writes durations."""
    if ms <= 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s", "ms"):
        size = int(MS[unit])
        n, ms = divmod(ms, size)
        if n:
            parts.append(f"{n}{unit}")
    return " ".join(parts)


def normalize(text: str) -> str:
    """The friendly spelling of ``text``: what is sent to the server and shown back."""
    return friendly(parse_ms(text))
