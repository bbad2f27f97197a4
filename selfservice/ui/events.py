"""Reflex's event processor with two limits the attack probe asked for.

Reflex runs a client's events one after another from a queue per tab, with no bound, and keeps
running them after the tab has gone: after sixteen flooding sockets had closed, their queued
sign-ins kept a core busy for more than twenty minutes. Here:

- a tab has at most ``MAX_PENDING`` events waiting; further ones are dropped (logged once per
  burst) until its queue drains;
- when a tab disconnects, its waiting events are cancelled (the one already running finishes:
  a thread inside a password hash cannot be interrupted, and it is one per tab).

Installed by :class:`App`, which differs from ``rx.App`` only in the processor it starts.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import reflex as rx
from reflex_base.event.processor import BaseStateEventProcessor

log = logging.getLogger("selfservice.events")
MAX_PENDING = 32  # far above what a person's typing produces between two answers


_warned: set[str] = set()  # tabs logged about (one processor per process), until they leave


class BoundedEventProcessor(BaseStateEventProcessor):
    def _enqueue_for_token(self, *, entry, registered_handler) -> None:  # noqa: ANN001
        token = entry.ctx.token
        waiting = self._token_queues.get(token)
        if waiting is not None and len(waiting) >= MAX_PENDING:
            future = self._futures.get(entry.ctx.txid)
            if future is not None:
                future.cancel()
            if token not in _warned:
                _warned.add(token)
                log.warning("tab %s…: more than %d events waiting; dropping new ones", token[:8], MAX_PENDING)
            return
        super()._enqueue_for_token(entry=entry, registered_handler=registered_handler)

    def _on_disconnect(self, token: str) -> None:
        super()._on_disconnect(token)
        _warned.discard(token)
        waiting = self._token_queues.get(token)
        if not waiting:
            return
        dropped = 0
        for entry, _ in list(waiting)[1:]:  # [0] is running
            future = self._futures.get(entry.ctx.txid)
            if future is not None and not future.done():
                future.cancel()
                dropped += 1
        if dropped:
            log.info("tab %s… left: %d waiting events dropped", token[:8], dropped)

    def pending(self, token: str) -> int:
        """Events of ``token`` queued or running (for tests and the health page)."""
        return len(self._token_queues.get(token) or ())


class App(rx.App):
    """``rx.App`` whose event processor is :class:`BoundedEventProcessor`."""

    @contextlib.asynccontextmanager
    async def _setup_event_processor(self) -> AsyncIterator[None]:  # mirrors rx.App's (Reflex 0.10.1)
        event_namespace = self.event_namespace
        if event_namespace is not None:
            event_namespace._token_manager._reset_instance_id()
        self._event_processor = BoundedEventProcessor(middleware=self, backend_exception_handler=self.backend_exception_handler)
        async with self._event_processor.configure(state_manager=self.state_manager, event_namespace=event_namespace):
            yield
