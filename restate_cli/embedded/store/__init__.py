"""The embedded runtime's durable state (one SQLite database in WAL mode), the system
views restate-server has over it, and read-only SQL over those views.

    rows         the invocation and journal-entry rows
    schema       migrations, and opening a connection
    invocations, journal, catalog
                 the tables, as parts of ``Store``
    database     ``Store``: one data directory's database and its transactions
    sysviews     the ``sys_*`` views
    sandbox      what a query may reach: the views, their columns, safe functions
    query        ``POST /query``: read-only SQL over the views, side by side
    arrow_answer its Arrow answers (arro3), loaded only when asked for
"""

from restate_cli.embedded.store.database import Store
from restate_cli.embedded.store.rows import Conn, Entry, Inv, now_ms
from restate_cli.embedded.store.schema import MIGRATIONS, NewerSchema, connect, problem

__all__ = ["MIGRATIONS", "Conn", "Entry", "Inv", "NewerSchema", "Store", "connect", "now_ms", "problem"]
