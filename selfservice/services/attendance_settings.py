"""HR's attendance settings: the absence watch's rules, shift patterns (排班) and who works which.

Everyone without an assignment works the standard schedule: Monday to Friday with the statutory
calendar, in the office hours HR sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import MappingProxyType

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain import attendance as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import NotFound, NotPermitted, ValidationFailed
from selfservice.domain.work_calendar import WorkCalendar
from selfservice.persistence.models import AttendancePolicy, Employee, ScheduleAssignment, ShiftPattern
from selfservice.persistence.reference import reference_data
from selfservice.services import audit, work_calendar


def _require_hr(actor: Actor) -> None:
    if not actor.has_role(Role.hr):
        raise NotPermitted()


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


@reference_data
def watch_rules(session: Session) -> rules.WatchRules:
    """The rules in force (defaults until HR saves them)."""
    row = session.get(AttendancePolicy, 1)
    if row is None:
        return rules.WatchRules()
    return rules.WatchRules(
        scan_time=rules.parse_hhmm(row.scan_time),
        remind_after_days=row.remind_after_days,
        forward_after_hours=row.forward_after_hours,
        case_threshold=row.case_threshold,
        office_start=rules.parse_hhmm(row.office_start),
        office_end=rules.parse_hhmm(row.office_end),
        late_grace_minutes=row.late_grace_minutes,
        lookback_days=row.lookback_days,
        reminder_channels=tuple(c for c in row.reminder_channels.split(",") if c),
        geolocation=row.geolocation,
        tracked_from=row.tracked_from,
    )


def rules_form(session: Session, actor: Actor) -> dict[str, str]:
    """The rules as the settings form shows them (HR)."""
    _require_hr(actor)
    current = watch_rules(session)
    return {
        "scan_time": _hhmm(current.scan_time),
        "remind_after_days": str(current.remind_after_days),
        "forward_after_hours": str(current.forward_after_hours),
        "case_threshold": str(current.case_threshold),
        "office_start": _hhmm(current.office_start),
        "office_end": _hhmm(current.office_end),
        "late_grace_minutes": str(current.late_grace_minutes),
        "lookback_days": str(current.lookback_days),
        "reminder_channels": ",".join(current.reminder_channels),
        "geolocation": "1" if current.geolocation else "",
        "tracked_from": current.tracked_from.isoformat() if current.tracked_from else "",
    }


def save_rules(session: Session, actor: Actor, raw: dict[str, str], now: datetime) -> None:
    """HR changes the watch's numbers; audited with before and after."""
    _require_hr(actor)
    parsed = rules.parse_rules(raw)
    row = session.get(AttendancePolicy, 1)
    before = rules_form(session, actor) if row is not None else None
    row = row or AttendancePolicy(id=1)
    row.scan_time, row.office_start, row.office_end = _hhmm(parsed.scan_time), _hhmm(parsed.office_start), _hhmm(parsed.office_end)
    row.remind_after_days, row.forward_after_hours, row.case_threshold = (
        parsed.remind_after_days,
        parsed.forward_after_hours,
        parsed.case_threshold,
    )
    row.late_grace_minutes, row.lookback_days = parsed.late_grace_minutes, parsed.lookback_days
    row.reminder_channels, row.geolocation, row.tracked_from = ",".join(parsed.reminder_channels), parsed.geolocation, parsed.tracked_from
    row.updated_at, row.updated_by = now, actor.account_id or None
    session.add(row)
    session.flush()
    audit.append(session, actor, "attendance.rules_saved", "attendance_policy", 1, before=before, after=rules_form(session, actor), at=now)


def ensure_tracking_started(session: Session, day: date) -> date:
    """The day the company started tracking attendance: set on the first scan if HR did not."""
    row = session.get(AttendancePolicy, 1)
    if row is None:
        row = AttendancePolicy(id=1, tracked_from=day)
        session.add(row)
        session.flush()
    elif row.tracked_from is None:
        row.tracked_from = day
        session.add(row)
        session.flush()
    return row.tracked_from  # type: ignore[return-value]


# ---- shift patterns and assignments -------------------------------------------------------


@dataclass(frozen=True)
class PatternView:
    id: int
    name: str
    kind: str
    days: str
    anchor: str
    follows_calendar: bool
    start_time: str
    end_time: str
    people: int


def patterns(session: Session, actor: Actor, today: date) -> list[PatternView]:
    _require_hr(actor)
    counts = dict(
        session.exec(
            select(ScheduleAssignment.pattern_id, sa.func.count())
            .where(ScheduleAssignment.starts_on <= today, sa.or_(ScheduleAssignment.ends_on.is_(None), ScheduleAssignment.ends_on >= today))  # type: ignore[union-attr]
            .group_by(ScheduleAssignment.pattern_id)
        ).all()
    )
    rows = session.exec(select(ShiftPattern).where(ShiftPattern.active == True).order_by(ShiftPattern.id)).all()  # noqa: E712
    return [
        PatternView(
            r.id or 0,
            r.name,
            r.kind,
            r.days,
            r.anchor.isoformat() if r.anchor else "",
            r.follows_calendar,
            r.start_time,
            r.end_time,
            counts.get(r.id, 0),
        )
        for r in rows
    ]


def create_pattern(session: Session, actor: Actor, raw: dict[str, str], now: datetime) -> int:
    """A roster: name, kind (weekly/cycle), days as 1/0, cycle anchor, hours, follows the calendar."""
    _require_hr(actor)
    name = str(raw.get("name", "")).strip()[:64]
    if not name:
        raise ValidationFailed("field.required", field="name")
    if session.exec(select(ShiftPattern.id).where(ShiftPattern.name == name)).first() is not None:
        raise ValidationFailed("attendance.pattern_exists", field="name", name=name)
    kind, days = str(raw.get("kind", "")).strip(), str(raw.get("days", "")).strip().replace(" ", "")
    anchor_text = str(raw.get("anchor", "")).strip()
    try:
        anchor = date.fromisoformat(anchor_text) if anchor_text else None
    except ValueError:
        raise ValidationFailed("field.date_format", field="anchor", value=anchor_text[:10]) from None
    rules.check_pattern(kind, days, anchor)
    start, end = rules.parse_hhmm(raw.get("start_time", ""), "start_time"), rules.parse_hhmm(raw.get("end_time", ""), "end_time")
    if start == end:
        raise ValidationFailed("attendance.office_hours_order", field="end_time")
    row = ShiftPattern(
        name=name,
        kind=kind,
        days=days,
        anchor=anchor,
        follows_calendar=str(raw.get("follows_calendar", "")) in ("1", "true", "on"),
        start_time=_hhmm(start),
        end_time=_hhmm(end),
        created_at=now,
        created_by=actor.account_id or None,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        "attendance.pattern_created",
        "shift_pattern",
        row.id,
        after={"name": name, "kind": kind, "days": days, "anchor": anchor_text, "hours": f"{row.start_time}-{row.end_time}"},
        at=now,
    )
    return row.id  # type: ignore[return-value]


def assign(session: Session, actor: Actor, employee_no: str, pattern_id: int | None, starts_on: date, now: datetime) -> None:
    """From ``starts_on`` the employee works ``pattern_id`` (None: back to the standard schedule).
    The assignment before it ends the day before."""
    _require_hr(actor)
    employee = session.exec(select(Employee).where(Employee.employee_no == employee_no.strip())).first()
    if employee is None:
        raise ValidationFailed("punch.unknown_employee", field="employee_no", value=employee_no.strip()[:32])
    if pattern_id is not None:
        pattern = session.get(ShiftPattern, pattern_id)
        if pattern is None or not pattern.active:
            raise NotFound()
    current = session.exec(
        select(ScheduleAssignment)
        .where(
            ScheduleAssignment.employee_id == employee.id,
            sa.or_(ScheduleAssignment.ends_on.is_(None), ScheduleAssignment.ends_on >= starts_on),
        )  # type: ignore[union-attr]
        .order_by(ScheduleAssignment.starts_on)
    ).all()
    for row in current:
        if row.starts_on >= starts_on:
            raise ValidationFailed("attendance.assignment_overlap", field="starts_on", day=row.starts_on.isoformat())
        row.ends_on = starts_on - timedelta(days=1)
        session.add(row)
    if pattern_id is not None:
        session.add(
            ScheduleAssignment(
                employee_id=employee.id,  # type: ignore[arg-type]
                pattern_id=pattern_id,
                starts_on=starts_on,
                created_at=now,
                created_by=actor.account_id or None,
            )
        )
    session.flush()
    audit.append(
        session,
        actor,
        "attendance.schedule_assigned",
        "employee",
        employee.id,
        after={"pattern_id": pattern_id, "starts_on": starts_on.isoformat()},
        at=now,
    )


def _schedule(row: ShiftPattern | None, calendar: WorkCalendar, standard: rules.WatchRules) -> rules.Schedule:
    if row is None:
        return rules.standard_schedule(calendar, standard.office_start, standard.office_end)
    return rules.Schedule(
        calendar,
        rules.ScheduleKind(row.kind),
        row.days,
        row.anchor,
        row.follows_calendar,
        rules.parse_hhmm(row.start_time),
        rules.parse_hhmm(row.end_time),
        row.id or 0,
    )


@dataclass(frozen=True)
class Schedules:
    """Everyone's schedules over a period, from a handful of queries."""

    calendar: WorkCalendar
    standard: rules.Schedule
    by_pattern: Mapping[int, rules.Schedule]
    assignments: dict[int, list[tuple[date, date | None, int]]]  # employee → (from, to, pattern)

    def pattern_on(self, employee_id: int, day: date) -> int:
        for starts_on, ends_on, pattern_id in self.assignments.get(employee_id, ()):
            if starts_on <= day and (ends_on is None or day <= ends_on):
                return pattern_id
        return 0

    def assigned_since(self, employee_id: int, day: date) -> date | None:
        """When the schedule in force on ``day`` began (None: the standard one, always)."""
        for starts_on, ends_on, _ in self.assignments.get(employee_id, ()):
            if starts_on <= day and (ends_on is None or day <= ends_on):
                return starts_on
        return None

    def of(self, employee_id: int, day: date) -> rules.Schedule:
        pattern = self.pattern_on(employee_id, day)
        return self.by_pattern.get(pattern, self.standard) if pattern else self.standard


@reference_data
def _patterns(session: Session, first: date, last: date) -> tuple[WorkCalendar, rules.Schedule, Mapping[int, rules.Schedule]]:
    """The calendar around a period, the standard schedule and every shift pattern's."""
    calendar = work_calendar.load(session, first - timedelta(days=1), last + timedelta(days=1))
    standard_rules = watch_rules(session)
    by_pattern = {row.id: _schedule(row, calendar, standard_rules) for row in session.exec(select(ShiftPattern)).all()}
    return calendar, _schedule(None, calendar, standard_rules), MappingProxyType(by_pattern)


def schedules(session: Session, first: date, last: date, employee_ids: list[int] | None = None) -> Schedules:
    calendar, standard, by_pattern = _patterns(session, first, last)
    query = select(ScheduleAssignment).where(
        ScheduleAssignment.starts_on <= last,
        sa.or_(ScheduleAssignment.ends_on.is_(None), ScheduleAssignment.ends_on >= first),  # type: ignore[union-attr]
    )
    if employee_ids is not None:
        query = query.where(ScheduleAssignment.employee_id.in_(employee_ids))  # type: ignore[attr-defined]
    assignments: dict[int, list[tuple[date, date | None, int]]] = {}
    for row in session.exec(query.order_by(ScheduleAssignment.starts_on)).all():
        assignments.setdefault(row.employee_id, []).append((row.starts_on, row.ends_on, row.pattern_id))
    return Schedules(calendar, standard, by_pattern, assignments)  # type: ignore[arg-type]


# ---- is the calendar there? -----------------------------------------------------------------


def unconfirmed_years(session: Session, first: date, last: date) -> frozenset[int]:
    years = set(range(first.year, last.year + 1))
    return frozenset(years - work_calendar.entered_years(session, years))


def missing_calendar_years(session: Session, today: date) -> list[int]:
    """This year if it is not entered, and from 1 December next year too (HR must enter it)."""
    wanted = {today.year} | ({today.year + 1} if today.month == 12 else set())
    return sorted(wanted - work_calendar.entered_years(session, wanted))
