"""Durations and state versions, held to what restate-server 1.7.12 does with them."""

from __future__ import annotations

import pytest

from restate_cli.durations import DurationError, friendly, normalize
from restate_cli.state_version import state_version

# What restate-server 1.7.12 answered for each `abort_timeout` sent with PATCH /services/{name}.
MEASURED = {
    "90s": "1m 30s",
    "1.5h": "1h 30m",
    "2days": "2d",
    "10hours": "10h",
    "1min": "1m",
    "5d 1h 30m 15s": "5d 1h 30m 15s",
    "PT1H30M": "1h 30m",
    "P1D": "1d",
    "1500ms": "1s 500ms",
    "1h, 30m": "1h 30m",
    "1 hour 2 minutes": "1h 2m",
    "3w": "21d",
    "PT0.5S": "500ms",
    "1h30m": "1h 30m",
    "0": "0s",
}


@pytest.mark.parametrize(("given", "shown"), MEASURED.items())
def test_durations_read_and_written_as_restate_server_does(given: str, shown: str) -> None:
    assert normalize(given) == shown
    assert normalize(shown) == shown


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("1y", "years and months vary in length"),
        ("bogus", "is not a duration"),
        ("", "empty"),
        ("1h 1h", "appears twice"),
        ("5 parsecs", "unknown unit"),
        ("PT", "not an ISO 8601 duration"),
    ],
)
def test_what_is_not_a_duration(given: str, reason: str) -> None:
    with pytest.raises(DurationError, match=reason):
        normalize(given)


def test_friendly() -> None:
    assert friendly(86_400_000 + 1000) == "1d 1s"
    assert friendly(0) == "0s"


def test_state_versions_are_restate_servers() -> None:
    """The examples of restate-server's own StateMutationVersion tests."""
    assert state_version([(b"name", b"bob")]) == "tDqA04Lj3_qJ-PgNPTecXDGZgpwy6jm2Ni2BYqJIthM"
    assert state_version([(b"b", b"bbb"), (b"a", b"aaa")]) == "RVM17P6x18Wp-JnzQ01BzmqCvhAunTOQI_az6Px3Zyk"
    assert state_version([]) == "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
