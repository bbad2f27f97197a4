"""A Reflex tab without a browser: Socket.IO (Engine.IO 4) over one WebSocket, as the front-end
speaks it (PLATFORM.md, "How clients talk to the back-end"). Used by the event-cost benchmark
and by the hardening tests that flood the server.

    async with Tab("http://127.0.0.1:3000") as tab:
        await tab.call(LoginState, "sign_in", {"form": {...}}, path="/login")
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import websockets


def event_name(state: Any, handler: str) -> str:
    """``state`` is a state class (its full name is looked up) or the full name itself."""
    full = state if isinstance(state, str) else state.get_full_name()
    return f"{full}.{handler}"


class Tab:
    """One browser tab: its own client token, one socket, answers arriving in order."""

    def __init__(self, base_url: str, token: str | None = None, origin: str | None = None) -> None:
        self.origin = origin or base_url.rstrip("/")
        self.token = token or str(uuid.uuid4())
        self.url = base_url.replace("http", "ws", 1).rstrip("/") + f"/_event/?EIO=4&transport=websocket&token={self.token}"
        self.updates: asyncio.Queue[dict] = asyncio.Queue()
        self._socket: Any = None
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> Tab:
        self._socket = await websockets.connect(self.url, origin=self.origin, max_size=2**24, open_timeout=30)
        opened = await self._socket.recv()
        if not str(opened).startswith("0"):
            raise RuntimeError(f"unexpected Engine.IO open: {opened!r}")
        await self._socket.send("40/_event,")
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._socket is not None:
            await self._socket.close()

    async def _read(self) -> None:
        async for message in self._socket:
            text = str(message)
            if text == "2":
                await self._socket.send("3")
            elif text.startswith("42/_event,"):
                name, *args = json.loads(text[len("42/_event,") :])
                if name == "event" and args:
                    await self.updates.put(args[0])

    async def send(self, state: Any, handler: str, payload: dict | None = None, path: str = "/") -> None:
        """Send one event without waiting for its answer."""
        event = {"name": event_name(state, handler), "payload": payload or {}, "router_data": {"pathname": path, "query": {}}}
        await self._socket.send("42/_event," + json.dumps(["event", event]))

    async def call(self, state: Any, handler: str, payload: dict | None = None, path: str = "/", timeout: float = 30) -> dict:
        """Send one event and wait for the first update that changes state (Reflex 0.10 marks no
        update as the last of an event: use handlers that change a var); returns its delta.
        Updates still queued from earlier events are dropped first."""
        while not self.updates.empty():
            self.updates.get_nowait()
        await self.send(state, handler, payload, path)
        deadline = time.monotonic() + timeout
        while True:
            update = await asyncio.wait_for(self.updates.get(), max(0.01, deadline - time.monotonic()))
            if update.get("delta"):
                return update["delta"]

    async def timed(self, state: Any, handler: str, payload: dict | None = None, path: str = "/") -> float:
        """Seconds from sending the event to its first state update."""
        started = time.perf_counter()
        await self.call(state, handler, payload, path)
        return time.perf_counter() - started


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a server process and all its children (the Granian workers)."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total
