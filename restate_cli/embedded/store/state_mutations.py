"""State changes through the admin API (``POST /services/{name}/state``), as restate applies them.

A change replaces the key's whole state. While an invocation holds the key, the change waits
in the key's inbox and is applied in turn, when the invocations ahead of it have finished.
With a ``version``, it is applied only if the state still has that version when its turn
comes; otherwise it is dropped (restate-server answers 202 either way).
"""

from __future__ import annotations

from restate_cli.embedded.store.database import Store
from restate_cli.embedded.store.rows import Conn
from restate_cli.state_version import state_version


def mutate(
    store: Store, c: Conn, service: str, key: str, new_state: dict[bytes, bytes], version: str | None
) -> str:
    """Apply now or queue behind the key's holder: ``applied``, ``dropped`` or ``queued``."""
    if store.lock_holder(c, service, key) is not None:
        store.queue_state_mutation(c, service, key, new_state, version)
        return "queued"
    return "applied" if apply(store, c, service, key, new_state, version) else "dropped"


def apply(
    store: Store, c: Conn, service: str, key: str, new_state: dict[bytes, bytes], version: str | None
) -> bool:
    if version is not None and state_version(store.state(c, service, key)) != version:
        return False
    store.state_clear(c, service, key)
    for name, value in new_state.items():
        store.state_set(c, service, key, name, value)
    return True


def apply_queued(store: Store, c: Conn, service: str, key: str, before_seq: int | None) -> None:
    """Apply the key's queued changes that come before inbox position ``before_seq``."""
    for new_state, version in store.take_state_mutations(c, service, key, before_seq):
        apply(store, c, service, key, new_state, version)
