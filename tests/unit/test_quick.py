"""``guard.quick``: short units of work run on the event loop itself on SQLite, and never make
the loop wait for another writer's lock (issue 14, event cost)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain.errors import ValidationFailed
from selfservice.persistence.db import SQLITE_BUSY_TIMEOUT_MS, engine_for
from selfservice.persistence.models import Department
from selfservice.ui.guard import quick
from tests.helpers import run_async


def _names(session: Session) -> list[str]:
    return sorted(d.code for d in session.exec(select(Department)).all())


def _add(session: Session, code: str) -> int:
    session.add(Department(code=code, name=code))
    session.flush()
    return threading.get_ident()


def test_a_quick_read_runs_on_the_loop_and_leaves_the_busy_timeout_as_it_was(db_url):
    async def main() -> tuple[int, int]:
        loop_thread = threading.get_ident()
        ran_on = await quick(lambda session: threading.get_ident())
        return loop_thread, ran_on

    loop_thread, ran_on = run_async(main())
    assert ran_on == loop_thread, "no thread hop on SQLite"
    with engine_for(db_url).connect() as connection:  # the pooled connection quick used
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS


def test_a_locked_database_never_holds_up_the_loop(db_url):
    """Another process holds SQLite's write lock for a while: a quick read still answers at once
    (WAL), and a quick write goes to a worker thread that waits for the lock, committed once."""
    blocker = sa.create_engine(db_url, connect_args={"check_same_thread": False}).connect()
    blocker.exec_driver_sql("BEGIN IMMEDIATE")
    blocker.exec_driver_sql("INSERT INTO department (code, name, name_en) VALUES ('HOLD', 'hold', '')")
    released = threading.Event()

    def release() -> None:
        time.sleep(0.6)
        blocker.exec_driver_sql("COMMIT")
        released.set()

    async def main() -> tuple[list[str], float, int, int, float]:
        loop_thread = threading.get_ident()
        started = time.perf_counter()
        read = await quick(_names)
        read_seconds = time.perf_counter() - started
        ticks = 0

        async def tick() -> None:  # the loop keeps serving others while the write waits
            nonlocal ticks
            while not released.is_set():
                ticks += 1
                await asyncio.sleep(0.02)

        ticker = asyncio.create_task(tick())
        wrote_on = await quick(_add, "QW")
        await ticker
        return read, read_seconds, loop_thread, wrote_on, ticks

    threading.Thread(target=release).start()
    read, read_seconds, loop_thread, wrote_on, ticks = run_async(main())
    blocker.close()
    assert "HOLD" not in read and read_seconds < 0.3, "a reader does not wait for a writer"
    assert wrote_on != loop_thread, "the write went to a worker thread"
    assert ticks >= 10, "the loop ran while the write waited for the lock"
    with Session(engine_for(db_url)) as session:
        assert _names(session).count("QW") == 1 and "HOLD" in _names(session)


def test_a_refusal_inside_quick_writes_nothing(db_url):
    def refuse(session: Session) -> None:
        _add(session, "HALF")
        raise ValidationFailed("error.invalid", field="code")

    with pytest.raises(ValidationFailed):
        run_async(quick(refuse))
    with Session(engine_for(db_url)) as session:
        assert "HALF" not in _names(session)
