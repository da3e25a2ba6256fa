"""The embedded admin API mounted in the CLI's own process, when no dev process runs."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

from restate_cli.embedded.api import admin_api
from restate_cli.embedded.api.asgi import Receive, Scope, Send
from restate_cli.embedded.runtime import Runtime, store_error


def admin_app(data_dir: Path) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """A passive runtime over the data directory: changes are stored; ``dev`` runs them.

    A store that turns out corrupt or read-only while a command uses it ends the command
    with one line saying so, as when it cannot be opened."""
    app = admin_api.build(Runtime(data_dir, active=False))

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        except sqlite3.DatabaseError as e:
            raise store_error(data_dir, e, "use") from None

    return guarded
