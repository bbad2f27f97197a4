"""The disappearance case (旷工案件) over the database: open, record what people do, send the
return-to-work notice, pause on any reaction, propose termination through a configured approval
chain, record the union notice, send the termination notice and start the separation.

Every change is audited in its own transaction; events and notices are append-only. The rules
are in :mod:`selfservice.domain.cases`; the timeline and lists are in ``case_timeline``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.documents import notices as notice_pdf
from selfservice.domain import cases as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.approvals import InstanceStatus
from selfservice.domain.errors import DomainError, NotFound, NotPermitted, ValidationFailed
from selfservice.persistence.models import (
    AbsenceCase,
    AbsenceNote,
    AbsenceStreak,
    ApprovalInstance,
    CaseEvent,
    CaseNotice,
    CaseSettings,
    Department,
    Employee,
    LeaveRequest,
    NotificationMessage,
    Policy,
    PolicyVersion,
    Punch,
    PunchVoid,
    Signature,
    UserAccount,
)
from selfservice.services import approvals, audit, contacts, leave_requests, separations
from selfservice.services.notifications import notify, notify_many
from selfservice.settings import get_settings

WORKFLOW = "termination"
CASE_PAGE = "/case?c={id}"


def tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _require_hr(actor: Actor) -> None:
    if not actor.has_role(Role.hr):
        raise NotPermitted()


def _get(session: Session, case_id: int) -> AbsenceCase:
    row = session.get(AbsenceCase, case_id)
    if row is None:
        raise NotFound()
    return row


def _employee(session: Session, employee_id: int) -> Employee:
    person = session.get(Employee, employee_id)
    if person is None:
        raise NotFound()
    return person


def may_see(session: Session, actor: Actor, row: AbsenceCase) -> bool:
    """HR, the employee's own manager (who adds calls and visits), and the approvers of its
    termination (who decide on the case's record)."""
    if actor.has_role(Role.hr):
        return True
    employee = session.get(Employee, row.employee_id)
    if employee is not None and actor.employee_id is not None and employee.manager_id == actor.employee_id:
        return True
    return bool(actor.employee_id) and approvals.is_involved(session, actor, (WORKFLOW,), row.id)  # type: ignore[arg-type]


def is_manager_of(session: Session, actor: Actor, row: AbsenceCase) -> bool:
    employee = session.get(Employee, row.employee_id)
    return actor.has_role(Role.hr) or (employee is not None and bool(actor.employee_id) and employee.manager_id == actor.employee_id)


def visible(session: Session, actor: Actor, case_id: int) -> AbsenceCase:
    row = _get(session, case_id)
    if not may_see(session, actor, row):
        raise NotPermitted()
    return row


def _event(
    session: Session,
    actor: Actor | None,
    row: AbsenceCase,
    kind: str,
    now: datetime,
    text: str = "",
    at: datetime | None = None,
    details: dict[str, Any] | None = None,
    file: tuple[str, str, str] = ("", "", ""),
) -> CaseEvent:
    event = CaseEvent(
        case_id=row.id,  # type: ignore[arg-type]
        kind=kind,
        at=at or now,
        recorded_at=now,
        actor_id=actor.employee_id if actor else None,
        actor=actor.label if actor else "system",
        text=text,
        details_json=json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
        file_sha256=file[0],
        file_type=file[1],
        file_name=file[2],
    )
    session.add(event)
    session.flush()
    audit.append(
        session,
        actor,
        f"case.{kind}",
        "absence_case",
        row.id,
        after={"event_id": event.id, "at": event.at.isoformat(), "text": text, "details": details or {}, "file_sha256": file[0]},
        at=now,
    )
    return event


def _set_stage(session: Session, actor: Actor | None, row: AbsenceCase, stage: str, now: datetime, **extra: Any) -> None:
    before = {"stage": row.stage}
    row.stage = stage
    row.updated_at = now
    for key, value in extra.items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        "case.stage",
        "absence_case",
        row.id,
        before=before,
        after={"stage": stage, **{k: (v.isoformat() if isinstance(v, datetime | date) else v) for k, v in extra.items()}},
        at=now,
    )


def _hr_ids(session: Session) -> list[int]:
    return list(
        session.exec(
            select(Employee.id)
            .join(UserAccount, UserAccount.employee_id == Employee.id)
            .where(UserAccount.role == Role.hr, UserAccount.active == True, Employee.status == "active")  # type: ignore[arg-type]  # noqa: E712
        ).all()
    )


# ---- settings -----------------------------------------------------------------------------------


def settings(session: Session) -> CaseSettings:
    return session.get(CaseSettings, 1) or CaseSettings(id=1)


def _by_no(session: Session, employee_no: str, field: str) -> Employee:
    person = session.exec(select(Employee).where(Employee.employee_no == employee_no.strip(), Employee.status == "active")).first()
    if person is None:
        raise ValidationFailed("separation.person_unknown", field=field, value=employee_no.strip()[:32])
    return person


def save_settings(session: Session, actor: Actor, raw: dict[str, Any], now: datetime) -> None:
    """HR sets the streak that offers a case, the return deadline, the termination approvers (in
    order), the union contact, and the handbook rule the notices cite."""
    _require_hr(actor)
    row = settings(session)
    before = row.model_dump(exclude={"updated_at", "updated_by"})
    for name, low, high in (
        ("streak_days", rules.MIN_STREAK, rules.MAX_STREAK),
        ("return_days", rules.MIN_RETURN_DAYS, rules.MAX_RETURN_DAYS),
    ):
        value = str(raw.get(name, getattr(row, name))).strip()
        if not value.isdigit() or not low <= int(value) <= high:
            raise ValidationFailed("case.days_range", field=name, min=low, max=high)
        setattr(row, name, int(value))
    numbers = [n.strip() for n in str(raw.get("approvers", "")).replace("，", ",").split(",") if n.strip()]
    ids = rules.check_approvers([_by_no(session, n, "approvers").id for n in numbers])  # type: ignore[misc]
    row.approvers = ",".join(str(i) for i in ids)
    union_no = str(raw.get("union_no", "")).strip()
    row.union_employee_id = _by_no(session, union_no, "union_no").id if union_no else None
    row.union_name = str(raw.get("union_name", "")).strip()[:100]
    policy_id = str(raw.get("policy_id", "")).strip()
    if policy_id:
        if not policy_id.isdigit() or session.get(Policy, int(policy_id)) is None:
            raise ValidationFailed("case.policy_unknown", field="policy_id")
        row.policy_id = int(policy_id)
    else:
        row.policy_id = None
    row.rule_text = rules.check_text(str(raw.get("rule_text", "")), required=False, field="rule_text")[:500]
    row.updated_at, row.updated_by = now, actor.employee_id
    session.add(row)
    session.flush()
    audit.append(
        session, actor, "case.settings_saved", "case_settings", 1, before=before, after=row.model_dump(exclude={"updated_at"}), at=now
    )


def approver_ids(row: CaseSettings) -> list[int]:
    return [int(i) for i in row.approvers.split(",") if i.strip().isdigit()]


def settings_numbers(session: Session) -> tuple[str, str]:
    """The approvers (in order) and the union contact as the settings form shows them: employee
    numbers, not internal ids."""
    config = settings(session)
    wanted = [*approver_ids(config), *([config.union_employee_id] if config.union_employee_id else [])]
    numbers = dict(session.exec(select(Employee.id, Employee.employee_no).where(Employee.id.in_(wanted))).all()) if wanted else {}  # type: ignore[union-attr]
    union = numbers.get(config.union_employee_id, "") if config.union_employee_id else ""
    return ", ".join(numbers.get(i, "") for i in approver_ids(config)), union


# ---- opening ------------------------------------------------------------------------------------


def _open_of(session: Session, employee_id: int) -> AbsenceCase | None:
    return session.exec(
        select(AbsenceCase).where(AbsenceCase.employee_id == employee_id, AbsenceCase.stage.in_([s.value for s in rules.OPEN_STAGES]))  # type: ignore[attr-defined]
    ).first()


def _next_number(session: Session, model: type, prefix: str, year: int) -> str:
    count = session.exec(select(sa.func.count()).select_from(model).where(model.number.like(f"{prefix}-{year}-%"))).one()  # type: ignore[attr-defined]
    return rules.number(prefix, year, count)


def open_case(session: Session, actor: Actor, now: datetime, employee_no: str = "", streak_id: int | None = None) -> int:
    """HR opens a case from a streak (the dashboard's one click) or by hand for an employee."""
    _require_hr(actor)
    streak = None
    if streak_id is not None:
        streak = session.get(AbsenceStreak, streak_id)
        if streak is None:
            raise NotFound()
        employee = _employee(session, streak.employee_id)
    else:
        employee = _by_no(session, employee_no, "employee_no")
        streak = session.exec(
            select(AbsenceStreak)
            .where(AbsenceStreak.employee_id == employee.id, AbsenceStreak.status == "open")
            .order_by(AbsenceStreak.id.desc())  # type: ignore[union-attr]
        ).first()
    if employee.status != "active":
        raise DomainError("case.not_active")
    if employee.id == actor.employee_id:
        raise DomainError("employee.not_self")
    if _open_of(session, employee.id) is not None:  # type: ignore[arg-type]
        raise DomainError("case.already_open")
    today = approvals.local_today(now)
    row = AbsenceCase(
        number=_next_number(session, AbsenceCase, "AJ", today.year),
        employee_id=employee.id,  # type: ignore[arg-type]
        streak_id=streak.id if streak else None,
        first_missing=streak.start_date if streak else today,
        stage=rules.Stage.open,
        opened_at=now,
        opened_by=actor.employee_id,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        "case.opened",
        "absence_case",
        row.id,
        after={
            "number": row.number,
            "employee_id": employee.id,
            "streak_id": row.streak_id,
            "first_missing": row.first_missing.isoformat(),
        },
        at=now,
    )
    return row.id  # type: ignore[return-value]


# ---- what people add ------------------------------------------------------------------------------


def _confirmed_numbers(session: Session, employee: Employee) -> set[str]:
    """The numbers a call may be recorded against: the mobile and the emergency contact on file."""
    return {n for n in (employee.phone, employee.emergency_contact_phone) if n}


def _normal(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, get_settings().phone_region)
    except phonenumbers.NumberParseException:
        return number.strip()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def add_event(
    session: Session,
    actor: Actor,
    case_id: int,
    kind: str,
    at: datetime,
    text: str,
    now: datetime,
    number: str = "",
    outcome: str = "",
    file_sha256: str = "",
    file_name: str = "",
) -> int:
    """A call attempt (time, number dialled from the contacts on file, outcome, optional
    recording), a visit, a message to the emergency contact, or a note — by HR or the manager."""
    row = visible(session, actor, case_id)
    if not is_manager_of(session, actor, row):
        raise NotPermitted()
    rules.check_open(row.stage)
    if kind not in {k.value for k in rules.MANUAL_KINDS}:
        raise ValidationFailed("case.kind_unknown", field="kind")
    if at > now or at < row.opened_at.replace(year=row.opened_at.year - 1):
        raise ValidationFailed("case.time_range", field="at")
    details: dict[str, Any] = {}
    employee = _employee(session, row.employee_id)
    if kind in (rules.EventKind.call, rules.EventKind.emergency_contact) and number:
        known = {_normal(n): n for n in _confirmed_numbers(session, employee)}
        if _normal(number) not in known:
            raise ValidationFailed("case.number_unknown", field="number")
        details["number"] = known[_normal(number)]
    if kind == rules.EventKind.call:
        if not number:
            raise ValidationFailed("case.number_unknown", field="number")
        if outcome not in {o.value for o in rules.CallOutcome}:
            raise ValidationFailed("case.outcome_unknown", field="outcome")
        details["outcome"] = outcome
    text = rules.check_text(text, required=kind != rules.EventKind.call)
    file = ("", "", "")
    if file_sha256:
        checked = leave_requests.staged_file(file_sha256, file_name, audio=True)
        file = (checked.sha256, checked.content_type, checked.name)
    return _event(session, actor, row, kind, now, text, at, details, file).id  # type: ignore[return-value]


# ---- the return-to-work notice ----------------------------------------------------------------------


def missing_days(session: Session, row: AbsenceCase) -> list[date]:
    """The missing working days on record for the case: its streak's dates (kept as the scan
    judged them)."""
    if row.streak_id is None:
        return [row.first_missing]
    streak = session.get(AbsenceStreak, row.streak_id)
    if streak is None:
        return [row.first_missing]
    return [date.fromisoformat(d) for d in json.loads(streak.dates_json or "[]")] or [streak.start_date]


def cited_rule(session: Session, employee_id: int) -> tuple[rules.Rule | None, int | None]:
    """The handbook the case settings name: the newest version the employee signed (else the
    current one, unsigned), with its hash and the clause quoted."""
    config = settings(session)
    if config.policy_id is None:
        return None, None
    signed = session.exec(
        select(PolicyVersion, Signature.signed_at)
        .join(Signature, sa.and_(Signature.subject == "policy_version", Signature.subject_id == PolicyVersion.id))
        .where(PolicyVersion.policy_id == config.policy_id, Signature.employee_id == employee_id)
        .order_by(PolicyVersion.number.desc())  # type: ignore[attr-defined]
    ).first()
    if signed is not None:
        version, signed_at = signed
    else:
        policy = session.get(Policy, config.policy_id)
        version = session.get(PolicyVersion, policy.current_version_id) if policy and policy.current_version_id else None
        signed_at = None
    if version is None:
        return None, None
    return rules.Rule(version.title_zh, version.number, version.content_sha256, config.rule_text, signed_at, version.title_en), version.id


def _facts(
    session: Session, row: AbsenceCase, number: str, now: datetime, deadline_at: datetime | None
) -> tuple[rules.NoticeFacts, int | None]:
    employee = _employee(session, row.employee_id)
    department = session.get(Department, employee.department_id)
    rule, version_id = cited_rule(session, employee.id)  # type: ignore[arg-type]
    return (
        rules.NoticeFacts(
            number=number,
            company=get_settings().company_name,
            name=employee.name,
            employee_no=employee.employee_no,
            department=department.name if department else "",
            missing=missing_days(session, row),
            rule=rule,
            sent_at=now,
            deadline_at=deadline_at,
            tz=tz(),
        ),
        version_id,
    )


def _send_notice(
    session: Session,
    actor: Actor,
    row: AbsenceCase,
    kind: str,
    text: tuple[str, str],
    number: str,
    channels: list[str],
    now: datetime,
    deadline_at: datetime | None,
    version_id: int | None,
) -> CaseNotice:
    """Render the PDF, send it through the outbox (the message leads to the notice's page, named
    by its number), and keep the notice as sent, once, with the message that carried it."""
    pdf = notice_pdf.render(kind, number, get_settings().company_name, text[0], text[1], now)
    digest = hashlib.sha256(pdf).hexdigest()
    title_zh, title_en = notice_pdf.TITLES[kind]
    message_id = notify(
        session,
        actor,
        row.employee_id,
        "case_notice",
        "case.notice",
        {"title_zh": title_zh, "title_en": title_en, "number": number, "text_zh": text[0], "text_en": text[1], "sha256": digest},
        [c for c in channels if c != "inapp"],
        now,
        requires_ack=True,
        link_path=f"/notice?n={number}",
    )
    notice = CaseNotice(
        case_id=row.id,  # type: ignore[arg-type]
        kind=kind,
        number=number,
        pdf=pdf,
        sha256=digest,
        channels=",".join(channels),
        deadline_at=deadline_at,
        policy_version_id=version_id,
        message_id=message_id,
        sent_at=now,
        sent_by=actor.employee_id,
    )
    session.add(notice)
    session.flush()
    audit.append(
        session,
        actor,
        f"case.{kind}_notice_sent",
        "absence_case",
        row.id,
        after={
            "notice_id": notice.id,
            "number": number,
            "sha256": digest,
            "channels": channels,
            "message_id": message_id,
            "deadline_at": deadline_at.isoformat() if deadline_at else None,
            "policy_version_id": version_id,
        },
        at=now,
    )
    return notice


def send_return_notice(session: Session, actor: Actor, case_id: int, channels: list[str], now: datetime) -> int:
    """返岗通知书 to every confirmed channel HR keeps ticked; the deadline starts running."""
    _require_hr(actor)
    row = _get(session, case_id)
    rules.check_return_notice(row.stage)
    picked = rules.check_channels(channels, contacts.formal_channels(session, row.employee_id))
    deadline_at = rules.deadline(now, settings(session).return_days, tz())
    number = _next_number(session, CaseNotice, "FG", approvals.local_today(now).year)
    facts, version_id = _facts(session, row, number, now, deadline_at)
    notice = _send_notice(session, actor, row, "return", rules.return_notice(facts), number, picked, now, deadline_at, version_id)
    _set_stage(session, actor, row, rules.Stage.notice_sent, now, deadline_at=deadline_at)
    return notice.id  # type: ignore[return-value]


def add_posted(
    session: Session, actor: Actor, case_id: int, notice_id: int, tracking_no: str, photo_sha256: str, photo_name: str, now: datetime
) -> int:
    """A posted copy of a notice: the EMS tracking number and a photo of the receipt."""
    _require_hr(actor)
    row = _get(session, case_id)
    notice = session.get(CaseNotice, notice_id)
    if notice is None or notice.case_id != row.id:
        raise NotFound()
    tracking = tracking_no.strip().upper()
    if not (8 <= len(tracking) <= 20 and tracking.isalnum()):
        raise ValidationFailed("case.tracking_format", field="tracking_no")
    file = ("", "", "")
    if photo_sha256:
        checked = leave_requests.staged_file(photo_sha256, photo_name)
        file = (checked.sha256, checked.content_type, checked.name)
    details = {"notice": notice.number, "tracking_no": tracking}
    return _event(session, actor, row, rules.EventKind.posted, now, "", now, details, file).id  # type: ignore[return-value]


# ---- reactions: the case pauses -----------------------------------------------------------------


def _reaction(session: Session, row: AbsenceCase) -> str:
    """What the employee did since the case opened (or last went on), if anything: a punch, a
    leave request, a reply to a reminder (a bare read or receipt is not a reaction)."""
    since = row.paused_at or row.opened_at
    punch = session.exec(
        select(Punch.at)
        .where(Punch.employee_id == row.employee_id, Punch.at > since, ~sa.exists().where(PunchVoid.punch_id == Punch.id))
        .order_by(Punch.at)  # type: ignore[arg-type]
        .limit(1)
    ).first()
    if punch is not None:
        return f"punch {punch.astimezone(tz()):%Y-%m-%d %H:%M}"
    leave = session.exec(
        select(LeaveRequest.id).where(LeaveRequest.employee_id == row.employee_id, LeaveRequest.created_at > since).limit(1)
    ).first()
    if leave is not None:
        return f"leave_filed #{leave}"
    if row.streak_id is not None:
        reply_text = session.exec(
            select(AbsenceNote.text)
            .where(AbsenceNote.streak_id == row.streak_id, AbsenceNote.kind == "reply", AbsenceNote.created_at > since)
            .limit(1)
        ).first()
        if reply_text is not None:
            return f"reply {reply_text}"[:200]
    return ""


REACTION_WORDS = {"punch": ("打卡", "punched"), "leave_filed": ("提交了请假", "filed leave"), "reply": ("回复", "replied")}


def _pause(session: Session, actor: Actor | None, row: AbsenceCase, reaction: str, now: datetime) -> None:
    kind, _, detail = reaction.partition(" ")
    text = "" if kind == "leave_filed" else detail[:1000]  # a punch's time, a reply's words; a leave request is linked in the audit
    _event(session, actor, row, rules.EventKind.reaction, now, text, now, {"what": kind})
    _set_stage(session, actor, row, rules.Stage.paused, now, paused_at=now, reaction=reaction[:200])
    employee = _employee(session, row.employee_id)
    zh, en = REACTION_WORDS.get(kind, (kind, kind))
    notify_many(
        session,
        actor,
        _hr_ids(session),
        "case",
        "case.reaction",
        {"name": employee.name, "number": row.number, "reaction": f"{zh} / {en}"},
        ("wecom",),
        now,
        link_path=CASE_PAGE.format(id=row.id),
    )


RUNNING = (rules.Stage.open, rules.Stage.notice_sent, rules.Stage.approval, rules.Stage.approved)


def watch(session: Session, actor: Actor | None, now: datetime) -> int:
    """The scheduled look at every running case: pause those whose employee reacted."""
    paused = 0
    for row in session.exec(select(AbsenceCase).where(AbsenceCase.stage.in_([s.value for s in RUNNING]))).all():  # type: ignore[attr-defined]
        reaction = _reaction(session, row)
        if reaction:
            _pause(session, actor, row, reaction, now)
            paused += 1
    return paused


def notice_by_number(session: Session, viewer: Actor, number: str) -> CaseNotice:
    """A notice by its number, for the employee it was sent to (or HR / the manager)."""
    notice = session.exec(select(CaseNotice).where(CaseNotice.number == number.strip()[:16])).first()
    if notice is None:
        raise NotFound()
    row = _get(session, notice.case_id)
    if row.employee_id != viewer.employee_id and not may_see(session, viewer, row):
        raise NotPermitted()
    return notice


def reply(session: Session, actor: Actor, number: str, text: str, now: datetime) -> None:
    """The employee answers a notice on its page (an explanation, "I will come back"): it
    confirms receipt, is recorded on the case, and the case pauses for HR to decide."""
    from selfservice.services import notifications

    notice = notice_by_number(session, actor, number)
    row = _get(session, notice.case_id)
    if row.employee_id != actor.employee_id:
        raise NotPermitted()
    text = rules.check_text(text)
    if notice.message_id is not None:
        message = session.get(NotificationMessage, notice.message_id)
        if message is not None and message.acknowledged_at is None:
            notifications.acknowledge(session, actor, notice.message_id, now)
    if row.stage in RUNNING:
        _pause(session, actor, row, f"reply {text}", now)
    else:
        _event(session, actor, row, rules.EventKind.reaction, now, text, now, {"what": "reply", "notice": number})


def _resume_stage(session: Session, row: AbsenceCase) -> str:
    if row.approval_id is not None:
        instance = session.get(ApprovalInstance, row.approval_id)
        if instance is not None and instance.status == InstanceStatus.pending:
            return rules.Stage.approval
        if instance is not None and instance.status == InstanceStatus.approved:
            return rules.Stage.approved
    return rules.Stage.notice_sent if row.deadline_at else rules.Stage.open


def continue_case(session: Session, actor: Actor, case_id: int, text: str, now: datetime) -> None:
    """HR looked at the reaction and goes on (a punch by mistake, a reply without a return)."""
    _require_hr(actor)
    row = _get(session, case_id)
    if row.stage != rules.Stage.paused:
        raise DomainError("case.not_paused")
    text = rules.check_text(text)
    _event(session, actor, row, rules.EventKind.continued, now, text)
    _set_stage(session, actor, row, _resume_stage(session, row), now, paused_at=now)


def resolve(session: Session, actor: Actor, case_id: int, resolution: str, text: str, now: datetime) -> None:
    """HR closes the case without termination, with the reason (returned, explained, leave…)."""
    _require_hr(actor)
    row = _get(session, case_id)
    rules.check_open(row.stage)
    if resolution not in {r.value for r in rules.Resolution}:
        raise ValidationFailed("case.resolution_unknown", field="resolution")
    text = rules.check_text(text)
    _event(session, actor, row, rules.EventKind.resolved, now, text, now, {"resolution": resolution})
    _set_stage(session, actor, row, rules.Stage.resolved, now, closed_at=now, outcome=f"{resolution}: {text}"[:500])
    if row.approval_id is not None:
        instance = session.get(ApprovalInstance, row.approval_id)
        if instance is not None and instance.status == InstanceStatus.pending:
            approvals.cancel(session, actor, row.approval_id, now)


# ---- termination: proposal, approval chain, union, notice -----------------------------------------


def _describe(session: Session, case_id: int) -> dict[str, str]:
    row = _get(session, case_id)
    employee = _employee(session, row.employee_id)
    days = len(missing_days(session, row))
    return {
        "what_zh": "解除劳动合同（旷工）",
        "what_en": "termination (absence)",
        "summary_zh": f"{employee.name}（工号 {employee.employee_no}），连续缺勤 {days} 个工作日，案件 {row.number}",
        "summary_en": f"{employee.name_en or employee.name} (No. {employee.employee_no}), {days} working days absent, case {row.number}",
    }


def _finished(session: Session, actor: Actor, case_id: int, outcome: InstanceStatus, now: datetime) -> None:
    row = _get(session, case_id)
    if row.stage in rules.CLOSED_STAGES:
        return  # resolved while the chain was deciding: the approval was withdrawn with it
    employee = _employee(session, row.employee_id)
    if outcome == InstanceStatus.approved:
        if row.stage == rules.Stage.approval:
            _set_stage(session, actor, row, rules.Stage.approved, now)
        outcome_zh, outcome_en = "已批准", "approved"
    else:
        _event(session, actor, row, rules.EventKind.rejected, now, "", now, {"outcome": outcome.value})
        if row.stage == rules.Stage.approval:
            _set_stage(session, actor, row, rules.Stage.notice_sent, now)
        outcome_zh, outcome_en = ("被驳回", "rejected") if outcome == InstanceStatus.rejected else ("已撤回", "withdrawn")
    notify_many(
        session,
        actor,
        _hr_ids(session),
        "case",
        "case.decided",
        {"name": employee.name, "number": row.number, "outcome_zh": outcome_zh, "outcome_en": outcome_en},
        (),
        now,
        link_path=CASE_PAGE.format(id=row.id),
    )


approvals.register(approvals.Workflow(name=WORKFLOW, policy=WORKFLOW, describe=_describe, on_finished=_finished, requester_link="/cases"))


def my_step(session: Session, actor: Actor, case_id: int) -> int | None:
    """The pending step of this case's termination the actor may decide, if any."""
    for item in approvals.pending_for(session, actor):
        if item.workflow == WORKFLOW and item.subject_id == case_id:
            return item.step_id
    return None


def inbox(session: Session, actor: Actor) -> list[tuple[approvals.Item, dict[str, str]]]:
    """Terminations waiting for the actor's decision, with what each is about (for /approvals)."""
    items = [i for i in approvals.pending_for(session, actor) if i.workflow == WORKFLOW]
    described = approvals.summaries(session, items)
    return [(i, described.get(i.step_id, {})) for i in items]


def decide(session: Session, actor: Actor, case_id: int, approve: bool, comment: str, now: datetime) -> None:
    """An approver decides the termination on the case's page, with the record in front of them."""
    step_id = my_step(session, actor, case_id)
    if step_id is None:
        raise NotPermitted()
    approvals.decide(session, actor, step_id, approve, comment, now)


def propose(session: Session, actor: Actor, case_id: int, text: str, now: datetime) -> int:
    """After the deadline passed unanswered, HR proposes termination under art. 39(2); the chain
    HR configured decides."""
    _require_hr(actor)
    row = _get(session, case_id)
    rules.check_proposal(row.stage, row.deadline_at, now, tz())
    text = rules.check_text(text)
    chain = approver_ids(settings(session))
    if not chain:
        raise DomainError("case.no_approvers")
    instance = approvals.start(session, actor, WORKFLOW, row.id, actor.employee_id or 0, Decimal(0), False, now, named=chain)  # type: ignore[arg-type]
    _event(session, actor, row, "proposed", now, text, now, {"approval_id": instance.id})
    _set_stage(session, actor, row, rules.Stage.approval, now, approval_id=instance.id)
    return instance.id  # type: ignore[return-value]


def _union_events(session: Session, case_id: int) -> list[CaseEvent]:
    kinds = [rules.EventKind.union_notice.value, rules.EventKind.union_reply.value]
    return list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind.in_(kinds))).all())  # type: ignore[attr-defined]


def _file(sha256: str, name: str) -> tuple[str, str, str]:
    if not sha256:
        return ("", "", "")
    checked = leave_requests.staged_file(sha256, name)
    return (checked.sha256, checked.content_type, checked.name)


def notify_union(
    session: Session,
    actor: Actor,
    case_id: int,
    reason: str,
    reply_by: date | None,
    now: datetime,
    file_sha256: str = "",
    file_name: str = "",
) -> int:
    """Art. 43: tell the union the reasons before the termination notice — through the outbox to
    the union contact HR set, or by uploading the letter the union received."""
    _require_hr(actor)
    row = _get(session, case_id)
    rules.check_union(row.stage)
    reason = rules.check_text(reason, field="reason")
    config = settings(session)
    employee = _employee(session, row.employee_id)
    details: dict[str, Any] = {"union": config.union_name}
    file = _file(file_sha256, file_name)
    if file[0]:
        details["how"] = "uploaded"
    elif config.union_employee_id is not None:
        by = reply_by or approvals.local_today(now)
        message_id = notify(
            session,
            actor,
            config.union_employee_id,
            "case",
            "case.union_notice",
            {
                "name": employee.name,
                "employee_no": employee.employee_no,
                "number": row.number,
                "reason": reason,
                "reply_by": by.isoformat(),
            },
            ("wecom", "email"),
            now,
            link_path="/",
        )
        details.update({"how": "outbox", "message_id": message_id, "to": config.union_employee_id, "reply_by": by.isoformat()})
    else:
        raise DomainError("case.no_union_contact")
    return _event(session, actor, row, rules.EventKind.union_notice, now, reason, now, details, file).id  # type: ignore[return-value]


def union_reply(
    session: Session, actor: Actor, case_id: int, replied_on: date, text: str, now: datetime, file_sha256: str = "", file_name: str = ""
) -> int:
    """The union's answer and its date (its letter uploaded, if any)."""
    _require_hr(actor)
    row = _get(session, case_id)
    rules.check_open(row.stage)
    if not any(e.kind == rules.EventKind.union_notice for e in _union_events(session, case_id)):
        raise DomainError("case.no_union_notice")
    if replied_on > approvals.local_today(now):
        raise ValidationFailed("case.time_range", field="replied_on")
    text = rules.check_text(text)
    at = datetime.combine(replied_on, datetime.min.time(), tz())
    details = {"replied_on": replied_on.isoformat()}
    return _event(session, actor, row, rules.EventKind.union_reply, now, text, at, details, _file(file_sha256, file_name)).id  # type: ignore[return-value]


def termination_facts(session: Session, row: AbsenceCase) -> rules.TerminationFacts:
    approved = False
    if row.approval_id is not None:
        instance = session.get(ApprovalInstance, row.approval_id)
        approved = instance is not None and instance.status == InstanceStatus.approved
    union = any(e.kind == rules.EventKind.union_notice for e in _union_events(session, row.id))  # type: ignore[arg-type]
    rule, _ = cited_rule(session, row.employee_id)
    return rules.TerminationFacts(row.stage, row.deadline_at, approved, union, rule is not None and rule.signed_at is not None, tz())


def send_termination(session: Session, actor: Actor, case_id: int, channels: list[str], now: datetime) -> int:
    """解除劳动合同通知书 on at least two confirmed channels; the separation (art. 39, the checklist
    and the certificate) starts from it with today as the last day."""
    _require_hr(actor)
    row = _get(session, case_id)
    rules.check_termination(termination_facts(session, row), now)
    picked = rules.check_channels(channels, contacts.formal_channels(session, row.employee_id), rules.MIN_TERMINATION_CHANNELS)
    today = approvals.local_today(now)
    returned = session.exec(
        select(CaseNotice).where(CaseNotice.case_id == row.id, CaseNotice.kind == "return").order_by(CaseNotice.id)
    ).first()  # type: ignore[arg-type]
    if returned is None:
        raise DomainError("case.no_return_notice")
    number = _next_number(session, CaseNotice, "JC", today.year)
    facts, version_id = _facts(session, row, number, now, None)
    text = rules.termination_notice(facts, returned.number, returned.sent_at, today)
    notice = _send_notice(session, actor, row, "termination", text, number, picked, now, None, version_id)
    employee = _employee(session, row.employee_id)
    separation_id = separations.record(
        session,
        actor,
        employee_no=employee.employee_no,
        kind="dismissal",
        last_day=today,
        contract_start=None,
        contract_end=None,
        note=f"{row.number} · {number}",
        now=now,
    )
    _set_stage(
        session, actor, row, rules.Stage.terminated, now, separation_id=separation_id, closed_at=now, outcome=f"terminated: {number}"
    )
    return notice.id  # type: ignore[return-value]


# ---- files ----------------------------------------------------------------------------------------


def notice_file(session: Session, viewer: Actor, notice_id: int) -> tuple[bytes, str, str]:
    """A notice's PDF as sent: the employee it was sent to, HR, or the employee's manager."""
    notice = session.get(CaseNotice, notice_id)
    if notice is None:
        raise NotFound()
    row = _get(session, notice.case_id)
    if row.employee_id != viewer.employee_id and not may_see(session, viewer, row):
        raise NotPermitted()
    return notice.pdf, "application/pdf", f"{notice.number}.pdf"


def event_file(session: Session, viewer: Actor, event_id: int) -> tuple[bytes, str, str]:
    event = session.get(CaseEvent, event_id)
    if event is None or not event.file_sha256:
        raise NotFound()
    visible(session, viewer, event.case_id)
    return leave_requests.stored_bytes(event.file_sha256), event.file_type, event.file_name or event.file_sha256[:12]


@dataclass(frozen=True)
class NoticeView:
    id: int
    number: str
    kind: str
    text_zh: str
    text_en: str
    sha256: str
    sent_at: datetime
    deadline_at: datetime | None
    acknowledged_at: datetime | None
    replied: bool
    is_recipient: bool


def notice_view(session: Session, viewer: Actor, number: str, now: datetime) -> NoticeView:
    """A notice on its own page: the employee it was sent to reads it there (recorded as a read of
    the in-app message, like the inbox), or HR / the manager look at it (no read recorded)."""
    from selfservice.services import notifications

    notice = notice_by_number(session, viewer, number)
    row = _get(session, notice.case_id)
    message = session.get(NotificationMessage, notice.message_id) if notice.message_id else None
    mine = row.employee_id == viewer.employee_id
    if mine and message is not None:
        notifications.open_message(session, viewer, message.id, now)  # type: ignore[arg-type]
    params = json.loads(message.params_json) if message else {}
    replied = (
        session.exec(
            select(CaseEvent.id).where(
                CaseEvent.case_id == row.id, CaseEvent.kind == rules.EventKind.reaction, CaseEvent.actor_id == row.employee_id
            )
        ).first()
        is not None
    )
    return NoticeView(
        notice.id,  # type: ignore[arg-type]
        notice.number,
        notice.kind,
        params.get("text_zh", ""),
        params.get("text_en", ""),
        notice.sha256,
        notice.sent_at,
        notice.deadline_at,
        message.acknowledged_at if message else None,
        replied,
        mine,
    )


def acknowledge_notice(session: Session, actor: Actor, number: str, now: datetime) -> None:
    """我已收到: the employee confirms receipt of a notice (not an answer: the case goes on)."""
    from selfservice.services import notifications

    notice = notice_by_number(session, actor, number)
    row = _get(session, notice.case_id)
    if row.employee_id != actor.employee_id or notice.message_id is None:
        raise NotPermitted()
    notifications.acknowledge(session, actor, notice.message_id, now)
