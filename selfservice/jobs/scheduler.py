"""Scheduled jobs, declared in one place, run by the process that holds the leader lock.

Started by the app (every worker tries; one wins) unless ``SELFSERVICE_SCHEDULER=off``, or as
its own process with ``selfservice scheduler`` for scale-out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from selfservice.jobs import attendance, cases, policies, separations
from selfservice.jobs.dispatcher import Dispatcher
from selfservice.jobs.leader import LeaderLock
from selfservice.settings import get_settings

log = logging.getLogger("selfservice.scheduler")


def _heartbeat(path: str) -> None:
    """A job that only records that it ran (used to prove one scheduler runs each period)."""
    with open(path, "a") as handle:
        handle.write(f"{os.getpid()} {int(time.time())}\n")


def accrue_leave() -> None:
    """Every night: grant the year's leave (on 1 January for everyone, carrying over and expiring
    last year's; on other days new joiners' pro-rated days and recomputed statutory entitlements).
    Idempotent."""
    from selfservice.domain.actor import SYSTEM
    from selfservice.persistence.db import session_scope
    from selfservice.services import leave_balances

    with session_scope() as session:
        leave_balances.accrue_year(session, SYSTEM, datetime.now(UTC).astimezone(ZoneInfo(get_settings().timezone)).year, datetime.now(UTC))


def escalate_approvals() -> None:
    """Remind approvers of overdue items once, then escalate them (see services.approvals)."""
    from selfservice.domain.actor import SYSTEM
    from selfservice.persistence.db import session_scope
    from selfservice.services import approvals, leave_requests  # noqa: F401  (registers the leave workflows)

    with session_scope() as session:
        reminded, escalated = approvals.escalate_due(session, SYSTEM, datetime.now(UTC))
    if reminded or escalated:
        log.info("approvals: %d reminded, %d escalated", reminded, escalated)


def purge_staged_attachments() -> None:
    """Uploaded files no request took are deleted after a day (sick notes should not linger)."""
    from datetime import timedelta

    from selfservice.persistence.db import session_scope
    from selfservice.services import leave_requests

    with session_scope() as session:
        removed = leave_requests.purge_staged(session, datetime.now(UTC) - timedelta(days=1))
    if removed:
        log.info("attachments: %d unused uploads deleted", removed)


def daily_backup() -> None:
    """The nightly archive (kept SELFSERVICE_BACKUP_KEEP deep); a failure is recorded and logged."""
    from selfservice.persistence.db import session_scope
    from selfservice.services import backup

    with session_scope() as session:
        row = backup.run(session, "scheduled", datetime.now(UTC))
    if row.ok:
        log.info("backup: %s (%d bytes)", row.path, row.size_bytes)
    else:
        log.error("backup FAILED: %s", row.error)


def prune_sign_in_counters() -> None:
    """Failed sign-in counters idle for a day are forgotten (the failures stay in the audit log)."""
    from selfservice.persistence.db import session_scope
    from selfservice.services import throttle

    with session_scope() as session:
        throttle.prune(session, datetime.now(UTC))


def build(dispatcher: Dispatcher) -> AsyncIOScheduler:
    settings = get_settings()
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        dispatcher.run_once, "interval", seconds=settings.dispatch_interval_seconds, id="outbox.dispatch", max_instances=1, coalesce=True
    )
    scheduler.add_job(dispatcher.reload, "interval", seconds=60, id="outbox.reload_channels", max_instances=1, coalesce=True)
    scheduler.add_job(dispatcher.reconcile_sms, "interval", minutes=10, id="outbox.reconcile_sms", max_instances=1, coalesce=True)
    scheduler.add_job(
        accrue_leave,
        "cron",
        hour=0,
        minute=10,
        timezone=ZoneInfo(settings.timezone),
        id="leave.accrue",
        coalesce=True,
    )
    scheduler.add_job(escalate_approvals, "interval", minutes=5, id="approvals.escalate", max_instances=1, coalesce=True)
    scheduler.add_job(purge_staged_attachments, "interval", hours=6, id="attachments.purge_staged", max_instances=1, coalesce=True)
    scheduler.add_job(
        daily_backup,
        "cron",
        hour=settings.backup_hour,
        minute=17,
        timezone=settings.timezone,
        id="backup.daily",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(prune_sign_in_counters, "interval", hours=6, id="auth.prune_counters", max_instances=1, coalesce=True)
    # The absence watch: the daily scan runs at HR's time (checked every minute, once a day),
    # unread reminders are forwarded within minutes of their deadline, WeCom check-ins are pulled.
    scheduler.add_job(attendance.scan_tick, "interval", seconds=60, id="attendance.scan", max_instances=1, coalesce=True)
    scheduler.add_job(attendance.forward_tick, "interval", minutes=5, id="attendance.forward", max_instances=1, coalesce=True)
    scheduler.add_job(attendance.pull_tick, "interval", minutes=10, id="attendance.wecom_pull", max_instances=1, coalesce=True)
    scheduler.add_job(policies.policy_tick, "interval", minutes=30, id="policies.remind", max_instances=1, coalesce=True)
    scheduler.add_job(policies.contacts_tick, "interval", minutes=60, id="contacts.reconfirm", max_instances=1, coalesce=True)
    scheduler.add_job(separations.daily_tick, "interval", minutes=15, id="separations.daily", max_instances=1, coalesce=True)
    scheduler.add_job(separations.checklist_tick, "interval", minutes=5, id="separations.checklist", max_instances=1, coalesce=True)
    scheduler.add_job(cases.watch_tick, "interval", minutes=5, id="cases.watch", max_instances=1, coalesce=True)
    scheduler.add_job(cases.checkpoint_tick, "interval", hours=1, id="audit.checkpoint", max_instances=1, coalesce=True)
    heartbeat = os.environ.get("SELFSERVICE_HEARTBEAT_FILE")
    if heartbeat:
        scheduler.add_job(
            _heartbeat,
            "interval",
            seconds=1,
            args=[heartbeat],
            id="heartbeat",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
    return scheduler


async def run(stop: asyncio.Event | None = None) -> None:
    """Try to lead; while leading, run the jobs; if the lock is lost, stop and try again."""
    settings = get_settings()
    stop = stop or asyncio.Event()
    lock = LeaderLock()
    dispatcher = Dispatcher()
    scheduler: AsyncIOScheduler | None = None
    try:
        while not stop.is_set():
            leading = await asyncio.to_thread(lock.try_acquire)
            if leading and scheduler is None:
                log.info("scheduler: this process (%s) leads", os.getpid())
                scheduler = build(dispatcher)
                scheduler.start()
            elif not leading and scheduler is not None:
                log.warning("scheduler: leadership lost")
                scheduler.shutdown(wait=False)
                scheduler = None
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.leader_retry_seconds)
            except TimeoutError:
                pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await dispatcher.aclose()
        lock.release()


async def lifespan_task() -> None:
    """Registered with the Reflex app: every worker runs it, the leader lock picks one."""
    if get_settings().scheduler_mode != "embedded":
        return
    try:
        await run()
    except asyncio.CancelledError:
        pass
