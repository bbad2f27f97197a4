"""Counting failed sign-in proofs and making guessers wait (rules in domain/throttle.py).

``check`` before any password or code is looked at (a throttled attempt costs no hashing),
``failed`` after a wrong one, ``succeeded`` after a right one. The counters are rows of
``sign_in_throttle``, incremented with one upsert each, so that app processes on several hosts
share them and parallel failures are all counted.
"""

from __future__ import annotations

import math
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain import throttle
from selfservice.domain.errors import DomainError
from selfservice.persistence.models import SignInThrottle
from selfservice.settings import get_settings


class SlowDown(DomainError):
    """Too many failures under one of the attempt's keys: the same answer for every name."""

    key = "auth.slow_down"


def _rules() -> dict[throttle.Scope, throttle.Rule]:
    settings = get_settings()
    return throttle.rules(settings.signin_free_attempts, settings.signin_max_wait_seconds)


def wait_left(session: Session, name: str, source: str, now: datetime) -> float:
    """Seconds until an attempt for ``name`` from ``source`` is heard (0: now)."""
    found = throttle.keys(name, source)
    rows = {r.key: r for r in session.exec(select(SignInThrottle).where(SignInThrottle.key.in_(list(found.values()))))}  # type: ignore[attr-defined]
    rules = _rules()
    waits = [throttle.wait_left(rows[k].failures, rows[k].last_failure_at, rules[s], now) for s, k in found.items() if k in rows]
    return max(waits, default=0.0)


def check(session: Session, name: str, source: str, now: datetime) -> None:
    left = wait_left(session, name, source, now)
    if left > 0:
        raise SlowDown(seconds=math.ceil(left))


def failed(session: Session, name: str, source: str, now: datetime) -> None:
    """Count one failure under each key (a counter idle for a day starts again at 1)."""
    table = SignInThrottle.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stale = now - throttle.FORGET_AFTER
    for key in throttle.keys(name, source).values():
        statement = insert(table).values(key=key, failures=1, last_failure_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": sa.case((table.c.last_failure_at < stale, 1), else_=table.c.failures + 1),
                "last_failure_at": now,
            },
        )
        session.execute(statement)


def succeeded(session: Session, name: str, source: str) -> None:
    """A right proof clears the counters of this name (the source's stay: it may be spraying)."""
    found = throttle.keys(name, source)
    mine = [k for s, k in found.items() if s != throttle.Scope.source]
    session.execute(sa.delete(SignInThrottle).where(SignInThrottle.key.in_(mine)))  # type: ignore[attr-defined]


def forget_name(session: Session, name: str) -> None:
    """HR or the admin set a new password: earlier failures of this name no longer count."""
    key = throttle.keys(name, "")[throttle.Scope.name]
    bare = key.removeprefix("name:").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pair = f"pair:{bare}|%"
    session.execute(sa.delete(SignInThrottle).where(sa.or_(SignInThrottle.key == key, SignInThrottle.key.like(pair, escape="\\"))))


def prune(session: Session, now: datetime) -> int:
    """Forget counters idle for a day (run by the scheduler)."""
    result = session.execute(sa.delete(SignInThrottle).where(SignInThrottle.last_failure_at < now - throttle.FORGET_AFTER))
    return int(result.rowcount or 0)
