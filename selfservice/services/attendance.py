"""Reading attendance: an employee's day and month, a manager's team today and the reminders
forwarded to them, and the record of one employee that HR drills down to (every punch, leave,
reminder, delivery, read and reply). Scope is checked here: the employee themselves, their
direct manager, or HR.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain import attendance as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import NotFound, NotPermitted, ValidationFailed
from selfservice.persistence.models import (
    AbsenceAction,
    AbsenceNote,
    AbsenceStreak,
    Department,
    Employee,
    LeaveRequest,
    NotificationMessage,
    Punch,
    PunchVoid,
    ScheduleAssignment,
)
from selfservice.services import absence_streaks, absence_watch, attendance_settings, leave_balances, punches
from selfservice.services.absence_streaks import local_today, tz
from selfservice.services.absence_watch import FOLLOWUP, FORWARD, REMINDER


def _may_see(session: Session, actor: Actor, employee: Employee) -> bool:
    return employee.id == actor.employee_id or employee.manager_id == actor.employee_id or actor.has_role(Role.hr)


def _employee(session: Session, actor: Actor, employee_id: int) -> Employee:
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound()
    if not _may_see(session, actor, employee):
        raise NotPermitted()
    return employee


def local_text(moment: datetime | None) -> str:
    """A stored UTC time as the company's local time, to the minute ("" for none)."""
    return moment.astimezone(tz()).strftime("%Y-%m-%d %H:%M") if moment else ""


def _spans(session: Session, employee_ids: list[int], first: date, last: date) -> dict[int, list[tuple[LeaveRequest, rules.LeaveSpan]]]:
    result: dict[int, list[tuple[LeaveRequest, rules.LeaveSpan]]] = {}
    if not employee_ids:
        return result
    for row in session.exec(
        select(LeaveRequest).where(
            LeaveRequest.employee_id.in_(employee_ids),  # type: ignore[attr-defined]
            LeaveRequest.status.in_(absence_streaks.APPROVED_LEAVE),  # type: ignore[attr-defined]
            LeaveRequest.start_date <= last,
            LeaveRequest.end_date >= first,
        )
    ).all():
        result.setdefault(row.employee_id, []).append((row, rules.LeaveSpan(row.start_date, row.start_half, row.end_date, row.end_half)))
    return result


# ---- one employee's days ---------------------------------------------------------------------


@dataclass(frozen=True)
class DayView:
    day: date
    kind: str
    outcome: str
    missing: str
    leave: str  # "", "am", "pm", "full"
    leave_type: str
    punches: list[punches.PunchView]
    unconfirmed: bool
    run: tuple[date, date] | None  # the missing run this day belongs to (for the leave shortcut)


@dataclass(frozen=True)
class MonthView:
    employee_id: int
    name: str
    employee_no: str
    department: str
    department_en: str
    first: date
    last: date
    days: list[DayView]
    missing_days: str
    streak_days: int


def month(session: Session, actor: Actor, employee_id: int, first: date, last: date, now: datetime) -> MonthView:
    """Each day of a period: the kind of day, what the record says, the punches, the leave."""
    employee = _employee(session, actor, employee_id)
    if last < first or (last - first).days > 62:
        raise ValidationFailed("leave.range_too_long", field="month")
    plan = attendance_settings.schedules(session, first, last, [employee_id])
    watch = attendance_settings.watch_rules(session)
    today = local_today(now)
    tracked = max(employee.hire_date, watch.tracked_from or today)
    spans = _spans(session, [employee_id], first, last + timedelta(days=1)).get(employee_id, [])
    punch_rows = punches.punches_of(session, [employee_id], first, last)
    valid = [datetime.combine(p.day, time.fromisoformat(p.time)) for p in punch_rows if not p.voided]
    zone = tz()
    unconfirmed = attendance_settings.unconfirmed_years(session, first, last)

    def schedule_for(day: date) -> rules.Schedule:
        return plan.of(employee_id, day)

    def tracked_on(day: date) -> date:
        return max(tracked, plan.assigned_since(employee_id, day) or tracked)

    records = []
    for record in rules.month_records(
        first, last, schedule_for, valid, [s for _, s in spans], tracked, lambda s: s.judged_through(now, zone), unconfirmed
    ):
        if record.day < tracked_on(record.day) and record.outcome != rules.Outcome.not_tracked:
            record = rules.DayRecord(record.day, record.kind, rules.Outcome.not_tracked, Decimal(0), record.leave, record.punches)
        records.append(record)
    runs = rules.missing_runs(records)
    types = leave_balances.type_names(session)
    department = session.get(Department, employee.department_id)
    days = []
    for record in records:
        covering = [row for row, span in spans if span.halves(record.day)]
        leave = "full" if record.leave == {"am", "pm"} else next(iter(record.leave), "")
        leave_type = ""
        if covering:
            names = types.get(covering[0].leave_type)
            leave_type = f"{names[0]}|{names[1]}" if names else covering[0].leave_type
        run = next(((a, b) for a, b in runs if a <= record.day <= b), None) if record.outcome in rules.MISSING else None
        days.append(
            DayView(
                record.day,
                record.kind,
                record.outcome,
                f"{record.missing.normalize():f}",
                leave,
                leave_type,
                [p for p in punch_rows if p.day == record.day],
                record.unconfirmed,
                run,
            )
        )
    streak = session.exec(select(AbsenceStreak).where(AbsenceStreak.employee_id == employee_id, AbsenceStreak.status == "open")).first()
    total = sum((r.missing for r in records if r.day <= today), Decimal(0))
    return MonthView(
        employee_id,
        employee.name,
        employee.employee_no,
        department.name if department else "",
        (department.name_en or department.name) if department else "",
        first,
        last,
        days,
        f"{total.normalize():f}",
        streak.days if streak else 0,
    )


@dataclass(frozen=True)
class TodayView:
    kind: str
    outcome: str
    punches: list[tuple[str, str]]  # (HH:MM, in | out | "")
    leave: str
    next_direction: str  # in | out
    geolocation: bool
    streak_days: int


def today(session: Session, actor: Actor, now: datetime) -> TodayView:
    """The home page's clock-in card: today's kind of day, punches and leave."""
    day = local_today(now)
    view = month(session, actor, actor.employee_id, day, day, now)
    record = view.days[0]
    valid = [p for p in record.punches if not p.voided]
    return TodayView(
        record.kind,
        record.outcome,
        [(p.time[:5], p.direction) for p in valid],
        record.leave,
        "out" if valid else "in",
        attendance_settings.watch_rules(session).geolocation,
        view.streak_days,
    )


# ---- a manager's team --------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    employee_id: int
    name: str
    employee_no: str
    status: str  # present | leave | half_leave | not_yet_in | missing | rest
    first_punch: str
    streak_days: int
    streak_id: int


def _status_today(session: Session, employees: list[Employee], now: datetime) -> dict[int, tuple[str, str]]:
    """For each employee: (status, first punch time) today."""
    day = local_today(now)
    ids = [e.id for e in employees]
    plan = attendance_settings.schedules(session, day, day, ids)  # type: ignore[arg-type]
    watch = attendance_settings.watch_rules(session)
    first_punch = dict(
        session.exec(
            select(Punch.employee_id, sa.func.min(Punch.at))
            .where(Punch.employee_id.in_(ids), Punch.work_date == day, ~sa.exists().where(PunchVoid.punch_id == Punch.id))  # type: ignore[attr-defined]
            .group_by(Punch.employee_id)
        ).all()
    )
    spans = _spans(session, ids, day, day)  # type: ignore[arg-type]
    zone = tz()
    result = {}
    for employee in employees:
        schedule = plan.of(employee.id, day)  # type: ignore[arg-type]
        halves = rules.leave_halves([s for _, s in spans.get(employee.id, [])], day)  # type: ignore[arg-type]
        punched = first_punch.get(employee.id)
        late_after = datetime.combine(day, schedule.start, tzinfo=zone) + timedelta(minutes=watch.late_grace_minutes)
        if halves == {"am", "pm"}:
            status = "leave"
        elif punched is not None:
            status = "half_leave" if halves else "present"
        elif not schedule.is_workday(day) or employee.hire_date > day:
            status = "rest"
        elif now < late_after or (halves == {"am"} and now.astimezone(zone).time() < schedule.split):
            status = "not_yet_in"
        else:
            status = "missing"
        result[employee.id] = (status, punched.astimezone(zone).strftime("%H:%M") if punched else "")
    return result  # type: ignore[return-value]


def team_today(session: Session, actor: Actor, now: datetime) -> list[TeamRow]:
    """我的团队: the actor's direct reports today, missing first, with any current streak."""
    reports = list(
        session.exec(
            select(Employee).where(Employee.manager_id == actor.employee_id, Employee.status == "active").order_by(Employee.employee_no)
        ).all()
    )
    if not reports:
        return []
    statuses = _status_today(session, reports, now)
    streaks = {
        s.employee_id: s
        for s in session.exec(
            select(AbsenceStreak).where(AbsenceStreak.status == "open", AbsenceStreak.employee_id.in_([e.id for e in reports]))  # type: ignore[attr-defined]
        ).all()
    }
    order = {"missing": 0, "not_yet_in": 1, "leave": 2, "half_leave": 3, "present": 4, "rest": 5}
    rows = [
        TeamRow(
            e.id or 0,
            e.name,
            e.employee_no,
            statuses[e.id][0],  # type: ignore[index]
            statuses[e.id][1],  # type: ignore[index]
            streaks[e.id].days if e.id in streaks else 0,
            (streaks[e.id].id or 0) if e.id in streaks else 0,
        )
        for e in reports
    ]
    return sorted(rows, key=lambda r: (order.get(r.status, 9), -r.streak_days, r.employee_no))


@dataclass(frozen=True)
class ForwardView:
    streak_id: int
    employee_id: int
    name: str
    employee_no: str
    days: int
    dates: list[date]
    reminder_sent_at: str
    reminder_channels: str
    unread_at: str  # when the forward found it unread
    reminder_read_at: str  # if read since
    status: str  # open | done | closed
    streak_open: bool
    notes: list[tuple[str, str, str]]  # (time, author, text)


def _notes(session: Session, streak_ids: list[int]) -> dict[int, list[tuple[str, str, str, str]]]:
    """Per streak: (time, author, kind, text) of every note, oldest first."""
    if not streak_ids:
        return {}
    rows = session.exec(
        select(AbsenceNote, Employee.name)
        .join(Employee, Employee.id == AbsenceNote.author_id, isouter=True)  # type: ignore[arg-type]
        .where(AbsenceNote.streak_id.in_(streak_ids))  # type: ignore[attr-defined]
        .order_by(AbsenceNote.id)
    ).all()
    result: dict[int, list[tuple[str, str, str, str]]] = {}
    for note, author in rows:
        result.setdefault(note.streak_id, []).append((local_text(note.created_at), author or "", note.kind, note.text))
    return result


def forwards_for(session: Session, actor: Actor, limit: int = 50) -> list[ForwardView]:
    """Reminders forwarded to the actor (as direct manager), newest first, with the trail."""
    rows = session.exec(
        select(AbsenceAction, AbsenceStreak, Employee)
        .join(AbsenceStreak, AbsenceStreak.id == AbsenceAction.streak_id)  # type: ignore[arg-type]
        .join(Employee, Employee.id == AbsenceStreak.employee_id)  # type: ignore[arg-type]
        .where(AbsenceAction.rule == FORWARD, AbsenceAction.assignee_id == actor.employee_id)
        .order_by(AbsenceAction.id.desc())  # type: ignore[union-attr]
        .limit(limit)
    ).all()
    return _forward_views(session, list(rows))


def _forward_views(session: Session, rows: list[tuple[AbsenceAction, AbsenceStreak, Employee]]) -> list[ForwardView]:
    streak_ids = [s.id for _, s, _ in rows]
    reminders = {
        a.streak_id: a
        for a in session.exec(select(AbsenceAction).where(AbsenceAction.rule == REMINDER, AbsenceAction.streak_id.in_(streak_ids))).all()  # type: ignore[attr-defined]
    }
    message_ids = [json.loads(r.message_ids)[0] for r in reminders.values() if json.loads(r.message_ids)]
    messages = {m.id: m for m in session.exec(select(NotificationMessage).where(NotificationMessage.id.in_(message_ids))).all()}  # type: ignore[union-attr]
    notes = _notes(session, streak_ids)  # type: ignore[arg-type]
    views = []
    for forward, streak, employee in rows:
        reminder = reminders.get(streak.id)  # type: ignore[arg-type]
        message = messages.get(json.loads(reminder.message_ids)[0]) if reminder and json.loads(reminder.message_ids) else None
        views.append(
            ForwardView(
                streak.id or 0,
                employee.id or 0,
                employee.name,
                employee.employee_no,
                streak.days,
                [date.fromisoformat(d) for d in json.loads(streak.dates_json)],
                local_text(reminder.created_at) if reminder else "",
                reminder.channels if reminder else "",
                local_text(forward.created_at),
                local_text(message.read_at) if message else "",
                forward.status,
                streak.status == "open",
                [(t, a, x) for t, a, k, x in notes.get(streak.id, []) if k == "reached"],  # type: ignore[arg-type]
            )
        )
    return views


# ---- HR's drill-down: the whole record of one employee ---------------------------------------------


@dataclass(frozen=True)
class MessageTrail:
    message_id: int
    kind: str
    title: str
    recipient: str
    created_at: str
    read_at: str
    read_via: str
    acknowledged_at: str
    deliveries: list[tuple[str, str, str, str]]  # (channel, status, delivered_at?, read_at)


@dataclass(frozen=True)
class StreakTrail:
    id: int
    start: date
    last: date
    days: int
    missing: str
    status: str
    close_reason: str
    unconfirmed: bool
    actions: list[tuple[str, str, str, str]]  # (rule, status, created_at, close_reason)
    messages: list[MessageTrail]
    notes: list[tuple[str, str, str, str]]


def streak_trails(session: Session, actor: Actor, employee_id: int, limit: int = 20) -> list[StreakTrail]:
    """Every streak of an employee, newest first: what the rules did, each message to the
    employee, the manager and HR with every delivery and read, and the notes people added."""
    from selfservice.persistence.models import NotificationDelivery

    _employee(session, actor, employee_id)
    streaks = session.exec(
        select(AbsenceStreak).where(AbsenceStreak.employee_id == employee_id).order_by(AbsenceStreak.start_date.desc()).limit(limit)  # type: ignore[attr-defined]
    ).all()
    ids = [s.id for s in streaks]
    actions = session.exec(select(AbsenceAction).where(AbsenceAction.streak_id.in_(ids)).order_by(AbsenceAction.id)).all()  # type: ignore[attr-defined]
    message_ids = [m for a in actions for m in json.loads(a.message_ids)]
    messages = {
        m.id: (m, name)
        for m, name in session.exec(
            select(NotificationMessage, Employee.name)
            .join(Employee, Employee.id == NotificationMessage.recipient_id)  # type: ignore[arg-type]
            .where(NotificationMessage.id.in_(message_ids))  # type: ignore[union-attr]
        ).all()
    }
    deliveries: dict[int, list[tuple[str, str, str, str]]] = {}
    for d in session.exec(
        select(NotificationDelivery).where(NotificationDelivery.message_id.in_(message_ids)).order_by(NotificationDelivery.id)
    ).all():  # type: ignore[attr-defined]
        deliveries.setdefault(d.message_id, []).append(
            (d.channel, d.status, local_text(d.delivered_at or d.sent_at), local_text(d.read_at))
        )
    notes = _notes(session, ids)  # type: ignore[arg-type]
    trails = []
    for streak in streaks:
        own = [a for a in actions if a.streak_id == streak.id]
        trail_messages = []
        for action in own:
            for message_id in json.loads(action.message_ids):
                if message_id not in messages:
                    continue
                message, recipient = messages[message_id]
                trail_messages.append(
                    MessageTrail(
                        message_id,
                        message.kind,
                        message.title,
                        recipient,
                        local_text(message.created_at),
                        local_text(message.read_at),
                        message.read_via,
                        local_text(message.acknowledged_at),
                        deliveries.get(message_id, []),
                    )
                )
        trails.append(
            StreakTrail(
                streak.id or 0,
                streak.start_date,
                streak.last_date,
                streak.days,
                f"{streak.missing.normalize():f}",
                streak.status,
                streak.close_reason,
                streak.unconfirmed,
                [(a.rule, a.status, local_text(a.created_at), a.close_reason) for a in own],
                trail_messages,
                notes.get(streak.id, []),  # type: ignore[arg-type]
            )
        )
    return trails


# ---- the HR dashboard's attendance panels ----------------------------------------------------------


def _require_hr(actor: Actor) -> None:
    if not actor.has_role(Role.hr):
        raise NotPermitted()


@dataclass(frozen=True)
class MissingToday:
    department: str
    department_en: str
    scheduled: int
    missing: int
    not_yet_in: int
    names: list[str]


def missing_today(session: Session, actor: Actor, now: datetime) -> list[MissingToday]:
    """Today, by department: who is scheduled and has neither clocked in nor is on leave."""
    _require_hr(actor)
    day = local_today(now)
    plan = attendance_settings.schedules(session, day, day)
    working = [pid for pid, schedule in plan.by_pattern.items() if schedule.is_workday(day)] + (
        [0] if plan.standard.is_workday(day) else []
    )
    if not working:
        return []
    assignment = (
        sa.select(ScheduleAssignment)
        .where(
            ScheduleAssignment.starts_on <= day,
            sa.or_(ScheduleAssignment.ends_on.is_(None), ScheduleAssignment.ends_on >= day),  # type: ignore[union-attr]
        )
        .subquery()
    )
    on_leave = sa.exists().where(
        LeaveRequest.employee_id == Employee.id,
        LeaveRequest.status.in_(absence_streaks.APPROVED_LEAVE),  # type: ignore[attr-defined]
        sa.or_(LeaveRequest.start_date < day, sa.and_(LeaveRequest.start_date == day, LeaveRequest.start_half == "am")),
        sa.or_(LeaveRequest.end_date > day, sa.and_(LeaveRequest.end_date == day, LeaveRequest.end_half == "pm")),
    )
    punched = sa.exists().where(
        Punch.employee_id == Employee.id, Punch.work_date == day, ~sa.exists().where(PunchVoid.punch_id == Punch.id)
    )
    scheduled = (
        select(
            Employee.id,
            Employee.name,
            Employee.department_id,
            sa.func.coalesce(assignment.c.pattern_id, 0).label("pattern"),
            punched.label("punched"),
            on_leave.label("on_leave"),
        )
        .join(assignment, assignment.c.employee_id == Employee.id, isouter=True)
        .where(Employee.status == "active", Employee.hire_date <= day, sa.func.coalesce(assignment.c.pattern_id, 0).in_(working))
        .subquery()
    )
    counts = session.exec(
        select(
            scheduled.c.department_id,
            sa.func.count(),
            sa.func.sum(sa.case((sa.and_(~scheduled.c.punched, ~scheduled.c.on_leave), 1), else_=0)),
        ).group_by(scheduled.c.department_id)
    ).all()
    names: dict[int, list[str]] = {}
    for department_id, name in session.exec(
        select(scheduled.c.department_id, scheduled.c.name)
        .where(~scheduled.c.punched, ~scheduled.c.on_leave)
        .order_by(scheduled.c.name)
        .limit(500)
    ).all():
        names.setdefault(department_id, []).append(name)
    departments = {d.id: d for d in session.exec(select(Department)).all()}
    watch = attendance_settings.watch_rules(session)
    past_grace = now >= datetime.combine(day, watch.office_start, tzinfo=tz()) + timedelta(minutes=watch.late_grace_minutes)
    rows = []
    for department_id, total, absent in counts:
        department = departments.get(department_id)
        absent = int(absent or 0)
        rows.append(
            MissingToday(
                department.name if department else "",
                department.name_en if department else "",
                int(total),
                absent if past_grace else 0,
                0 if past_grace else absent,
                names.get(department_id, [])[:20],
            )
        )
    return sorted(rows, key=lambda r: (-(r.missing + r.not_yet_in), r.department))


@dataclass(frozen=True)
class StreakRow:
    streak_id: int
    employee_id: int
    name: str
    employee_no: str
    department: str
    department_en: str
    manager: str
    days: int
    start: date
    last: date
    missing: str
    red: bool
    unconfirmed: bool
    reminder_at: str
    channels: list[tuple[str, str, str]]  # (channel, delivery status, read at)
    read_at: str
    acknowledged_at: str
    forwarded_at: str
    followup: str  # "" | open | done


def current_streaks(session: Session, actor: Actor, now: datetime, min_days: int = 2) -> list[StreakRow]:
    """Open streaks of ``min_days`` or more, longest first, with the reminder's state per channel."""
    _require_hr(actor)
    watch = attendance_settings.watch_rules(session)
    rows = session.exec(
        select(AbsenceStreak, Employee, Department)
        .join(Employee, Employee.id == AbsenceStreak.employee_id)  # type: ignore[arg-type]
        .join(Department, Department.id == Employee.department_id)  # type: ignore[arg-type]
        .where(AbsenceStreak.status == "open", AbsenceStreak.days >= min_days)
        .order_by(AbsenceStreak.days.desc(), Employee.employee_no)  # type: ignore[attr-defined]
        .limit(500)
    ).all()
    streak_ids = [s.id for s, _, _ in rows]
    actions: dict[tuple[int, str], AbsenceAction] = {
        (a.streak_id, a.rule): a
        for a in session.exec(select(AbsenceAction).where(AbsenceAction.streak_id.in_(streak_ids))).all()  # type: ignore[attr-defined]
    }
    reminder_messages = {
        sid: json.loads(a.message_ids)[0] for (sid, rule), a in actions.items() if rule == REMINDER and json.loads(a.message_ids)
    }
    messages = {
        m.id: m for m in session.exec(select(NotificationMessage).where(NotificationMessage.id.in_(list(reminder_messages.values())))).all()
    }  # type: ignore[union-attr]
    states = absence_watch.delivery_states(session, list(reminder_messages.values()))
    managers = dict(
        session.exec(select(Employee.id, Employee.name).where(Employee.id.in_({e.manager_id for _, e, _ in rows if e.manager_id}))).all()
    )  # type: ignore[union-attr]
    result = []
    for streak, employee, department in rows:
        reminder = actions.get((streak.id, REMINDER))  # type: ignore[arg-type]
        forward = actions.get((streak.id, FORWARD))  # type: ignore[arg-type]
        followup = actions.get((streak.id, FOLLOWUP))  # type: ignore[arg-type]
        message = messages.get(reminder_messages.get(streak.id))  # type: ignore[arg-type]
        result.append(
            StreakRow(
                streak.id or 0,
                employee.id or 0,
                employee.name,
                employee.employee_no,
                department.name,
                department.name_en,
                managers.get(employee.manager_id, ""),
                streak.days,
                streak.start_date,
                streak.last_date,
                f"{streak.missing.normalize():f}",
                streak.days >= watch.case_threshold,
                streak.unconfirmed,
                local_text(reminder.created_at) if reminder else "",
                [(c, s, local_text(r)) for c, s, r in states.get(message.id, [])] if message else [],  # type: ignore[arg-type]
                local_text(message.read_at) if message else "",
                local_text(message.acknowledged_at) if message else "",
                local_text(forward.created_at) if forward else "",
                followup.status if followup else "",
            )
        )
    return result


@dataclass(frozen=True)
class FollowupRow:
    streak_id: int
    employee_id: int
    name: str
    employee_no: str
    department: str
    department_en: str
    days: int
    reminder_read_at: str
    opened_at: str
    assignee: str
    status: str
    notes: list[tuple[str, str, str, str]] = field(default_factory=list)


def followups(session: Session, actor: Actor, include_done: bool = False) -> list[FollowupRow]:
    """ "Read, no reply": reminders read without an answer by the next scan, for HR to follow up."""
    _require_hr(actor)
    query = (
        select(AbsenceAction, AbsenceStreak, Employee, Department)
        .join(AbsenceStreak, AbsenceStreak.id == AbsenceAction.streak_id)  # type: ignore[arg-type]
        .join(Employee, Employee.id == AbsenceStreak.employee_id)  # type: ignore[arg-type]
        .join(Department, Department.id == Employee.department_id)  # type: ignore[arg-type]
        .where(AbsenceAction.rule == FOLLOWUP)
    )
    if not include_done:
        query = query.where(AbsenceAction.status == "open")
    rows = session.exec(query.order_by(AbsenceAction.id).limit(500)).all()
    streak_ids = [s.id for _, s, _, _ in rows]
    reminders = {
        a.streak_id: json.loads(a.message_ids)[0]
        for a in session.exec(select(AbsenceAction).where(AbsenceAction.rule == REMINDER, AbsenceAction.streak_id.in_(streak_ids))).all()  # type: ignore[attr-defined]
        if json.loads(a.message_ids)
    }
    read = dict(
        session.exec(
            select(NotificationMessage.id, NotificationMessage.read_at).where(NotificationMessage.id.in_(list(reminders.values())))
        ).all()
    )  # type: ignore[union-attr]
    assignees = dict(
        session.exec(select(Employee.id, Employee.name).where(Employee.id.in_({a.assignee_id for a, *_ in rows if a.assignee_id}))).all()
    )  # type: ignore[union-attr]
    notes = _notes(session, streak_ids)  # type: ignore[arg-type]
    return [
        FollowupRow(
            streak.id or 0,
            employee.id or 0,
            employee.name,
            employee.employee_no,
            department.name,
            department.name_en,
            streak.days,
            local_text(read.get(reminders.get(streak.id))),  # type: ignore[arg-type]
            local_text(action.created_at),
            assignees.get(action.assignee_id, ""),
            action.status,
            notes.get(streak.id, []),  # type: ignore[arg-type]
        )
        for action, streak, employee, department in rows
    ]


def unread_forwards(session: Session, actor: Actor) -> list[ForwardView]:
    """Forwards nobody acted on: the streak is open and no "I have reached them" was noted."""
    _require_hr(actor)
    rows = session.exec(
        select(AbsenceAction, AbsenceStreak, Employee)
        .join(AbsenceStreak, AbsenceStreak.id == AbsenceAction.streak_id)  # type: ignore[arg-type]
        .join(Employee, Employee.id == AbsenceStreak.employee_id)  # type: ignore[arg-type]
        .where(AbsenceAction.rule == FORWARD, AbsenceAction.status == "open", AbsenceStreak.status == "open")
        .order_by(AbsenceAction.id)
        .limit(500)
    ).all()
    return _forward_views(session, list(rows))


@dataclass(frozen=True)
class Chart:
    departments: list[tuple[str, str]]  # (zh, en), in the order of the series
    days: list[date]
    counts: list[list[float]]  # per day, per department: missing days


def anomaly_chart(session: Session, actor: Actor, now: datetime, span: int = 30) -> Chart:
    """Missing days recorded by the scan over the last ``span`` days, per department (excused
    days, e.g. covered by leave filed afterwards, do not count)."""
    _require_hr(actor)
    last = local_today(now) - timedelta(days=1)
    first = last - timedelta(days=span - 1)
    from selfservice.persistence.models import AttendanceAnomaly

    rows = session.exec(
        select(AttendanceAnomaly.day, AttendanceAnomaly.department_id, sa.func.sum(AttendanceAnomaly.missing))
        .where(AttendanceAnomaly.day >= first, AttendanceAnomaly.day <= last, AttendanceAnomaly.status == "missing")
        .group_by(AttendanceAnomaly.day, AttendanceAnomaly.department_id)
    ).all()
    departments = session.exec(select(Department).order_by(Department.id)).all()
    index = {d.id: i for i, d in enumerate(departments)}
    days = [first + timedelta(days=i) for i in range(span)]
    counts = [[0.0] * len(departments) for _ in days]
    for day, department_id, total in rows:
        counts[(day - first).days][index[department_id]] = float(total)
    return Chart([(d.name, d.name_en) for d in departments], days, counts)


@dataclass(frozen=True)
class Alert:
    key: str  # i18n key
    params: dict[str, str]
    severity: str  # red | orange | gray


def health(session: Session, actor: Actor, now: datetime) -> list[Alert]:
    """Calendar health (a year without holidays), the WeCom pull, and when the scan last ran."""
    from selfservice.persistence.models import PunchSource, ScanRun

    _require_hr(actor)
    today = local_today(now)
    alerts = [Alert("health.calendar_missing", {"year": str(y)}, "red") for y in attendance_settings.missing_calendar_years(session, today)]
    wecom = session.exec(select(PunchSource).where(PunchSource.code == punches.WECOM)).first()
    if wecom is not None and wecom.active and wecom.last_error:
        alerts.append(Alert("health.wecom_failing", {"error": wecom.last_error[:120], "since": local_text(wecom.pulled_until)}, "orange"))
    last = session.exec(select(ScanRun).where(ScanRun.dry_run == False).order_by(ScanRun.id.desc()).limit(1)).first()  # noqa: E712
    if last is None:
        alerts.append(Alert("health.never_scanned", {}, "orange"))
    else:
        alerts.append(Alert("health.last_scan", {"at": local_text(last.started_at), "through": last.judged_through.isoformat()}, "gray"))
    return alerts
