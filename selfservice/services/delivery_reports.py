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


def awaiting_report(session: Session, now: datetime, after_minutes: int = 10, within_hours: int = 48) -> list[tuple[str, str, str, str]]:
    """SMS deliveries sent a while ago with no report yet: (address, biz_id, out_id, send date)."""
    from datetime import timedelta

    rows = session.exec(
        select(NotificationDelivery).where(
            NotificationDelivery.channel == "sms",
            NotificationDelivery.status == DeliveryStatus.sent,
            NotificationDelivery.sent_at < now - timedelta(minutes=after_minutes),  # type: ignore[operator]
            NotificationDelivery.sent_at > now - timedelta(hours=within_hours),  # type: ignore[operator]
        )
    ).all()
    return [(d.address, d.provider_message_id, d.idempotency_key, d.sent_at.strftime("%Y%m%d")) for d in rows if d.sent_at]


def details_as_reports(biz_id: str, details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``QuerySendDetails`` rows in the shape of pushed reports (SendStatus 3 = delivered, 2 = failed)."""
    reports = []
    for detail in details:
        status = detail.get("SendStatus")
        if status in (2, 3):
            reports.append(
                {
                    "biz_id": biz_id,
                    "out_id": detail.get("OutId", ""),
                    "success": status == 3,
                    "err_code": detail.get("ErrCode", ""),
                    "source": "QuerySendDetails",
                }
            )
    return reports
