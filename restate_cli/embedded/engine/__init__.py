"""The invocation lifecycle of the embedded runtime, in rooms of its own:

model     targets, results, failures, the open transaction ``Tx`` and its ``Effects``
policy    settings from a service's manifest (retries, retention, timeouts)
ingress   accept, dedupe and route new invocations (inboxes of virtual objects)
notify    deliver notifications, wake what waits for them
outcomes  complete, drop from a queue, retry with backoff, pause
commands  what each command an SDK sends does
attempt   one attempt's exchange with a deployment and how it ended
timers    sleeps, delayed starts, retries, retention expiry
ops       the operator's operations: cancel, kill, purge, pause, resume, restart
core      ``Engine``: transactions, effects, and the tasks that run attempts and timers
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from restate_cli.lazy import exports

if TYPE_CHECKING:
    from restate_cli.embedded.engine.core import Engine
    from restate_cli.embedded.engine.model import Effects, Result, Target, Tx

__all__ = ["Effects", "Engine", "Result", "Target", "Tx"]

# Imported on first use: a command that reads the store in-process imports ``policy`` and
# never the rest of the engine (about 35 ms).
__getattr__ = exports(__name__, __all__, ("model", "core"))
