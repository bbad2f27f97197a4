"""Who is behind a session token, remembered between events without losing immediate revocation.

Every event used to re-read the session, the account and the employee (three queries in a
worker thread) before doing its own work. Now the answer is kept in memory, per token hash, and
dropped as soon as anything it depends on may have changed:

- any commit that changes (not merely creates) a session, an account or an employee row bumps
  the *auth epoch* (an ORM hook, so no code path can forget it);
- the epoch is a counter in Redis when the app runs scaled out (``REFLEX_REDIS_URL``: every
  host sees it), otherwise a file's modification time in the data folder (every process on this
  host: the app's workers, the CLI, the scheduler); a cached answer older than the epoch is not
  used;
- the session's own expiry is kept with it, and nothing is kept longer than ``MAX_AGE``.

A hit costs a dictionary lookup, a SHA-256 and one ``stat`` (or one Redis GET); no thread, no
database.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from selfservice.domain.actor import Actor
from selfservice.settings import get_settings

log = logging.getLogger("selfservice.auth")
MAX_AGE = 60.0  # seconds: a backstop for a change made outside the app (an operator's SQL)
MAX_ENTRIES = 20_000


@dataclass(frozen=True)
class Entry:
    actor: Actor
    expires_at: datetime
    epoch: int
    stored: float


_entries: dict[str, Entry] = {}
_lock = threading.Lock()


REDIS_KEY = "selfservice:auth-epoch"
_redis = None


def _redis_client():  # noqa: ANN202
    global _redis
    url = os.environ.get("REFLEX_REDIS_URL", "")
    if not url:
        return None
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _redis


def _epoch_file() -> Path:
    return get_settings().data_dir / "auth-epoch"


def epoch() -> int:
    client = _redis_client()
    if client is not None:
        try:
            return int(client.get(REDIS_KEY) or 0)
        except Exception:  # noqa: BLE001  (Redis unreachable: remember nothing, read the database)
            return -time.monotonic_ns()
    try:
        return os.stat(_epoch_file()).st_mtime_ns
    except FileNotFoundError:
        return 0


def bump() -> None:
    """Something an answer depends on changed: every process drops its answers."""
    client = _redis_client()
    if client is not None:
        try:
            client.incr(REDIS_KEY)
        except Exception:  # noqa: BLE001
            log.error("auth epoch: Redis unreachable; other hosts forget remembered sessions within %d s", MAX_AGE)
        with _lock:
            _entries.clear()
        return
    path = _epoch_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    now_ns = time.time_ns()
    if os.stat(path).st_mtime_ns < now_ns:  # coarse file-system clocks: make sure it moved
        os.utime(path, ns=(now_ns, now_ns))
    with _lock:
        _entries.clear()


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get(token: str, now: datetime) -> Actor | None:
    """The remembered actor, or None (not remembered, stale, or expired)."""
    if not token:
        return None
    entry = _entries.get(_key(token))
    if entry is None:
        return None
    if entry.expires_at <= now or time.monotonic() - entry.stored > MAX_AGE or entry.epoch != epoch():
        _entries.pop(_key(token), None)
        return None
    return entry.actor


def put(token: str, actor: Actor, expires_at: datetime, seen_epoch: int) -> None:
    """Remember an answer read from the database after ``seen_epoch`` was read."""
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[_key(token)] = Entry(actor, expires_at, seen_epoch, time.monotonic())


def _watched() -> tuple[type, ...]:
    from selfservice.persistence.models import Employee, UserAccount, UserSession

    return (UserSession, UserAccount, Employee)


@event.listens_for(OrmSession, "after_flush")
def _note_changes(session: OrmSession, _context: object) -> None:
    watched = _watched()
    if any(isinstance(obj, watched) for obj in (*session.dirty, *session.deleted)):
        session.info["auth_changed"] = True


@event.listens_for(OrmSession, "after_commit")
def _bump_after_commit(session: OrmSession) -> None:
    if session.info.pop("auth_changed", False):
        bump()


@event.listens_for(OrmSession, "after_rollback")
def _forget_on_rollback(session: OrmSession) -> None:
    session.info.pop("auth_changed", None)


@event.listens_for(OrmSession, "do_orm_execute")
def _note_bulk(state: sa.orm.ORMExecuteState) -> None:
    """An UPDATE or DELETE statement on a watched table counts too."""
    if (state.is_update or state.is_delete) and state.bind_mapper is not None and state.bind_mapper.class_ in _watched():
        state.session.info["auth_changed"] = True
