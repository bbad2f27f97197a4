"""Password checks run apart from everything else, and only so many of them.

Hashing a password (argon2, ~0.16 s of CPU here) used to share the default thread pool with
every database call: sixteen sockets sending sign-ins made a signed-in user's page event wait
6.8 s. Sign-ins now go through one gate per app process:

- their own small thread pool (``SELFSERVICE_SIGNIN_HASH_WORKERS``), so page events keep the
  default pool;
- at most ``SELFSERVICE_SIGNIN_QUEUE`` waiting or running; one more is answered "busy" at once;
- a token bucket of ``SELFSERVICE_SIGNIN_PER_SECOND`` across all clients, checked before any
  hashing.

The per-name and per-source waits (services/throttle.py) come on top, inside the call.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from selfservice.domain.errors import DomainError
from selfservice.settings import get_settings


class Busy(DomainError):
    key = "auth.busy"


class TokenBucket:
    """``rate`` tokens a second, at most ``rate`` saved up."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.clock = rate, clock
        self.tokens, self.stamp = rate, clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self.clock()
            self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


class Gate:
    def __init__(self, workers: int, queue: int, per_second: float) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="signin-hash")
        self.queue = queue
        self.bucket = TokenBucket(per_second)
        self.inside = 0  # waiting or running (touched on the event loop only)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the hashing pool, or Busy without running it."""
        if self.inside >= self.queue or not self.bucket.take():
            raise Busy()
        self.inside += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, lambda: fn(*args))
        finally:
            self.inside -= 1


_gate: Gate | None = None


def gate() -> Gate:
    """This process's gate (made on first use, from the settings)."""
    global _gate
    if _gate is None:
        settings = get_settings()
        _gate = Gate(settings.signin_hash_workers, settings.signin_queue, settings.signin_per_second)
    return _gate


async def run_checked(fn: Callable[..., Any], *args: Any) -> Any:
    """A service call that checks a password, in one unit of work on the gate's pool."""
    from selfservice.persistence.db import session_scope

    def work() -> Any:
        with session_scope() as session:
            return fn(session, *args)

    return await gate().run(work)
