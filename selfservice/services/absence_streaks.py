"""Absence streaks (连续未到岗): finding them with one set-based query, and keeping one
``absence_streak`` row per streak as punches, leave and scans come in.

The rules that act on streaks (reminders, forwards, follow-ups) are in
:mod:`selfservice.services.absence_watch`; the definitions of a day and a streak in
:mod:`selfservice.domain.attendance`. Everything here works on sets: a scan of 50,000 people
costs a few statements, not a few per person.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain import attendance as rules
from selfservice.domain.actor import Actor
from selfservice.persistence.db import insert_ignoring_duplicates
from selfservice.persistence.models import (
    AbsenceAction,
    AbsenceStreak,
    AttendanceAnomaly,
    Employee,
    LeaveRequest,
    Punch,
    PunchVoid,
    ScanRun,
    ScheduleAssignment,
)
from selfservice.persistence.sql import greatest, rows_cte
from selfservice.services import attendance_settings, audit
from selfservice.settings import get_settings

STREAK_LOCK = 7_100_003  # PostgreSQL advisory lock: one writer of streaks at a time
APPROVED_LEAVE = ("approved", "cancel_pending")
CHUNK = 5000  # ids per IN list (SQLite's limit on bound parameters is far above)


def chunked(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_today(now: datetime) -> date:
    return now.astimezone(tz()).date()


# ---- the set-based streak query -------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """Everyone on one schedule: the days the scan looks at, and the last judged day."""

    pattern_id: int
    window_start: date
    judged_through: date
    last_workday: date | None
    days: list[tuple[date, bool, bool]]  # (day, working day, unconfirmed)


@dataclass(frozen=True)
class Found:
    employee_id: int
    department_id: int
    streak: rules.Streak
    missing_by_day: dict[date, Decimal]


def groups(session: Session, as_of: datetime, watch: rules.WatchRules) -> list[Group]:
    """The standard schedule and every roster, each judged up to the last day that is over."""
    zone = tz()
    today = as_of.astimezone(zone).date()
    plan = attendance_settings.schedules(session, today - timedelta(days=watch.lookback_days + 2), today)
    unconfirmed = attendance_settings.unconfirmed_years(session, today - timedelta(days=watch.lookback_days + 2), today)
    result = []
    for schedule in [plan.standard, *plan.by_pattern.values()]:
        through = schedule.judged_through(as_of, zone)
        start = through - timedelta(days=watch.lookback_days - 1)
        days = []
        day = start
        while day <= through:
            working = schedule.is_workday(day)
            days.append((day, working, working and day.year in unconfirmed))
            day += timedelta(days=1)
        last = max((d for d, working, _ in days if working), default=None)
        result.append(Group(schedule.pattern_id, start, through, last, days))
    return result


def _assignment_on(day: date) -> sa.Subquery:
    """Each employee's roster on ``day`` (none: the standard schedule)."""
    return (
        sa.select(ScheduleAssignment)
        .where(
            ScheduleAssignment.starts_on <= day,
            sa.or_(ScheduleAssignment.ends_on.is_(None), ScheduleAssignment.ends_on >= day),  # type: ignore[union-attr]
        )
        .subquery("asg")
    )


def _covered(employee_id, day) -> tuple[sa.ColumnElement, sa.ColumnElement]:  # noqa: ANN001
    """(morning on approved leave, afternoon on approved leave) of ``day`` for ``employee_id``."""
    on_leave = sa.and_(LeaveRequest.employee_id == employee_id, LeaveRequest.status.in_(APPROVED_LEAVE))  # type: ignore[attr-defined]
    am = sa.exists().where(
        on_leave,
        sa.or_(LeaveRequest.start_date < day, sa.and_(LeaveRequest.start_date == day, LeaveRequest.start_half == "am")),
        LeaveRequest.end_date >= day,
    )
    pm = sa.exists().where(
        on_leave,
        LeaveRequest.start_date <= day,
        sa.or_(LeaveRequest.end_date > day, sa.and_(LeaveRequest.end_date == day, LeaveRequest.end_half == "pm")),
    )
    return am, pm


def missing_days_query(days: list[tuple[int, date]], tracked_from: date) -> sa.Select:
    """For each (schedule, working day) given: the employees on that schedule who were expected
    and have no valid punch that day and are not on leave all day (the day's anomalies)."""
    cal = rows_cte("anomaly_cal", [("g", sa.Integer()), ("day", sa.Date())], days)
    assignment = _assignment_on(max(d for _, d in days))
    since = greatest(
        Employee.hire_date,  # type: ignore[arg-type]
        sa.literal(tracked_from, sa.Date()),
        sa.func.coalesce(assignment.c.starts_on, sa.literal(date(1970, 1, 1), sa.Date())),
    )
    am, pm = _covered(Employee.id, cal.c.day)
    punched = sa.exists().where(
        Punch.employee_id == Employee.id, Punch.work_date == cal.c.day, ~sa.exists().where(PunchVoid.punch_id == Punch.id)
    )
    grid = (
        sa.select(
            Employee.id.label("employee_id"),  # type: ignore[union-attr]
            Employee.department_id.label("department_id"),  # type: ignore[attr-defined]
            cal.c.day,
            sa.case((am, 1), else_=0).label("am"),
            sa.case((pm, 1), else_=0).label("pm"),
        )
        .join(assignment, assignment.c.employee_id == Employee.id, isouter=True)
        .join(cal, cal.c.g == sa.func.coalesce(assignment.c.pattern_id, 0))
        .where(Employee.status == "active", since <= cal.c.day, ~punched)
        .subquery("anomaly_grid")
    )
    return sa.select(grid).where(~sa.and_(grid.c.am == 1, grid.c.pm == 1))


def streak_query(group_list: list[Group], tracked_from: date, seen_until: datetime, employee_ids: set[int] | None = None) -> sa.Select:
    """One statement: for each active employee without a punch since their last working day,
    the working days after their last punch and after their last working day fully on leave,
    up to the last judged day, with the halves on leave. Empty for everyone else. A punch up to
    ``seen_until`` (now, for a live scan: this morning's clock-in counts) means the person is
    back: no streak."""
    cal = rows_cte(
        "scan_cal",
        [("g", sa.Integer()), ("day", sa.Date()), ("workday", sa.Integer()), ("unconfirmed", sa.Integer())],
        [(g.pattern_id, d, int(w), int(u)) for g in group_list for d, w, u in g.days],
    )
    grp = rows_cte(
        "scan_grp",
        [("g", sa.Integer()), ("w", sa.Date()), ("lastwork", sa.Date()), ("through", sa.Date())],
        [(g.pattern_id, g.window_start, g.last_workday, g.judged_through) for g in group_list if g.last_workday is not None],
    )
    # Everyone's schedule group, start of tracking and last working day. Without rosters (the
    # usual case) these are constants, and the query is one pass over the employees.
    rostered = len(group_list) > 1 or group_list[0].pattern_id != 0
    if rostered:
        assignment = _assignment_on(max(g.judged_through for g in group_list))
        starts_on = sa.func.coalesce(assignment.c.starts_on, sa.literal(date(1970, 1, 1), sa.Date()))
        columns = (grp.c.g, grp.c.w, grp.c.lastwork, greatest(Employee.hire_date, sa.literal(tracked_from, sa.Date()), starts_on, grp.c.w))  # type: ignore[arg-type]
        base = (
            sa.select(Employee.id.label("employee_id"), Employee.department_id.label("department_id"))  # type: ignore[union-attr, attr-defined]
            .join(assignment, assignment.c.employee_id == Employee.id, isouter=True)
            .join(grp, grp.c.g == sa.func.coalesce(assignment.c.pattern_id, 0))
        )
    else:
        only = group_list[0]
        columns = (
            sa.literal(0).label("g"),
            sa.literal(only.window_start, sa.Date()),
            sa.literal(only.last_workday, sa.Date()),
            greatest(Employee.hire_date, sa.literal(max(tracked_from, only.window_start), sa.Date())),  # type: ignore[arg-type]
        )
        base = sa.select(Employee.id.label("employee_id"), Employee.department_id.label("department_id"))  # type: ignore[union-attr, attr-defined]
    g, w, lastwork, since = columns
    base = base.add_columns(g.label("g"), w.label("w"), lastwork.label("lastwork"), since.label("since")).where(Employee.status == "active")
    if employee_ids is not None:
        base = base.where(Employee.id.in_(sorted(employee_ids)))  # type: ignore[union-attr]
    not_void = ~sa.exists().where(PunchVoid.punch_id == Punch.id)
    # Missed their last working day (the day's anomaly) ...
    # (a punch of the last judged day is before ``seen_until`` by definition: the index alone answers)
    missed = (
        base.where(since <= lastwork, ~sa.exists().where(Punch.employee_id == Employee.id, Punch.work_date == lastwork, not_void))
        .cte("scan_missed")
        .prefix_with("MATERIALIZED")  # computed once: the streaks and the came-back rows both read it
    )
    came_back = sa.exists().where(
        Punch.employee_id == missed.c.employee_id, Punch.work_date > missed.c.lastwork, Punch.at <= seen_until, not_void
    )
    # ... and not seen since: a streak runs up to the last judged day.
    cand = sa.select(missed).where(~came_back).cte("scan_cand")
    last_punch = (
        sa.select(cand.c.employee_id, sa.func.max(Punch.work_date).label("last_punch"))
        .join(Punch, sa.and_(Punch.employee_id == cand.c.employee_id, Punch.work_date >= cand.c.since, Punch.at <= seen_until))
        .where(not_void)
        .group_by(cand.c.employee_id)
        .cte("scan_lp")
    )
    am, pm = _covered(cand.c.employee_id, cal.c.day)
    grid = (
        sa.select(
            cand.c.employee_id,
            cand.c.department_id,
            cand.c.since,
            cand.c.w,
            cal.c.day,
            cal.c.workday,
            cal.c.unconfirmed,
            sa.case((am, 1), else_=0).label("am"),
            sa.case((pm, 1), else_=0).label("pm"),
            last_punch.c.last_punch,
        )
        .join(cal, sa.and_(cal.c.g == cand.c.g, cal.c.day >= cand.c.since))
        .join(last_punch, last_punch.c.employee_id == cand.c.employee_id, isouter=True)
        .where(sa.or_(last_punch.c.last_punch.is_(None), cal.c.day > last_punch.c.last_punch))
        .cte("scan_grid")
    )
    leave_anchor = sa.func.max(sa.case((sa.and_(grid.c.workday == 1, grid.c.am == 1, grid.c.pm == 1), grid.c.day))).over(
        partition_by=grid.c.employee_id
    )
    marked = sa.select(grid, leave_anchor.label("leave_anchor")).cte("scan_marked")
    streak_days = sa.select(
        marked.c.employee_id,
        marked.c.department_id,
        marked.c.day,
        marked.c.am,
        marked.c.pm,
        marked.c.unconfirmed,
        marked.c.since,
        marked.c.w,
        marked.c.last_punch,
        marked.c.leave_anchor,
        sa.literal(0).label("back"),
    ).where(marked.c.workday == 1, sa.or_(marked.c.leave_anchor.is_(None), marked.c.day > marked.c.leave_anchor))
    # Those who missed the day but clocked in since (this morning): only the day's anomaly.
    back_am, back_pm = _covered(missed.c.employee_id, missed.c.lastwork)
    back = (
        sa.select(
            missed.c.employee_id,
            missed.c.department_id,
            missed.c.lastwork.label("day"),
            sa.case((back_am, 1), else_=0).label("am"),
            sa.case((back_pm, 1), else_=0).label("pm"),
            sa.literal(0).label("unconfirmed"),
            missed.c.since,
            missed.c.w,
            sa.cast(sa.null(), sa.Date()).label("last_punch"),
            sa.cast(sa.null(), sa.Date()).label("leave_anchor"),
            sa.literal(1).label("back"),
        )
        .where(came_back)
        .subquery("scan_back")
    )
    back_days = sa.select(back).where(~sa.and_(back.c.am == 1, back.c.pm == 1))
    union = sa.union_all(streak_days, back_days).subquery("scan_result")
    return sa.select(union).order_by(union.c.employee_id, union.c.day)


@dataclass(frozen=True)
class Seen:
    """What one streak query saw: every current streak, and who missed their last working day
    but has clocked in since (that day stays an anomaly)."""

    found: dict[int, Found]
    groups: list[Group]
    back: dict[int, tuple[int, date, Decimal]]  # employee → (department, day, days missing)


def see(session: Session, as_of: datetime, watch: rules.WatchRules, tracked_from: date, employee_ids: set[int] | None = None) -> Seen:
    group_list = [g for g in groups(session, as_of, watch) if g.days]
    if not group_list or (employee_ids is not None and not employee_ids):
        return Seen({}, group_list, {})
    rows = session.execute(streak_query(group_list, tracked_from, as_of, employee_ids)).all()
    by_employee: dict[int, list] = defaultdict(list)
    back: dict[int, tuple[int, date, Decimal]] = {}
    for row in rows:
        if row.back:
            back[row.employee_id] = (
                row.department_id,
                row.day,
                rules.missing_amount(frozenset(h for h, on in (("am", row.am), ("pm", row.pm)) if on)),
            )
        else:
            by_employee[row.employee_id].append(row)
    found = {}
    for employee_id, days in by_employee.items():
        missing = {r.day: rules.missing_amount(frozenset(h for h, on in (("am", r.am), ("pm", r.pm)) if on)) for r in days}
        first = days[0]
        capped = first.last_punch is None and first.leave_anchor is None and first.since == first.w
        streak = rules.Streak(tuple(r.day for r in days), sum(missing.values(), Decimal(0)), any(r.unconfirmed for r in days), capped)
        found[employee_id] = Found(employee_id, first.department_id, streak, missing)
    return Seen(found, group_list, back)


def find_streaks(
    session: Session, as_of: datetime, watch: rules.WatchRules, tracked_from: date, employee_ids: set[int] | None = None
) -> tuple[dict[int, Found], list[Group]]:
    """Every current streak (or those of ``employee_ids``), as of ``as_of``."""
    seen = see(session, as_of, watch, tracked_from, employee_ids)
    return seen.found, seen.groups


# ---- keeping the streak rows ------------------------------------------------------------------


@dataclass
class SyncResult:
    opened: list[AbsenceStreak] = field(default_factory=list)
    grown: list[AbsenceStreak] = field(default_factory=list)
    closed: list[AbsenceStreak] = field(default_factory=list)
    current: dict[int, AbsenceStreak] = field(default_factory=dict)  # employee → open streak


def _open_streaks(session: Session, employee_ids: set[int] | None) -> dict[int, AbsenceStreak]:
    if employee_ids is None:
        return {row.employee_id: row for row in session.exec(select(AbsenceStreak).where(AbsenceStreak.status == "open")).all()}
    result = {}
    for ids in chunked(sorted(employee_ids)):
        query = select(AbsenceStreak).where(AbsenceStreak.status == "open", AbsenceStreak.employee_id.in_(ids))  # type: ignore[attr-defined]
        result.update({row.employee_id: row for row in session.exec(query).all()})
    return result


def _fill(row: AbsenceStreak, found: Found, now: datetime) -> None:
    row.start_date, row.last_date, row.days = found.streak.start, found.streak.last, len(found.streak)
    row.missing, row.unconfirmed = found.streak.missing, found.streak.unconfirmed
    row.dates_json = json.dumps([d.isoformat() for d in found.streak.days])
    row.updated_at = now


def _valid_punch():  # noqa: ANN202
    return ~sa.exists().where(PunchVoid.punch_id == Punch.id)


def _close_reasons(session: Session, rows: list[AbsenceStreak]) -> dict[int, str]:
    """Why each streak ended: the person was seen again, left, or the days are on leave."""
    since = min(r.start_date for r in rows)
    last_seen: dict[int, date] = {}
    status: dict[int, str] = {}
    for ids in chunked({r.employee_id for r in rows}):
        last_seen.update(
            session.exec(
                select(Punch.employee_id, sa.func.max(Punch.work_date))
                .where(Punch.employee_id.in_(ids), Punch.work_date >= since, _valid_punch())  # type: ignore[attr-defined]
                .group_by(Punch.employee_id)
            ).all()
        )
        status.update(session.exec(select(Employee.id, Employee.status).where(Employee.id.in_(ids))).all())  # type: ignore[union-attr]
    reasons = {}
    for row in rows:
        seen = last_seen.get(row.employee_id)
        if seen is not None and seen >= row.start_date:
            reasons[row.id] = "present"
        elif status.get(row.employee_id) != "active":
            reasons[row.id] = "inactive"
        else:
            reasons[row.id] = "leave"
    return reasons  # type: ignore[return-value]


def close_streaks(session: Session, actor: Actor, rows: list[AbsenceStreak], now: datetime) -> None:
    """These streaks ended: each, and every open reminder, forward and follow-up of it, closes
    with the reason; days now covered by a punch or leave are excused."""
    if not rows:
        return
    reasons = _close_reasons(session, rows)
    by_id = {r.id: r for r in rows}
    closed_actions: dict[int, list[str]] = defaultdict(list)
    for ids in chunked(list(by_id)):
        for action in session.exec(select(AbsenceAction).where(AbsenceAction.streak_id.in_(ids), AbsenceAction.status == "open")).all():  # type: ignore[attr-defined]
            action.status, action.close_reason = "closed", reasons[action.streak_id]
            session.add(action)
            closed_actions[action.streak_id].append(action.rule)
    for row in rows:
        row.status, row.close_reason, row.closed_at, row.updated_at = "closed", reasons[row.id], now, now  # type: ignore[index]
        session.add(row)
    refresh_anomalies(session, {r.employee_id: [date.fromisoformat(d) for d in json.loads(r.dates_json)] for r in rows}, now)
    # A streak that ended before any rule acted on it is in the scan's own entry; one whose
    # reminder, forward or follow-up closed with it gets an entry of its own.
    audit.append_many(
        session,
        actor,
        [
            (
                "absence.streak_closed",
                "absence_streak",
                r.id,
                {"reason": reasons[r.id], "days": r.days, "closed_actions": closed_actions[r.id]},
            )  # type: ignore[index]
            for r in rows
            if closed_actions.get(r.id)  # type: ignore[arg-type]
        ],
        at=now,
    )


def on_record_from(watch: rules.WatchRules) -> int:
    """A streak is kept once it is two days long (sooner if HR reminds after one day): a single
    missed day is already an anomaly on the record, and no rule acts on it."""
    return max(1, min(2, watch.remind_after_days, watch.case_threshold))


def sync(
    session: Session,
    actor: Actor,
    found: dict[int, Found],
    now: datetime,
    employee_ids: set[int] | None = None,
    record_days: bool = False,
    shortest: int = 1,
) -> SyncResult:
    """Make the open streak rows match what the query found (for everyone, or some employees),
    keeping streaks of ``shortest`` days or more. On PostgreSQL writers of streak rows take
    turns (a scan, a punch arriving, a second scheduler), so none meets another's half-written
    streak."""
    found = {e: f for e, f in found.items() if len(f.streak) >= shortest}
    if session.get_bind().dialect.name == "postgresql":
        session.exec(sa.text(f"SELECT pg_advisory_xact_lock({STREAK_LOCK})"))  # type: ignore[call-overload]
    result = SyncResult()
    existing = _open_streaks(session, employee_ids)
    ending = [row for employee_id, row in existing.items() if employee_id not in found]
    starting: list[Found] = []
    for employee_id, item in found.items():
        row = existing.get(employee_id)
        if row is not None and (item.streak.capped or item.streak.start <= row.start_date):
            if item.streak.last != row.last_date or len(item.streak) != row.days:
                result.grown.append(row)
            _fill(row, item, now)
            session.add(row)
            result.current[employee_id] = row
            continue
        if row is not None:  # the old run ended (a punch or leave in between) and a new one began
            ending.append(row)
        starting.append(item)
    close_streaks(session, actor, ending, now)
    result.closed = ending
    session.flush()
    reopened: dict[tuple[int, date], AbsenceStreak] = {}
    for ids in chunked({i.employee_id for i in starting}):
        for row in session.exec(select(AbsenceStreak).where(AbsenceStreak.employee_id.in_(ids), AbsenceStreak.status == "closed")).all():  # type: ignore[attr-defined]
            reopened[(row.employee_id, row.start_date)] = row
    fresh_rows = []
    for item in starting:
        row = reopened.get((item.employee_id, item.streak.start))
        if row is not None:  # the same run again (a punch was voided, leave cancelled): reopen it
            row.status, row.close_reason, row.closed_at = "open", "", None
            _fill(row, item, now)
            session.add(row)
            result.opened.append(row)
            result.current[item.employee_id] = row
            continue
        fresh_rows.append(
            {
                "employee_id": item.employee_id,
                "start_date": item.streak.start,
                "last_date": item.streak.last,
                "days": len(item.streak),
                "missing": item.streak.missing,
                "dates_json": json.dumps([d.isoformat() for d in item.streak.days]),
                "unconfirmed": item.streak.unconfirmed,
                "status": "open",
                "close_reason": "",
                "opened_at": now,
                "updated_at": now,
            }
        )
    session.flush()
    table = AbsenceStreak.__table__  # type: ignore[attr-defined]
    for part in chunked(fresh_rows, 2000):
        values = {r["employee_id"]: r for r in part}  # one new streak per employee
        for streak_id, employee_id in session.execute(sa.insert(table).returning(table.c.id, table.c.employee_id), part).all():
            record = NewStreak.of(streak_id, values[employee_id])
            result.opened.append(record)  # type: ignore[arg-type]
            result.current[employee_id] = record  # type: ignore[assignment]
    if record_days:
        _record_anomalies(session, found, result.current, now)
    return result


@dataclass(frozen=True)
class NewStreak:
    """A streak row just inserted (read back as this, not as an ORM object: a scan opens hundreds)."""

    id: int
    employee_id: int
    start_date: date
    last_date: date
    days: int
    dates_json: str
    unconfirmed: bool

    @classmethod
    def of(cls, streak_id: int, values: dict) -> NewStreak:
        return cls(
            streak_id,
            values["employee_id"],
            values["start_date"],
            values["last_date"],
            values["days"],
            values["dates_json"],
            values["unconfirmed"],
        )


def _anomaly_rows(now: datetime, rows: Iterable[tuple[int, date, int, int | None, Decimal]]) -> list[dict]:
    return [
        {
            "employee_id": employee_id,
            "day": day,
            "department_id": department_id,
            "streak_id": streak_id,
            "missing": amount,
            "status": "missing",
            "reason": "",
            "recorded_at": now,
            "updated_at": now,
        }
        for employee_id, day, department_id, streak_id, amount in rows
    ]


def _insert_anomalies(session: Session, rows: list[dict]) -> None:
    """``INSERT … ON CONFLICT DO NOTHING`` in pages (a day is kept once)."""
    table = AttendanceAnomaly.__table__  # type: ignore[attr-defined]
    for part in chunked(rows, 2000):
        session.execute(insert_ignoring_duplicates(session, table), part)


def _record_anomalies(session: Session, found: dict[int, Found], current: dict[int, AbsenceStreak], now: datetime) -> None:
    """Each missing day of a streak once (for the dashboard's history)."""
    _insert_anomalies(
        session,
        _anomaly_rows(
            now,
            (
                (employee_id, day, item.department_id, current[employee_id].id, amount)
                for employee_id, item in found.items()
                if employee_id in current
                for day, amount in item.missing_by_day.items()
            ),
        ),
    )


def record_judged_days(session: Session, seen: Seen, tracked_from: date, current: dict, now: datetime) -> int:
    """Every working day judged since the last scan (a week at most) is kept as an anomaly for
    each employee who was expected and neither punched nor was on leave all day, whether or not
    they came back the next morning (the dashboard's history counts them). The last working day
    comes with the streak query; other days (after a missed scan) cost one more query."""
    last = session.exec(select(sa.func.max(ScanRun.judged_through)).where(ScanRun.dry_run == False)).one()  # noqa: E712
    through = max(g.judged_through for g in seen.groups)
    since = max(last or through - timedelta(days=7), through - timedelta(days=14), tracked_from - timedelta(days=1))
    rows = [
        (employee_id, day, item.department_id, current[employee_id].id if employee_id in current else None, amount)
        for employee_id, item in seen.found.items()
        for day, amount in item.missing_by_day.items()
        if since < day
    ]
    rows += [
        (employee_id, day, department_id, None, amount) for employee_id, (department_id, day, amount) in seen.back.items() if since < day
    ]
    other_days = [
        (g.pattern_id, d)
        for g in seen.groups
        for d, working, _unconfirmed in g.days
        if working and since < d <= g.judged_through and d != g.last_workday
    ]
    if other_days:
        rows += [
            (
                r.employee_id,
                r.day,
                r.department_id,
                current[r.employee_id].id if r.employee_id in current else None,
                rules.missing_amount(frozenset(h for h, on in (("am", r.am), ("pm", r.pm)) if on)),
            )
            for r in session.execute(missing_days_query(other_days, tracked_from)).all()
        ]
    _insert_anomalies(session, _anomaly_rows(now, rows))
    return len({(r[0], r[1]) for r in rows})


def refresh_anomalies(session: Session, days_by_employee: dict[int, list[date]], now: datetime) -> None:
    """Days recorded missing that a punch or approved leave now accounts for are excused, with
    the reason; half a day of leave leaves half a day missing."""
    wanted = {e: set(d) for e, d in days_by_employee.items() if d}
    if not wanted:
        return
    first = min(min(d) for d in wanted.values())
    last = max(max(d) for d in wanted.values())
    anomalies, punched, spans = [], set(), defaultdict(dict)
    for ids in chunked(sorted(wanted)):
        anomalies += [
            a
            for a in session.exec(
                select(AttendanceAnomaly).where(
                    AttendanceAnomaly.employee_id.in_(ids),  # type: ignore[attr-defined]
                    AttendanceAnomaly.day >= first,
                    AttendanceAnomaly.day <= last,
                    AttendanceAnomaly.status == "missing",
                )
            ).all()
            if a.day in wanted[a.employee_id]
        ]
        punched |= set(
            session.exec(
                select(Punch.employee_id, Punch.work_date).where(
                    Punch.employee_id.in_(ids), Punch.work_date >= first, Punch.work_date <= last, _valid_punch()
                )  # type: ignore[attr-defined]
            ).all()
        )
        for r in session.exec(
            select(LeaveRequest).where(
                LeaveRequest.employee_id.in_(ids),  # type: ignore[attr-defined]
                LeaveRequest.status.in_(APPROVED_LEAVE),  # type: ignore[attr-defined]
                LeaveRequest.start_date <= last,
                LeaveRequest.end_date >= first,
            )
        ).all():
            spans[r.employee_id][r.id] = rules.LeaveSpan(r.start_date, r.start_half, r.end_date, r.end_half)
    for anomaly in anomalies:
        own = spans.get(anomaly.employee_id, {})
        halves = rules.leave_halves(own.values(), anomaly.day)
        if (anomaly.employee_id, anomaly.day) in punched:
            anomaly.status, anomaly.reason = "excused", "punch"
        elif halves == {"am", "pm"}:
            anomaly.status, anomaly.reason = "excused", "leave " + " ".join(f"#{i}" for i, span in own.items() if span.halves(anomaly.day))
        elif halves:
            anomaly.missing = Decimal("0.5")
        else:
            continue
        anomaly.updated_at = now
        session.add(anomaly)


def recheck(session: Session, actor: Actor, employee_ids: set[int], now: datetime) -> SyncResult:
    """Bring some employees' streaks up to date at once (after a punch, a correction, leave)."""
    if not employee_ids:
        return SyncResult()
    watch = attendance_settings.watch_rules(session)
    tracked = watch.tracked_from
    if tracked is None:  # nothing is tracked before the first scan
        return SyncResult()
    found, _ = find_streaks(session, now, watch, tracked, employee_ids)
    result = sync(session, actor, found, now, employee_ids, shortest=on_record_from(watch))
    if result.opened or result.closed:
        audit.append(
            session,
            actor,
            "absence.rechecked",
            "employee",
            ",".join(str(i) for i in sorted(employee_ids))[:64],
            after={"opened": sorted(s.id for s in result.opened), "closed": {s.id: s.close_reason for s in result.closed}},
            at=now,
        )
    return result


def employees_seen(session: Session, actor: Actor, employee_ids: set[int], now: datetime, reason: str) -> None:
    """New punches arrived: any open streak of these employees is re-checked (and closes); an
    HR correction also excuses the recorded missing days it covers."""
    if not employee_ids:
        return
    with_streaks: set[int] = set()
    for ids in chunked(sorted(employee_ids)):
        with_streaks.update(
            session.exec(select(AbsenceStreak.employee_id).where(AbsenceStreak.status == "open", AbsenceStreak.employee_id.in_(ids))).all()  # type: ignore[attr-defined]
        )
    recheck(session, actor, with_streaks, now)
    if reason == "correction":
        days: dict[int, list[date]] = defaultdict(list)
        for ids in chunked(sorted(employee_ids)):
            for employee_id, day in session.exec(
                select(AttendanceAnomaly.employee_id, AttendanceAnomaly.day).where(
                    AttendanceAnomaly.employee_id.in_(ids), AttendanceAnomaly.status == "missing"
                )  # type: ignore[attr-defined]
            ).all():
                days[employee_id].append(day)
        refresh_anomalies(session, days, now)


def leave_approved(session: Session, actor: Actor, request: LeaveRequest, now: datetime) -> None:
    """Rule 5: approved leave, even filed afterwards, turns the days it covers into leave."""
    recheck(session, actor, {request.employee_id}, now)
    span = min((request.end_date - request.start_date).days + 1, 400)
    refresh_anomalies(session, {request.employee_id: [request.start_date + timedelta(days=i) for i in range(span)]}, now)
