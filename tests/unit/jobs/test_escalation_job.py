"""The scheduled escalation job with the clock moved by time-machine."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from sqlmodel import select

from selfservice.jobs.scheduler import escalate_approvals
from selfservice.persistence.models import ApprovalStep, NotificationMessage
from selfservice.services import leave_balances, leave_requests
from tests.helpers import actor_for


def test_job_reminds_then_escalates_as_working_time_passes(demo, now):
    leave_balances.ensure_default_types(demo)
    friday = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai
    leave_requests.submit(demo, actor_for(demo, "E2004"), "personal", date(2026, 12, 7), "am", date(2026, 12, 7), "pm", "体检", [], friday)
    demo.commit()

    def statuses():
        demo.expire_all()
        return [(s.rule, s.status, s.reminded_at is not None) for s in demo.exec(select(ApprovalStep).order_by(ApprovalStep.id)).all()]

    with time_machine.travel(datetime(2026, 11, 29, 23, 0, tzinfo=UTC), tick=False):  # Monday 07:00: the weekend did not count
        escalate_approvals()
    assert statuses() == [("manager", "pending", False)]
    with time_machine.travel(datetime(2026, 11, 30, 2, 30, tzinfo=UTC), tick=False):
        escalate_approvals()
        escalate_approvals()
    assert statuses() == [("manager", "pending", True)], "reminded once"
    with time_machine.travel(datetime(2026, 12, 1, 2, 30, tzinfo=UTC), tick=False):
        escalate_approvals()
    assert statuses() == [("manager", "escalated", True), ("escalated", "pending", False)]
    reminder = demo.exec(select(NotificationMessage).where(NotificationMessage.template == "approval.reminder")).one()
    escalated = demo.exec(select(NotificationMessage).where(NotificationMessage.template == "approval.escalated")).one()
    assert reminder.recipient_id == actor_for(demo, "E2002").employee_id
    assert escalated.recipient_id == actor_for(demo, "E2001").employee_id
