"""Leader election for the scheduler's periodic jobs (feed polling, retries, digests).

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a
dedicated, unpooled connection for as long as this replica leads. When the process
dies its connection drops and PostgreSQL releases the lock, so another replica's
next `try_acquire` wins. TCP keepalives on both ends bound how long a silently
vanished leader (host gone, network cut) can hold it: about 25 s. The leader must
call `try_acquire` before every tick: it checks the connection and returns False
as soon as leadership is lost. Because a session lock pins its connection, this
does not work through PgBouncer in transaction pooling mode; connect directly.

SQLite is one process by design: the first process to lock `<database>.leader`
(an OS file lock, released when the process exits) leads, an in-memory database
always leads.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from typing import IO

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

DEFAULT_NAME = "denialwatch:scheduler"

# libpq keepalives (client side) and the server's own (per session): a dead peer is
# noticed after idle + interval * count = 10 + 5 * 3 = 25 s.
_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "connect_timeout": 10,
}
_SESSION_SETTINGS = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
    "SET statement_timeout = 5000",
    "SET application_name = 'denialwatch-leader'",
)


def lock_id(name: str) -> int:
    """A stable signed 64-bit advisory lock key for `name`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class LeaderElection:
    """Whether this replica runs the periodic jobs; see the module docstring."""

    def __init__(self, url: str, name: str = DEFAULT_NAME) -> None:
        self.url = url
        self.name = name
        self.lock_id = lock_id(name)
        self._mutex = threading.Lock()
        parsed = make_url(url)
        self._sqlite = parsed.get_backend_name() == "sqlite"
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._lock_path: str | None = None
        self._lock_file: IO[bytes] | None = None
        if self._sqlite:
            database = parsed.database or ""
            if database and database != ":memory:":
                self._lock_path = os.path.abspath(database) + ".leader"
        else:
            self._engine = create_engine(url, poolclass=NullPool, connect_args=_KEEPALIVES)

    @property
    def is_leader(self) -> bool:
        """Whether the last `try_acquire` won (without checking the connection again)."""
        return (
            self._conn is not None
            or self._lock_file is not None
            or (self._sqlite and self._lock_path is None)
        )

    def try_acquire(self) -> bool:
        """Take or confirm leadership; never blocks for long, never raises on a DB outage."""
        with self._mutex:
            if self._sqlite:
                return self._try_file_lock()
            return self._try_advisory_lock()

    def release(self) -> None:
        """Give up leadership so another replica can take it at once."""
        with self._mutex:
            if self._conn is not None:
                # A broken connection has taken the lock with it already.
                with contextlib.suppress(DBAPIError):
                    self._conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": self.lock_id})
                self._drop_connection()
            if self._lock_file is not None:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                self._lock_file.close()
                self._lock_file = None

    def close(self) -> None:
        self.release()
        if self._engine is not None:
            self._engine.dispose()

    def _try_advisory_lock(self) -> bool:
        assert self._engine is not None
        if self._conn is not None:
            try:
                held = self._conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                        " AND pid = pg_backend_pid() AND granted"
                        " AND ((classid::bigint << 32) | objid::bigint) = :id"
                    ),
                    {"id": self.lock_id},
                ).scalar_one()
                if held:
                    return True
            except DBAPIError:
                pass
            # The connection died or the lock vanished: leadership is lost.
            self._drop_connection()
        try:
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError:
            return False
        try:
            for setting in _SESSION_SETTINGS:
                conn.execute(text(setting))
            won = bool(
                conn.execute(
                    text("SELECT pg_try_advisory_lock(:id)"), {"id": self.lock_id}
                ).scalar_one()
            )
        except DBAPIError:
            conn.close()
            return False
        if not won:
            conn.close()
            return False
        self._conn = conn
        return True

    def _drop_connection(self) -> None:
        if self._conn is None:
            return
        # Closing a broken connection may fail; it is discarded either way.
        with contextlib.suppress(DBAPIError):
            self._conn.close()
        self._conn = None

    def _try_file_lock(self) -> bool:
        if self._lock_path is None:
            return True
        if self._lock_file is not None:
            return True
        handle = open(self._lock_path, "ab")  # noqa: SIM115  # held open while leading
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_file = handle
        return True
