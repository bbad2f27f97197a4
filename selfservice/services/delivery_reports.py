"""Provider delivery reports (回执). Reports are unsigned, so one is applied only when it names a
delivery we sent (provider id and our idempotency key both match) that has no report yet."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from selfservice.domain.notifications import DeliveryStatus
from selfservice.persistence.models import DeliveryAttempt, NotificationDelivery
from selfservice.services import audit


def apply_aliyun(session: Session, reports: list[dict[str, Any]], now: datetime) -> int:
    """Apply Aliyun SMS reports (the pushed JSON array); returns how many changed a delivery."""
    applied = 0
    for report in reports[:1000]:
        if not isinstance(report, dict):
            continue
        biz_id, out_id = str(report.get("biz_id", ""))[:128], str(report.get("out_id", ""))[:64]
        if not biz_id or not out_id:
            continue
        delivery = session.exec(
            select(NotificationDelivery).where(
                NotificationDelivery.channel == "sms",
                NotificationDelivery.provider_message_id == biz_id,
                NotificationDelivery.idempotency_key == out_id,
            )
        ).first()
        if delivery is None or delivery.status != DeliveryStatus.sent:
            continue
        success = report.get("success") is True
        delivery.status = DeliveryStatus.delivered if success else DeliveryStatus.failed
        if success:
            delivery.delivered_at = now
        else:
            delivery.last_error = f"{report.get('err_code', '')}: {report.get('err_msg', '')}"[:500]
        session.add(delivery)
        session.add(
            DeliveryAttempt(delivery_id=delivery.id, at=now, outcome="report", response=json.dumps(report, ensure_ascii=False)[:2000])
        )  # type: ignore[arg-type]
        audit.append(
            session,
            None,
            "notification.delivered" if success else "notification.failed",
            "notification_delivery",
            delivery.id,
            after={"report": report},
            at=now,
        )
        session.flush()
        applied += 1
    return applied
