"""The version of a virtual object's state, as restate-server computes it.

``POST /services/{name}/state`` takes an optional ``version``: the server applies the new
state only if the key's current state still has that version, and otherwise drops the
change without telling. The version is a SHA-256 over the entries sorted by key (each as
its index, 8 bytes big-endian, then ``01 key 02 value 03``), in unpadded URL-safe base64.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable


def state_version(entries: Iterable[tuple[bytes, bytes]]) -> str:
    digest = hashlib.sha256()
    for i, (key, value) in enumerate(sorted(entries)):
        digest.update(i.to_bytes(8, "big") + b"\x01" + key + b"\x02" + value + b"\x03")
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
