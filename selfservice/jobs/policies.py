"""Policy and contact-details jobs: new audience members asked to sign, reminders until signed,
overdue notices, and the quarterly "confirm your contact details". Each calls the services; the
scheduler runs them under its lock; each is safe to run again (the services keep their own
bookkeeping of who was told when)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from selfservice.persistence.db import session_scope

log = logging.getLogger("selfservice.policies")


def policy_tick(now: datetime | None = None) -> dict[str, int]:
    from selfservice.services import policies

    moment = now or datetime.now(UTC)
    with session_scope() as session:
        joined = policies.sync_audiences(session, moment)
        counts = {"joined": joined, **policies.remind_due(session, moment)}
    if any(counts.values()):
        log.info("policies: %s", counts)
    return counts


def contacts_tick(now: datetime | None = None) -> dict[str, int]:
    from selfservice.services import contacts

    with session_scope() as session:
        counts = contacts.reconfirm_due(session, now or datetime.now(UTC))
    if any(counts.values()):
        log.info("contact details: %s", counts)
    return counts
