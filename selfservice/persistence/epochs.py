"""Epochs: counters that tell every process "this kind of data changed since you read it".

Two things are remembered between events instead of being re-read from the database each time:
who is behind a session token (``auth/session_cache.py``) and the reference data that every
page reads and HR rarely changes (``persistence/reference.py``). Each has an epoch here, and an
answer remembered under an older epoch is not used.

- An epoch moves when a commit changed one of its tables. ORM hooks see every flushed object and
  every UPDATE/DELETE/INSERT statement run through a session, and a textual statement that is not
  a SELECT counts for every epoch: no code path can forget to bump.
- The epoch lives in Redis when the app runs scaled out (``REFLEX_REDIS_URL``: every host sees
  it), otherwise it is a file's modification time: beside the SQLite database file (every
  process that opens that database, whatever its data folder: the app's workers, the CLI, the
  scheduler, a test), or in the data folder for PostgreSQL on one host.
- A session reads the epochs it may need when its transaction begins, before any row: whatever it
  then reads is at least as new as the epoch it stores the answer under.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from selfservice.settings import get_settings

log = logging.getLogger("selfservice.epochs")
CHANGED = "epochs_changed"  # session.info: names of the epochs this transaction's changes move
SEEN = "epochs_seen"  # session.info: {name: value} read when the transaction began


class Epoch:
    """One named epoch and the models whose changes move it."""

    def __init__(self, name: str, models: Callable[[], tuple[type, ...]], *, inserts_count: bool) -> None:
        self.name = name
        self._models = models
        self._watched: tuple[type, ...] | None = None
        self.inserts_count = inserts_count  # a new row changes the answer (not so for a new session)
        self.listeners: list[Callable[[], None]] = []  # called on every bump in this process

    @property
    def watched(self) -> tuple[type, ...]:
        if self._watched is None:
            self._watched = self._models()
        return self._watched

    @property
    def redis_key(self) -> str:
        return f"selfservice:{self.name}-epoch"

    def _file(self, url: str | sa.URL | None = None) -> Path:
        database = sqlite_file(url or get_settings().db_url)
        if database is not None:
            return database.with_name(f"{database.name}.{self.name}-epoch")
        return get_settings().data_dir / f"{self.name}-epoch"

    def value(self, url: str | sa.URL | None = None) -> int:
        """The epoch for the database at ``url`` (default: the app's own)."""
        client = _redis_client()
        if client is not None:
            try:
                return int(client.get(self.redis_key) or 0)
            except Exception:  # noqa: BLE001  (Redis unreachable: a value no answer was stored under)
                return -time.monotonic_ns()
        try:
            return os.stat(self._file(url)).st_mtime_ns
        except FileNotFoundError:
            return 0

    def bump(self, url: str | sa.URL | None = None) -> None:
        """Something an answer depends on changed: every process drops its answers."""
        for listener in self.listeners:
            listener()
        client = _redis_client()
        if client is not None:
            try:
                client.incr(self.redis_key)
            except Exception:  # noqa: BLE001
                log.error("%s epoch: Redis unreachable; other hosts drop remembered answers within their maximum age", self.name)
            return
        path = self._file(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        now_ns = time.time_ns()
        if os.stat(path).st_mtime_ns < now_ns:  # coarse file-system clocks: make sure it moved
            os.utime(path, ns=(now_ns, now_ns))

    def seen(self, session: OrmSession) -> int:
        """The value this session's transaction began under (read now if it has not begun)."""
        seen = session.info.get(SEEN)
        if seen is None or self.name not in seen:
            return self.value(database_url(session))
        return seen[self.name]

    def changing(self, session: OrmSession) -> bool:
        """Whether this session holds changes (flushed or not) to the epoch's tables."""
        if self.name in session.info.get(CHANGED, ()):
            return True
        pending = (*session.new, *session.dirty, *session.deleted) if self.inserts_count else (*session.dirty, *session.deleted)
        return any(isinstance(obj, self.watched) for obj in pending)


def _auth_models() -> tuple[type, ...]:
    from selfservice.persistence.models import Employee, UserAccount, UserSession

    return (UserSession, UserAccount, Employee)


def _reference_models() -> tuple[type, ...]:
    from selfservice.persistence.models import AttendancePolicy, LeaveType, ShiftPattern, WorkCalendarDay

    return (LeaveType, WorkCalendarDay, AttendancePolicy, ShiftPattern)


def sqlite_file(url: str | sa.URL) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = sa.make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def database_url(session: OrmSession) -> sa.URL:
    bind = session.get_bind()
    return bind.engine.url if isinstance(bind, sa.Connection) else bind.url


AUTH = Epoch("auth", _auth_models, inserts_count=False)
REFERENCE = Epoch("reference", _reference_models, inserts_count=True)
ALL = (AUTH, REFERENCE)

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


def _mark(session: OrmSession, epochs: tuple[Epoch, ...] | list[Epoch]) -> None:
    if epochs:
        session.info.setdefault(CHANGED, set()).update(e.name for e in epochs)


@event.listens_for(OrmSession, "after_begin")
def _read_at_begin(session: OrmSession, _transaction: object, _connection: object) -> None:
    if SEEN not in session.info:
        session.info[SEEN] = {REFERENCE.name: REFERENCE.value(database_url(session))}


@event.listens_for(OrmSession, "after_flush")
def _note_changes(session: OrmSession, _context: object) -> None:
    changed = (*session.dirty, *session.deleted)
    created = tuple(session.new)
    _mark(
        session,
        [
            e
            for e in ALL
            if any(isinstance(o, e.watched) for o in changed) or (e.inserts_count and any(isinstance(o, e.watched) for o in created))
        ],
    )


@event.listens_for(OrmSession, "after_commit")
def _bump_after_commit(session: OrmSession) -> None:
    names = session.info.pop(CHANGED, set())
    session.info.pop(SEEN, None)
    for epoch in ALL:
        if epoch.name in names:
            epoch.bump(database_url(session))


@event.listens_for(OrmSession, "after_rollback")
def _forget_on_rollback(session: OrmSession) -> None:
    session.info.pop(CHANGED, None)
    session.info.pop(SEEN, None)


@event.listens_for(OrmSession, "do_orm_execute")
def _note_statements(state: sa.orm.ORMExecuteState) -> None:
    """UPDATE/DELETE (and INSERT, where new rows count) statements on a watched table; any
    textual statement that is not a SELECT counts for every epoch."""
    if state.is_select:
        return
    if isinstance(state.statement, sa.TextClause):
        if not state.statement.text.lstrip().upper().startswith(("SELECT", "PRAGMA", "WITH")):
            _mark(state.session, ALL)
        return
    mapper = state.bind_mapper
    if mapper is None:
        return
    _mark(
        state.session, [e for e in ALL if issubclass(mapper.class_, e.watched) and (state.is_update or state.is_delete or e.inserts_count)]
    )
