"""Case and evidence jobs: every few minutes, pause the cases whose employee reacted; once a day
(checked hourly, so a server down at midnight catches up), sign the audit chain's head."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from selfservice.persistence.db import session_scope

log = logging.getLogger("selfservice.cases")
CHECKPOINT_EVERY = timedelta(hours=24)


def watch_tick(now: datetime | None = None) -> int:
    from selfservice.services import cases

    with session_scope() as session:
        paused = cases.watch(session, None, now or datetime.now(UTC))
    if paused:
        log.info("cases: %d paused on the employee's reaction", paused)
    return paused


def checkpoint_tick(now: datetime | None = None) -> bool:
    """A scheduled checkpoint when the last one is a day old (or there is none)."""
    from sqlmodel import select

    from selfservice.persistence.models import AuditCheckpoint
    from selfservice.services import checkpoints

    moment = now or datetime.now(UTC)
    with session_scope() as session:
        last = session.exec(
            select(AuditCheckpoint.at).where(AuditCheckpoint.reason == "schedule").order_by(AuditCheckpoint.at.desc()).limit(1)  # type: ignore[attr-defined]
        ).first()
        if last is not None and moment - last < CHECKPOINT_EVERY:
            return False
        seq = checkpoints.take(session, "schedule", moment).seq
    log.info("audit checkpoint at seq %d", seq)
    return True
