"""Control messages: Start and the acks the runtime sends, and what ends or pauses an attempt.

None of these are stored in the journal. The decoders accept every protocol version the
runtime speaks (V5 to V7): a V7 Suspension carries a tree of futures, which is flattened
into "any of" sets, exactly what a V6 Suspension means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum

from restate_cli.embedded.protocol.protobuf import Fields, ProtocolError, Writer
from restate_cli.embedded.protocol.results import Failure, encode_value

MAX_FUTURE_DEPTH = 1000
"""restate refuses deeper V7 future trees."""

StateEntries = Mapping[str | bytes, bytes] | Iterable[tuple[str | bytes, bytes]]


def encode_start(
    *,
    raw_id: bytes,
    debug_id: str,
    known_entries: int,
    state_map: StateEntries | None = None,
    partial_state: bool = False,
    key: str = "",
    retry_count_since_last_stored_entry: int = 0,
    duration_since_last_stored_entry: int = 0,
    random_seed: int = 0,
    scope: str | None = None,
    limit_key: str | None = None,
    idempotency_key: str | None = None,
) -> bytes:
    """The Start payload.

    ``raw_id`` is the 24-byte invocation id and ``debug_id`` its ``inv_1…`` form;
    ``known_entries`` counts the journal entries sent after Start (Input included);
    ``duration_since_last_stored_entry`` is in milliseconds. ``scope``, ``limit_key`` and
    ``idempotency_key`` exist in V7 only and are written when not ``None``.
    """
    w = Writer().blob(1, raw_id).string(2, debug_id).uint(3, known_entries)
    if state_map is not None:
        items = state_map.items() if isinstance(state_map, Mapping) else state_map
        w.repeated(4, (Writer().blob(1, _key(k)).blob(2, v).finish() for k, v in items))
    w.boolean(5, partial_state).string(6, key)
    w.uint(7, retry_count_since_last_stored_entry).uint(8, duration_since_last_stored_entry)
    w.uint(9, random_seed)
    for field, value in ((10, scope), (11, limit_key), (12, idempotency_key)):
        if value is not None:
            w.string(field, value, always=True)
    return w.finish()


def _key(k: str | bytes) -> bytes:
    return k.encode() if isinstance(k, str) else k


def encode_command_ack(command_index: int) -> bytes:
    return Writer().uint(1, command_index).finish()


def encode_propose_run_completion_ack(completion_id: int) -> bytes:
    """V7: the runtime stored the proposal of run ``completion_id``."""
    return Writer().uint(1, completion_id).finish()


class Combinator(IntEnum):
    """How a V7 future combines its children; 0 counts as FIRST_COMPLETED."""

    UNKNOWN = 0
    FIRST_COMPLETED = 1
    ALL_COMPLETED = 2
    FIRST_SUCCEEDED_OR_ALL_FAILED = 3
    ALL_SUCCEEDED_OR_FIRST_FAILED = 4


@dataclass(frozen=True, slots=True)
class Future:
    """A V7 tree of what the SDK awaits."""

    completion_ids: tuple[int, ...] = ()
    signal_indexes: tuple[int, ...] = ()
    signal_names: tuple[str, ...] = ()
    nested: tuple[Future, ...] = ()
    combinator: int = Combinator.UNKNOWN

    @classmethod
    def from_fields(cls, root: Fields) -> Future:
        """Decode a tree of up to ``MAX_FUTURE_DEPTH`` levels, without recursion."""
        nodes: list[tuple[Fields, int]] = []  # depth-first order: (fields, parent index)
        stack = [(root, -1, 1)]
        while stack:
            f, parent, depth = stack.pop()
            if depth > MAX_FUTURE_DEPTH:
                raise ProtocolError(f"awaited future is nested deeper than {MAX_FUTURE_DEPTH} levels")
            nodes.append((f, parent))
            stack.extend((child, len(nodes) - 1, depth + 1) for child in reversed(f.messages(4)))
        children: list[list[Future]] = [[] for _ in nodes]
        future = cls()
        for index in range(len(nodes) - 1, -1, -1):  # children come after their parent
            f, parent = nodes[index]
            future = cls(
                tuple(f.uints(1)),
                tuple(f.uints(2)),
                tuple(f.strings(3)),
                tuple(reversed(children[index])),
                f.uint(5),
            )
            if parent >= 0:
                children[parent].append(future)
        return future

    def leaves(self) -> tuple[frozenset[int], frozenset[int], frozenset[str]]:
        """Every completion id, signal index and signal name anywhere in the tree."""
        completions: set[int] = set()
        indexes: set[int] = set()
        names: set[str] = set()
        stack = [self]
        while stack:
            node = stack.pop()
            completions.update(node.completion_ids)
            indexes.update(node.signal_indexes)
            names.update(node.signal_names)
            stack.extend(node.nested)
        return frozenset(completions), frozenset(indexes), frozenset(names)


@dataclass(frozen=True, slots=True)
class Suspension:
    """The SDK stopped until any one of these notifications exists."""

    completion_ids: frozenset[int]
    signal_indexes: frozenset[int]
    signal_names: frozenset[str]
    future: Future | None = None  # the V7 tree the sets were flattened from

    @property
    def is_empty(self) -> bool:
        return not (self.completion_ids or self.signal_indexes or self.signal_names)


def decode_suspension(payload: bytes) -> Suspension:
    """A Suspension of any version: V5/V6 flat fields 1-3, or the V7 future in field 4."""
    f = Fields.parse(payload)
    tree = f.message(4)
    if tree is not None:
        future = Future.from_fields(tree)
        return Suspension(*future.leaves(), future=future)
    return Suspension(frozenset(f.uints(1)), frozenset(f.uints(2)), frozenset(f.strings(3)))


class ErrorBehavior(IntEnum):
    """V7: what the SDK asks the runtime to do with an attempt error."""

    RETRY = 0
    PAUSE = 1
    FAIL = 2


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    """An attempt failure reported by the SDK."""

    code: int
    message: str
    stacktrace: str = ""
    related_command_index: int | None = None
    related_command_name: str | None = None
    related_command_type: int | None = None
    next_retry_delay: int | None = None  # ms; overrides the delay of the next retry only
    behavior: int = ErrorBehavior.RETRY


def decode_error(payload: bytes) -> ErrorMessage:
    f = Fields.parse(payload)
    return ErrorMessage(
        code=f.uint(1),
        message=f.string(2),
        stacktrace=f.string(3),
        related_command_index=f.optional_uint(4),
        related_command_name=f.optional_string(5),
        related_command_type=f.optional_uint(6),
        next_retry_delay=f.optional_uint(8),
        behavior=f.uint(9),
    )


@dataclass(frozen=True, slots=True)
class ProposeRunCompletion:
    """The outcome of a ctx.run closure, which the runtime makes durable."""

    completion_id: int
    value: bytes | None = None
    failure: Failure | None = None


def decode_propose_run_completion(payload: bytes) -> ProposeRunCompletion:
    f = Fields.parse(payload)
    failure = f.message(15)
    if failure is not None:
        return ProposeRunCompletion(f.uint(1), failure=Failure.from_fields(failure))
    value = f.optional_blob(14)
    if value is None:
        raise ProtocolError("malformed ProposeRunCompletion: missing result field")
    return ProposeRunCompletion(f.uint(1), value=value)


def run_completion_from_proposal(proposal: ProposeRunCompletion) -> bytes:
    """The RunCompletion notification payload to store for a proposal.

    The proposal carries raw bytes in field 14; the notification wraps them in a ``Value``
    in field 5. A failure moves from field 15 to field 6.
    """
    w = Writer().uint(1, proposal.completion_id)
    if proposal.failure is not None:
        w.message(6, proposal.failure.encode())
    else:
        w.message(5, encode_value(proposal.value or b""))
    return w.finish()


@dataclass(frozen=True, slots=True)
class AwaitingOn:
    """V7 hint: the SDK is blocked on ``future`` with its input still open."""

    future: Future | None
    executing_side_effects: bool


def decode_awaiting_on(payload: bytes) -> AwaitingOn:
    f = Fields.parse(payload)
    tree = f.message(1)
    return AwaitingOn(None if tree is None else Future.from_fields(tree), f.boolean(2))
