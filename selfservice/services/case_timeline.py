"""What a case shows: the timeline the system fills in by itself (each missing day, each reminder
with its per-channel delivery, read and reply, the forward to the manager, notices, approvals)
merged with what people recorded; the case list and the dashboard panel. Read-only.

Entries carry i18n keys and parameters; :func:`describe` turns one into text in a language, so the
case page and the evidence bundle's timeline PDF say the same thing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from selfservice.domain import cases as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import NotPermitted
from selfservice.i18n import t
from selfservice.persistence.models import (
    AbsenceAction,
    AbsenceCase,
    AbsenceNote,
    AbsenceStreak,
    CaseEvent,
    CaseNotice,
    Department,
    Employee,
    NotificationDelivery,
    NotificationMessage,
)
from selfservice.services import approvals, cases, contacts, dashboard
from selfservice.settings import get_settings


def tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


@dataclass(frozen=True)
class Delivery:
    channel: str
    status: str
    address: str
    provider_id: str
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    error: str
    text_sha256: str


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # missing | reminder | forward | followup | note.<kind> | opened | event.<kind> | notice.<kind> | step
    params: dict[str, str] = field(default_factory=dict)
    text: str = ""  # what a person wrote, verbatim
    actor: str = ""
    deliveries: tuple[Delivery, ...] = ()
    read_at: datetime | None = None
    acknowledged_at: datetime | None = None
    file: tuple[str, int] | None = None  # (file route kind, id): the page signs a link for its viewer
    message_id: int | None = None


def _deliveries(session: Session, message_ids: list[int]) -> tuple[dict[int, list[Delivery]], dict[int, NotificationMessage]]:
    if not message_ids:
        return {}, {}
    found: dict[int, list[Delivery]] = defaultdict(list)
    for row in session.exec(
        select(NotificationDelivery).where(NotificationDelivery.message_id.in_(message_ids)).order_by(NotificationDelivery.id)  # type: ignore[attr-defined]
    ).all():
        found[row.message_id].append(
            Delivery(
                row.channel,
                row.status,
                row.address,
                row.provider_message_id,
                row.sent_at,
                row.delivered_at,
                row.read_at,
                row.last_error,
                row.text_sha256,
            )
        )
    messages = {m.id: m for m in session.exec(select(NotificationMessage).where(NotificationMessage.id.in_(message_ids))).all()}  # type: ignore[attr-defined,union-attr]
    return found, messages  # type: ignore[return-value]


def entries(session: Session, row: AbsenceCase) -> list[Entry]:
    """Every entry of the case's story, oldest first."""
    zone = tz()
    found: list[Entry] = []
    streak = session.get(AbsenceStreak, row.streak_id) if row.streak_id else None
    for day in cases.missing_days(session, row):
        found.append(Entry(datetime.combine(day, time(0), zone), "missing", {"date": day.isoformat()}))
    actions = list(session.exec(select(AbsenceAction).where(AbsenceAction.streak_id == streak.id)).all()) if streak else []  # type: ignore[union-attr]
    notices = list(session.exec(select(CaseNotice).where(CaseNotice.case_id == row.id).order_by(CaseNotice.id)).all())  # type: ignore[arg-type]
    message_ids = [m for a in actions for m in json.loads(a.message_ids or "[]")] + [n.message_id for n in notices if n.message_id]
    by_message, messages = _deliveries(session, message_ids)
    for action in actions:
        for message_id in json.loads(action.message_ids or "[]"):
            message = messages.get(message_id)
            found.append(
                Entry(
                    action.created_at,
                    action.rule,
                    {"channels": action.channels},
                    deliveries=tuple(by_message.get(message_id, [])),
                    read_at=message.read_at if message else None,
                    acknowledged_at=message.acknowledged_at if message else None,
                    message_id=message_id,
                )
            )
    if streak is not None:
        names = {
            e.id: e.name
            for e in session.exec(
                select(Employee).where(
                    Employee.id.in_(
                        {n.author_id for n in session.exec(select(AbsenceNote).where(AbsenceNote.streak_id == streak.id)).all()}
                    )
                )
            ).all()
        }  # type: ignore[attr-defined,union-attr]
        for note in session.exec(select(AbsenceNote).where(AbsenceNote.streak_id == streak.id).order_by(AbsenceNote.id)).all():  # type: ignore[arg-type]
            found.append(Entry(note.created_at, f"note.{note.kind}", text=note.text, actor=names.get(note.author_id, "")))  # type: ignore[arg-type]
    opener = session.get(Employee, row.opened_by) if row.opened_by else None
    found.append(Entry(row.opened_at, "opened", {"number": row.number}, actor=opener.name if opener else ""))
    events = list(session.exec(select(CaseEvent).where(CaseEvent.case_id == row.id).order_by(CaseEvent.id)).all())  # type: ignore[arg-type]
    people = {
        e.id: e.name
        for e in session.exec(select(Employee).where(Employee.id.in_({ev.actor_id for ev in events if ev.actor_id}))).all()  # type: ignore[attr-defined,union-attr]
    }
    for event in events:
        details = {
            k: str(v)
            for k, v in json.loads(event.details_json or "{}").items()
            if k not in ("message_id", "to", "approval_id", "notice_id")
        }
        found.append(
            Entry(
                event.at,
                f"event.{event.kind}",
                details,
                text=event.text,
                actor=people.get(event.actor_id, "") if event.actor_id else "",
                file=("case_file", event.id) if event.file_sha256 else None,  # type: ignore[arg-type]
            )
        )
    for notice in notices:
        message = messages.get(notice.message_id) if notice.message_id else None
        params = {"number": notice.number, "sha256": notice.sha256, "channels": notice.channels}
        if notice.deadline_at:
            params["deadline"] = rules.deadline_text(notice.deadline_at, zone)
        found.append(
            Entry(
                notice.sent_at,
                f"notice.{notice.kind}",
                params,
                deliveries=tuple(by_message.get(notice.message_id, [])) if notice.message_id else (),
                read_at=message.read_at if message else None,
                acknowledged_at=message.acknowledged_at if message else None,
                file=("case_notice", notice.id),  # type: ignore[arg-type]
                message_id=notice.message_id,
            )
        )
    for step in approvals.trail(session, (cases.WORKFLOW,), row.id):  # type: ignore[arg-type]
        if step.decided_at is not None:
            found.append(
                Entry(step.decided_at, "step", {"status": step.status, "approver": step.approver}, text=step.comment, actor=step.decided_by)
            )
    return sorted(found, key=lambda e: e.at)


# ---- in words --------------------------------------------------------------------------------------


def _local(moment: datetime | None) -> str:
    return f"{moment.astimezone(tz()):%Y-%m-%d %H:%M}" if moment else ""


DETAILS = ("number", "outcome", "notice", "tracking_no", "how", "reply_by", "replied_on", "resolution", "what", "deadline", "sha256")
TRANSLATED = ("outcome", "resolution", "what", "status", "how")


def _channel(lang: str, name: str) -> str:
    return t(lang, f"channel.name.{name}") if name != "post" else t(lang, "contact.channel.post")


def describe(entry: Entry, lang: str) -> tuple[str, list[str]]:
    """The entry's heading and detail lines in ``lang`` (no internal codes: channels, outcomes
    and statuses are translated)."""
    params = dict(entry.params)
    for key in TRANSLATED:
        if key in params:
            params[key] = t(lang, f"case.value.{params[key]}")
    if "channels" in params:
        separator = "、" if lang == "zh-CN" else ", "
        params["channels"] = separator.join(_channel(lang, c) for c in params["channels"].split(",") if c)
    title = t(lang, f"case.tl.{entry.kind}", **params)
    lines: list[str] = []
    if entry.actor:
        lines.append(t(lang, "case.tl.by", who=entry.actor))
    for key in DETAILS:
        if params.get(key) and not (key == "number" and entry.kind in ("opened",) or entry.kind.startswith("notice.") and key == "number"):
            lines.append(f"{t(lang, 'case.detail.' + key)}{t(lang, 'punctuation.colon')}{params[key]}")
    if "channels" in params and entry.kind.startswith("notice."):
        lines.append(f"{t(lang, 'case.detail.channels')}{t(lang, 'punctuation.colon')}{params['channels']}")
    if entry.text:
        lines.append(f"“{entry.text}”" if lang == "zh-CN" else f'"{entry.text}"')
    for d in entry.deliveries:
        parts = [_channel(lang, d.channel), t(lang, f"delivery.status.{d.status}")]
        if d.provider_id:
            parts.append(t(lang, "case.tl.provider_id", id=d.provider_id))
        if d.delivered_at and d.channel != "inapp":
            parts.append(t(lang, "case.tl.delivered", at=_local(d.delivered_at)))
        if d.read_at:
            parts.append(t(lang, "case.tl.read", at=_local(d.read_at)))
        if d.error and d.status == "failed":
            parts.append(d.error[:80])
        lines.append(" · ".join(parts))
    if entry.message_id:
        lines.append(t(lang, "case.tl.read", at=_local(entry.read_at)) if entry.read_at else t(lang, "case.tl.unread"))
        if entry.acknowledged_at:
            lines.append(t(lang, "case.tl.acknowledged", at=_local(entry.acknowledged_at)))
    return title, lines


def outcome_text(outcome: str, lang: str) -> str:
    """How a closed case ended, in words: "已补请假：…" rather than the stored "leave: …"."""
    code, _, text = outcome.partition(": ")
    if code in {r.value for r in rules.Resolution}:
        return f"{t(lang, f'case.value.{code}')}{t(lang, 'punctuation.colon')}{text}"
    if code == "terminated":
        return t(lang, "case.outcome_terminated", number=text)
    return outcome


# ---- the case page, the list, the dashboard panel ----------------------------------------------------


@dataclass(frozen=True)
class NoticeRow:
    id: int
    kind: str
    number: str
    sent_at: datetime
    sha256: str
    deadline_at: datetime | None


@dataclass(frozen=True)
class CaseView:
    id: int
    number: str
    employee_no: str
    name: str
    department: str
    stage: str
    opened_at: datetime
    first_missing: date
    days: int
    deadline_at: datetime | None
    deadline_passed: bool
    reaction: str
    outcome: str
    confirmed: list[str]  # channels the notices may use
    notices: list[NoticeRow]
    union_notified: bool
    union_replied: bool
    approved: bool
    rule_title: str
    rule_version: int
    rule_signed_at: datetime | None
    separation_id: int | None
    phones: list[tuple[str, str]]  # (label key, number) the calls may be recorded against
    entries: list[Entry]
    is_hr: bool
    may_record: bool  # HR and the manager add calls, visits, notes
    my_step_id: int | None  # a termination step this viewer decides


def view(session: Session, actor: Actor, case_id: int, now: datetime) -> CaseView:
    row = cases.visible(session, actor, case_id)
    employee = session.get(Employee, row.employee_id)
    assert employee is not None
    department = session.get(Department, employee.department_id)
    notices = list(session.exec(select(CaseNotice).where(CaseNotice.case_id == row.id).order_by(CaseNotice.id)).all())  # type: ignore[arg-type]
    facts = cases.termination_facts(session, row)
    rule, _ = cases.cited_rule(session, row.employee_id)
    union = {e.kind for e in cases._union_events(session, row.id)}  # type: ignore[arg-type]
    phones = [(k, n) for k, n in (("case.phone.self", employee.phone), ("case.phone.emergency", employee.emergency_contact_phone)) if n]
    return CaseView(
        id=row.id,  # type: ignore[arg-type]
        number=row.number,
        employee_no=employee.employee_no,
        name=employee.name,
        department=department.name if department else "",
        stage=row.stage,
        opened_at=row.opened_at,
        first_missing=row.first_missing,
        days=len(cases.missing_days(session, row)),
        deadline_at=row.deadline_at,
        deadline_passed=rules.passed(row.deadline_at, now),
        reaction=row.reaction,
        outcome=row.outcome,
        confirmed=[c for c in contacts.formal_channels(session, row.employee_id) if c != "post"],
        notices=[NoticeRow(n.id, n.kind, n.number, n.sent_at, n.sha256, n.deadline_at) for n in notices],  # type: ignore[arg-type]
        union_notified=rules.EventKind.union_notice in union,
        union_replied=rules.EventKind.union_reply in union,
        approved=facts.approved,
        rule_title=rule.title if rule else "",
        rule_version=rule.version if rule else 0,
        rule_signed_at=rule.signed_at if rule else None,
        separation_id=row.separation_id,
        phones=phones,
        entries=entries(session, row),
        is_hr=actor.has_role(Role.hr),
        may_record=cases.is_manager_of(session, actor, row),
        my_step_id=cases.my_step(session, actor, row.id),  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class ListRow:
    id: int
    number: str
    name: str
    employee_no: str
    stage: str
    opened_at: datetime
    next_deadline: datetime | None
    overdue: bool


def _next_deadline(row: AbsenceCase) -> datetime | None:
    return row.deadline_at if row.stage in (rules.Stage.notice_sent,) else None


def listing(session: Session, actor: Actor, now: datetime, closed: bool = False, limit: int = 200) -> list[ListRow]:
    """HR's list of cases (open ones by default), the most urgent first."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    stages = rules.CLOSED_STAGES if closed else rules.OPEN_STAGES
    rows = session.exec(
        select(AbsenceCase, Employee)
        .join(Employee, Employee.id == AbsenceCase.employee_id)
        .where(AbsenceCase.stage.in_([s.value for s in stages]))  # type: ignore[attr-defined]
        .order_by(AbsenceCase.id.desc())  # type: ignore[union-attr]
        .limit(limit)
    ).all()
    result = [
        ListRow(c.id, c.number, e.name, e.employee_no, c.stage, c.opened_at, _next_deadline(c), rules.passed(_next_deadline(c), now))  # type: ignore[arg-type]
        for c, e in rows
    ]
    far = datetime.max.replace(tzinfo=tz())
    return sorted(result, key=lambda r: (r.stage != rules.Stage.paused, r.next_deadline or far)) if not closed else result


@dataclass(frozen=True)
class PanelRow:
    stage: str
    count: int
    next_deadline: datetime | None


@dataclass(frozen=True)
class Candidate:
    streak_id: int
    employee_no: str
    name: str
    days: int
    start_date: date


def panel(session: Session, actor: Actor, now: datetime) -> tuple[list[PanelRow], list[Candidate]]:
    """The dashboard: open cases by stage with their next deadline, and the streaks long enough to
    open a case with one click (none open for that person yet)."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    counts: dict[str, list[AbsenceCase]] = defaultdict(list)
    for row in session.exec(select(AbsenceCase).where(AbsenceCase.stage.in_([s.value for s in rules.OPEN_STAGES]))).all():  # type: ignore[attr-defined]
        counts[row.stage].append(row)
    panel_rows = [
        PanelRow(stage.value, len(counts[stage]), min((d for d in (_next_deadline(r) for r in counts[stage]) if d), default=None))
        for stage in rules.OPEN_STAGES
    ]
    threshold = cases.settings(session).streak_days
    with_case = select(AbsenceCase.employee_id).where(AbsenceCase.stage.in_([s.value for s in rules.OPEN_STAGES]))  # type: ignore[attr-defined]
    streaks = session.exec(
        select(AbsenceStreak, Employee)
        .join(Employee, Employee.id == AbsenceStreak.employee_id)
        .where(
            AbsenceStreak.status == "open",
            AbsenceStreak.days >= threshold,
            Employee.status == "active",
            AbsenceStreak.employee_id.not_in(with_case),
        )  # type: ignore[attr-defined]
        .order_by(AbsenceStreak.days.desc())  # type: ignore[attr-defined]
        .limit(20)
    ).all()
    return panel_rows, [Candidate(s.id, e.employee_no, e.name, s.days, s.start_date) for s, e in streaks]  # type: ignore[arg-type]


# ---- the dashboard's export ------------------------------------------------------------------------

CASES = "cases"


def _export_rows(session: Session, actor: Actor, now: datetime, language: str) -> list[list]:
    return [
        [
            r.number,
            r.employee_no,
            r.name,
            t(language, f"case.stage.{r.stage}"),
            _local(r.opened_at),
            rules.deadline_text(r.next_deadline, tz()) if r.next_deadline else "",
        ]
        for r in listing(session, actor, now)
    ]


dashboard.register(
    dashboard.Panel(
        CASES,
        "dashboard.cases",
        15,
        ("case.number_col", "field.employee_no", "field.name", "case.stage_col", "case.opened_col", "case.deadline_col"),
        _export_rows,
    )
)
