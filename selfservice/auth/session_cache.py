"""Who is behind a session token, remembered between events without losing immediate revocation.

Every event used to re-read the session, the account and the employee (three queries in a
worker thread) before doing its own work. Now the answer is kept in memory, per token hash, and
dropped as soon as anything it depends on may have changed:

- any commit that changes (not merely creates) a session, an account or an employee row bumps
  the *auth epoch* (``persistence/epochs.py``: ORM hooks, so no code path can forget it, shared
  by every process through a file or Redis); a cached answer older than the epoch is not used;
- the session's own expiry is kept with it, and nothing is kept longer than ``MAX_AGE``.

A hit costs a dictionary lookup, a SHA-256 and one ``stat`` (or one Redis GET); no thread, no
database.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from selfservice.domain.actor import Actor
from selfservice.persistence import epochs

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


def epoch() -> int:
    return epochs.AUTH.value()


def _drop_all() -> None:
    with _lock:
        _entries.clear()


epochs.AUTH.listeners.append(_drop_all)


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
