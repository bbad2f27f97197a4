"""Leave requests (请假申请): preview, submit, withdraw, cancel; attachments; the leave calendar
and report. Approval routing is the generic engine's (:mod:`selfservice.services.approvals`);
this module registers the two leave workflows and applies their outcomes to the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain import attachments as files
from selfservice.domain import leave as rules
from selfservice.domain import leave_law as law
from selfservice.domain.actor import Actor, Role
from selfservice.domain.approvals import InstanceStatus
from selfservice.domain.errors import DomainError, NotFound, NotPermitted, ValidationFailed
from selfservice.domain.work_calendar import Half
from selfservice.persistence import filestore
from selfservice.persistence.models import (
    ApprovalInstance,
    Department,
    Employee,
    LeaveAttachment,
    LeaveLedgerEntry,
    LeaveRequest,
    LeaveType,
    UserAccount,
)
from selfservice.services import absence_streaks, approvals, audit, file_links, leave_balances, work_calendar
from selfservice.services.notifications import notify_many
from selfservice.settings import get_settings

LEAVE, LEAVE_CANCEL = "leave", "leave_cancel"
WORKFLOWS = (LEAVE, LEAVE_CANCEL)
HALF_ZH = {"am": "上午", "pm": "下午"}
LINK_SECONDS = 600


def _fmt(days: Decimal) -> str:
    return f"{days.normalize():f}"


def _type(session: Session, code: str) -> rules.LeaveTypeRule:
    """An active leave type's rule (from the remembered reference data)."""
    rule = next((r for r in leave_balances.leave_types(session) if r.code == code), None)
    if rule is None:
        raise ValidationFailed("leave.unknown_type", field="type")
    return rule


def _slot(day: date, half: str) -> int:
    """Half-day slots as integers so that ranges with halves compare simply."""
    return day.toordinal() * 2 + (1 if half == Half.pm else 0)


def _overlaps(
    session: Session, employee_id: int, start: date, start_half: str, end: date, end_half: str, exclude: int | None = None
) -> bool:
    first, last = _slot(start, start_half), _slot(end, end_half)
    rows = session.exec(
        select(LeaveRequest.id, LeaveRequest.start_date, LeaveRequest.start_half, LeaveRequest.end_date, LeaveRequest.end_half).where(
            LeaveRequest.employee_id == employee_id,
            LeaveRequest.status.in_(rules.HOLDING),  # type: ignore[attr-defined]
            LeaveRequest.start_date <= end,
            LeaveRequest.end_date >= start,
        )
    ).all()
    return any(i != exclude and _slot(s, sh) <= last and first <= _slot(e, eh) for i, s, sh, e, eh in rows)


def year_days(
    session: Session, start: date, start_half: str, end: date, end_half: str, counting: str = law.Counting.working
) -> dict[int, Decimal]:
    """The days of a range per calendar year (each year's days come off that year's balance):
    working days by the company calendar, or every calendar day for types counted that way."""
    result: dict[int, Decimal] = {}
    for year, first, first_half, last, last_half in rules.year_parts(start, start_half, end, end_half):
        try:
            result[year] = _count(session, counting, first, first_half, last, last_half)
        except ValidationFailed:
            result[year] = Decimal(0)  # no working day falls in this year's part
    return result


def _count(session: Session, counting: str, start: date, start_half: str, end: date, end_half: str) -> Decimal:
    if counting == law.Counting.calendar:
        if (end - start).days > 366:
            raise ValidationFailed("leave.range_too_long", field="end")
        return rules.calendar_days(start, start_half, end, end_half)
    return work_calendar.leave_days(session, start, start_half, end, end_half)


def reserved(session: Session, employee_id: int, leave_type: str, year: int) -> Decimal:
    """Days of ``year`` held by pending requests (not yet in the ledger); a request across the
    year end holds each year's own days."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    pending = session.exec(  # one query: the pending requests of this type that touch the year
        select(LeaveRequest.start_date, LeaveRequest.start_half, LeaveRequest.end_date, LeaveRequest.end_half, LeaveRequest.days).where(
            LeaveRequest.employee_id == employee_id,
            LeaveRequest.leave_type == leave_type,
            LeaveRequest.status == rules.RequestStatus.pending,
            LeaveRequest.start_date <= last,
            LeaveRequest.end_date >= first,
        )
    ).all()
    total = Decimal(0)
    counting = None
    for start, start_half, end, end_half, days in pending:
        if first <= start and end <= last:
            total += Decimal(str(days))
            continue
        if counting is None:
            counting = leave_balances.countings(session).get(leave_type, law.Counting.working)
        total += year_days(session, start, start_half, end, end_half, counting).get(year, Decimal(0))
    return total


def _check_years(session: Session, employee_id: int, rule: rules.LeaveTypeRule, parts: dict[int, Decimal]) -> None:
    """Each year's part against that year's balance (a request within one year is checked by
    :func:`rules.check_request` with its single balance)."""
    if not rule.has_balance or rule.allow_negative or len(parts) < 2:
        return
    for year, days in parts.items():
        available = _available(session, employee_id, rule, year)
        if available is not None and days > available:
            raise ValidationFailed(
                "leave.over_balance_year", field="type", year=year, days=f"{days.normalize():f}", available=f"{available.normalize():f}"
            )


@dataclass(frozen=True)
class Preview:
    days: str  # "" when they could not be counted
    balance: str  # "" for types without a balance
    balance_after: str
    attachment_required: bool
    problems: list[DomainError]  # every refusal submitting would give, in the form's order
    proof: str  # what proof the type needs (zh, en)
    proof_en: str
    allowance: str  # per-event types: the most days one request may take


def _available(session: Session, employee_id: int, rule: rules.LeaveTypeRule, year: int) -> Decimal | None:
    if not rule.has_balance:
        return None
    return leave_balances.balance_of(session, employee_id, rule.code, year) - reserved(session, employee_id, rule.code, year)


@dataclass(frozen=True)
class _Assessment:
    days: Decimal | None
    parts: dict[int, Decimal]
    available: Decimal | None  # of the first year
    problems: list[DomainError]


def _assess(
    session: Session,
    actor: Actor,
    rule: rules.LeaveTypeRule,
    start: date,
    start_half: str,
    end: date,
    end_half: str,
    difficult_birth: bool,
    babies: int,
    now: datetime,
) -> _Assessment:
    """Count the days and collect every rule the dates break (submit refuses with the first)."""
    problems: list[DomainError] = []
    days: Decimal | None = None
    parts: dict[int, Decimal] = {}
    try:
        if rule.counting != law.Counting.calendar:
            work_calendar.require_years(session, start, end, now)
        days = _count(session, rule.counting, start, start_half, end, end_half)
        parts = year_days(session, start, start_half, end, end_half, rule.counting)
    except DomainError as problem:
        problems.append(problem)
    available = _available(session, actor.employee_id, rule, start.year)
    problems += rules.request_problems(
        rule,
        start,
        end,
        approvals.local_today(now),
        get_settings().leave_past_limit_days,
        days,
        available if len(parts) < 2 else None,
        _overlaps(session, actor.employee_id, start, start_half, end, end_half),
    )
    if days is not None:
        try:
            _check_years(session, actor.employee_id, rule, parts)
            law.check_event(rule.kind, rule.per_event_days, days, difficult_birth, babies)
        except ValidationFailed as problem:
            problems.append(problem)
    seen: set[str] = set()
    unique = [p for p in problems if not (p.key in seen or seen.add(p.key))]  # type: ignore[func-returns-value]
    return _Assessment(days, parts, available, unique)


def preview(
    session: Session,
    actor: Actor,
    leave_type: str,
    start: date,
    start_half: str,
    end: date,
    end_half: str,
    now: datetime | None = None,
    difficult_birth: bool = False,
    babies: int = 1,
) -> Preview:
    """What the form shows before submitting: the days counted, the balance after, and every
    refusal submitting would give."""
    rule = _type(session, leave_type)
    result = _assess(session, actor, rule, start, start_half, end, end_half, difficult_birth, babies, now or datetime.now().astimezone())
    available = result.available
    charged = result.parts.get(start.year, result.days or Decimal(0))  # across the year end, the balance shown is the first year's
    allowance = law.event_allowance(rule.kind, rule.per_event_days, difficult_birth, babies)
    return Preview(
        "" if result.days is None else _fmt(result.days),
        "" if available is None else _fmt(available),
        "" if available is None or result.days is None else _fmt(available - charged),
        result.days is not None and rule.attachment_required(result.days),
        result.problems,
        rule.proof,
        rule.proof_en,
        "" if allowance is None else _fmt(allowance),
    )


# ---- attachments --------------------------------------------------------------------------


def stage_attachment(actor: Actor, data: bytes, name: str, audio: bool = False) -> files.Checked:
    """Check an uploaded file by its content and store it under its hash (no row yet: a file is
    only ever served through an attachment row of a request the viewer may see)."""
    checked = files.check(data, name, get_settings().attachment_max_bytes, audio)
    filestore.store().put(data)
    return checked


def store_raw(data: bytes) -> str:
    """Keep bytes the system made itself (an evidence bundle) in the same store; returns the hash."""
    return filestore.store().put(data)


def _stored(sha256: str, name: str, audio: bool = False) -> files.Checked:
    try:
        data = filestore.store().get(sha256)
    except filestore.FileMissing:
        raise ValidationFailed("attachment.missing", field="attachments") from None
    except filestore.FileDamaged:
        raise ValidationFailed("attachment.damaged", field="attachments", name=name[:120]) from None
    return files.check(data, name, get_settings().attachment_max_bytes, audio)


def staged_file(sha256: str, name: str, audio: bool = False) -> files.Checked:
    """A file uploaded earlier, checked again from the store (the form keeps only its hash)."""
    return _stored(sha256, name, audio)


def stored_bytes(sha256: str) -> bytes:
    """A stored file's bytes by its hash, checked (the separation pages keep photos and
    documents in the same store)."""
    try:
        return filestore.store().get(sha256)
    except (filestore.FileMissing, filestore.FileDamaged):
        raise NotFound() from None


def purge_staged(session: Session, older_than: datetime) -> int:
    """Delete uploaded files that no request took (a form abandoned after choosing a photo),
    once they are older than ``older_than``. Files any row refers to are never touched."""
    kept = filestore.referenced(session)
    store = filestore.store()
    removed = 0
    for sha256, modified in list(store.listing()):
        if sha256 in kept or modified >= older_than.timestamp():
            continue
        store.delete(sha256)
        removed += 1
    return removed


def _may_view_request(session: Session, actor: Actor, request: LeaveRequest) -> bool:
    return (
        request.employee_id == actor.employee_id or actor.has_role(Role.hr) or approvals.is_involved(session, actor, WORKFLOWS, request.id)  # type: ignore[arg-type]
    )


def attachment_link(attachment_id: int, actor: Actor, now: datetime) -> str:
    """A short-lived URL for one viewer (an <img> cannot send our session token)."""
    return file_links.link("attachment", attachment_id, actor, now, LINK_SECONDS)


def open_attachment(session: Session, attachment_id: int, account_id: int, expires: int, mac: str, now: datetime) -> tuple[bytes, str, str]:
    """The bytes behind a link, re-checking that its account may still see the request."""
    viewer = file_links.account_of(session, "attachment", attachment_id, account_id, expires, mac, now)
    row = session.get(LeaveAttachment, attachment_id)
    request = session.get(LeaveRequest, row.request_id) if row is not None else None
    if row is None or request is None or not _may_view_request(session, viewer, request):
        raise NotPermitted()
    return stored_bytes(row.sha256), row.content_type, row.original_name


# ---- submitting, withdrawing, cancelling --------------------------------------------------


def _describe(request: LeaveRequest, leave_type: LeaveType, cancel: bool = False) -> dict[str, str]:
    zh = f"{leave_type.name} {request.start_date}{HALF_ZH[request.start_half]} 至 {request.end_date}{HALF_ZH[request.end_half]}，共{_fmt(request.days)}天"
    en = f"{leave_type.name_en} {request.start_date} {request.start_half} to {request.end_date} {request.end_half}, {_fmt(request.days)} day(s)"
    return {
        "what_zh": "取消请假申请" if cancel else "请假申请",
        "what_en": "leave cancellation" if cancel else "leave request",
        "summary_zh": zh,
        "summary_en": en,
    }


def submit(
    session: Session,
    actor: Actor,
    leave_type: str,
    start: date,
    start_half: str,
    end: date,
    end_half: str,
    reason: str,
    staged: list[tuple[str, str]],
    now: datetime,
    difficult_birth: bool = False,
    babies: int = 1,
) -> int:
    """File a request: every rule checked, days reserved, the approval started, the approver told.
    ``staged`` lists (sha256, original name) of files checked by :func:`stage_attachment`."""
    rule = _type(session, leave_type)
    if len(staged) > files.MAX_FILES:
        raise ValidationFailed("attachment.too_many", field="attachments", max=files.MAX_FILES)
    if len(reason) > 500:
        raise ValidationFailed("leave.reason_too_long", field="reason", max=500)
    checked = [_stored(sha, name) for sha, name in dict(staged).items()]
    result = _assess(session, actor, rule, start, start_half, end, end_half, difficult_birth, babies, now)
    if result.problems:
        raise result.problems[0]
    days = result.days
    assert days is not None
    if not reason.strip():
        raise ValidationFailed("leave.reason_missing", field="reason")
    if rule.attachment_required(days) and not checked:
        if rule.proof and not rule.attachment_over_days:  # per-event types: always
            raise ValidationFailed("leave.proof_required", field="attachments")
        raise ValidationFailed("leave.attachment_required", field="attachments", days=_fmt(rule.attachment_over_days or Decimal(0)))
    request = LeaveRequest(
        employee_id=actor.employee_id,
        leave_type=leave_type,
        start_date=start,
        start_half=start_half,
        end_date=end,
        end_half=end_half,
        days=days,
        reason=reason.strip(),
        status=rules.RequestStatus.pending,
        difficult_birth=difficult_birth and rule.kind == law.Kind.maternity,
        babies=babies if rule.kind == law.Kind.maternity else 1,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    for item in checked:
        session.add(
            LeaveAttachment(
                request_id=request.id,  # type: ignore[arg-type]
                sha256=item.sha256,
                content_type=item.content_type,
                size=item.size,
                original_name=item.name,
                created_at=now,
                created_by=actor.account_id or None,
            )
        )
    audit.append(
        session,
        actor,
        "leave.requested",
        "leave_request",
        request.id,
        after={
            "type": leave_type,
            "start": f"{start} {start_half}",
            "end": f"{end} {end_half}",
            "days": _fmt(days),
            "reason": request.reason,
            "attachments": [c.sha256 for c in checked],
        },
        at=now,
    )
    approvals.start(session, actor, LEAVE, request.id, actor.employee_id, days, rule.hr_must_approve, now)  # type: ignore[arg-type]
    return request.id  # type: ignore[return-value]


def _own(session: Session, actor: Actor, request_id: int) -> LeaveRequest:
    request = session.get(LeaveRequest, request_id)
    if request is None:
        raise NotFound()
    if request.employee_id != actor.employee_id:
        raise NotPermitted()
    return request


def _open_instance(session: Session, workflow: str, request_id: int) -> ApprovalInstance | None:
    return session.exec(
        select(ApprovalInstance).where(
            ApprovalInstance.workflow == workflow, ApprovalInstance.subject_id == request_id, ApprovalInstance.status == "pending"
        )
    ).first()


def withdraw(session: Session, actor: Actor, request_id: int, now: datetime) -> None:
    """The employee takes back a pending request (or a pending cancellation)."""
    request = _own(session, actor, request_id)
    workflow = {rules.RequestStatus.pending: LEAVE, rules.RequestStatus.cancel_pending: LEAVE_CANCEL}.get(
        rules.RequestStatus(request.status)
    )
    instance = _open_instance(session, workflow, request_id) if workflow else None
    if instance is None:
        raise ValidationFailed("leave.not_pending", field="status")
    approvals.withdraw(session, actor, instance.id, now)  # type: ignore[arg-type]


def request_cancel(session: Session, actor: Actor, request_id: int, now: datetime) -> None:
    """Ask to cancel an approved leave that has not started: it goes back to approval."""
    request = _own(session, actor, request_id)
    if request.status != rules.RequestStatus.approved:
        raise ValidationFailed("leave.not_approved", field="status")
    if request.start_date <= approvals.local_today(now):
        raise ValidationFailed("leave.already_started", field="status")
    type_row = session.get(LeaveType, request.leave_type)
    assert type_row is not None
    request.status, request.updated_at = rules.RequestStatus.cancel_pending, now
    session.add(request)
    audit.append(session, actor, "leave.cancel_requested", "leave_request", request.id, before={"status": "approved"}, at=now)
    approvals.start(session, actor, LEAVE_CANCEL, request.id, actor.employee_id, request.days, type_row.hr_must_approve, now)  # type: ignore[arg-type]


def _ledger(session: Session, actor: Actor, request: LeaveRequest, sign: int, note: str, now: datetime) -> None:
    """Usage entries for an approved request (sign -1) or their reversal (sign +1), per year."""
    counting = session.exec(select(LeaveType.counting).where(LeaveType.code == request.leave_type)).first() or law.Counting.working
    for year, first, first_half, last, last_half in rules.year_parts(
        request.start_date, request.start_half, request.end_date, request.end_half
    ):
        try:
            days = _count(session, counting, first, first_half, last, last_half)
        except DomainError:
            continue  # no working day falls in this year's part
        session.add(
            LeaveLedgerEntry(
                employee_id=request.employee_id,
                leave_type=request.leave_type,
                year=year,
                kind=rules.LedgerKind.usage,
                days=sign * days,
                note=f"{note} #{request.id}",
                created_at=now,
                created_by=actor.account_id or None,
            )
        )


def _team(session: Session, employee: Employee) -> list[int]:
    """Those told when someone's leave is approved: their manager, their peers, and HR."""
    ids = set()
    if employee.manager_id:
        ids.add(employee.manager_id)
        ids.update(session.exec(select(Employee.id).where(Employee.manager_id == employee.manager_id, Employee.status == "active")).all())
    ids.update(
        session.exec(
            select(UserAccount.employee_id)
            .join(Employee, Employee.id == UserAccount.employee_id)
            .where(UserAccount.role.in_([Role.hr, Role.admin]), UserAccount.active == True, Employee.status == "active")  # type: ignore[union-attr]  # noqa: E712
        ).all()
    )
    ids.discard(employee.id)
    return sorted(i for i in ids if i)


def _on_leave_finished(session: Session, actor: Actor, request_id: int, outcome: InstanceStatus, now: datetime) -> None:
    request = session.get(LeaveRequest, request_id)
    assert request is not None
    before = request.status
    status = {
        InstanceStatus.approved: rules.RequestStatus.approved,
        InstanceStatus.rejected: rules.RequestStatus.rejected,
        InstanceStatus.withdrawn: rules.RequestStatus.withdrawn,
    }[outcome]
    request.status, request.updated_at = status, now
    session.add(request)
    if status == rules.RequestStatus.approved:
        _ledger(session, actor, request, -1, "leave", now)
        employee = session.get(Employee, request.employee_id)
        assert employee is not None
        params = {**_describe(request, session.get(LeaveType, request.leave_type)), "requester": employee.name}  # type: ignore[arg-type]
        notify_many(session, actor, _team(session, employee), "leave_fyi", "leave.fyi", params, (), now)
        absence_streaks.leave_approved(session, actor, request, now)  # the days it covers are no longer missing
    audit.append(
        session, actor, "leave." + status, "leave_request", request.id, before={"status": before}, after={"status": status}, at=now
    )


def _on_cancel_finished(session: Session, actor: Actor, request_id: int, outcome: InstanceStatus, now: datetime) -> None:
    request = session.get(LeaveRequest, request_id)
    assert request is not None
    status = rules.RequestStatus.cancelled if outcome == InstanceStatus.approved else rules.RequestStatus.approved
    request.status, request.updated_at = status, now
    session.add(request)
    if status == rules.RequestStatus.cancelled:
        _ledger(session, actor, request, +1, "cancelled", now)
    audit.append(
        session,
        actor,
        "leave." + status,
        "leave_request",
        request.id,
        before={"status": "cancel_pending"},
        after={"status": status},
        at=now,
    )


def _describer(cancel: bool):  # noqa: ANN202
    def describe(session: Session, request_id: int) -> dict[str, str]:
        request = session.get(LeaveRequest, request_id)
        assert request is not None
        return _describe(request, session.get(LeaveType, request.leave_type), cancel)  # type: ignore[arg-type]

    return describe


approvals.register(approvals.Workflow(LEAVE, LEAVE, _describer(False), _on_leave_finished))
approvals.register(approvals.Workflow(LEAVE_CANCEL, LEAVE, _describer(True), _on_cancel_finished))


# ---- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentView:
    id: int
    name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class RequestView:
    id: int
    employee_id: int
    employee: str
    department: str
    department_en: str
    leave_type: str
    type_name: str
    type_name_en: str
    start: str
    start_half: str
    end: str
    end_half: str
    days: str
    reason: str
    status: str
    created_at: datetime
    attachments: list[AttachmentView]
    trail: list[approvals.TrailStep]
    can_withdraw: bool
    can_cancel: bool


def _views(session: Session, requests: list[LeaveRequest], today: date) -> list[RequestView]:
    """Requests with names, attachments and trails, loaded with a few queries for the whole list."""
    ids = [r.id for r in requests]
    files: dict[int, list[AttachmentView]] = {}
    for a in session.exec(select(LeaveAttachment).where(LeaveAttachment.request_id.in_(ids)).order_by(LeaveAttachment.id)).all():  # type: ignore[union-attr]
        files.setdefault(a.request_id, []).append(AttachmentView(a.id or 0, a.original_name, a.content_type, a.size))
    trails = approvals.trails(session, WORKFLOWS, ids)  # type: ignore[arg-type]
    types = {t.code: t for t in session.exec(select(LeaveType)).all()}
    people = {e.id: e for e in session.exec(select(Employee).where(Employee.id.in_({r.employee_id for r in requests}))).all()}  # type: ignore[union-attr]
    departments = {d.id: d for d in session.exec(select(Department)).all()}
    views = []
    for request in requests:
        leave_type = types.get(request.leave_type)
        employee = people.get(request.employee_id)
        department = departments.get(employee.department_id) if employee else None
        views.append(
            RequestView(
                request.id or 0,
                request.employee_id,
                employee.name if employee else "",
                department.name if department else "",
                (department.name_en or department.name) if department else "",
                request.leave_type,
                leave_type.name if leave_type else request.leave_type,
                leave_type.name_en if leave_type else request.leave_type,
                request.start_date.isoformat(),
                request.start_half,
                request.end_date.isoformat(),
                request.end_half,
                _fmt(request.days),
                request.reason,
                request.status,
                request.created_at,
                files.get(request.id, []),  # type: ignore[arg-type]
                trails.get(request.id, []),  # type: ignore[arg-type]
                request.status in (rules.RequestStatus.pending, rules.RequestStatus.cancel_pending),
                request.status == rules.RequestStatus.approved and request.start_date > today,
            )
        )
    return views


def mine(session: Session, actor: Actor, now: datetime, limit: int = 50) -> list[RequestView]:
    rows = session.exec(
        select(LeaveRequest).where(LeaveRequest.employee_id == actor.employee_id).order_by(LeaveRequest.id.desc()).limit(limit)  # type: ignore[union-attr]
    ).all()
    return _views(session, list(rows), approvals.local_today(now))


def request_for(session: Session, actor: Actor, request_id: int, now: datetime) -> RequestView:
    request = session.get(LeaveRequest, request_id)
    if request is None:
        raise NotFound()
    if not _may_view_request(session, actor, request):
        raise NotPermitted()
    return _views(session, [request], approvals.local_today(now))[0]


@dataclass(frozen=True)
class InboxItem:
    item: approvals.Item
    request: RequestView
    balance_after: str  # "" when the type keeps no balance
    overlapping: list[tuple[str, str, str, str]]  # teammates away during the same days: name, start, end, status


def inbox(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """The approver's pending leave items with what they need to decide."""
    items = [i for i in approvals.pending_for(session, actor) if i.workflow in WORKFLOWS]
    requests = {r.id: r for r in session.exec(select(LeaveRequest).where(LeaveRequest.id.in_([i.subject_id for i in items]))).all()}  # type: ignore[union-attr]
    views = {v.id: v for v in _views(session, list(requests.values()), approvals.local_today(now))}
    overlapping = _overlapping_teams(session, list(requests.values()))
    held_by: dict[tuple[int, str, int], Decimal] = {}
    result = []
    for item in items:
        request = requests[item.subject_id]
        type_row = session.get(LeaveType, request.leave_type)
        rule = leave_balances.rule_of(type_row) if type_row is not None else None  # a type HR has since switched off still shows
        balance_after = ""
        if rule is not None and rule.has_balance:
            key = (request.employee_id, rule.code, request.start_date.year)
            if key not in held_by:
                held_by[key] = leave_balances.balance_of(session, *key) - reserved(session, *key)
            held = held_by[key]
            balance_after = _fmt(held if request.status == rules.RequestStatus.pending else held + request.days)
        result.append(InboxItem(item, views[request.id], balance_after, overlapping[request.id]))  # type: ignore[index]
    return result


def _overlapping_teams(session: Session, requests: list[LeaveRequest]) -> dict[int, list[tuple[str, str, str, str]]]:
    """For each request, teammates (same manager, or same department without one) holding leave
    on the same days; one query for all of them."""
    if not requests:
        return {}
    people = {e.id: e for e in session.exec(select(Employee)).all()}

    def team_of(employee_id: int) -> tuple[str, int | None]:
        person = people[employee_id]
        return ("manager", person.manager_id) if person.manager_id else ("department", person.department_id)

    rows = session.exec(
        select(LeaveRequest)
        .where(
            LeaveRequest.status.in_(rules.HOLDING),  # type: ignore[attr-defined]
            LeaveRequest.start_date <= max(r.end_date for r in requests),
            LeaveRequest.end_date >= min(r.start_date for r in requests),
        )
        .order_by(LeaveRequest.start_date)
    ).all()
    by_team: dict[tuple[str, int | None], list[LeaveRequest]] = {}
    for row in rows:
        by_team.setdefault(team_of(row.employee_id), []).append(row)
    return {
        request.id: [  # type: ignore[misc]
            (people[r.employee_id].name, r.start_date.isoformat(), r.end_date.isoformat(), r.status)
            for r in by_team.get(team_of(request.employee_id), [])
            if r.employee_id != request.employee_id and r.start_date <= request.end_date and r.end_date >= request.start_date
        ]
        for request in requests
    }


# ---- the leave calendar and the report ----------------------------------------------------


@dataclass(frozen=True)
class Absence:
    request_id: int
    employee: str
    department: str
    department_en: str
    type_name: str
    type_name_en: str
    start: str
    start_half: str
    end: str
    end_half: str
    days: str
    status: str


def absences(session: Session, actor: Actor, start: date, end: date) -> list[Absence]:
    """Pending and approved leave in a period: HR sees the company, a manager their reports."""
    if not actor.has_role(Role.manager):
        raise NotPermitted()
    if end < start or (end - start).days > 370:
        raise ValidationFailed("leave.range_too_long", field="end")
    query = (
        select(LeaveRequest, Employee, Department, LeaveType)
        .join(Employee, Employee.id == LeaveRequest.employee_id)
        .join(Department, Department.id == Employee.department_id)
        .join(LeaveType, LeaveType.code == LeaveRequest.leave_type)
        .where(
            LeaveRequest.status.in_(rules.HOLDING),  # type: ignore[attr-defined]
            LeaveRequest.start_date <= end,
            LeaveRequest.end_date >= start,
        )
        .order_by(LeaveRequest.start_date, Employee.name)
    )
    if not actor.has_role(Role.hr):
        query = query.where(sa.or_(Employee.manager_id == actor.employee_id, Employee.id == actor.employee_id))  # type: ignore[arg-type]
    return [
        Absence(
            r.id or 0,
            e.name,
            d.name,
            d.name_en or d.name,
            t.name,
            t.name_en,
            r.start_date.isoformat(),
            r.start_half,
            r.end_date.isoformat(),
            r.end_half,
            _fmt(r.days),
            r.status,
        )
        for r, e, d, t in session.exec(query).all()
    ]


REPORT_HEADERS = {
    "zh-CN": ("工号", "姓名", "部门", "假期类型", "年度", "额度与结转", "已用", "余额", "审批中"),
    "en": ("No.", "Name", "Department", "Leave type", "Year", "Granted", "Taken", "Balance", "Pending"),
}


def report_rows(session: Session, actor: Actor, year: int) -> list[tuple]:
    """Per employee and leave type: granted, taken, balance and pending days in ``year`` (HR)."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    sums = session.exec(
        select(
            LeaveLedgerEntry.employee_id,
            LeaveLedgerEntry.leave_type,
            sa.func.sum(sa.case((LeaveLedgerEntry.days > 0, LeaveLedgerEntry.days), else_=0)).label("granted"),  # type: ignore[arg-type]
            sa.func.sum(sa.case((LeaveLedgerEntry.kind == rules.LedgerKind.usage, LeaveLedgerEntry.days), else_=0)).label("used"),  # type: ignore[arg-type]
            sa.func.sum(LeaveLedgerEntry.days).label("balance"),
        )
        .where(LeaveLedgerEntry.year == year)
        .group_by(LeaveLedgerEntry.employee_id, LeaveLedgerEntry.leave_type)
    ).all()
    pending = {
        (e, t): Decimal(str(d))
        for e, t, d in session.exec(
            select(LeaveRequest.employee_id, LeaveRequest.leave_type, sa.func.sum(LeaveRequest.days))
            .where(
                LeaveRequest.status == rules.RequestStatus.pending,
                LeaveRequest.start_date >= date(year, 1, 1),
                LeaveRequest.start_date <= date(year, 12, 31),
            )
            .group_by(LeaveRequest.employee_id, LeaveRequest.leave_type)
        ).all()
    }
    people = {
        e.id: (e, d) for e, d in session.exec(select(Employee, Department).join(Department, Department.id == Employee.department_id)).all()
    }
    types = {t.code: t for t in session.exec(select(LeaveType)).all()}
    keys = {(e, t) for e, t, *_ in sums} | set(pending)
    by_key = {(e, t): (g, u, b) for e, t, g, u, b in sums}
    rows = []
    for employee_id, code in sorted(keys, key=lambda k: (people[k[0]][0].employee_no, k[1])):
        employee, department = people[employee_id]
        granted, used, balance = (Decimal(str(v)) for v in by_key.get((employee_id, code), (0, 0, 0)))
        leave_type = types[code]
        rows.append(
            (
                employee.employee_no,
                employee.name,
                department.name,
                leave_type.name,
                year,
                float(granted) if leave_type.yearly_quota is not None else None,
                float(-used),
                float(balance) if leave_type.yearly_quota is not None else None,
                float(pending.get((employee_id, code), 0)),
            )
        )
    return rows


def report_xlsx(session: Session, actor: Actor, year: int, language: str, now: datetime) -> bytes:
    """The report as an Excel workbook (HR), with the moment it was generated in the company's
    time zone; text that looks like a formula stays text (the dashboard's workbook writer)."""
    from selfservice.services import dashboard

    rows = report_rows(session, actor, year)
    data = dashboard.xlsx(
        f"{year}",
        list(REPORT_HEADERS.get(language, REPORT_HEADERS["zh-CN"])),
        [list(r) for r in rows],
        dashboard.generated_at(language, now),
    )
    audit.append(session, actor, "leave.report_exported", "leave_report", year, after={"rows": len(rows)}, at=now)
    return data


from selfservice.services import overtime as _overtime  # noqa: E402, F401  (registers the overtime workflow beside leave's)
from selfservice.services import separations as _separations  # noqa: E402, F401  (registers the resignation workflow)
