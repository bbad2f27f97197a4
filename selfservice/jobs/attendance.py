"""The attendance jobs: the daily scan (at HR's time, once a day), forwarding unread reminders,
and the WeCom check-in pull. Each calls the services; the scheduler runs them under its lock."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from selfservice.channels.wecom import WeComApi, WeComError, get_checkin_data
from selfservice.domain.actor import SYSTEM
from selfservice.domain.punches import chunks
from selfservice.persistence.db import session_scope
from selfservice.services import punches

log = logging.getLogger("selfservice.attendance")


def scan_tick(now: datetime | None = None):  # noqa: ANN201
    """Every minute: run today's scan if it is a working day, the scan time has passed and it
    has not run yet (a restart at 10:30 still scans; a second scheduler does not scan twice)."""
    from selfservice.services import absence_watch, leave_requests  # noqa: F401  (registers the leave workflows)

    with session_scope() as session:
        report = absence_watch.scheduled_scan(session, SYSTEM, now or datetime.now(UTC))
    if report is not None:
        log.info(
            "scan %s: %d streaks, %d reminded, %d follow-ups", report.scan_date, report.streaks, len(report.reminded), len(report.followups)
        )
    return report


def forward_tick(now: datetime | None = None) -> int:
    """Every few minutes: reminders unread after their working hours go to the manager."""
    from selfservice.services import absence_watch

    with session_scope() as session:
        forwarded = absence_watch.forward_due(session, SYSTEM, now or datetime.now(UTC))
    if forwarded:
        log.info("absence watch: %d unread reminders forwarded", forwarded)
    return forwarded


@dataclass
class PullSummary:
    windows: int = 0
    new: int = 0
    duplicates: int = 0
    not_punches: int = 0
    unknown_users: int = 0
    error: str = ""
    calls: int = 0
    until: datetime | None = None
    details: list[str] = field(default_factory=list)


def _plan(now: datetime, start_from: datetime | None) -> punches.PullPlan | None:
    with session_scope() as session:
        return punches.pull_plan(session, now, start_from)


def _store(plan: punches.PullPlan, window_end: datetime, records: list[dict], now: datetime) -> punches.WindowResult:
    with session_scope() as session:
        return punches.store_checkins(session, plan, window_end, records, now)


def _failed(plan: punches.PullPlan, window_start: datetime, error: str, now: datetime) -> None:
    with session_scope() as session:
        punches.pull_failed(session, plan, window_start, error, now)


async def pull_wecom(
    now: datetime | None = None, client: httpx.AsyncClient | None = None, start_from: datetime | None = None
) -> PullSummary | None:
    """Pull check-ins window by window over every employee in batches of 100. A window is stored
    only when all its batches answered; on an error it is left for the next run (the cursor
    stays) and the error is on record. Returns None when the pull is off."""
    now = now or datetime.now(UTC)
    plan = await asyncio.to_thread(_plan, now, start_from)
    if plan is None:
        return None
    api = WeComApi(plan.corp_id, plan.secret, plan.base_url, client)
    summary = PullSummary()
    userids = sorted(plan.users)
    try:
        for start, end in plan.windows:
            records: list[dict] = []
            try:
                for batch in chunks(userids, punches.PULL_USERS):
                    records += await get_checkin_data(api, int(start.timestamp()), int(end.timestamp()), batch)
                    summary.calls += 1
            except (WeComError, httpx.HTTPError, RuntimeError, ValueError) as error:
                summary.error = f"{type(error).__name__}: {error}"[:500]
                await asyncio.to_thread(_failed, plan, start, summary.error, now)
                log.warning("WeCom check-in pull stopped at %s: %s", start.isoformat(), summary.error)
                break
            result = await asyncio.to_thread(_store, plan, end, records, now)
            summary.windows += 1
            summary.new += result.new
            summary.duplicates += result.duplicates
            summary.not_punches += result.not_punches
            summary.unknown_users += result.unknown_users
            summary.until = end
    finally:
        if client is None:
            await api.aclose()
    return summary


async def pull_tick() -> None:
    summary = await pull_wecom()
    if summary and (summary.new or summary.error):
        log.info("WeCom check-in pull: %d new punches%s", summary.new, f", stopped: {summary.error}" if summary.error else "")
