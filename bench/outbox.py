"""Outbox throughput: N messages through the real dispatcher (claim, send, record, audit) to a
local WeCom stand-in, beside raw httpx POSTs of the same payloads to the same server, measured
in the same run.

    python -m bench.outbox [--messages 10000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("SELFSERVICE_SECRET_KEY", "bench-secret")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def prepare(folder: str, messages: int) -> str:
    from sqlmodel import Session, select

    from selfservice.demo import load_demo
    from selfservice.domain.actor import SYSTEM
    from selfservice.persistence import migrate
    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import ChannelSetting, Employee
    from selfservice.services import notifications
    from selfservice.settings import get_settings

    url = f"sqlite:///{folder}/outbox.db"
    os.environ["SELFSERVICE_DB_URL"] = url
    os.environ["SELFSERVICE_DATA_DIR"] = folder
    get_settings.cache_clear()
    migrate.upgrade("head", url)
    with Session(engine_for(url)) as session:
        load_demo(session, workflows=False)
        session.add(ChannelSetting(channel="wecom", enabled=True))
        people = session.exec(select(Employee.id)).all()
        now = datetime.now(UTC)
        for i in range(messages):
            notifications.notify(
                session, SYSTEM, people[i % len(people)], "bench", "system.test", {"channel": f"bench-{i}"}, ("wecom",), now
            )
            if i % 1000 == 999:
                session.commit()
        session.commit()
    return url


async def raw_posts(standin, payloads: list[dict], concurrency: int) -> float:
    import httpx

    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=10) as client:
        token = (
            await client.get(f"{standin.url}/cgi-bin/gettoken", params={"corpid": standin.corp_id, "corpsecret": standin.secret})
        ).json()["access_token"]

        async def post(payload: dict) -> None:
            async with gate:
                response = await client.post(f"{standin.url}/cgi-bin/message/send", params={"access_token": token}, json=payload)
                assert response.json()["errcode"] == 0

        started = time.perf_counter()
        await asyncio.gather(*(post(p) for p in payloads))
        return time.perf_counter() - started


async def dispatcher_run(standin, concurrency: int) -> float:
    import httpx

    from selfservice.channels.wecom import WeComChannel
    from selfservice.jobs.dispatcher import Dispatcher

    channel = WeComChannel(standin.corp_id, "1000002", standin.secret, standin.url, client=httpx.AsyncClient(timeout=10))
    dispatcher = Dispatcher(batch=500, concurrency=concurrency, channels={"wecom": channel})
    started = time.perf_counter()
    sent = await dispatcher.drain()
    elapsed = time.perf_counter() - started
    await channel.aclose()
    return elapsed if sent else float("nan")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    from tests.standins import WeComStandIn

    with tempfile.TemporaryDirectory() as folder:
        prepare(folder, args.messages)
        with WeComStandIn() as standin:
            import logging

            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            from selfservice.channels.base import Outgoing
            from selfservice.channels.wecom import WeComChannel

            sample = WeComChannel(standin.corp_id, "1000002", standin.secret, standin.url)
            payloads = [
                sample.payload(Outgoing(i, "wecom", f"u{i % 40}", f"测试消息\n这是第 {i} 条基准消息。\nhttp://x/m?t=raw{i}", f"raw{i}"))
                for i in range(args.messages)
            ]
            raw = asyncio.run(raw_posts(standin, payloads, args.concurrency))
            dispatched = asyncio.run(dispatcher_run(standin, args.concurrency))
            received = sum(standin.delivered.values())
    raw_rate, dispatch_rate = args.messages / raw, args.messages / dispatched
    print(f"outbox, {args.messages} messages, concurrency {args.concurrency} (SQLite, WeCom stand-in on 127.0.0.1)")
    print(f"  raw httpx POST               : {raw:6.2f} s  ({raw_rate:7.0f} /s)")
    print(f"  dispatcher (claim+send+record): {dispatched:6.2f} s  ({dispatch_rate:7.0f} /s)")
    print(f"  ratio dispatcher/raw         : {dispatch_rate / raw_rate:.2f}   (stand-in received {received} distinct messages)")


if __name__ == "__main__":
    main()
