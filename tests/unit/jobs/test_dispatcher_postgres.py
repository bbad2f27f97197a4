"""The dispatcher's claim (FOR UPDATE SKIP LOCKED) on a real PostgreSQL: two dispatchers at once
send every delivery exactly once."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from selfservice.jobs.dispatcher import Dispatcher
from selfservice.persistence import migrate
from tests.helpers import run_async
from tests.standins import WeComStandIn

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(pg_server, monkeypatch):
    from sqlmodel import Session

    from selfservice.demo import load_demo
    from selfservice.persistence.db import engine_for
    from selfservice.settings import get_settings
    from tests.pg import fresh_database

    url = fresh_database(pg_server, f"dispatch_{uuid.uuid4().hex[:8]}")
    migrate.upgrade("head", url)
    monkeypatch.setenv("SELFSERVICE_DB_URL", url)
    get_settings.cache_clear()
    with Session(engine_for(url)) as session:
        load_demo(session, workflows=False)
        session.commit()
    yield url
    get_settings.cache_clear()


def test_two_dispatchers_on_postgresql_share_the_queue_without_duplicates(pg_app):
    from tests.unit.jobs.test_dispatcher import deliveries, queue

    queue("wecom", 300)
    with WeComStandIn() as standin:

        async def both():
            def make():
                from selfservice.channels.wecom import WeComChannel

                return Dispatcher(
                    batch=25,
                    concurrency=8,
                    channels={
                        "wecom": WeComChannel(standin.corp_id, "1", standin.secret, standin.url, client=httpx.AsyncClient(timeout=10))
                    },
                )

            first, second = make(), make()
            first.worker, second.worker = "worker-a", "worker-b"
            return await asyncio.gather(first.drain(), second.drain())

        done = run_async(both())
        counts = list(standin.delivered.values())
    assert sum(done) == 300 and all(done), f"both dispatchers worked: {done}"
    assert len(counts) == 300 and set(counts) == {1}
    assert {d.status for d in deliveries("wecom")} == {"sent"}
