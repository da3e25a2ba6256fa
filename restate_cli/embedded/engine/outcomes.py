"""How an invocation leaves the running state: completed, dropped from a queue, retried
after a backoff, or paused when its retry policy runs out."""

from __future__ import annotations

from restate_cli.embedded.engine import policy
from restate_cli.embedded.engine.model import END, FAILURE, AttemptError, Result, Tx
from restate_cli.embedded.engine.notify import deliver_result
from restate_cli.embedded.protocol.results import Failure
from restate_cli.embedded.store import Inv
from restate_cli.embedded.store.state_mutations import apply_queued


def complete(tx: Tx, inv_id: str, result: Result) -> None:
    """Finish an invocation: store the result, answer its waiters, free its key."""
    store, c, now = tx.store, tx.c, tx.now
    inv = tx.get(inv_id)
    if inv is None or inv.status == "completed":
        return
    failure = result.failure
    keep = max(inv.completion_retention, inv.journal_retention)
    store.update(
        c,
        inv_id,
        status="completed",
        in_flight=0,
        waiting=None,
        next_retry_at=None,
        completion_result="failure" if failure else "success",
        completion_failure=f"[{failure.code}] {failure.message}" if failure else None,
        output=None if failure else (result.value or b""),
        failure_code=failure.code if failure else None,
        failure_message=failure.message if failure else None,
        completed_at=now,
        modified_at=now,
        expires_at=now + keep,
        last_failure=None,
        last_failure_error_code=None,
        attempts=0,
        inbox_seq=None,
    )
    store.delete_timers(c, inv_id)
    tx.fx.timers = True  # the timer loop's sweep forgets it at expires_at
    deliver_result(tx, inv_id, result)
    if inv.exclusive:
        release(tx, inv)
    if inv.journal_retention == 0:
        store.truncate_journal(c, inv_id)
    tx.fx.results[inv_id] = result
    tx.fx.abort.append(inv_id)
    word = f"failed with [{failure.code}] {failure.message}" if failure else "completed"
    tx.fx.log(f"{inv_id} {inv.target}: {word}", FAILURE if failure else END)
    if keep == 0:
        store.delete_invocation(c, inv_id)


def release(tx: Tx, inv: Inv) -> None:
    """Free the key ``inv`` holds and hand it to the head of the key's inbox."""
    store, c = tx.store, tx.c
    key = inv.service_key or ""
    if not store.unlock(c, inv.service, key, inv.id):
        return
    nxt = store.inbox_head(c, inv.service, key)
    apply_queued(store, c, inv.service, key, store.inbox_seq_of(c, nxt) if nxt else None)
    if nxt is not None:
        store.lock(c, inv.service, key, nxt)
        store.update(c, nxt, status="invoked", inboxed_at=None, inbox_seq=None, modified_at=tx.now)
        tx.fx.run.append(nxt)


def remove_queued(tx: Tx, inv: Inv, failure: Failure) -> None:
    """Drop a pending or scheduled invocation at once; its callers get ``failure``."""
    result = Result(failure=failure)
    deliver_result(tx, inv.id, result)
    tx.store.delete_invocation(tx.c, inv.id)
    tx.fx.results[inv.id] = result
    tx.fx.log(f"{inv.id} {inv.target}: removed ({failure.message})", END)


def retry(tx: Tx, inv: Inv, error: AttemptError, *, override_ms: int | None = None) -> None:
    """A failed attempt: back off and try again, or pause/kill when the policy runs out."""
    store, c, now = tx.store, tx.c, tx.now
    manifest = store.service_manifest(inv.service)
    rp = policy.retry_policy(manifest, inv.service, inv.handler)
    attempts = max(inv.attempts, 1)
    base = dict(
        in_flight=0,
        last_failure=error.text,
        last_failure_error_code=error.doc_code,
        retries_since_stored=inv.retries_since_stored + 1,
        modified_at=now,
    )
    if rp.max_attempts is not None and attempts >= rp.max_attempts:
        store.update(c, inv.id, **base)
        if rp.on_max_attempts == "kill":
            complete(tx, inv.id, Result(failure=Failure(error.code, error.message)))
        else:
            pause(tx, inv, error)
        return
    delay = override_ms if override_ms is not None else rp.delay_ms(attempts)
    due = now + delay
    store.update(c, inv.id, next_retry_at=due, **base)
    store.delete_timers(c, inv.id, "retry")
    store.add_timer(c, due, "retry", inv.id)
    store.event(c, inv.id, max(inv.journal_size - 1, 0), now, "TransientError", error.event())
    tx.fx.timers = True
    tx.fx.log(
        f"{inv.id} {inv.target}: backing-off ([{error.code}] {error.message}), retry in {delay} ms", FAILURE
    )


def pause(tx: Tx, inv: Inv, error: AttemptError | None) -> None:
    """Stop retrying; ``error`` is what made the retry policy give up (None: paused by API)."""
    store, c, now = tx.store, tx.c, tx.now
    store.update(c, inv.id, status="paused", in_flight=0, next_retry_at=None, modified_at=now)
    store.delete_timers(c, inv.id, "retry")
    body = {"last_failure": error.event()} if error else {}
    store.event(c, inv.id, max(inv.journal_size - 1, 0), now, "Paused", body)
    tx.fx.abort.append(inv.id)
    tx.fx.log(f"{inv.id} {inv.target}: paused", FAILURE)
