"""Separation jobs: certificates on the day employment ends and offboarding once the last day
is over (checked every quarter of an hour, so a server down at midnight catches up), and the
handover checklist's reminders and escalations. Each is safe to run again."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from selfservice.persistence.db import session_scope

log = logging.getLogger("selfservice.separations")


def daily_tick(now: datetime | None = None) -> dict[str, int]:
    from selfservice.services import separations

    with session_scope() as session:
        counts = separations.daily(session, now or datetime.now(UTC))
    if any(counts.values()):
        log.info("separations: %s", counts)
    return counts


def checklist_tick(now: datetime | None = None) -> tuple[int, int]:
    from selfservice.services import separations

    with session_scope() as session:
        reminded, escalated = separations.escalate_due(session, now or datetime.now(UTC))
    if reminded or escalated:
        log.info("handover checklists: %d reminded, %d escalated", reminded, escalated)
    return reminded, escalated
