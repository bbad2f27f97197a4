"""The outbox dispatcher: claim due deliveries, send them concurrently, record the outcomes."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import UTC, datetime

from selfservice.channels.base import Channel, Outgoing, SendResult
from selfservice.persistence.db import session_scope
from selfservice.services import channel_settings, outbox

log = logging.getLogger("selfservice.dispatcher")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


class Dispatcher:
    """Holds channel clients between runs; ``reload()`` after settings change."""

    def __init__(self, batch: int = 200, concurrency: int = 32, channels: dict[str, Channel] | None = None) -> None:
        self.batch, self.concurrency = batch, concurrency
        self.worker = worker_name()
        self._channels = channels
        self._fixed = channels is not None

    def _load(self) -> dict[str, Channel]:
        with session_scope() as session:
            return channel_settings.load_channels(session)

    async def channels(self) -> dict[str, Channel]:
        if self._channels is None:
            self._channels = await asyncio.to_thread(self._load)
        return self._channels

    async def reload(self) -> None:
        if not self._fixed and self._channels is not None:
            for channel in self._channels.values():
                await channel.aclose()
            self._channels = None

    async def _send(self, channel: Channel, outgoing: Outgoing, gate: asyncio.Semaphore) -> tuple[Outgoing, SendResult]:
        async with gate:
            try:
                if outgoing.resumed and hasattr(channel, "find_sent"):
                    # The provider does not deduplicate: ask whether the dead worker's send went out.
                    today = datetime.now(UTC).strftime("%Y%m%d")
                    found = await channel.find_sent(outgoing, today)  # type: ignore[attr-defined]
                    if found:
                        return outgoing, SendResult(
                            "sent", provider_message_id=found, response="recovered: already accepted by the provider"
                        )
                return outgoing, await channel.send(outgoing)
            except Exception as error:  # a channel bug must not lose the delivery
                log.exception("channel %s raised", outgoing.channel)
                return outgoing, SendResult.retry(f"{type(error).__name__}: {error}")

    async def run_once(self) -> int:
        """One round; returns how many deliveries were attempted."""
        channels = await self.channels()

        def claim() -> list[Outgoing]:
            with session_scope() as session:
                return outbox.claim_due(session, self.worker, datetime.now(UTC), self.batch)

        claimed = await asyncio.to_thread(claim)
        if not claimed:
            return 0
        unconfigured = [o for o in claimed if o.channel not in channels]
        gate = asyncio.Semaphore(self.concurrency)
        results = await asyncio.gather(*(self._send(channels[o.channel], o, gate) for o in claimed if o.channel in channels))

        def save() -> None:
            with session_scope() as session:
                now = datetime.now(UTC)
                if unconfigured:
                    outbox.mark_unconfigured(session, unconfigured, now)
                outbox.record(session, list(results), now, self.worker)

        await asyncio.to_thread(save)
        return len(claimed)

    async def reconcile_sms(self) -> int:
        """Pull delivery status for SMS whose pushed report never came (reports are best-effort)."""
        from selfservice.services import delivery_reports

        channel = (await self.channels()).get("sms")
        if channel is None or not hasattr(channel, "query_details"):
            return 0

        def pending() -> list[tuple[str, str, str, str]]:
            with session_scope() as session:
                return delivery_reports.awaiting_report(session, datetime.now(UTC))

        reports = []
        for address, biz_id, _out_id, send_date in (await asyncio.to_thread(pending))[:500]:
            try:
                details = await channel.query_details(address, biz_id, send_date)  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001  (one failed query must not stop the rest)
                log.warning("QuerySendDetails failed for %s", biz_id)
                continue
            reports.extend(delivery_reports.details_as_reports(biz_id, details))

        def apply() -> int:
            with session_scope() as session:
                return delivery_reports.apply_aliyun(session, reports, datetime.now(UTC))

        return await asyncio.to_thread(apply) if reports else 0

    async def drain(self, max_rounds: int = 10_000) -> int:
        """Run rounds until nothing is due (used by tests, the CLI and the benchmark)."""
        total = 0
        for _ in range(max_rounds):
            done = await self.run_once()
            if not done:
                break
            total += done
        return total

    async def aclose(self) -> None:
        """Close the clients this dispatcher built (channels passed in belong to the caller)."""
        if self._channels and not self._fixed:
            for channel in self._channels.values():
                await channel.aclose()
