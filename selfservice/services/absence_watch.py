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
from datetime import date, datetime, timedelta

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
    Employee,
    LeaveRequest,
    NotificationDelivery,
    NotificationMessage,
    OnceKey,
    ScanRun,
    UserAccount,
)
from selfservice.services import attendance_settings, audit, work_calendar
from selfservice.services.absence_streaks import STREAK_LOCK, chunked, local_today, on_record_from, record_judged_days, see, sync, tz
from selfservice.services.notifications import configured_channels, notify_each, notify_many

REMINDER, FORWARD, FOLLOWUP = "reminder", "forward", "followup"
CHANNEL_NAMES = {"inapp": ("站内", "in-app"), "wecom": ("企业微信", "WeCom"), "sms": ("短信", "SMS"), "email": ("邮件", "email")}


# ---- the rules ------------------------------------------------------------------------------------


def _claim_many(session: Session, streak_ids: list[int], rule: str, now: datetime) -> dict[int, int]:
    """Insert the (streak, rule) actions that do not exist yet: the inserts that win fire the
    rule (so a re-run, a replay or a second scheduler fires nothing twice). streak → action id."""
    table = AbsenceAction.__table__  # type: ignore[attr-defined]
    rows = [
        {"streak_id": s, "rule": rule, "status": "open", "message_ids": "[]", "channels": "", "created_at": now, "close_reason": ""}
        for s in streak_ids
    ]
    claimed: dict[int, int] = {}
    for part in chunked(rows, 2000):
        statement = insert_ignoring_duplicates(session, table).returning(table.c.streak_id, table.c.id)
        claimed.update({streak_id: action_id for streak_id, action_id in session.execute(statement, part).all()})
    return claimed


def _leave_link(streak: AbsenceStreak) -> str:
    return f"/leave?start={streak.start_date.isoformat()}&end={streak.last_date.isoformat()}&type=personal&from=reminder"


def _dates(streak: AbsenceStreak) -> list[date]:
    return [date.fromisoformat(d) for d in json.loads(streak.dates_json)]


def remind(session: Session, actor: Actor, streaks: list[AbsenceStreak], watch: rules.WatchRules, now: datetime) -> list[AbsenceStreak]:
    """Rule 1: each streak not reminded yet gets its reminder, naming its own dates, over in-app
    and the configured channels HR chose; forwarded if still unread after the office hours."""
    claimed = _claim_many(session, [s.id for s in streaks], REMINDER, now)  # type: ignore[misc]
    due = [s for s in streaks if s.id in claimed]
    if not due:
        return []
    channels = [c for c in watch.reminder_channels if c in configured_channels(session)]
    items = []
    for streak in due:
        days = _dates(streak)
        items.append(
            (
                streak.employee_id,
                {"days": str(len(days)), "dates_zh": rules.dates_zh(days), "dates_en": rules.dates_en(days)},
                _leave_link(streak),
            )
        )
    message_ids = notify_each(session, actor, items, "absence_reminder", "absence.reminder", channels, now, requires_ack=True)
    today = local_today(now)
    calendar = work_calendar.load(session, today, today + timedelta(days=30))
    forward_at = rules.add_office_hours(now, watch.forward_after_hours, calendar.is_workday, tz(), watch.office_start, watch.office_end)
    sent_on = ",".join(["inapp", *channels])
    session.execute(
        sa.update(AbsenceAction),
        [
            {"id": claimed[s.id], "message_ids": json.dumps([m]), "channels": sent_on, "due_at": forward_at}
            for s, m in zip(due, message_ids, strict=True)
        ],  # type: ignore[index]
    )
    audit.append_many(
        session,
        actor,
        [
            (
                "absence.reminded",
                "absence_streak",
                s.id,
                {"message_id": m, "channels": sent_on, "dates": json.loads(s.dates_json), "due": forward_at.isoformat()},
            )
            for s, m in zip(due, message_ids, strict=True)
        ],
        at=now,
    )
    return due


def follow_up(session: Session, actor: Actor, streaks: list[AbsenceStreak], scan_day: date, now: datetime) -> list[AbsenceStreak]:
    """Rule 3: a reminder sent by an earlier scan, read, with no reply, no leave request for the
    days and no punch since (the streak is still open) → an HR follow-up."""
    by_id = {s.id: s for s in streaks}
    reminders: dict[int, int] = {}
    for ids in chunked(list(by_id)):
        for streak_id, message_ids, created_at in session.exec(
            select(AbsenceAction.streak_id, AbsenceAction.message_ids, AbsenceAction.created_at).where(
                AbsenceAction.rule == REMINDER, AbsenceAction.streak_id.in_(ids)
            )  # type: ignore[attr-defined]
        ).all():
            if local_today(created_at) < scan_day and json.loads(message_ids):
                reminders[streak_id] = json.loads(message_ids)[0]
    read: set[int] = set()
    for ids in chunked(list(reminders.values())):
        read |= set(
            session.exec(
                select(NotificationMessage.id).where(
                    NotificationMessage.id.in_(ids),
                    NotificationMessage.read_at.is_not(None),
                    NotificationMessage.acknowledged_at.is_(None),  # type: ignore[union-attr]
                )
            ).all()
        )
    waiting = [by_id[s] for s, m in reminders.items() if m in read]
    if not waiting:
        return []
    replied: set[int] = set()
    leave: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for part in chunked(waiting):
        replied |= set(
            session.exec(
                select(AbsenceNote.streak_id).where(AbsenceNote.kind == "reply", AbsenceNote.streak_id.in_([s.id for s in part]))
            ).all()
        )  # type: ignore[attr-defined]
        for employee_id, start, end in session.exec(
            select(LeaveRequest.employee_id, LeaveRequest.start_date, LeaveRequest.end_date).where(
                LeaveRequest.employee_id.in_([s.employee_id for s in part]),  # type: ignore[attr-defined]
                LeaveRequest.status.in_(HOLDING),  # type: ignore[attr-defined]
                LeaveRequest.end_date >= min(s.start_date for s in part),
            )
        ).all():
            leave[employee_id].append((start, end))
    silent = [
        s
        for s in waiting
        if s.id not in replied and not any(start <= s.last_date and end >= s.start_date for start, end in leave.get(s.employee_id, []))
    ]
    claimed = _claim_many(session, [s.id for s in silent], FOLLOWUP, now)  # type: ignore[misc]
    opened = [s for s in silent if s.id in claimed]
    audit.append_many(session, actor, [("absence.followup_opened", "absence_streak", s.id, {"days": s.days}) for s in opened], at=now)
    return opened


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
        claimed = _claim_many(session, [streak.id], FORWARD, now)  # type: ignore[list-item]
        if not claimed:
            continue
        action = session.get(AbsenceAction, claimed[streak.id])  # type: ignore[index]
        assert action is not None
        action.assignee_id = manager.id if to_manager else None  # type: ignore[union-attr]
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
        first_scan = session.exec(select(ScanRun.id).where(ScanRun.dry_run == False).limit(1)).first() is None  # noqa: E712
        seen = see(session, as_of, watch, tracked)
        through = max((g.judged_through for g in seen.groups), default=scan_day - timedelta(days=1))
        report = ScanReport(scan_day, through, dry_run=dry_run)
        # (the first scan also records the earlier days of the streaks it finds)
        synced = sync(session, actor, seen.found, now, record_days=first_scan, shortest=on_record_from(watch))
        report.streaks, report.opened, report.closed = len(synced.current), len(synced.opened), len(synced.closed)
        report.anomalies = record_judged_days(session, seen, tracked, synced.current, now) if seen.groups else 0
        confirmed = [s for s in synced.current.values() if not s.unconfirmed]
        report.unconfirmed = len(synced.current) - len(confirmed)
        report.red = sum(s.days >= watch.case_threshold for s in confirmed)
        reminded = remind(session, actor, [s for s in confirmed if s.days >= watch.remind_after_days], watch, now)
        report.reminded = [s.employee_id for s in reminded]
        fresh = {s.id for s in reminded}
        report.followups = [s.employee_id for s in follow_up(session, actor, [s for s in confirmed if s.id not in fresh], scan_day, now)]
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
    result: dict[int, list[tuple[str, str, datetime | None]]] = defaultdict(list)
    for ids in chunked(message_ids):
        for message_id, channel, status, read_at in session.exec(
            select(NotificationDelivery.message_id, NotificationDelivery.channel, NotificationDelivery.status, NotificationDelivery.read_at)
            .where(NotificationDelivery.message_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(NotificationDelivery.id)
        ).all():
            result[message_id].append((channel, status, read_at))
    return result
