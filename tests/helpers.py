"""Small helpers shared by tests."""

from __future__ import annotations

from datetime import datetime

import pyotp
from sqlmodel import Session, select

from selfservice.domain.actor import Actor, Role
from selfservice.persistence.models import AuditEntry, UserAccount


def actor_for(session: Session, username: str) -> Actor:
    account = session.exec(select(UserAccount).where(UserAccount.username == username)).one()
    return Actor(account.id or 0, account.employee_id, account.username, Role(account.role))


def totp_code(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def audit_count(session: Session) -> int:
    return len(session.exec(select(AuditEntry.seq)).all())


def run_async(coroutine):
    """Run a coroutine on a fresh loop in a worker thread (Playwright may own this thread's loop)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def same_leave_facts(session, hire=None, work_start=None) -> None:
    """Give every employee the same hire date and 参加工作时间 (8 years at work: 5 days of annual
    leave a year), so that leave tests do not depend on the demo's dates, which move with today."""
    from datetime import date

    import sqlalchemy as sa

    from selfservice.persistence.models import Employee

    session.execute(sa.update(Employee).values(hire_date=hire or date(2020, 1, 6), work_start_date=work_start or date(2018, 1, 2)))
    session.flush()


def drop_trigger(session_or_connection, table: str, verb: str) -> None:
    """What only an attacker with the database could do: remove an append-only guard
    (``<table>_no_<verb>``), on SQLite or PostgreSQL."""
    import sqlalchemy as sa

    connection = session_or_connection if isinstance(session_or_connection, sa.Connection) else session_or_connection.connection()
    if connection.dialect.name == "postgresql":
        for name in (f"{table}_no_{verb}", f"{table}_no_change"):  # newer tables have one trigger for both
            connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
        return
    connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
