"""The dispatcher's database side: claim due deliveries, record each attempt's outcome.

Claims are leases (``claimed_by``, ``claimed_until``) committed before anything is sent, so two
dispatchers never send the same delivery at once, and a dispatcher that dies mid-send loses
nothing: its lease runs out and the delivery is sent again with the same idempotency key,
which the provider uses to drop the repeat.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.channels.base import Outgoing, SendResult
from selfservice.domain.actor import SYSTEM, Role
from selfservice.domain.notifications import MAX_ATTEMPTS, DeliveryStatus, backoff_seconds
from selfservice.persistence.models import DeliveryAttempt, Employee, NotificationDelivery, UserAccount
from selfservice.services import audit
from selfservice.settings import get_settings


def claim_due(session: Session, worker: str, now: datetime, limit: int = 200, channels: set[str] | None = None) -> list[Outgoing]:
    """Lease up to ``limit`` due deliveries to ``worker`` and commit the lease."""
    table = NotificationDelivery.__table__  # type: ignore[attr-defined]
    due = (
        sa.select(table.c.id)
        .where(
            table.c.status == DeliveryStatus.queued,
            table.c.next_attempt_at <= now,
            sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
        )
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(limit)
    )
    if channels is not None:
        due = due.where(table.c.channel.in_(channels))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    else:  # take SQLite's write lock first, so the read below and the update form one claim
        session.execute(sa.text("UPDATE notification_delivery SET claimed_by = claimed_by WHERE 0"))
    # Remember which were claimed before and never settled (their worker died mid-send).
    candidates = {row[0]: bool(row[1]) for row in session.execute(due.with_only_columns(table.c.id, table.c.claimed_by)).all()}
    if not candidates:
        session.commit()
        return []
    lease_until = now + timedelta(seconds=get_settings().dispatch_lease_seconds)
    ids = [
        row[0]
        for row in session.execute(
            sa.update(table)
            .where(
                table.c.id.in_(list(candidates)),
                table.c.status == DeliveryStatus.queued,
                sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
            )
            .values(claimed_by=worker, claimed_until=lease_until)
            .returning(table.c.id)
        ).all()
    ]
    session.commit()
    if not ids:
        return []
    rows = session.exec(select(NotificationDelivery).where(NotificationDelivery.id.in_(ids)).order_by(NotificationDelivery.id)).all()  # type: ignore[union-attr]
    return [Outgoing(d.id or 0, d.channel, d.address, d.text_sent, d.idempotency_key, resumed=candidates[d.id or 0]) for d in rows]


def record(session: Session, results: list[tuple[Outgoing, SendResult]], now: datetime, worker: str) -> None:
    """Write every outcome: the attempt row, the delivery's new status, the audit entries."""
    failures = []
    entries = []
    for outgoing, result in results:
        delivery = session.get(NotificationDelivery, outgoing.delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.queued:
            continue  # already settled (e.g. HR retried, or a report arrived)
        delivery.attempts += 1
        session.add(
            DeliveryAttempt(
                delivery_id=delivery.id,  # type: ignore[arg-type]
                at=now,
                outcome=result.outcome,
                http_status=result.http_status,
                response=result.response,
                error=result.error,
            )
        )
        delivery.claimed_by, delivery.claimed_until = "", None
        if result.outcome == "sent":
            delivery.status, delivery.sent_at = DeliveryStatus.sent, now
            delivery.provider_message_id, delivery.last_error = result.provider_message_id[:128], ""
            entries.append(
                (
                    "notification.sent",
                    "notification_delivery",
                    delivery.id,
                    {"channel": delivery.channel, "provider_message_id": delivery.provider_message_id, "attempts": delivery.attempts},
                )
            )
        elif result.outcome == "retry" and delivery.attempts < MAX_ATTEMPTS:
            base = get_settings().retry_base_seconds
            delay = max(backoff_seconds(delivery.attempts, base=base, cap=max(base, 3600.0)), min(result.retry_after or 0, 3600.0))
            delivery.next_attempt_at, delivery.last_error = now + timedelta(seconds=delay), result.error
        else:
            delivery.status, delivery.last_error = DeliveryStatus.failed, result.error or "gave up"
            entries.append(
                (
                    "notification.failed",
                    "notification_delivery",
                    delivery.id,
                    {"channel": delivery.channel, "error": delivery.last_error, "attempts": delivery.attempts},
                )
            )
            failures.append(delivery)
        session.add(delivery)
    session.flush()
    audit.append_many(session, SYSTEM, entries, at=now)
    if failures:
        _alert_hr(session, failures, now)
    session.commit()


def _alert_hr(session: Session, failures: list[NotificationDelivery], now: datetime) -> None:
    """A delivery that finally failed is evidence HR must act on: tell every HR user in-app."""
    from selfservice.services.notifications import notify

    hr_ids = session.exec(
        select(Employee.id)
        .join(UserAccount, UserAccount.employee_id == Employee.id)
        .where(UserAccount.role.in_([Role.hr, Role.admin]), Employee.status == "active")  # type: ignore[union-attr, arg-type]
    ).all()
    summary = ", ".join(f"#{d.id} {d.channel} → {d.address}" for d in failures[:10])
    for hr_id in hr_ids:
        notify(
            session,
            None,
            hr_id,
            "delivery_failed",
            "notice.generic",
            {
                "title_zh": "消息发送失败",
                "body_zh": f"{len(failures)} 条消息多次重试后仍发送失败：{summary}。请在发件箱中查看并处理。",
                "title_en": "Delivery failed",
                "body_en": f"{len(failures)} deliveries failed after retries: {summary}. Please check the outbox.",
            },
            (),
            now,
        )


def mark_unconfigured(session: Session, outgoing: list[Outgoing], now: datetime) -> None:
    for item in outgoing:
        delivery = session.get(NotificationDelivery, item.delivery_id)
        if delivery is not None and delivery.status == DeliveryStatus.queued:
            delivery.status, delivery.last_error, delivery.claimed_by, delivery.claimed_until = (
                DeliveryStatus.not_configured,
                "channel not configured",
                "",
                None,
            )
            session.add(delivery)
    session.commit()
