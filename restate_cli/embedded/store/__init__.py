"""The embedded runtime's durable state (one SQLite database in WAL mode), the system
views restate-server has over it, and read-only SQL over those views.

    rows         the invocation and journal-entry rows
    schema       migrations, and opening a connection
    invocations, journal, catalog
                 the tables, as parts of ``Store``
    database     ``Store``: one data directory's database and its transactions
    sysviews     the ``sys_*`` views
    query        ``POST /query``: read-only SQL over the views
"""

from restate_cli.embedded.store.database import Store
from restate_cli.embedded.store.rows import Conn, Entry, Inv, now_ms
from restate_cli.embedded.store.schema import MIGRATIONS, connect

__all__ = ["MIGRATIONS", "Conn", "Entry", "Inv", "Store", "connect", "now_ms"]
