"""The absence watch (连续未打卡 → 提醒 → 未读转发直属领导 → 已读未回复由HR跟进).

The daily scan finds every current absence streak with one set-based query (window functions,
no loop over employees and days), keeps one ``absence_streak`` row per streak, and fires each
rule once per streak (a unique key per streak and rule, so re-runs, restarts, ``--date`` replays
and a second scheduler change nothing):

1. the streak reaches ``remind_after_days`` (2) → a reminder to the employee naming the dates,
   with a link to the leave form filled in for them;
2. still unread ``forward_after_hours`` (4) working hours later → forwarded to the direct
   manager (no manager: HR), saying it was unread;
3. read, but no punch, no leave request and no reply by the next scan → an HR follow-up;
4. ``case_threshold`` (3) days or more → red on the dashboard;
5. approved leave covering the days (even filed afterwards) closes the streak and every open
   reminder, forward and follow-up, with the reason.

A punch or approved leave closes a streak at once (not at the next scan). Days in a year whose
holidays nobody entered are recorded but nobody is reminded for them.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain import attendance as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError, NotFound, NotPermitted, ValidationFailed
from selfservice.domain.leave import HOLDING
from selfservice.persistence.db import insert_ignoring_duplicates
from selfservice.persistence.models import (
    AbsenceAction,
    AbsenceNote,
    AbsenceStreak,
    AttendanceAnomaly,
    Employee,
    LeaveRequest,
    NotificationDelivery,
    NotificationMessage,
    OnceKey,
    Punch,
    PunchVoid,
    ScanRun,
    ScheduleAssignment,
    UserAccount,
)
from selfservice.persistence.sql import greatest, rows_cte
from selfservice.services import attendance_settings, audit
from selfservice.services.notifications import configured_channels, notify, notify_many
from selfservice.settings import get_settings

REMINDER, FORWARD, FOLLOWUP = "reminder", "forward", "followup"
STREAK_LOCK = 7_100_003  # PostgreSQL advisory lock: one writer of streaks at a time
APPROVED_LEAVE = ("approved", "cancel_pending")
CHANNEL_NAMES = {"inapp": ("站内", "in-app"), "wecom": ("企业微信", "WeCom"), "sms": ("短信", "SMS"), "email": ("邮件", "email")}


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
    assignment = _assignment_on(max(g.judged_through for g in group_list))
    pattern = sa.func.coalesce(assignment.c.pattern_id, 0)
    emp = (
        sa.select(
            Employee.id.label("employee_id"),  # type: ignore[union-attr]
            Employee.department_id.label("department_id"),  # type: ignore[attr-defined]
            grp.c.g,
            grp.c.w,
            grp.c.lastwork,
            greatest(
                Employee.hire_date,  # type: ignore[arg-type]
                sa.literal(tracked_from, sa.Date()),
                sa.func.coalesce(assignment.c.starts_on, sa.literal(date(1970, 1, 1), sa.Date())),
                grp.c.w,
            ).label("since"),
        )
        .join(assignment, assignment.c.employee_id == Employee.id, isouter=True)
        .join(grp, grp.c.g == pattern)
        .where(Employee.status == "active")
    )
    if employee_ids is not None:
        emp = emp.where(Employee.id.in_(sorted(employee_ids)))  # type: ignore[union-attr]
    emp_cte = emp.cte("scan_emp")
    not_void = ~sa.exists().where(PunchVoid.punch_id == Punch.id)
    cand = (
        sa.select(emp_cte)
        .where(
            emp_cte.c.since <= emp_cte.c.lastwork,
            ~sa.exists().where(
                Punch.employee_id == emp_cte.c.employee_id, Punch.work_date >= emp_cte.c.lastwork, Punch.at <= seen_until, not_void
            ),
        )
        .cte("scan_cand")
    )
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
    return (
        sa.select(
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
        )
        .where(marked.c.workday == 1, sa.or_(marked.c.leave_anchor.is_(None), marked.c.day > marked.c.leave_anchor))
        .order_by(marked.c.employee_id, marked.c.day)
    )


def find_streaks(
    session: Session, as_of: datetime, watch: rules.WatchRules, tracked_from: date, employee_ids: set[int] | None = None
) -> tuple[dict[int, Found], list[Group]]:
    """Every current streak (or those of ``employee_ids``), as of ``as_of``."""
    group_list = [g for g in groups(session, as_of, watch) if g.days]
    if not group_list or (employee_ids is not None and not employee_ids):
        return {}, group_list
    rows = session.execute(streak_query(group_list, tracked_from, as_of, employee_ids)).all()
    by_employee: dict[int, list] = defaultdict(list)
    for row in rows:
        by_employee[row.employee_id].append(row)
    found = {}
    for employee_id, days in by_employee.items():
        missing = {r.day: rules.missing_amount(frozenset(h for h, on in (("am", r.am), ("pm", r.pm)) if on)) for r in days}
        first = days[0]
        capped = first.last_punch is None and first.leave_anchor is None and first.since == first.w
        streak = rules.Streak(tuple(r.day for r in days), sum(missing.values(), Decimal(0)), any(r.unconfirmed for r in days), capped)
        found[employee_id] = Found(employee_id, first.department_id, streak, missing)
    return found, group_list


# ---- keeping the streak rows ------------------------------------------------------------------


@dataclass
class SyncResult:
    opened: list[AbsenceStreak] = field(default_factory=list)
    grown: list[AbsenceStreak] = field(default_factory=list)
    closed: list[AbsenceStreak] = field(default_factory=list)
    current: dict[int, AbsenceStreak] = field(default_factory=dict)  # employee → open streak


def _open_streaks(session: Session, employee_ids: set[int] | None) -> dict[int, AbsenceStreak]:
    query = select(AbsenceStreak).where(AbsenceStreak.status == "open")
    if employee_ids is not None:
        query = query.where(AbsenceStreak.employee_id.in_(sorted(employee_ids)))  # type: ignore[attr-defined]
    return {row.employee_id: row for row in session.exec(query).all()}


def _fill(row: AbsenceStreak, found: Found, now: datetime) -> None:
    row.start_date, row.last_date, row.days = found.streak.start, found.streak.last, len(found.streak)
    row.missing, row.unconfirmed = found.streak.missing, found.streak.unconfirmed
    row.dates_json = json.dumps([d.isoformat() for d in found.streak.days])
    row.updated_at = now


def _close_reason(session: Session, row: AbsenceStreak) -> str:
    punched = session.exec(
        select(Punch.id).where(
            Punch.employee_id == row.employee_id, Punch.work_date >= row.start_date, ~sa.exists().where(PunchVoid.punch_id == Punch.id)
        )
    ).first()
    if punched is not None:
        return "present"
    employee = session.get(Employee, row.employee_id)
    if employee is None or employee.status != "active":
        return "inactive"
    return "leave"


def close_streak(session: Session, actor: Actor, row: AbsenceStreak, reason: str, now: datetime) -> None:
    """The streak ended: it and every open reminder, forward and follow-up close with the reason."""
    row.status, row.close_reason, row.closed_at, row.updated_at = "closed", reason, now, now
    session.add(row)
    actions = session.exec(select(AbsenceAction).where(AbsenceAction.streak_id == row.id, AbsenceAction.status == "open")).all()
    for action in actions:
        action.status, action.close_reason = "closed", reason
        session.add(action)
    _refresh_anomalies(session, row.employee_id, [date.fromisoformat(d) for d in json.loads(row.dates_json)], now)
    audit.append(
        session,
        actor,
        "absence.streak_closed",
        "absence_streak",
        row.id,
        after={"reason": reason, "days": row.days, "closed_actions": [a.rule for a in actions]},
        at=now,
    )


def sync(session: Session, actor: Actor, found: dict[int, Found], now: datetime, employee_ids: set[int] | None = None) -> SyncResult:
    """Make the open streak rows match what the query found (for everyone, or some employees).
    On PostgreSQL writers of streak rows take turns (a scan, a punch arriving, a second scheduler),
    so none of them meets another's half-written streak."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(sa.text(f"SELECT pg_advisory_xact_lock({STREAK_LOCK})"))  # type: ignore[call-overload]
    result = SyncResult()
    existing = _open_streaks(session, employee_ids)
    for employee_id, row in existing.items():
        if employee_id not in found:
            close_streak(session, actor, row, _close_reason(session, row), now)
            result.closed.append(row)
    for employee_id, item in found.items():
        row = existing.get(employee_id)
        if row is not None and (item.streak.capped or item.streak.start <= row.start_date):
            grew = item.streak.last != row.last_date or len(item.streak) != row.days
            _fill(row, item, now)
            session.add(row)
            if grew:
                result.grown.append(row)
            result.current[employee_id] = row
            continue
        if row is not None:  # the old run ended (a punch or leave in between) and a new one began
            close_streak(session, actor, row, _close_reason(session, row), now)
            result.closed.append(row)
        same_start = session.exec(
            select(AbsenceStreak).where(AbsenceStreak.employee_id == employee_id, AbsenceStreak.start_date == item.streak.start)
        ).first()
        fresh = same_start or AbsenceStreak(
            employee_id=employee_id, start_date=item.streak.start, last_date=item.streak.last, days=0, missing=Decimal(0), opened_at=now
        )
        fresh.status, fresh.close_reason, fresh.closed_at = "open", "", None
        _fill(fresh, item, now)
        session.add(fresh)
        session.flush()
        audit.append(
            session,
            actor,
            "absence.streak_opened",
            "absence_streak",
            fresh.id,
            after={"employee_id": employee_id, "start": item.streak.start.isoformat(), "days": len(item.streak)},
            at=now,
        )
        result.opened.append(fresh)
        result.current[employee_id] = fresh
    session.flush()
    _record_anomalies(session, found, result.current, now)
    return result


def _record_anomalies(session: Session, found: dict[int, Found], current: dict[int, AbsenceStreak], now: datetime) -> None:
    """Each missing day once (for the dashboard's history); the amount follows later leave."""
    rows = [
        {
            "employee_id": employee_id,
            "day": day,
            "department_id": item.department_id,
            "streak_id": current[employee_id].id,
            "missing": amount,
            "status": "missing",
            "reason": "",
            "recorded_at": now,
            "updated_at": now,
        }
        for employee_id, item in found.items()
        for day, amount in item.missing_by_day.items()
    ]
    table = AttendanceAnomaly.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), 2000):
        session.execute(insert_ignoring_duplicates(session, table), rows[start : start + 2000])


def _refresh_anomalies(session: Session, employee_id: int, days: list[date], now: datetime) -> None:
    """Days recorded missing that a punch or leave now accounts for are excused, with the reason."""
    if not days:
        return
    anomalies = session.exec(
        select(AttendanceAnomaly).where(
            AttendanceAnomaly.employee_id == employee_id, AttendanceAnomaly.day.in_(days), AttendanceAnomaly.status == "missing"
        )  # type: ignore[attr-defined]
    ).all()
    if not anomalies:
        return
    first, last = min(days), max(days)
    punched = set(
        session.exec(
            select(Punch.work_date).where(
                Punch.employee_id == employee_id,
                Punch.work_date >= first,
                Punch.work_date <= last,
                ~sa.exists().where(PunchVoid.punch_id == Punch.id),
            )
        ).all()
    )
    leave = session.exec(
        select(LeaveRequest).where(
            LeaveRequest.employee_id == employee_id,
            LeaveRequest.status.in_(APPROVED_LEAVE),  # type: ignore[attr-defined]
            LeaveRequest.start_date <= last,
            LeaveRequest.end_date >= first,
        )
    ).all()
    spans = {r.id: rules.LeaveSpan(r.start_date, r.start_half, r.end_date, r.end_half) for r in leave}
    for anomaly in anomalies:
        covering = [rid for rid, span in spans.items() if span.halves(anomaly.day)]
        halves = rules.leave_halves(spans.values(), anomaly.day)
        if anomaly.day in punched:
            anomaly.status, anomaly.reason = "excused", "punch"
        elif halves == {"am", "pm"}:
            anomaly.status, anomaly.reason = "excused", "leave " + " ".join(f"#{i}" for i in covering)
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
    return sync(session, actor, found, now, employee_ids)


def employees_seen(session: Session, actor: Actor, employee_ids: set[int], now: datetime, reason: str) -> None:
    """New punches arrived: any open streak of these employees is re-checked (and closes)."""
    if not employee_ids:
        return
    with_streaks = set()
    ids = sorted(employee_ids)
    for start in range(0, len(ids), 900):
        with_streaks.update(
            session.exec(
                select(AbsenceStreak.employee_id).where(
                    AbsenceStreak.status == "open", AbsenceStreak.employee_id.in_(ids[start : start + 900])
                )  # type: ignore[attr-defined]
            ).all()
        )
    recheck(session, actor, with_streaks, now)
    if reason == "correction":
        for employee_id in employee_ids:
            recent = session.exec(
                select(AttendanceAnomaly.day).where(AttendanceAnomaly.employee_id == employee_id, AttendanceAnomaly.status == "missing")
            ).all()
            _refresh_anomalies(session, employee_id, list(recent), now)


def leave_approved(session: Session, actor: Actor, request: LeaveRequest, now: datetime) -> None:
    """Rule 5: approved leave, even filed afterwards, turns the days it covers into leave."""
    recheck(session, actor, {request.employee_id}, now)
    days = []
    day = request.start_date
    while day <= request.end_date and len(days) < 400:
        days.append(day)
        day += timedelta(days=1)
    _refresh_anomalies(session, request.employee_id, days, now)


# ---- the rules ------------------------------------------------------------------------------------


def _claim(session: Session, streak_id: int, rule: str, now: datetime, **values) -> AbsenceAction | None:
    """Insert the (streak, rule) action unless it exists: the insert that wins fires the rule."""
    table = AbsenceAction.__table__  # type: ignore[attr-defined]
    row = {
        "streak_id": streak_id,
        "rule": rule,
        "status": "open",
        "message_ids": "[]",
        "channels": "",
        "created_at": now,
        "close_reason": "",
        **values,
    }
    inserted = session.execute(insert_ignoring_duplicates(session, table).returning(table.c.id), [row]).scalars().all()
    if not inserted:
        return None
    return session.get(AbsenceAction, inserted[0])


def _leave_link(streak: AbsenceStreak) -> str:
    return f"/leave?start={streak.start_date.isoformat()}&end={streak.last_date.isoformat()}&type=personal"


def _dates(streak: AbsenceStreak) -> list[date]:
    return [date.fromisoformat(d) for d in json.loads(streak.dates_json)]


def _remind(session: Session, actor: Actor, streak: AbsenceStreak, watch: rules.WatchRules, now: datetime) -> AbsenceAction | None:
    action = _claim(session, streak.id, REMINDER, now)  # type: ignore[arg-type]
    if action is None:
        return None
    channels = [c for c in watch.reminder_channels if c in configured_channels(session)]
    days = _dates(streak)
    params = {"days": str(len(days)), "dates_zh": rules.dates_zh(days), "dates_en": rules.dates_en(days)}
    message_id = notify(
        session,
        actor,
        streak.employee_id,
        "absence_reminder",
        "absence.reminder",
        params,
        channels,
        now,
        requires_ack=True,
        link_path=_leave_link(streak),
    )
    calendar = attendance_settings.schedules(session, local_today(now), local_today(now) + timedelta(days=30)).calendar
    action.message_ids = json.dumps([message_id])
    action.channels = ",".join(["inapp", *channels])
    action.due_at = rules.add_office_hours(now, watch.forward_after_hours, calendar.is_workday, tz(), watch.office_start, watch.office_end)
    session.add(action)
    audit.append(
        session,
        actor,
        "absence.reminded",
        "absence_streak",
        streak.id,
        after={
            "message_id": message_id,
            "channels": action.channels,
            "dates": [d.isoformat() for d in days],
            "due": action.due_at.isoformat(),
        },
        at=now,
    )
    return action


def _responded(session: Session, streak: AbsenceStreak, message: NotificationMessage) -> bool:
    """A reply (我已收到), a leave request for the days, or a note from the employee."""
    if message.acknowledged_at is not None:
        return True
    leave = session.exec(
        select(LeaveRequest.id).where(
            LeaveRequest.employee_id == streak.employee_id,
            LeaveRequest.status.in_(HOLDING),  # type: ignore[attr-defined]
            LeaveRequest.start_date <= streak.last_date,
            LeaveRequest.end_date >= streak.start_date,
        )
    ).first()
    if leave is not None:
        return True
    return session.exec(select(AbsenceNote.id).where(AbsenceNote.streak_id == streak.id, AbsenceNote.kind == "reply")).first() is not None


def _follow_up(session: Session, actor: Actor, streak: AbsenceStreak, scan_day: date, now: datetime) -> AbsenceAction | None:
    reminder = session.exec(select(AbsenceAction).where(AbsenceAction.streak_id == streak.id, AbsenceAction.rule == REMINDER)).first()
    if reminder is None or local_today(reminder.created_at) >= scan_day:
        return None  # not reminded yet, or reminded by this very scan: wait for the next one
    message = session.get(NotificationMessage, json.loads(reminder.message_ids)[0])
    if message is None or message.read_at is None or _responded(session, streak, message):
        return None
    action = _claim(session, streak.id, FOLLOWUP, now)  # type: ignore[arg-type]
    if action is None:
        return None
    audit.append(
        session,
        actor,
        "absence.followup_opened",
        "absence_streak",
        streak.id,
        after={"reminder_read_at": message.read_at.isoformat(), "days": streak.days},
        at=now,
    )
    return action


def _fmt_local(moment: datetime) -> str:
    return moment.astimezone(tz()).strftime("%m-%d %H:%M")


def _hr_people(session: Session) -> list[int]:
    return list(
        session.exec(
            select(Employee.id)
            .join(UserAccount, UserAccount.employee_id == Employee.id)
            .where(UserAccount.role.in_([Role.hr, Role.admin]), UserAccount.active == True, Employee.status == "active")  # type: ignore[union-attr]  # noqa: E712
        ).all()
    )


def forward_due(session: Session, actor: Actor, now: datetime) -> int:
    """Rule 2: reminders still unread when their working hours ran out go to the direct manager
    (or, without one, to HR), saying when and how the reminder went and that it is unread."""
    due = session.exec(
        select(AbsenceAction, AbsenceStreak)
        .join(AbsenceStreak, AbsenceStreak.id == AbsenceAction.streak_id)  # type: ignore[arg-type]
        .where(AbsenceAction.rule == REMINDER, AbsenceAction.status == "open", AbsenceAction.due_at <= now, AbsenceStreak.status == "open")  # type: ignore[operator]
        .order_by(AbsenceAction.id)
    ).all()
    forwarded = 0
    for reminder, streak in due:
        message = session.get(NotificationMessage, json.loads(reminder.message_ids)[0])
        if message is None or message.read_at is not None:
            continue
        employee = session.get(Employee, streak.employee_id)
        assert employee is not None
        manager = session.get(Employee, employee.manager_id) if employee.manager_id else None
        to_manager = manager is not None and manager.status == "active"
        recipients = [manager.id] if to_manager else _hr_people(session)  # type: ignore[union-attr, list-item]
        action = _claim(session, streak.id, FORWARD, now, assignee_id=manager.id if to_manager else None)  # type: ignore[union-attr, arg-type]
        if action is None:
            continue
        channels = reminder.channels.split(",")
        days = _dates(streak)
        params = {
            "name": employee.name,
            "employee_no": employee.employee_no,
            "days": str(len(days)),
            "dates_zh": rules.dates_zh(days),
            "dates_en": rules.dates_en(days),
            "sent_at": _fmt_local(reminder.created_at),
            "checked_at": _fmt_local(now),
            "channels_zh": " + ".join(CHANNEL_NAMES.get(c, (c, c))[0] for c in channels),
            "channels_en": " + ".join(CHANNEL_NAMES.get(c, (c, c))[1] for c in channels),
        }
        template = "absence.forwarded" if to_manager else "absence.forwarded_hr"
        link = f"/team?streak={streak.id}" if to_manager else f"/attendance/employee?id={employee.id}"
        forward_channels = [c for c in ("wecom",) if c in configured_channels(session)]
        message_ids = notify_many(session, actor, recipients, "absence_forward", template, params, forward_channels, now, link_path=link)
        action.message_ids, action.channels = json.dumps(message_ids), ",".join(["inapp", *forward_channels])
        reminder.status = "done"
        session.add_all([action, reminder])
        audit.append(
            session,
            actor,
            "absence.forwarded",
            "absence_streak",
            streak.id,
            after={"to": "manager" if to_manager else "hr", "recipients": recipients, "reminder_sent_at": reminder.created_at.isoformat()},
            at=now,
        )
        forwarded += 1
    return forwarded


# ---- the daily scan -----------------------------------------------------------------------------


@dataclass
class ScanReport:
    scan_date: date
    judged_through: date
    streaks: int = 0
    opened: int = 0
    closed: int = 0
    reminded: list[int] = field(default_factory=list)  # employee ids
    followups: list[int] = field(default_factory=list)
    unconfirmed: int = 0
    red: int = 0
    anomalies: int = 0
    dry_run: bool = False
    skipped: bool = False


def record_judged_days(
    session: Session, group_list: list[Group], tracked_from: date, current: dict[int, AbsenceStreak], now: datetime
) -> int:
    """Every working day judged since the last scan (a week at most) is kept as an anomaly for
    each employee who was expected and neither punched nor was on leave all day, whether or not
    they came back the next morning (the dashboard's history counts them)."""
    last = session.exec(select(sa.func.max(ScanRun.judged_through)).where(ScanRun.dry_run == False)).one()  # noqa: E712
    through = max(g.judged_through for g in group_list)
    since = max(last or through - timedelta(days=7), through - timedelta(days=14), tracked_from - timedelta(days=1))
    days = [(g.pattern_id, d) for g in group_list for d, working, _unconfirmed in g.days if working and since < d <= g.judged_through]
    if not days:
        return 0
    rows = [
        {
            "employee_id": r.employee_id,
            "day": r.day,
            "department_id": r.department_id,
            "streak_id": current[r.employee_id].id if r.employee_id in current else None,
            "missing": rules.missing_amount(frozenset(h for h, on in (("am", r.am), ("pm", r.pm)) if on)),
            "status": "missing",
            "reason": "",
            "recorded_at": now,
            "updated_at": now,
        }
        for r in session.execute(missing_days_query(days, tracked_from)).all()
    ]
    table = AttendanceAnomaly.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), 2000):
        session.execute(insert_ignoring_duplicates(session, table), rows[start : start + 2000])
    return len(rows)


def scan_moment(day: date, watch: rules.WatchRules) -> datetime:
    """The scan of ``day`` happens at HR's scan time (10:00) in the company's time zone."""
    return datetime.combine(day, watch.scan_time, tzinfo=tz())


def scan(
    session: Session, actor: Actor, scan_day: date, now: datetime, trigger: str = "cli", dry_run: bool = False, run_key: str = ""
) -> ScanReport:
    """The daily scan as of ``scan_day`` at scan time: streaks, anomalies, reminders, follow-ups.
    ``dry_run`` computes everything and writes nothing."""
    watch = attendance_settings.watch_rules(session)
    as_of = min(now, scan_moment(scan_day, watch)) if scan_day >= local_today(now) else scan_moment(scan_day, watch)
    savepoint = session.begin_nested() if dry_run else None
    try:
        tracked = attendance_settings.ensure_tracking_started(session, scan_day)
        found, group_list = find_streaks(session, as_of, watch, tracked)
        through = max((g.judged_through for g in group_list), default=scan_day - timedelta(days=1))
        report = ScanReport(scan_day, through, dry_run=dry_run)
        synced = sync(session, actor, found, now)
        report.streaks, report.opened, report.closed = len(synced.current), len(synced.opened), len(synced.closed)
        report.anomalies = record_judged_days(session, group_list, tracked, synced.current, now)
        for employee_id, streak in synced.current.items():
            if streak.unconfirmed:
                report.unconfirmed += 1
                continue
            report.red += streak.days >= watch.case_threshold
            if streak.days >= watch.remind_after_days and _remind(session, actor, streak, watch, now) is not None:
                report.reminded.append(employee_id)
            elif _follow_up(session, actor, streak, scan_day, now) is not None:
                report.followups.append(employee_id)
        alert_missing_calendar(session, actor, scan_day, now)
        session.add(
            ScanRun(
                run_key=run_key or f"{trigger}:{scan_day.isoformat()}:{uuid.uuid4().hex[:12]}",
                scan_date=scan_day,
                judged_through=through,
                trigger=trigger,
                dry_run=dry_run,
                started_at=now,
                finished_at=datetime.now(now.tzinfo),
                stats_json=json.dumps({k: v for k, v in report.__dict__.items() if isinstance(v, int) and not isinstance(v, bool)}),
            )
        )
        audit.append(
            session,
            actor,
            "absence.scanned",
            "scan_run",
            scan_day.isoformat(),
            after={
                "through": through.isoformat(),
                "streaks": report.streaks,
                "reminded": len(report.reminded),
                "followups": len(report.followups),
            },
            at=now,
        )
        session.flush()
    finally:
        if savepoint is not None:
            savepoint.rollback()
    return report


def scheduled_scan(session: Session, actor: Actor, now: datetime) -> ScanReport | None:
    """The scheduler's daily scan: on working days, once the scan time has passed, once a day
    however many schedulers ask (the run key is unique)."""
    watch = attendance_settings.watch_rules(session)
    local = now.astimezone(tz())
    today = local.date()
    calendar = attendance_settings.schedules(session, today, today).standard
    if not calendar.is_workday(today) or local.time() < watch.scan_time:
        return None
    key = f"schedule:{today.isoformat()}"
    if session.exec(select(ScanRun.id).where(ScanRun.run_key == key)).first() is not None:
        return None
    if session.get_bind().dialect.name == "postgresql":  # a second scheduler waits here, then sees the run
        session.exec(sa.text(f"SELECT pg_advisory_xact_lock({STREAK_LOCK})"))  # type: ignore[call-overload]
        if session.exec(select(ScanRun.id).where(ScanRun.run_key == key)).first() is not None:
            return None
    return scan(session, actor, today, now, trigger="schedule", run_key=key)


def alert_missing_calendar(session: Session, actor: Actor, today: date, now: datetime) -> list[int]:
    """From 1 December, HR is told once that next year's holidays are missing (and this year's)."""
    missing = attendance_settings.missing_calendar_years(session, today)
    for year in missing:
        key = f"calendar.year_missing:{year}"
        inserted = session.execute(
            insert_ignoring_duplicates(session, OnceKey.__table__).returning(OnceKey.__table__.c.key),  # type: ignore[attr-defined]
            [{"key": key, "created_at": now}],
        ).all()
        if inserted:
            notify_many(
                session,
                actor,
                _hr_people(session),
                "calendar_alert",
                "calendar.year_missing",
                {"year": str(year)},
                (),
                now,
                link_path="/calendar",
            )
    return missing


# ---- what people add to the record ------------------------------------------------------------


def _streak(session: Session, streak_id: int) -> AbsenceStreak:
    row = session.get(AbsenceStreak, streak_id)
    if row is None:
        raise NotFound()
    return row


def _note(session: Session, actor: Actor, streak: AbsenceStreak, kind: str, text: str, now: datetime, action_id: int | None = None) -> None:
    session.add(
        AbsenceNote(streak_id=streak.id, action_id=action_id, author_id=actor.employee_id or None, kind=kind, text=text, created_at=now)
    )  # type: ignore[arg-type]
    session.flush()
    audit.append(session, actor, "absence.note_" + kind, "absence_streak", streak.id, after={"text": text, "action_id": action_id}, at=now)


def _text(text: str, required: bool) -> str:
    text = text.strip()
    if required and not text:
        raise ValidationFailed("absence.note_required", field="text")
    if len(text) > 1000:
        raise ValidationFailed("field.too_long", field="text", max=1000)
    return text


def reply(session: Session, actor: Actor, message_id: int, text: str, now: datetime) -> None:
    """The employee answers a reminder ("我已收到，稍后说明", optionally with a few words): it is
    the receipt confirmation of the message and a reply on the streak's record."""
    from selfservice.services import notifications

    text = _text(text, required=False)
    message = session.get(NotificationMessage, message_id)
    if message is None or message.recipient_id != actor.employee_id:
        raise NotPermitted()
    if message.kind != "absence_reminder":
        raise DomainError("notify.not_ack")
    notifications.acknowledge(session, actor, message_id, now)
    reminder = session.exec(
        select(AbsenceAction).where(AbsenceAction.rule == REMINDER, AbsenceAction.message_ids == json.dumps([message_id]))
    ).first()
    if reminder is not None:
        streak = _streak(session, reminder.streak_id)
        _note(session, actor, streak, "reply", text or "我已收到，稍后说明", now, reminder.id)


def reached(session: Session, actor: Actor, streak_id: int, text: str, now: datetime) -> None:
    """The manager (or HR) notes "I have reached them" on a forwarded reminder."""
    streak = _streak(session, streak_id)
    forward = session.exec(select(AbsenceAction).where(AbsenceAction.streak_id == streak_id, AbsenceAction.rule == FORWARD)).first()
    employee = session.get(Employee, streak.employee_id)
    is_manager = employee is not None and employee.manager_id == actor.employee_id
    if not (is_manager or actor.has_role(Role.hr)):
        raise NotPermitted()
    text = _text(text, required=False)
    _note(session, actor, streak, "reached", text, now, forward.id if forward else None)
    if forward is not None and forward.status == "open":
        forward.status, forward.resolved_at, forward.resolved_by = "done", now, actor.employee_id
        session.add(forward)


def _followup(session: Session, actor: Actor, streak_id: int) -> tuple[AbsenceStreak, AbsenceAction]:
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    streak = _streak(session, streak_id)
    action = session.exec(select(AbsenceAction).where(AbsenceAction.streak_id == streak_id, AbsenceAction.rule == FOLLOWUP)).first()
    if action is None:
        raise NotFound()
    return streak, action


def assign_followup(session: Session, actor: Actor, streak_id: int, assignee_no: str, now: datetime) -> None:
    """HR hands a follow-up to an HR colleague (by employee number; blank: to oneself)."""
    streak, action = _followup(session, actor, streak_id)
    if action.status != "open":
        raise DomainError("absence.followup_closed")
    assignee_id = actor.employee_id
    if assignee_no.strip():
        person = session.exec(
            select(Employee.id)
            .join(UserAccount, UserAccount.employee_id == Employee.id)
            .where(Employee.employee_no == assignee_no.strip(), UserAccount.role.in_([Role.hr, Role.admin]), Employee.status == "active")  # type: ignore[attr-defined]
        ).first()
        if person is None:
            raise ValidationFailed("absence.assignee_not_hr", field="assignee", value=assignee_no.strip()[:32])
        assignee_id = person
    action.assignee_id = assignee_id
    session.add(action)
    _note(session, actor, streak, "assigned", str(assignee_id), now, action.id)


def resolve_followup(session: Session, actor: Actor, streak_id: int, text: str, now: datetime) -> None:
    """HR closes a follow-up with what they found out (required)."""
    streak, action = _followup(session, actor, streak_id)
    if action.status != "open":
        raise DomainError("absence.followup_closed")
    text = _text(text, required=True)
    action.status, action.resolved_at, action.resolved_by = "done", now, actor.employee_id
    session.add(action)
    _note(session, actor, streak, "resolved", text, now, action.id)


def delivery_states(session: Session, message_ids: list[int]) -> dict[int, list[tuple[str, str, datetime | None]]]:
    """Per message: (channel, status, read_at) of each delivery."""
    if not message_ids:
        return {}
    result: dict[int, list[tuple[str, str, datetime | None]]] = defaultdict(list)
    for message_id, channel, status, read_at in session.exec(
        select(NotificationDelivery.message_id, NotificationDelivery.channel, NotificationDelivery.status, NotificationDelivery.read_at)
        .where(NotificationDelivery.message_id.in_(message_ids))  # type: ignore[attr-defined]
        .order_by(NotificationDelivery.id)
    ).all():
        result[message_id].append((channel, status, read_at))
    return result


def working_time(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=tz())
