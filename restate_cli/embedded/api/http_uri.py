"""URIs as restate-server reads them from request bodies: the rules of Rust's ``http::Uri``.

A deployment's ``uri`` and a subscription's ``source`` and ``sink`` are ``http::Uri``
values: ``kafka://cluster/topic`` and ``abc`` parse (the second as an authority), while
``http:///x``, ``a b`` and ``my-cluster/orders`` do not, each with its own reason
(``invalid format``, ``invalid uri character``...). Python's ``urllib`` takes nearly
anything, so the rules are written out here; ``tests/test_bad_input.py`` holds them to
what restate-server 1.7.12 answers.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

MAX_LENGTH = 65534  # http's MAX_LEN (u16::MAX - 1)
_MAX_SCHEME = 64
_SCHEME_CHARS = frozenset(string.ascii_letters + string.digits + "+-.")
# What an authority may hold besides letters and digits; '%' is dealt with apart.
_AUTHORITY_CHARS = frozenset(string.ascii_letters + string.digits + "!$&'()*+,;=-._~:/?#[]@")
# Path bytes http takes unencoded: 0x21, 0x24-0x3B, 0x3D, 0x40-0x5F, 0x61-0x7A, 0x7C, 0x7E,
# and '"', '{', '}' for parity with httparse; 0x7F and above are UTF-8.
_PATH_CHARS = frozenset(
    [0x21, 0x3D, 0x7C, 0x7E, 0x22, 0x7B, 0x7D, *range(0x24, 0x3C), *range(0x40, 0x60), *range(0x61, 0x7B)]
)
_QUERY_CHARS = frozenset([0x21, 0x3D, *range(0x24, 0x3C), *range(0x3F, 0x7F)])


class InvalidUri(ValueError):
    """``http::uri::InvalidUri``: the message is its reason (``invalid format``)."""


@dataclass(frozen=True)
class Uri:
    scheme: str | None  # None: a URI without ``scheme://``
    authority: str
    path: str  # with the query, without the fragment
    text: str  # the URI as http keeps it (without the fragment)

    @property
    def absolute(self) -> bool:
        return self.scheme is not None and bool(self.authority)


def parse(text: str) -> Uri:
    """``text`` as ``http::Uri::from_str`` reads it, or ``InvalidUri``."""
    data = text.encode()
    if len(data) > MAX_LENGTH:
        raise InvalidUri("uri too long")
    if not text:
        raise InvalidUri("empty string")
    if text == "/" or text == "*":
        return Uri(None, "", text, text)
    if len(text) == 1:
        if _authority_end(text) != 1:
            raise InvalidUri("invalid uri character")
        return Uri(None, text, "", text)
    if text.startswith("/"):
        path = _path(text)
        return Uri(None, "", path, path)
    scheme, rest = _scheme(text)
    end = _authority_end(rest)
    if scheme is None:
        if end != len(rest):
            raise InvalidUri("invalid format")
        return Uri(None, rest, "", rest)
    if end == 0:
        raise InvalidUri("invalid format")  # an absolute URI needs an authority
    path = _path(rest[end:])
    return Uri(scheme, rest[:end], path, f"{scheme}://{rest[:end]}{path}")


def _scheme(text: str) -> tuple[str | None, str]:
    lowered = text[:8].lower()
    for known in ("http", "https"):
        if lowered.startswith(known + "://"):
            return known, text[len(known) + 3 :]
    if len(text) > 3:
        for i, c in enumerate(text):
            if c == ":":
                if text[i + 1 : i + 3] != "//":
                    break
                if i > _MAX_SCHEME:
                    raise InvalidUri("scheme too long")
                return text[:i], text[i + 3 :]
            if c not in _SCHEME_CHARS:
                break
    return None, text


def _authority_end(text: str) -> int:
    """Where the authority at the start of ``text`` ends (at ``/``, ``?`` or ``#``)."""
    colons = 0
    start_bracket = end_bracket = percent = False
    at_sign = None
    end = len(text)
    for i, c in enumerate(text):
        if c in "/?#":
            end = i
            break
        if c == ":":
            if colons >= 8:
                raise InvalidUri("invalid authority")
            colons += 1
        elif c == "[":
            if percent or start_bracket:
                raise InvalidUri("invalid authority")
            start_bracket = True
        elif c == "]":
            if not start_bracket or end_bracket:
                raise InvalidUri("invalid authority")
            end_bracket = True
            colons, percent = 0, False
        elif c == "@":
            at_sign = i
            colons, percent = 0, False
        elif c == "%":
            percent = True
        elif c not in _AUTHORITY_CHARS:
            raise InvalidUri("invalid uri character")
    if start_bracket != end_bracket or colons > 1 or percent or (end > 0 and at_sign == end - 1):
        raise InvalidUri("invalid authority")
    return end


def _path(text: str) -> str:
    """The path and query (checked), without the fragment."""
    query = False
    for i, byte in enumerate(text.encode()):
        if byte == 0x23:  # '#': the fragment is dropped, unchecked
            return text.encode()[:i].decode()
        if not query and byte == 0x3F:
            query = True
        elif byte < 0x7F and byte not in (_QUERY_CHARS if query else _PATH_CHARS):
            raise InvalidUri("invalid uri character")
    return text
