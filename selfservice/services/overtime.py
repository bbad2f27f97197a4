"""Overtime (加班) → time off in lieu (调休): an overtime request goes through the approval engine;
once approved, its hours are added to the employee's 调休 balance (8 hours a day), and leave of
the 调休 type draws from that balance like any other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, select

from selfservice.domain import leave as rules
from selfservice.domain import leave_law as law
from selfservice.domain.actor import Actor
from selfservice.domain.approvals import InstanceStatus
from selfservice.domain.errors import NotFound, NotPermitted, ValidationFailed
from selfservice.persistence.models import ApprovalInstance, Employee, LeaveLedgerEntry, LeaveType, OvertimeRequest
from selfservice.services import approvals, audit
from selfservice.settings import get_settings

OVERTIME = "overtime"
WORKFLOWS = (OVERTIME,)


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def lieu_type(session: Session) -> LeaveType | None:
    """The active 调休 type, if HR switched one on."""
    return session.exec(select(LeaveType).where(LeaveType.kind == law.Kind.lieu, LeaveType.active == True)).first()  # noqa: E712


def _hours(text: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ValidationFailed("overtime.hours_range", field="hours") from None


def submit(session: Session, actor: Actor, work_date: date, hours: str, reason: str, now: datetime) -> int:
    """File an overtime request; its approver is chosen by the engine like for leave."""
    if lieu_type(session) is None:
        raise ValidationFailed("overtime.no_lieu_type", field="hours")
    amount = _hours(hours)
    law.check_overtime(amount, work_date, approvals.local_today(now), get_settings().leave_past_limit_days, reason)
    if len(reason) > 500:
        raise ValidationFailed("leave.reason_too_long", field="reason", max=500)
    same_day = session.exec(
        select(OvertimeRequest.id).where(
            OvertimeRequest.employee_id == actor.employee_id,
            OvertimeRequest.work_date == work_date,
            OvertimeRequest.status.in_(("pending", "approved")),  # type: ignore[attr-defined]
        )
    ).first()
    if same_day is not None:
        raise ValidationFailed("overtime.same_day", field="work_date", day=work_date.isoformat())
    request = OvertimeRequest(
        employee_id=actor.employee_id,
        work_date=work_date,
        hours=amount,
        reason=reason.strip(),
        status="pending",
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    audit.append(
        session,
        actor,
        "overtime.requested",
        "overtime_request",
        request.id,
        after={"date": work_date.isoformat(), "hours": _fmt(amount), "reason": request.reason},
        at=now,
    )
    approvals.start(session, actor, OVERTIME, request.id, actor.employee_id, law.lieu_days(amount), False, now)  # type: ignore[arg-type]
    return request.id  # type: ignore[return-value]


def withdraw(session: Session, actor: Actor, request_id: int, now: datetime) -> None:
    request = session.get(OvertimeRequest, request_id)
    if request is None:
        raise NotFound()
    if request.employee_id != actor.employee_id:
        raise NotPermitted()
    instance = session.exec(
        select(ApprovalInstance).where(
            ApprovalInstance.workflow == OVERTIME, ApprovalInstance.subject_id == request_id, ApprovalInstance.status == "pending"
        )
    ).first()
    if instance is None:
        raise ValidationFailed("leave.not_pending", field="status")
    approvals.withdraw(session, actor, instance.id, now)  # type: ignore[arg-type]


def _on_finished(session: Session, actor: Actor, request_id: int, outcome: InstanceStatus, now: datetime) -> None:
    request = session.get(OvertimeRequest, request_id)
    assert request is not None
    status = {InstanceStatus.approved: "approved", InstanceStatus.rejected: "rejected", InstanceStatus.withdrawn: "withdrawn"}[outcome]
    before = request.status
    request.status, request.updated_at = status, now
    session.add(request)
    after: dict[str, object] = {"status": status}
    if status == "approved":
        lieu = lieu_type(session)
        if lieu is not None:  # HR switched 调休 off meanwhile: approved, nothing to credit
            days = law.lieu_days(request.hours)
            session.add(
                LeaveLedgerEntry(
                    employee_id=request.employee_id,
                    leave_type=lieu.code,
                    year=request.work_date.year,
                    kind=rules.LedgerKind.overtime,
                    days=days,
                    note=f"overtime #{request.id} {request.work_date} {_fmt(request.hours)} h",
                    created_at=now,
                    created_by=actor.account_id or None,
                )
            )
            after["lieu_days"] = _fmt(days)
    audit.append(session, actor, "overtime." + status, "overtime_request", request.id, before={"status": before}, after=after, at=now)


def describe(session: Session, request_id: int) -> dict[str, str]:
    request = session.get(OvertimeRequest, request_id)
    assert request is not None
    hours, days = _fmt(request.hours), _fmt(law.lieu_days(request.hours))
    return {
        "what_zh": "加班申请",
        "what_en": "overtime request",
        "summary_zh": f"{request.work_date} 加班 {hours} 小时（调休 {days} 天）",
        "summary_en": f"overtime on {request.work_date}, {hours} h ({days} day(s) off in lieu)",
    }


approvals.register(approvals.Workflow(OVERTIME, OVERTIME, describe, _on_finished, requester_link="/leave?tab=overtime"))


@dataclass(frozen=True)
class OvertimeView:
    id: int
    employee: str
    department: str
    department_en: str
    work_date: str
    hours: str
    lieu_days: str
    reason: str
    status: str
    created_at: datetime
    trail: list[approvals.TrailStep]
    can_withdraw: bool


def _views(session: Session, rows: list[OvertimeRequest]) -> list[OvertimeView]:
    from selfservice.persistence.models import Department

    trails = approvals.trails(session, WORKFLOWS, [r.id for r in rows])  # type: ignore[misc]
    people = {e.id: e for e in session.exec(select(Employee).where(Employee.id.in_({r.employee_id for r in rows}))).all()}  # type: ignore[union-attr]
    departments = {d.id: d for d in session.exec(select(Department)).all()}
    return [
        OvertimeView(
            r.id or 0,
            people[r.employee_id].name if r.employee_id in people else "",
            _dept(departments, people, r.employee_id, False),
            _dept(departments, people, r.employee_id, True),
            r.work_date.isoformat(),
            _fmt(r.hours),
            _fmt(law.lieu_days(r.hours)),
            r.reason,
            r.status,
            r.created_at,
            trails.get(r.id, []),  # type: ignore[arg-type]
            r.status == "pending",
        )
        for r in rows
    ]


def _dept(departments: dict, people: dict, employee_id: int, en: bool) -> str:
    department = departments.get(people[employee_id].department_id) if employee_id in people else None
    if department is None:
        return ""
    return (department.name_en or department.name) if en else department.name


def mine(session: Session, actor: Actor, limit: int = 50) -> list[OvertimeView]:
    rows = session.exec(
        select(OvertimeRequest).where(OvertimeRequest.employee_id == actor.employee_id).order_by(OvertimeRequest.id.desc()).limit(limit)  # type: ignore[union-attr]
    ).all()
    return _views(session, list(rows))


@dataclass(frozen=True)
class InboxItem:
    item: approvals.Item
    request: OvertimeView


def inbox(session: Session, actor: Actor) -> list[InboxItem]:
    """The approver's pending overtime items."""
    items = [i for i in approvals.pending_for(session, actor) if i.workflow in WORKFLOWS]
    rows = session.exec(select(OvertimeRequest).where(OvertimeRequest.id.in_([i.subject_id for i in items]))).all()  # type: ignore[union-attr]
    views = {v.id: v for v in _views(session, list(rows))}
    return [InboxItem(i, views[i.subject_id]) for i in items if i.subject_id in views]
