"""State tests: instantiate the app's states under pytest and call handlers directly."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import reflex as rx

from selfservice import app as _app  # noqa: F401  (registers every state and page)
from selfservice.demo import DEMO_PASSWORD
from selfservice.persistence.db import session_scope
from selfservice.services import auth


def call(state, name: str, *args, **kwargs):
    """Call a handler the way the event loop would, and return what it returned."""
    handler = type(state).event_handlers[name]  # also reaches background handlers
    # A fresh loop in a worker thread: Playwright's sync API may own this thread's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, handler.fn(state, *args, **kwargs)).result()


def substate(cls):
    root = rx.State()
    return root.get_substate(cls.get_full_name().split(".")[1:])


def token_for(username: str) -> str:
    """A full session token (TOTP is bypassed here; sign-in itself is tested elsewhere)."""
    from sqlmodel import select

    from selfservice.persistence.models import UserAccount

    with session_scope() as session:
        account = session.exec(select(UserAccount).where(UserAccount.username == username)).one()
        token = auth._new_session(session, account, "full", datetime.now(UTC), "test")
    return token


@pytest.fixture
def app_db(demo):
    """The demo company in a migrated temp database, used by the app's own session_scope."""
    return demo


__all__ = ["DEMO_PASSWORD", "call", "substate", "token_for"]
