"""The sign-in gate (selfservice/auth/gate.py): hashing on its own pool, bounded, rate-limited."""

from __future__ import annotations

import asyncio
import threading

import pytest

from selfservice.auth.gate import Busy, Gate, TokenBucket
from tests.helpers import run_async


def test_the_bucket_gives_its_rate_and_refills_with_time():
    now = [0.0]
    bucket = TokenBucket(4, clock=lambda: now[0])
    assert [bucket.take() for _ in range(5)] == [True, True, True, True, False]
    now[0] += 0.5
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    now[0] += 100
    assert sum(bucket.take() for _ in range(10)) == 4, "never more saved up than one second's worth"


def test_more_waiting_than_the_queue_holds_is_busy_at_once_and_runs_nothing():
    release = threading.Event()
    ran = []

    def slow(i):
        release.wait(5)
        ran.append(i)
        return i

    async def go():
        gate = Gate(workers=1, queue=3, per_second=100)
        first = [asyncio.create_task(gate.run(slow, i)) for i in range(3)]
        await asyncio.sleep(0.05)
        with pytest.raises(Busy):
            await gate.run(slow, 99)
        release.set()
        return await asyncio.gather(*first), gate.inside

    results, inside = run_async(go())
    assert results == [0, 1, 2] and 99 not in ran and inside == 0


def test_hashing_does_not_run_on_the_default_pool():
    async def go():
        gate = Gate(workers=1, queue=4, per_second=100)
        return await gate.run(lambda: threading.current_thread().name)

    assert run_async(go()).startswith("signin-hash")


def test_a_burst_over_the_rate_is_busy_before_any_hashing():
    async def go():
        gate = Gate(workers=2, queue=100, per_second=3)
        outcomes = await asyncio.gather(*(gate.run(lambda: "hashed") for _ in range(10)), return_exceptions=True)
        return [o if isinstance(o, str) else type(o).__name__ for o in outcomes]

    outcomes = run_async(go())
    assert outcomes.count("hashed") == 3 and outcomes.count("Busy") == 7
