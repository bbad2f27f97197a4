"""Exactly one scheduler, however many workers or processes run: a leader lock.

PostgreSQL: a session-level advisory lock held on a dedicated connection (works across hosts;
released by the server if the holder dies). SQLite: an exclusive ``flock`` on a file beside the
database (the embedded mode runs on one host; the kernel releases it if the holder dies).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import sqlalchemy as sa

from selfservice.settings import DATA_DIR, get_settings

ADVISORY_KEY = 7_100_002


class LeaderLock:
    def __init__(self, db_url: str | None = None, lock_path: Path | None = None) -> None:
        self.db_url = db_url or get_settings().db_url
        self.lock_path = lock_path or DATA_DIR / "scheduler.lock"
        self._fd: int | None = None
        self._connection: sa.Connection | None = None
        self._engine: sa.Engine | None = None

    @property
    def held(self) -> bool:
        if self._connection is not None:
            try:
                self._connection.execute(sa.text("SELECT 1"))
                return True
            except sa.exc.DBAPIError:
                self.release()
                return False
        return self._fd is not None

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.db_url.startswith("postgresql"):
            self._engine = self._engine or sa.create_engine(self.db_url, poolclass=sa.pool.NullPool)
            connection = self._engine.connect()
            got = connection.execute(sa.text(f"SELECT pg_try_advisory_lock({ADVISORY_KEY})")).scalar()
            connection.commit()
            if got:
                self._connection = connection
                return True
            connection.close()
            return False
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except sa.exc.DBAPIError:
                pass
            self._connection = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
