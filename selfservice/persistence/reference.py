"""Reference data remembered between events: the work calendar, the absence-watch rules, the
shift patterns and the leave types. Every page reads them; HR changes them a few times a year.

``@reference_data`` keeps a function's answer per database and arguments while the reference
epoch (``persistence/epochs.py``) has not moved. It is bypassed inside a transaction that is
itself changing those tables (so HR's save sees its own change), and nothing is kept longer than
``MAX_AGE`` (a backstop for an operator's SQL outside the app). The answers are immutable domain
values (frozen dataclasses, tuples, frozensets), never ORM rows.
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession

from selfservice.persistence import epochs

MAX_AGE = 300.0
MAX_ENTRIES = 512  # per database and function: date ranges vary, a handful are hot

T = TypeVar("T")
_caches: weakref.WeakKeyDictionary[sa.Engine, dict[tuple, tuple[int, float, Any]]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _engine(session: OrmSession) -> sa.Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, sa.Connection) else bind


def _drop_all() -> None:
    with _lock:
        _caches.clear()


epochs.REFERENCE.listeners.append(_drop_all)


def reference_data(fn: Callable[..., T]) -> Callable[..., T]:
    """Remember ``fn(session, *args)`` (hashable args) while the reference data is unchanged."""

    @functools.wraps(fn)
    def wrapper(session: OrmSession, *args: Any) -> T:
        if epochs.REFERENCE.changing(session):
            return fn(session, *args)
        engine = _engine(session)
        key = (fn.__qualname__, *args)
        seen = epochs.REFERENCE.seen(session)
        cache = _caches.get(engine)
        hit = cache.get(key) if cache is not None else None
        if hit is not None and hit[0] == seen and time.monotonic() - hit[1] < MAX_AGE:
            return hit[2]
        value = fn(session, *args)
        if epochs.REFERENCE.changing(session):  # the call itself flushed a change
            return value
        with _lock:
            cache = _caches.setdefault(engine, {})
            if len(cache) >= MAX_ENTRIES:
                cache.clear()
            cache[key] = (seen, time.monotonic(), value)
        return value

    wrapper.uncached = fn  # type: ignore[attr-defined]
    return wrapper
