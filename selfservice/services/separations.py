"""Separation (离职) over the database: the signed resignation and its acknowledgement through the
approval engine, separations HR records, the handover checklist whose stages open one after
another, the leave settlement, the separation certificate, and offboarding on the last day.

The rules (notice periods, the settlement formula, stage order, template format) are in
:mod:`selfservice.domain.separation`; this module applies them, checks who may do what, writes
the audit entry in the same transaction, and sends every message through :func:`notify`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.documents import certificates
from selfservice.domain import attachments as files
from selfservice.domain import leave as leave_rules
from selfservice.domain import leave_law as law
from selfservice.domain import separation as rules
from selfservice.domain.actor import SYSTEM, Actor, Role
from selfservice.domain.approvals import InstanceStatus, Overdue, overdue_action
from selfservice.domain.errors import DomainError, NotFound, NotPermitted, ValidationFailed
from selfservice.persistence.models import (
    ApprovalInstance,
    ApprovalStep,
    ChecklistItem,
    ChecklistTemplate,
    Department,
    Employee,
    HandoverOwner,
    LeaveLedgerEntry,
    LeaveType,
    NotificationMessage,
    Separation,
    SeparationCertificate,
    SeparationDocument,
    UserAccount,
)
from selfservice.services import approvals, audit, employees, file_links, leave_balances, leave_requests, notifications, signatures
from selfservice.services.notifications import notify, notify_many
from selfservice.settings import get_settings

RESIGNATION = "resignation"
WORKFLOWS = (RESIGNATION,)
SUBJECT = "resignation"  # what a resignation's signature is about
CHANNELS = ("wecom",)
NOTICE_CHANNELS = ("wecom", "sms", "email")  # the certificate goes everywhere the employee can be reached
OPEN = ("submitted", "confirmed")  # a separation in progress (one per person)
PROGRESS = "/resign"


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"


def _today(now: datetime) -> date:
    return approvals.local_today(now)


def _require_hr(actor: Actor) -> None:
    if not actor.has_role(Role.hr):
        raise NotPermitted()


def _hr_ids(session: Session) -> list[int]:
    return list(
        session.exec(
            select(Employee.id)
            .join(UserAccount, UserAccount.employee_id == Employee.id)
            .where(UserAccount.role.in_([Role.hr, Role.admin]), UserAccount.active == True, Employee.status == "active")  # type: ignore[union-attr]  # noqa: E712
        ).all()
    )


def _get(session: Session, separation_id: int) -> Separation:
    row = session.get(Separation, separation_id)
    if row is None:
        raise NotFound()
    return row


def _employee(session: Session, employee_id: int) -> Employee:
    person = session.get(Employee, employee_id)
    if person is None:
        raise NotFound()
    return person


def _by_no(session: Session, employee_no: str, field_name: str) -> Employee:
    person = session.exec(select(Employee).where(Employee.employee_no == employee_no.strip())).first()
    if person is None or person.status != "active":
        raise ValidationFailed("separation.person_unknown", field=field_name, value=employee_no.strip()[:32])
    return person


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i]
    return dict(session.exec(select(Employee.id, Employee.name).where(Employee.id.in_(wanted))).all()) if wanted else {}  # type: ignore[union-attr,arg-type]


def _department_names(department: Department | None) -> tuple[str, str]:
    """A department's name in Chinese and in English (the Chinese one when it has none)."""
    return (department.name, department.name_en or department.name) if department else ("", "")


def _on_probation(employee: Employee, today: date) -> bool:
    return employee.probation_end is not None and today <= employee.probation_end


# ---- owners and templates --------------------------------------------------------------------


def owners(session: Session, actor: Actor) -> dict[str, list[tuple[str, str]]]:
    """Who holds each named owner role: role → [(employee number, name)] (HR)."""
    _require_hr(actor)
    rows = session.exec(
        select(HandoverOwner.role, Employee.employee_no, Employee.name)
        .join(Employee, Employee.id == HandoverOwner.employee_id)
        .order_by(HandoverOwner.role, Employee.employee_no)
    ).all()
    result: dict[str, list[tuple[str, str]]] = {role.value: [] for role in rules.NAMED_OWNERS}
    for role, number, name in rows:
        result.setdefault(role, []).append((number, name))
    return result


def set_owners(session: Session, actor: Actor, role: str, employee_nos: str, now: datetime) -> None:
    """HR names the people who confirm the items of a role (employee numbers, comma separated)."""
    _require_hr(actor)
    if role not in {r.value for r in rules.NAMED_OWNERS}:
        raise ValidationFailed("checklist.owner_role", field="role")
    numbers = [n.strip() for n in employee_nos.replace("，", ",").split(",") if n.strip()]
    people = [_by_no(session, n, "employee_nos") for n in dict.fromkeys(numbers)]
    before = sorted(session.exec(select(HandoverOwner.employee_id).where(HandoverOwner.role == role)).all())
    session.execute(sa.delete(HandoverOwner).where(HandoverOwner.role == role))  # type: ignore[arg-type]
    session.add_all([HandoverOwner(role=role, employee_id=p.id, created_at=now, created_by=actor.employee_id or None) for p in people])  # type: ignore[arg-type]
    session.flush()
    audit.append(
        session,
        actor,
        "checklist.owners_set",
        "handover_owner",
        role,
        before={"ids": before},
        after={"ids": sorted(p.id for p in people)},
        at=now,
    )  # type: ignore[misc]


def _template_items(row: ChecklistTemplate) -> list[rules.TemplateItem]:
    return [
        rules.TemplateItem(i["stage"], i["stage_en"], i["title"], i["title_en"], rules.Owner(i["owner"]))
        for i in json.loads(row.items_json)
    ]


@dataclass(frozen=True)
class TemplateView:
    id: int
    name: str
    department_id: int | None
    department: str
    department_en: str
    position: str
    is_default: bool
    text: str
    stages: int
    items: int


def templates(session: Session, actor: Actor) -> list[TemplateView]:
    _require_hr(actor)
    departments = {d.id: d for d in session.exec(select(Department)).all()}
    rows = session.exec(select(ChecklistTemplate).where(ChecklistTemplate.active == True).order_by(ChecklistTemplate.id)).all()  # noqa: E712
    result = []
    for row in rows:
        items = _template_items(row)
        department = departments.get(row.department_id) if row.department_id else None
        result.append(
            TemplateView(
                row.id or 0,
                row.name,
                row.department_id,
                *_department_names(department),
                row.position,
                row.is_default,
                rules.template_text(items, actor.language),
                len({i.stage for i in items}),
                len(items),
            )
        )
    return result


def save_template(
    session: Session,
    actor: Actor,
    template_id: int | None,
    name: str,
    department_id: int | None,
    position: str,
    is_default: bool,
    text: str,
    now: datetime,
) -> int:
    """Create or change a template. Checklists already started keep the items they copied."""
    _require_hr(actor)
    name, position = name.strip(), position.strip()
    if not name or len(name) > 64:
        raise ValidationFailed("checklist.template_name", field="name")
    if len(position) > 64:
        raise ValidationFailed("checklist.template_name", field="position")
    if department_id is not None and session.get(Department, department_id) is None:
        raise ValidationFailed("checklist.template_department", field="department")
    items = rules.parse_template(text)
    stored = json.dumps(
        [{"stage": i.stage, "stage_en": i.stage_en, "title": i.title, "title_en": i.title_en, "owner": i.owner.value} for i in items],
        ensure_ascii=False,
    )
    row = session.get(ChecklistTemplate, template_id) if template_id else ChecklistTemplate(name=name)
    if row is None or not row.active:
        raise NotFound()
    before = (
        None
        if template_id is None
        else {
            "name": row.name,
            "department_id": row.department_id,
            "position": row.position,
            "is_default": row.is_default,
            "items": row.items_json,
        }
    )
    if is_default:
        session.execute(sa.update(ChecklistTemplate).where(ChecklistTemplate.is_default == True).values(is_default=False))  # type: ignore[arg-type]  # noqa: E712
    row.name, row.department_id, row.position, row.is_default, row.items_json = name, department_id, position, is_default, stored
    row.updated_at, row.updated_by = now, actor.employee_id or None
    session.add(row)
    session.flush()
    after = {"name": name, "department_id": department_id, "position": position, "is_default": is_default, "items": stored}
    audit.append(session, actor, "checklist.template_saved", "checklist_template", row.id, before=before, after=after, at=now)
    return row.id  # type: ignore[return-value]


def ensure_default_template(session: Session, now: datetime) -> int:
    """The built-in default (five stages) when HR has none yet."""
    found = session.exec(select(ChecklistTemplate.id).where(ChecklistTemplate.is_default == True, ChecklistTemplate.active == True)).first()  # noqa: E712
    if found is not None:
        return found
    return save_template(session, SYSTEM, None, "默认离职交接清单", None, "", True, rules.DEFAULT_TEMPLATE, now)


def ensure_default_template_for(session: Session, actor: Actor, now: datetime) -> int:
    """HR opens the templates page: the built-in default is there to start from."""
    _require_hr(actor)
    return ensure_default_template(session, now)


def _template_for(session: Session, employee: Employee, now: datetime) -> ChecklistTemplate:
    """The most specific template: department and position, then department, then position,
    then the default."""
    ensure_default_template(session, now)
    rows = session.exec(select(ChecklistTemplate).where(ChecklistTemplate.active == True)).all()  # noqa: E712

    def score(row: ChecklistTemplate) -> int:
        if row.department_id is not None and row.department_id != employee.department_id:
            return -1
        if row.position and row.position != employee.position:
            return -1
        return (
            (2 if row.department_id else 0)
            + (1 if row.position else 0)
            + (0 if row.department_id or row.position or row.is_default else -1)
        )

    best = max(rows, key=lambda r: (score(r), r.is_default, -(r.id or 0)))
    return best


# ---- resigning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormView:
    default_last_day: date
    on_probation: bool
    notice_days: int
    colleagues: list[tuple[str, str]]  # (employee number, name) of active colleagues of the department


def form(session: Session, actor: Actor, now: datetime) -> FormView:
    employee = _employee(session, actor.employee_id)
    today = _today(now)
    probation = _on_probation(employee, today)
    return FormView(
        rules.default_last_day(today, probation),
        probation,
        rules.PROBATION_NOTICE_DAYS if probation else rules.NOTICE_DAYS,
        _colleagues(session, employee),
    )


def _colleagues(session: Session, employee: Employee, also_reports_of: int | None = None) -> list[tuple[str, str]]:
    """Who may be named successor: the leaver's active colleagues of the department (and, for
    the person deciding, their own reports)."""
    scope = Employee.department_id == employee.department_id
    if also_reports_of is not None:
        scope = sa.or_(scope, Employee.manager_id == also_reports_of)  # type: ignore[assignment,arg-type]
    rows = session.exec(
        select(Employee.employee_no, Employee.name)
        .where(scope, Employee.status == "active", Employee.id != employee.id)
        .order_by(Employee.employee_no)
    ).all()
    return [(n, m) for n, m in rows]


def _open_of(session: Session, employee_id: int) -> Separation | None:
    return session.exec(
        select(Separation).where(Separation.employee_id == employee_id, Separation.status.in_(OPEN)).order_by(Separation.id.desc())  # type: ignore[attr-defined,union-attr]
    ).first()


def _letter(employee: Employee, reason: str, reason_text: str, last_day: date, successor: Employee | None, notice_day: date) -> str:
    zh_reason = rules.REASON_LABELS[rules.Reason(reason)][0] if reason else "未说明"
    lines = [
        "辞职申请书 / Resignation letter",
        f"姓名 / Name: {employee.name}（{employee.employee_no}）",
        f"原因 / Reason: {zh_reason}" + (f"：{reason_text}" if reason_text else ""),
        f"最后工作日 / Last working day: {last_day.isoformat()}",
        f"法定通知期满日 / Statutory notice ends: {notice_day.isoformat()}",
        f"工作接手人 / Successor: {successor.name}（{successor.employee_no}）" if successor else "工作接手人 / Successor: -",
        rules.resignation_statement(last_day),
    ]
    return "\n".join(lines)


def resign(
    session: Session,
    actor: Actor,
    *,
    reason: str,
    reason_text: str,
    last_day: date,
    successor_no: str,
    typed_name: str,
    drawing: str,
    context: signatures.Context,
    now: datetime,
) -> int:
    """The employee's signed resignation: the letter is signed like a policy (typed name, drawn
    signature, fresh re-authentication), then the manager acknowledges it and HR confirms it
    through the approval engine. An earlier day than the notice allows is a request."""
    employee = _employee(session, actor.employee_id)
    if employee.status != "active":
        raise NotPermitted()
    if _open_of(session, employee.id) is not None:  # type: ignore[arg-type]
        raise DomainError("separation.already")
    if reason and reason not in {r.value for r in rules.Reason}:
        raise ValidationFailed("separation.reason_unknown", field="reason")
    reason_text = reason_text.strip()
    if len(reason_text) > 500:
        raise ValidationFailed("leave.reason_too_long", field="reason_text", max=500)
    today = _today(now)
    probation = _on_probation(employee, today)
    rules.check_last_day(last_day, today, probation, manager_agreed=True)  # earlier than the notice: a request
    if last_day < employee.hire_date:
        raise ValidationFailed("separation.last_day_before_hire", field="last_day")
    successor = _by_no(session, successor_no, "successor") if successor_no.strip() else None
    if successor is not None and successor.id == employee.id:
        raise ValidationFailed("separation.successor_self", field="successor")
    notice_day = rules.default_last_day(today, probation)
    letter = _letter(employee, reason, reason_text, last_day, successor, notice_day)
    row = Separation(
        employee_id=employee.id,  # type: ignore[arg-type]
        kind=rules.SeparationType.resignation,
        status="submitted",
        reason_code=reason,
        reason_text=reason_text,
        requested_last_day=last_day,
        last_day=max(last_day, notice_day),
        successor_id=successor.id if successor else None,
        letter=letter,
        letter_sha256=hashlib.sha256(letter.encode()).hexdigest(),
        contract_start=employee.hire_date,
        created_at=now,
        created_by=employee.id,
    )
    session.add(row)
    session.flush()
    signature = signatures.sign(
        session,
        actor,
        subject=SUBJECT,
        subject_id=row.id,  # type: ignore[arg-type]
        content_sha256=row.letter_sha256,
        statement=rules.resignation_statement(last_day),
        typed_name=typed_name,
        drawing=drawing,
        context=context,
        now=now,
        heading=("辞职申请书", "Resignation letter"),
        document=(f"辞职申请 最后工作日 {last_day.isoformat()}", f"Resignation, last working day {last_day.isoformat()}"),
        extra=tuple(tuple(line.split(": ", 1)) for line in letter.splitlines()[2:6] if ": " in line),  # type: ignore[misc]
    )
    row.signature_id = signature.id
    session.add(row)
    audit.append(
        session,
        actor,
        "separation.resigned",
        "separation",
        row.id,
        after={
            "kind": row.kind,
            "requested_last_day": last_day.isoformat(),
            "notice_day": notice_day.isoformat(),
            "reason": reason,
            "successor_id": row.successor_id,
            "signature_id": signature.id,
            "letter_sha256": row.letter_sha256,
        },
        at=now,
    )
    approvals.start(session, actor, RESIGNATION, row.id, employee.id, Decimal(0), True, now)  # type: ignore[arg-type]
    return row.id  # type: ignore[return-value]


def _letter_document(session: Session, separation_id: int) -> signatures.Document | None:
    row = session.get(Separation, separation_id)
    if row is None:
        return None
    return signatures.Document(row.letter.encode(), "辞职申请书", "Resignation letter")


signatures.register_subject(SUBJECT, _letter_document)


def withdraw(session: Session, actor: Actor, separation_id: int, now: datetime) -> None:
    """The employee takes the resignation back, before HR confirms it."""
    row = _get(session, separation_id)
    if row.employee_id != actor.employee_id:
        raise NotPermitted()
    instance = _instance(session, separation_id, "pending")
    if row.status != "submitted" or instance is None:
        raise DomainError("separation.not_withdrawable")
    approvals.withdraw(session, actor, instance.id, now)  # type: ignore[arg-type]


def _instance(session: Session, separation_id: int, status: str | None = None) -> ApprovalInstance | None:
    query = select(ApprovalInstance).where(ApprovalInstance.workflow == RESIGNATION, ApprovalInstance.subject_id == separation_id)
    if status:
        query = query.where(ApprovalInstance.status == status)
    return session.exec(query.order_by(ApprovalInstance.id.desc())).first()  # type: ignore[union-attr]


def _pending_step(session: Session, actor: Actor, separation_id: int) -> ApprovalStep | None:
    """The step of this resignation the actor may decide now, if any."""
    items = [i for i in approvals.pending_for(session, actor) if i.workflow == RESIGNATION and i.subject_id == separation_id]
    return session.get(ApprovalStep, items[0].step_id) if items else None


def acknowledge(
    session: Session,
    actor: Actor,
    separation_id: int,
    *,
    agree_early: bool,
    later_day: date | None,
    successor_no: str,
    comment: str,
    now: datetime,
) -> None:
    """The manager (or HR, at its step) acknowledges the resignation: agrees an earlier day the
    employee asked for, or proposes a later one for the employee to accept, names the successor.
    A lawful resignation cannot be refused."""
    row = _get(session, separation_id)
    if row.status != "submitted":
        raise DomainError("separation.not_pending")
    step = _pending_step(session, actor, separation_id)
    if step is None:
        raise NotPermitted()
    before = {
        "last_day": row.last_day.isoformat(),
        "early_agreed": row.early_agreed,
        "successor_id": row.successor_id,
        "proposed_day": str(row.proposed_day or ""),
    }
    today = _today(now)
    if agree_early:
        if row.requested_last_day >= row.last_day:
            raise ValidationFailed("separation.nothing_to_agree", field="agree_early")
        row.early_agreed, row.last_day = True, max(row.requested_last_day, today)
    if later_day is not None:
        if later_day <= row.last_day:
            raise ValidationFailed("separation.later_day", field="later_day", date=row.last_day.isoformat())
        rules.check_last_day(later_day, today, False, manager_agreed=True)
        row.proposed_day = later_day
    if successor_no.strip():
        successor = _by_no(session, successor_no, "successor")
        if successor.id == row.employee_id:
            raise ValidationFailed("separation.successor_self", field="successor")
        row.successor_id = successor.id
    session.add(row)
    after = {
        "last_day": row.last_day.isoformat(),
        "early_agreed": row.early_agreed,
        "successor_id": row.successor_id,
        "proposed_day": str(row.proposed_day or ""),
    }
    if after != before:
        audit.append(session, actor, "separation.acknowledged", "separation", row.id, before=before, after=after, at=now)
    if later_day is not None:
        notify(
            session,
            actor,
            row.employee_id,
            "separation",
            "separation.later_day",
            {"date": later_day.isoformat()},
            CHANNELS,
            now,
            link_path=PROGRESS,
        )
    approvals.decide(session, actor, step.id, True, comment, now)  # type: ignore[arg-type]


def answer_proposal(session: Session, actor: Actor, separation_id: int, accept: bool, now: datetime) -> None:
    """The employee accepts (or declines) the later last day the manager proposed."""
    row = _get(session, separation_id)
    if row.employee_id != actor.employee_id:
        raise NotPermitted()
    if row.proposed_day is None or row.status not in OPEN:
        raise DomainError("separation.no_proposal")
    before = {"last_day": row.last_day.isoformat(), "proposed_day": row.proposed_day.isoformat()}
    if accept:
        row.last_day = row.proposed_day
    row.proposed_day = None
    session.add(row)
    audit.append(
        session,
        actor,
        "separation.proposal_" + ("accepted" if accept else "declined"),
        "separation",
        row.id,
        before=before,
        after={"last_day": row.last_day.isoformat()},
        at=now,
    )
    manager = _employee(session, row.employee_id).manager_id
    if manager:
        template = "separation.proposal_accepted" if accept else "separation.proposal_declined"
        notify(
            session,
            actor,
            manager,
            "separation",
            template,
            {"name": _employee(session, row.employee_id).name, "date": row.last_day.isoformat()},
            CHANNELS,
            now,
            link_path=f"/separation?s={row.id}",
        )


def _describe(session: Session, separation_id: int) -> dict[str, str]:
    row = session.get(Separation, separation_id)
    assert row is not None
    early = row.requested_last_day < row.last_day
    return {
        "what_zh": "辞职申请",
        "what_en": "resignation",
        "summary_zh": f"最后工作日 {row.requested_last_day}" + ("（早于通知期，需同意）" if early else ""),
        "summary_en": f"last working day {row.requested_last_day}" + (" (before the notice period: needs agreement)" if early else ""),
    }


def _on_finished(session: Session, actor: Actor, separation_id: int, outcome: InstanceStatus, now: datetime) -> None:
    row = session.get(Separation, separation_id)
    assert row is not None
    if outcome == InstanceStatus.withdrawn:
        row.status = "withdrawn"
        session.add(row)
        audit.append(
            session,
            actor,
            "separation.withdrawn",
            "separation",
            row.id,
            before={"status": "submitted"},
            after={"status": "withdrawn"},
            at=now,
        )
        return
    _confirm(session, actor, row, now)


approvals.register(approvals.Workflow(RESIGNATION, RESIGNATION, _describe, _on_finished, requester_link=PROGRESS, may_reject=False))


def _confirm(session: Session, actor: Actor, row: Separation, now: datetime) -> None:
    """HR confirmed (or recorded) the separation: the checklist starts."""
    row.status, row.confirmed_at = "confirmed", now
    employee = _employee(session, row.employee_id)
    template = _template_for(session, employee, now)
    row.template_id = template.id
    session.add(row)
    items = _template_items(template)
    session.add_all(
        [
            ChecklistItem(
                separation_id=row.id,  # type: ignore[arg-type]
                stage=stage,
                stage_name=item.stage,
                stage_name_en=item.stage_en,
                title=item.title,
                title_en=item.title_en,
                owner=item.owner,
                status=rules.ItemStatus.waiting,
            )
            for item, stage in zip(items, rules.stage_numbers(items), strict=True)
        ]
    )
    session.flush()
    audit.append(
        session,
        actor,
        "separation.confirmed",
        "separation",
        row.id,
        after={"status": "confirmed", "last_day": row.last_day.isoformat(), "template_id": template.id, "items": len(items)},
        at=now,
    )
    notify(
        session,
        actor,
        row.employee_id,
        "separation",
        "separation.confirmed",
        {"date": row.last_day.isoformat()},
        CHANNELS,
        now,
        link_path=PROGRESS,
    )
    _reevaluate(session, actor, row, now)


# ---- separations HR records --------------------------------------------------------------------


def record(
    session: Session,
    actor: Actor,
    *,
    employee_no: str,
    kind: str,
    last_day: date,
    contract_start: date | None,
    contract_end: date | None,
    note: str,
    now: datetime,
) -> int:
    """HR records a separation that does not start from the employee: mutual agreement (art. 36),
    contract expiry (art. 44), termination by the company (art. 39/40). The checklist starts."""
    _require_hr(actor)
    if kind not in {k.value for k in rules.SeparationType} or kind == rules.SeparationType.resignation:
        raise ValidationFailed("separation.kind_unknown", field="kind")
    employee = _by_no(session, employee_no, "employee_no")
    if employee.id == actor.employee_id:
        raise DomainError("employee.not_self")
    if _open_of(session, employee.id) is not None:  # type: ignore[arg-type]
        raise DomainError("separation.already_other")
    if last_day < employee.hire_date:
        raise ValidationFailed("separation.last_day_before_hire", field="last_day")
    if last_day > _today(now) + timedelta(days=366):
        raise ValidationFailed("separation.last_day_too_far", field="last_day")
    start = contract_start or employee.hire_date
    if contract_end is not None and contract_end < start:
        raise ValidationFailed("separation.contract_end", field="contract_end")
    note = note.strip()
    if len(note) > 500:
        raise ValidationFailed("leave.reason_too_long", field="note", max=500)
    row = Separation(
        employee_id=employee.id,  # type: ignore[arg-type]
        kind=kind,
        status="submitted",
        requested_last_day=last_day,
        last_day=last_day,
        contract_start=start,
        contract_end=contract_end,
        note=note,
        created_at=now,
        created_by=actor.employee_id or None,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        "separation.recorded",
        "separation",
        row.id,
        after={
            "kind": kind,
            "employee_id": employee.id,
            "last_day": last_day.isoformat(),
            "contract_start": start.isoformat(),
            "contract_end": str(contract_end or ""),
            "note": note,
        },
        at=now,
    )
    _confirm(session, actor, row, now)
    return row.id  # type: ignore[return-value]


def set_contract(
    session: Session, actor: Actor, separation_id: int, contract_start: date, contract_end: date | None, now: datetime
) -> None:
    """HR corrects the contract term the certificate states (before it is issued)."""
    _require_hr(actor)
    row = _get(session, separation_id)
    if session.exec(select(SeparationCertificate.id).where(SeparationCertificate.separation_id == separation_id)).first() is not None:
        raise DomainError("separation.certificate_issued")
    if contract_end is not None and contract_end < contract_start:
        raise ValidationFailed("separation.contract_end", field="contract_end")
    before = {"contract_start": row.contract_start.isoformat(), "contract_end": str(row.contract_end or "")}
    row.contract_start, row.contract_end = contract_start, contract_end
    session.add(row)
    audit.append(
        session,
        actor,
        "separation.contract_set",
        "separation",
        row.id,
        before=before,
        after={"contract_start": contract_start.isoformat(), "contract_end": str(contract_end or "")},
        at=now,
    )


def add_document(session: Session, actor: Actor, separation_id: int, data: bytes, name: str, now: datetime) -> int:
    """HR attaches a document (the agreement, the notice) to a separation."""
    _require_hr(actor)
    _get(session, separation_id)
    checked = leave_requests.stage_attachment(actor, data, name)
    doc = SeparationDocument(
        separation_id=separation_id,
        sha256=checked.sha256,
        content_type=checked.content_type,
        size=checked.size,
        original_name=checked.name,
        created_at=now,
        created_by=actor.employee_id or None,
    )
    session.add(doc)
    session.flush()
    audit.append(
        session,
        actor,
        "separation.document_added",
        "separation",
        separation_id,
        after={"document_id": doc.id, "sha256": checked.sha256, "name": checked.name},
        at=now,
    )
    return doc.id  # type: ignore[return-value]


# ---- the checklist -----------------------------------------------------------------------------


def _items(session: Session, separation_id: int) -> list[ChecklistItem]:
    return list(
        session.exec(
            select(ChecklistItem).where(ChecklistItem.separation_id == separation_id).order_by(ChecklistItem.stage, ChecklistItem.id)
        ).all()
    )


def _owner_ids(session: Session, row: Separation, owner: str) -> list[int]:
    """Who confirms an item of ``owner``: the departing person's manager, the people HR named for
    the role, or HR (also whenever nobody holds the role)."""
    if owner == rules.Owner.manager:
        manager_id = _employee(session, row.employee_id).manager_id
        manager = session.get(Employee, manager_id) if manager_id else None
        if manager is not None and manager.status == "active":
            return [manager.id]  # type: ignore[list-item]
    elif owner != rules.Owner.hr:
        named = session.exec(
            select(HandoverOwner.employee_id)
            .join(Employee, Employee.id == HandoverOwner.employee_id)
            .where(HandoverOwner.role == owner, Employee.status == "active")
        ).all()
        if named:
            return list(named)
    return [i for i in _hr_ids(session) if i != row.employee_id]


def _may_confirm(session: Session, actor: Actor, row: Separation, item: ChecklistItem) -> bool:
    return actor.employee_id != row.employee_id and actor.employee_id in _owner_ids(session, row, item.owner)


def _views(items: list[ChecklistItem]) -> list[rules.ItemView]:
    return [rules.ItemView(i.id or 0, i.stage, rules.ItemStatus(i.status)) for i in items]


def _escalate_hours(session: Session) -> int:
    return approvals.policy(session, RESIGNATION).escalate_after_hours


def _item_params(row: Separation, item: ChecklistItem, name: str) -> dict[str, str]:
    return {
        "name": name,
        "stage_zh": item.stage_name,
        "stage_en": item.stage_name_en or item.stage_name,
        "item_zh": item.title,
        "item_en": item.title_en or item.title,
        "date": row.last_day.isoformat(),
    }


def _reevaluate(session: Session, actor: Actor, row: Separation, now: datetime) -> None:
    """Open the items of the stage whose turn it is (telling their owners), close the handover
    when every item is done."""
    items = _items(session, row.id)  # type: ignore[arg-type]
    statuses = rules.statuses_after(_views(items))
    name = _employee(session, row.employee_id).name
    opened: dict[int, list[ChecklistItem]] = {}
    hours = _escalate_hours(session)
    for item in items:
        status = statuses[item.id]  # type: ignore[index]
        if status == item.status:
            continue
        if status == rules.ItemStatus.open:
            item.opened_at, item.due_at, item.reminded_at, item.escalated_at = now, approvals.due_after(session, now, hours), None, None
            for owner in _owner_ids(session, row, item.owner):
                opened.setdefault(owner, []).append(item)
        item.status = status
        session.add(item)
    for owner, owned in opened.items():
        first = owned[0]
        params = {**_item_params(row, first, name), "count": str(len(owned))}
        notify(session, actor, owner, "checklist", "checklist.stage_open", params, CHANNELS, now, link_path=f"/separation?s={row.id}")
    if items and all(i.status == rules.ItemStatus.done for i in items) and row.handover_done_at is None:
        row.handover_done_at = now
        session.add(row)
        audit.append(session, actor, "separation.handover_done", "separation", row.id, after={"items": len(items)}, at=now)
        notify_many(
            session,
            actor,
            [row.employee_id, *[i for i in _hr_ids(session) if i != row.employee_id]],
            "separation",
            "separation.handover_done",
            {"name": name},
            CHANNELS,
            now,
            link_path=PROGRESS,
        )
    session.flush()


def _item_and_row(session: Session, item_id: int) -> tuple[ChecklistItem, Separation]:
    item = session.exec(select(ChecklistItem).where(ChecklistItem.id == item_id).with_for_update()).first()
    if item is None:
        raise NotFound()
    return item, _get(session, item.separation_id)


def confirm_item(session: Session, actor: Actor, item_id: int, note: str, photo: files.Checked | None, now: datetime) -> None:
    """The item's owner confirms it (with an optional note and photo); the next stage opens when
    this one is complete."""
    item, row = _item_and_row(session, item_id)
    if not _may_confirm(session, actor, row, item):
        raise NotPermitted()
    if row.status not in ("confirmed", "ended"):
        raise DomainError("separation.not_confirmed")
    rules.check_confirm(_views(_items(session, row.id)), item_id)  # type: ignore[arg-type]
    note = note.strip()
    if len(note) > 500:
        raise ValidationFailed("leave.reason_too_long", field="note", max=500)
    before = {"status": item.status}
    item.status, item.confirmed_at, item.confirmed_by, item.note = rules.ItemStatus.done, now, actor.employee_id, note
    if photo is not None:
        item.photo_sha256, item.photo_type = photo.sha256, photo.content_type
    session.add(item)
    session.flush()
    audit.append(
        session,
        actor,
        "checklist.confirmed",
        "checklist_item",
        item.id,
        before=before,
        after={"status": "done", "note": note, "photo_sha256": item.photo_sha256, "separation_id": row.id},
        at=now,
    )
    _reevaluate(session, actor, row, now)


def send_back(session: Session, actor: Actor, item_id: int, reason: str, now: datetime) -> None:
    """The owner returns an item (open or already confirmed, of a stage that has started) with a
    reason: it is open again, and any later stage waits until it is confirmed."""
    item, row = _item_and_row(session, item_id)
    if not _may_confirm(session, actor, row, item):
        raise NotPermitted()
    if row.status not in ("confirmed", "ended"):
        raise DomainError("separation.not_confirmed")
    if item.status == rules.ItemStatus.waiting:
        raise ValidationFailed("checklist.stage_not_open", field="item", stage=item.stage)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("checklist.reason_required", field="reason")
    if len(reason) > 500:
        raise ValidationFailed("leave.reason_too_long", field="reason", max=500)
    before = {"status": item.status}
    item.status, item.sent_back_reason, item.sent_back_at = rules.ItemStatus.sent_back, reason, now
    item.confirmed_at, item.confirmed_by = None, None
    item.opened_at, item.due_at, item.reminded_at, item.escalated_at = (
        now,
        approvals.due_after(session, now, _escalate_hours(session)),
        None,
        None,
    )
    session.add(item)
    if row.handover_done_at is not None:
        row.handover_done_at = None
        session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        "checklist.sent_back",
        "checklist_item",
        item.id,
        before=before,
        after={"status": "sent_back", "reason": reason, "separation_id": row.id},
        at=now,
    )
    name = _employee(session, row.employee_id).name
    notify(
        session,
        actor,
        row.employee_id,
        "checklist",
        "checklist.sent_back",
        {**_item_params(row, item, name), "reason": reason},
        CHANNELS,
        now,
        link_path=PROGRESS,
    )
    _reevaluate(session, actor, row, now)


def nudge(session: Session, actor: Actor, separation_id: int, now: datetime) -> int:
    """HR reminds the owners of every open item of a checklist now. Returns the messages sent."""
    _require_hr(actor)
    row = _get(session, separation_id)
    name = _employee(session, row.employee_id).name
    sent = 0
    for item in _items(session, separation_id):
        if item.status not in (rules.ItemStatus.open, rules.ItemStatus.sent_back):
            continue
        recipients = _owner_ids(session, row, item.owner)
        notify_many(
            session,
            actor,
            recipients,
            "checklist",
            "checklist.reminder",
            _item_params(row, item, name),
            CHANNELS,
            now,
            link_path=f"/separation?s={row.id}",
        )
        sent += len(recipients)
    audit.append(session, actor, "separation.nudged", "separation", separation_id, after={"messages": sent}, at=now)
    return sent


def escalate_due(session: Session, now: datetime) -> tuple[int, int]:
    """Items past their time: the owners are reminded once; one more period later HR and the
    owners' managers are told. Returns (reminded, escalated)."""
    reminded = escalated = 0
    due = session.exec(
        select(ChecklistItem)
        .where(ChecklistItem.status.in_((rules.ItemStatus.open, rules.ItemStatus.sent_back)), ChecklistItem.due_at <= now)
        .order_by(ChecklistItem.id)  # type: ignore[attr-defined,operator,arg-type]
    ).all()
    hours = _escalate_hours(session)
    for item in due:
        assert item.due_at is not None
        if item.escalated_at is not None:
            continue
        row = _get(session, item.separation_id)
        if row.status not in ("confirmed", "ended"):
            continue
        name = _employee(session, row.employee_id).name
        owner_ids = _owner_ids(session, row, item.owner)
        action = overdue_action(now, item.due_at, item.reminded_at, approvals.due_after(session, item.due_at, hours))
        params = _item_params(row, item, name)
        link = f"/separation?s={row.id}"
        if action == Overdue.remind:
            item.reminded_at = now
            notify_many(session, SYSTEM, owner_ids, "checklist", "checklist.reminder", params, CHANNELS, now, link_path=link)
            audit.append(session, SYSTEM, "checklist.reminded", "checklist_item", item.id, at=now)
            reminded += 1
        elif action == Overdue.escalate:
            item.escalated_at = now
            managers = {m for m in session.exec(select(Employee.manager_id).where(Employee.id.in_(owner_ids))).all() if m}  # type: ignore[union-attr]
            recipients = sorted((set(_hr_ids(session)) | managers) - {row.employee_id})
            owners_text = "、".join(_names(session, set(owner_ids)).values()) or "HR"
            notify_many(
                session,
                SYSTEM,
                recipients,
                "checklist",
                "checklist.escalated",
                {**params, "owners": owners_text},
                CHANNELS,
                now,
                link_path=link,
            )
            audit.append(session, SYSTEM, "checklist.escalated", "checklist_item", item.id, after={"to": recipients}, at=now)
            escalated += 1
        session.add(item)
    return reminded, escalated


# ---- the certificate, the settlement and the last day ---------------------------------------


def _company() -> str:
    return get_settings().company_name


def issue_certificate(session: Session, actor: Actor, separation_id: int, now: datetime) -> int:
    """The separation certificate, on the day employment ends, whatever the checklist's state
    (art. 50; withholding it makes the company liable, art. 89): made once, frozen, sent to the
    employee through the outbox with a receipt confirmation."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    row = _get(session, separation_id)
    if row.status not in ("confirmed", "ended"):
        raise DomainError("separation.not_confirmed")
    if row.last_day > _today(now):
        raise DomainError("separation.certificate_early", date=row.last_day.isoformat())
    if session.exec(select(SeparationCertificate.id).where(SeparationCertificate.separation_id == separation_id)).first() is not None:
        raise DomainError("separation.certificate_issued")
    employee = _employee(session, row.employee_id)
    year = row.last_day.year
    count = session.exec(
        select(sa.func.count()).select_from(SeparationCertificate).where(SeparationCertificate.number.like(f"LZ-{year}-%"))
    ).one()  # type: ignore[attr-defined]
    number = f"LZ-{year}-{count + 1:04d}"
    pdf = certificates.render(
        certificates.CertificateData(
            number=number,
            company=_company(),
            name=employee.name,
            employee_no=employee.employee_no,
            position=employee.position,
            contract_start=row.contract_start,
            contract_end=row.contract_end,
            kind=rules.SeparationType(row.kind),
            separated_on=row.last_day,
            issued_at=now,
        )
    )
    digest = hashlib.sha256(pdf).hexdigest()
    title_zh, title_en = rules.certificate_title(rules.SeparationType(row.kind))
    message_id = notify(
        session,
        actor,
        row.employee_id,
        "separation",
        "separation.certificate",
        {"title_zh": title_zh, "title_en": title_en, "number": number, "date": row.last_day.isoformat(), "sha256": digest},
        NOTICE_CHANNELS,
        now,
        requires_ack=True,
        link_path=PROGRESS,
    )
    certificate = SeparationCertificate(
        separation_id=separation_id,
        number=number,
        pdf=pdf,
        sha256=digest,
        issued_at=now,
        issued_by=actor.employee_id or None,
        message_id=message_id,
    )
    session.add(certificate)
    session.flush()
    audit.append(
        session,
        actor,
        "separation.certificate_issued",
        "separation_certificate",
        certificate.id,
        after={"separation_id": separation_id, "number": number, "sha256": digest, "message_id": message_id},
        at=now,
    )
    return certificate.id  # type: ignore[return-value]


def certificate_file(session: Session, viewer: Actor, certificate_id: int) -> tuple[bytes, str, str]:
    """The certificate's bytes for the file route: the employee it is about, or HR."""
    certificate = session.get(SeparationCertificate, certificate_id)
    if certificate is None:
        raise NotFound()
    row = _get(session, certificate.separation_id)
    if row.employee_id != viewer.employee_id and not viewer.has_role(Role.hr):
        raise NotPermitted()
    return certificate.pdf, "application/pdf", f"{certificate.number}.pdf"


def document_file(session: Session, viewer: Actor, document_id: int) -> tuple[bytes, str, str]:
    doc = session.get(SeparationDocument, document_id)
    if doc is None:
        raise NotFound()
    if not viewer.has_role(Role.hr):
        raise NotPermitted()
    return leave_requests.stored_bytes(doc.sha256), doc.content_type, doc.original_name or f"document-{doc.id}"


def photo_file(session: Session, viewer: Actor, item_id: int) -> tuple[bytes, str, str]:
    item = session.get(ChecklistItem, item_id)
    if item is None or not item.photo_sha256:
        raise NotFound()
    row = _get(session, item.separation_id)
    if not _may_view(session, viewer, row):
        raise NotPermitted()
    return leave_requests.stored_bytes(item.photo_sha256), item.photo_type, f"item-{item.id}"


def mark_transferred(session: Session, actor: Actor, separation_id: int, now: datetime) -> None:
    """HR notes that the archive and social insurance were transferred (art. 50: within 15 days)."""
    _require_hr(actor)
    row = _get(session, separation_id)
    if row.status not in ("confirmed", "ended") or row.transfer_done_at is not None:
        raise DomainError("separation.not_confirmed")
    row.transfer_done_at = now
    session.add(row)
    audit.append(session, actor, "separation.transferred", "separation", row.id, after={"transfer_done_at": now.isoformat()}, at=now)


def _settle(session: Session, row: Separation, now: datetime) -> rules.Settlement | None:
    """On the last day: art. 12's settlement computed, written on the separation, and the year's
    annual-leave balance closed in the ledger (the unused days are paid, at 300 %)."""
    result = leave_balances.settlement(session, SYSTEM, row.employee_id, row.last_day)
    annual = session.exec(select(LeaveType).where(LeaveType.kind == law.Kind.annual, LeaveType.active == True)).first()  # noqa: E712
    row.settlement_json = json.dumps(
        {
            "year": result.year,
            "elapsed_days": result.elapsed_days,
            "weighted": result.weighted,
            "taken": _fmt(result.taken),
            "exact": str(result.exact),
            "days": result.days,
            "pay_percent": result.pay_percent,
        }
    )
    if annual is not None:
        balance = leave_balances.balance_of(session, row.employee_id, annual.code, result.year)
        session.add(
            LeaveLedgerEntry(
                employee_id=row.employee_id,
                leave_type=annual.code,
                year=result.year,
                kind=leave_rules.LedgerKind.settlement,
                days=-balance,
                note=f"separation #{row.id}: {result.days} day(s) paid at 300% ({result.weighted}/365 - {result.taken} = {result.exact})"[
                    :200
                ],
                created_at=now,
            )
        )
    return result


def end_employment(session: Session, row: Separation, now: datetime) -> None:
    """After the last day: the settlement is recorded, the account closed (sessions end), pending
    approvals move to the manager above, and the person leaves the attendance scans (which only
    look at active employees). Every record stays."""
    _settle(session, row, now)
    moved = approvals.reroute_from(session, SYSTEM, row.employee_id, now)
    employees.set_active(session, SYSTEM, row.employee_id, False, now)
    row.status, row.ended_at = "ended", now
    session.add(row)
    audit.append(
        session,
        SYSTEM,
        "separation.ended",
        "separation",
        row.id,
        after={"approvals_moved": moved, "settlement": json.loads(row.settlement_json or "{}")},
        at=now,
    )


def daily(session: Session, now: datetime) -> dict[str, int]:
    """The nightly job: certificates for employments ending today, offboarding for those that
    ended yesterday or before."""
    today = _today(now)
    issued = ended = 0
    due = session.exec(
        select(Separation).where(Separation.status.in_(("confirmed", "ended")), Separation.last_day <= today).order_by(Separation.id)
    ).all()  # type: ignore[attr-defined]
    for row in due:
        if session.exec(select(SeparationCertificate.id).where(SeparationCertificate.separation_id == row.id)).first() is None:
            issue_certificate(session, SYSTEM, row.id, now)  # type: ignore[arg-type]
            issued += 1
        if row.status == "confirmed" and row.last_day < today:
            end_employment(session, row, now)
            ended += 1
    return {"certificates": issued, "ended": ended}


# ---- what people see -------------------------------------------------------------------------


def _may_view(session: Session, actor: Actor, row: Separation) -> bool:
    if row.employee_id == actor.employee_id or actor.has_role(Role.hr):
        return True
    if _employee(session, row.employee_id).manager_id == actor.employee_id:
        return True
    if approvals.is_involved(session, actor, WORKFLOWS, row.id):  # type: ignore[arg-type]
        return True
    return any(actor.employee_id in _owner_ids(session, row, owner) for owner in {i.owner for i in _items(session, row.id)})  # type: ignore[arg-type]


@dataclass(frozen=True)
class ItemRow:
    id: int
    stage: int
    stage_name: str
    stage_name_en: str
    title: str
    title_en: str
    owner: str
    holders: str  # names of who confirms it
    status: str
    since: datetime | None  # opened (or sent back) at
    due_at: datetime | None
    overdue: bool
    confirmed_at: datetime | None
    confirmed_by: str
    note: str
    sent_back_reason: str
    has_photo: bool
    mine: bool  # the viewer may confirm or send it back


@dataclass(frozen=True)
class Progress:
    id: int
    employee_id: int
    employee: str
    employee_no: str
    department: str
    department_en: str
    position: str
    kind: str
    status: str
    reason: str
    reason_text: str
    requested_last_day: date
    last_day: date
    early_agreed: bool
    proposed_day: date | None
    successor: str
    created_at: datetime
    confirmed_at: datetime | None
    handover_done_at: datetime | None
    ended_at: datetime | None
    transfer_due: date
    transfer_done_at: datetime | None
    contract_start: date
    contract_end: date | None
    note: str
    signature_id: int | None
    letter_sha256: str
    certificate_id: int | None
    certificate_number: str
    certificate_sha256: str
    certificate_acknowledged: bool
    settlement: dict[str, str]
    items: list[ItemRow]
    open_stage: int | None
    trail: list[approvals.TrailStep]
    can_withdraw: bool
    can_acknowledge: bool
    certificate_due: bool  # the employment ends today or ended, and no certificate yet
    transfer_open: bool  # the last day is reached: the 15 days of art. 50 are running
    documents: list[tuple[int, str]] = field(default_factory=list)


def progress(session: Session, actor: Actor, separation_id: int, now: datetime) -> Progress:
    row = _get(session, separation_id)
    if not _may_view(session, actor, row):
        raise NotPermitted()
    employee = _employee(session, row.employee_id)
    department = session.get(Department, employee.department_id)
    items = _items(session, separation_id)
    current = rules.open_stage(_views(items))
    holders_by_owner = {owner: _owner_ids(session, row, owner) for owner in {i.owner for i in items}}
    names = _names(session, {i for ids in holders_by_owner.values() for i in ids} | {i.confirmed_by for i in items} | {row.successor_id})
    certificate = session.exec(select(SeparationCertificate).where(SeparationCertificate.separation_id == separation_id)).first()
    acknowledged = False
    if certificate is not None and certificate.message_id:
        message = session.get(NotificationMessage, certificate.message_id)
        acknowledged = message is not None and message.acknowledged_at is not None
    rows = [
        ItemRow(
            i.id or 0,
            i.stage,
            i.stage_name,
            i.stage_name_en or i.stage_name,
            i.title,
            i.title_en or i.title,
            i.owner,
            "、".join(names.get(h, "") for h in holders_by_owner[i.owner]),
            i.status,
            i.sent_back_at if i.status == rules.ItemStatus.sent_back else i.opened_at,
            i.due_at,
            i.status in (rules.ItemStatus.open, rules.ItemStatus.sent_back) and i.due_at is not None and i.due_at <= now,
            i.confirmed_at,
            names.get(i.confirmed_by, "") if i.confirmed_by else "",
            i.note,
            i.sent_back_reason,
            bool(i.photo_sha256),
            actor.employee_id != row.employee_id and actor.employee_id in holders_by_owner[i.owner],
        )
        for i in items
    ]
    documents = (
        session.exec(
            select(SeparationDocument.id, SeparationDocument.original_name).where(SeparationDocument.separation_id == separation_id)
        ).all()
        if actor.has_role(Role.hr)
        else []
    )
    # The letter, the certificate and the settlement are the employee's and HR's, not the owners'.
    private = row.employee_id == actor.employee_id or actor.has_role(Role.hr)
    if not private:
        certificate = None
    settled = json.loads(row.settlement_json) if row.settlement_json and private else {}
    if private and not settled and row.status in OPEN and row.last_day >= employee.hire_date:
        preview = leave_balances.settlement(session, SYSTEM, row.employee_id, row.last_day)
        settled = {
            "year": preview.year,
            "elapsed_days": preview.elapsed_days,
            "weighted": preview.weighted,
            "taken": _fmt(preview.taken),
            "exact": str(preview.exact),
            "days": preview.days,
            "pay_percent": preview.pay_percent,
            "preview": 1,
        }
    return Progress(
        id=row.id or 0,
        employee_id=row.employee_id,
        employee=employee.name,
        employee_no=employee.employee_no,
        department=_department_names(department)[0],
        department_en=_department_names(department)[1],
        position=employee.position,
        kind=row.kind,
        status=row.status,
        reason=row.reason_code,
        reason_text=row.reason_text,
        requested_last_day=row.requested_last_day,
        last_day=row.last_day,
        early_agreed=row.early_agreed,
        proposed_day=row.proposed_day,
        successor=names.get(row.successor_id, "") if row.successor_id else "",
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        handover_done_at=row.handover_done_at,
        ended_at=row.ended_at,
        transfer_due=row.last_day + timedelta(days=rules.TRANSFER_DAYS),
        transfer_done_at=row.transfer_done_at,
        contract_start=row.contract_start,
        contract_end=row.contract_end,
        note=row.note if actor.has_role(Role.hr) else "",
        signature_id=row.signature_id if private else None,
        letter_sha256=row.letter_sha256 if private else "",
        certificate_id=certificate.id if certificate else None,
        certificate_number=certificate.number if certificate else "",
        certificate_sha256=certificate.sha256 if certificate else "",
        certificate_acknowledged=acknowledged,
        settlement={k: str(v) for k, v in settled.items()},
        items=rows,
        open_stage=current,
        trail=approvals.trail(session, WORKFLOWS, row.id),  # type: ignore[arg-type]
        can_withdraw=row.employee_id == actor.employee_id
        and row.status == "submitted"
        and _instance(session, row.id, "pending") is not None,  # type: ignore[arg-type]
        can_acknowledge=row.status == "submitted" and _pending_step(session, actor, row.id) is not None,  # type: ignore[arg-type]
        certificate_due=row.status in ("confirmed", "ended") and certificate is None and row.last_day <= _today(now),
        transfer_open=row.status in ("confirmed", "ended") and row.last_day <= _today(now),
        documents=[(i, n) for i, n in documents],
    )


def mine(session: Session, actor: Actor) -> int | None:
    """The actor's own separation to show (in progress or ended), if any."""
    row = session.exec(
        select(Separation.id)
        .where(Separation.employee_id == actor.employee_id, Separation.status != "withdrawn")
        .order_by(Separation.id.desc())  # type: ignore[arg-type,union-attr]
    ).first()
    return row


def acknowledge_certificate(session: Session, actor: Actor, separation_id: int, now: datetime) -> None:
    """The employee confirms receipt of their certificate (on the message that delivered it)."""
    notifications.acknowledge(session, actor, certificate_message(session, actor, separation_id), now)


def certificate_message(session: Session, actor: Actor, separation_id: int) -> int:
    """The message that delivered the certificate, for its recipient to confirm receipt."""
    row = _get(session, separation_id)
    if row.employee_id != actor.employee_id:
        raise NotPermitted()
    certificate = session.exec(select(SeparationCertificate).where(SeparationCertificate.separation_id == separation_id)).first()
    if certificate is None or certificate.message_id is None:
        raise NotFound()
    return certificate.message_id


def colleagues_of(session: Session, actor: Actor, separation_id: int) -> list[tuple[str, str]]:
    """Whom the person deciding the resignation may name as successor: the leaver's active
    colleagues of the department (and the decider's own reports)."""
    row = _get(session, separation_id)
    if not _may_view(session, actor, row):
        raise NotPermitted()
    return _colleagues(session, _employee(session, row.employee_id), also_reports_of=actor.employee_id)


def inbox(session: Session, actor: Actor) -> list[tuple[approvals.Item, dict[str, str]]]:
    """Resignations waiting for the actor's acknowledgement, with what each is about."""
    items = [i for i in approvals.pending_for(session, actor) if i.workflow in WORKFLOWS]
    described = approvals.summaries(session, items)
    return [(i, described.get(i.step_id, {})) for i in items]


def certificate_link(certificate_id: int, actor: Actor, now: datetime) -> str:
    return file_links.link("certificate", certificate_id, actor, now)


@dataclass(frozen=True)
class OwnedItem:
    separation_id: int
    item_id: int
    employee: str
    last_day: date
    stage_name: str
    stage_name_en: str
    title: str
    title_en: str
    status: str
    since: datetime | None
    overdue: bool


def my_items(session: Session, actor: Actor, now: datetime) -> list[OwnedItem]:
    """The open checklist items the actor confirms, oldest first (for the approvals inbox; read
    on every visit, so the owners are resolved with a few queries, not per item)."""
    me = actor.employee_id
    named: dict[str, set[int]] = {}
    for role, holder in session.exec(
        select(HandoverOwner.role, HandoverOwner.employee_id)
        .join(Employee, Employee.id == HandoverOwner.employee_id)
        .where(Employee.status == "active")
    ).all():
        named.setdefault(role, set()).add(holder)
    is_hr = actor.has_role(Role.hr)
    clauses = [sa.and_(ChecklistItem.owner == rules.Owner.manager, Employee.manager_id == me)]  # type: ignore[arg-type]
    held = [role for role, ids in named.items() if me in ids]
    if held:
        clauses.append(ChecklistItem.owner.in_(held))  # type: ignore[attr-defined]
    if is_hr:  # HR's own items, and those of roles nobody holds or of a departed manager
        clauses.append(ChecklistItem.owner.in_([rules.Owner.hr, rules.Owner.manager, *[r for r in rules.NAMED_OWNERS if r not in named]]))  # type: ignore[attr-defined]
    rows = session.exec(
        select(  # columns, not entities: HR may have hundreds of open items
            ChecklistItem.id,
            ChecklistItem.owner,
            ChecklistItem.stage_name,
            ChecklistItem.stage_name_en,
            ChecklistItem.title,
            ChecklistItem.title_en,
            ChecklistItem.status,
            ChecklistItem.opened_at,
            ChecklistItem.due_at,
            Separation.id.label("separation_id"),  # type: ignore[union-attr]
            Separation.last_day,
            Employee.name,
            Employee.manager_id,
        )
        .select_from(ChecklistItem)
        .join(Separation, Separation.id == ChecklistItem.separation_id)
        .join(Employee, Employee.id == Separation.employee_id)
        .where(
            ChecklistItem.status.in_((rules.ItemStatus.open, rules.ItemStatus.sent_back)),  # type: ignore[attr-defined]
            Separation.status.in_(("confirmed", "ended")),  # type: ignore[attr-defined]
            Separation.employee_id != me,
            sa.or_(*clauses),
        )
        .order_by(ChecklistItem.opened_at, ChecklistItem.id)
    ).all()
    managers = {r.manager_id for r in rows if r.manager_id}
    active_managers = (
        set(session.exec(select(Employee.id).where(Employee.id.in_(managers), Employee.status == "active")).all()) if managers else set()
    )  # type: ignore[union-attr]
    result = []
    for r in rows:
        if r.owner == rules.Owner.manager:
            mine = r.manager_id == me if r.manager_id in active_managers else is_hr
        elif r.owner == rules.Owner.hr:
            mine = is_hr
        else:
            mine = me in named[r.owner] if r.owner in named else is_hr
        if mine:
            due = r.due_at.replace(tzinfo=UTC) if r.due_at is not None and r.due_at.tzinfo is None else r.due_at
            result.append(
                OwnedItem(
                    r.separation_id,
                    r.id,
                    r.name,
                    r.last_day,
                    r.stage_name,
                    r.stage_name_en or r.stage_name,
                    r.title,
                    r.title_en or r.title,
                    r.status,
                    r.opened_at,
                    due is not None and due <= now,
                )
            )
    return result


@dataclass(frozen=True)
class OverviewRow:
    id: int
    employee: str
    employee_no: str
    department: str
    department_en: str
    kind: str
    status: str
    last_day: date
    stage: int | None
    stage_name: str
    stage_name_en: str
    stuck_since: datetime | None
    overdue: int
    certificate: bool
    certificate_due: bool
    transfer_due: date
    transfer_done: bool


def overview(session: Session, actor: Actor, now: datetime, include_finished: bool = False) -> list[OverviewRow]:
    """Every separation in progress (and, asked, the finished ones) for HR."""
    _require_hr(actor)
    today = _today(now)
    query = select(Separation, Employee).join(Employee, Employee.id == Separation.employee_id).where(Separation.status != "withdrawn")  # type: ignore[arg-type]
    rows = session.exec(query.order_by(Separation.last_day, Separation.id)).all()
    departments = {d.id: d for d in session.exec(select(Department)).all()}
    ids = [r.id for r, _ in rows]
    items = session.exec(select(ChecklistItem).where(ChecklistItem.separation_id.in_(ids))).all() if ids else []  # type: ignore[attr-defined]
    by_sep: dict[int, list[ChecklistItem]] = {}
    for item in items:
        by_sep.setdefault(item.separation_id, []).append(item)
    certified = (
        set(session.exec(select(SeparationCertificate.separation_id).where(SeparationCertificate.separation_id.in_(ids))).all())
        if ids
        else set()
    )  # type: ignore[attr-defined]
    result = []
    for row, person in rows:
        mine_items = sorted(by_sep.get(row.id, []), key=lambda i: (i.stage, i.id))  # type: ignore[arg-type]
        current = rules.open_stage(_views(mine_items))
        finished = row.status == "ended" and row.handover_done_at is not None and row.transfer_done_at is not None
        if finished and not include_finished:
            continue
        at_stage = [i for i in mine_items if i.stage == current and i.status != rules.ItemStatus.done]
        department = departments.get(person.department_id)
        result.append(
            OverviewRow(
                row.id or 0,
                person.name,
                person.employee_no,
                *_department_names(department),
                row.kind,
                row.status,
                row.last_day,
                current,
                at_stage[0].stage_name if at_stage else "",
                (at_stage[0].stage_name_en or at_stage[0].stage_name) if at_stage else "",
                min((i.opened_at for i in at_stage if i.opened_at), default=None),
                sum(
                    1
                    for i in mine_items
                    if i.status in (rules.ItemStatus.open, rules.ItemStatus.sent_back) and i.due_at is not None and i.due_at <= now
                ),
                row.id in certified,
                row.status in OPEN and row.status != "submitted" and row.last_day <= today and row.id not in certified,
                row.last_day + timedelta(days=rules.TRANSFER_DAYS),
                row.transfer_done_at is not None,
            )
        )
    return result


@dataclass(frozen=True)
class Panel:
    waiting_manager: int
    by_stage: list[tuple[str, str, int]]  # stage name (zh, en), separations at it
    overdue_items: int
    certificates_due: int
    transfers_due: int  # ended, not transferred: the 15 days are running
    transfers_late: int


def panel(session: Session, actor: Actor, now: datetime) -> Panel:
    """The HR dashboard's departures panel."""
    rows = overview(session, actor, now)
    today = _today(now)
    stages: dict[tuple[str, str], int] = {}
    for r in rows:
        if r.status in ("confirmed", "ended") and r.stage is not None:
            stages[(r.stage_name, r.stage_name_en)] = stages.get((r.stage_name, r.stage_name_en), 0) + 1
    return Panel(
        sum(1 for r in rows if r.status == "submitted"),
        [(zh, en, n) for (zh, en), n in stages.items()],
        sum(r.overdue for r in rows),
        sum(1 for r in rows if r.certificate_due),
        sum(1 for r in rows if r.status == "ended" and not r.transfer_done and r.transfer_due >= today),
        sum(1 for r in rows if r.status == "ended" and not r.transfer_done and r.transfer_due < today),
    )
