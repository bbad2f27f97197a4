"""The absence watch end to end on the demo company: reminder → unread forwarded to the manager →
read without a reply to HR; leave and punches close streaks; every rule fires once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import select

from selfservice.domain.actor import SYSTEM
from selfservice.domain.errors import NotPermitted, ValidationFailed
from selfservice.domain.punches import PunchDraft
from selfservice.persistence.models import (
    AbsenceAction,
    AbsenceNote,
    AbsenceStreak,
    AttendanceAnomaly,
    AttendancePolicy,
    Employee,
    NotificationDelivery,
    NotificationMessage,
    ScanRun,
    ScheduleAssignment,
    ShiftPattern,
)
from selfservice.services import absence_watch, attendance, channel_settings, leave_balances, leave_requests, notifications, punches
from tests.helpers import actor_for, audit_count

SHANGHAI = ZoneInfo("Asia/Shanghai")
# November 2026: Mon 16 … Fri 20, Mon 23 … Fri 27, Mon 30; no holidays.
WEEK = [date(2026, 11, 16) + timedelta(days=i) for i in range(5)]
NEXT = [date(2026, 11, 23) + timedelta(days=i) for i in range(5)]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).astimezone(UTC)


def present(session, days, absent: dict[str, set[date]] | None = None) -> None:
    """Everyone clocks in at 09:00 on ``days`` except the given (number → days) absences."""
    absent = absent or {}
    source = punches.builtin_source(session, punches.CORRECTION)
    drafts = [
        PunchDraft(e.id, local(day, 9), f"t:{e.employee_no}:{day}", "in")
        for e in session.exec(select(Employee)).all()
        for day in days
        if day not in absent.get(e.employee_no, set())
    ]
    punches._store(session, SYSTEM, source, drafts, local(days[-1], 9))
    session.commit()


@pytest.fixture
def watched(demo):
    """Attendance tracked from Mon 16 Nov; everybody present that week except 张伟 on Thu and Fri."""
    demo.add(AttendancePolicy(id=1, tracked_from=WEEK[0]))
    demo.commit()
    present(demo, WEEK, {"E1004": {WEEK[3], WEEK[4]}})
    return demo


def scan(session, day: date, hour: int = 10, minute: int = 0, **kwargs):
    report = absence_watch.scan(session, SYSTEM, day, local(day, hour, minute), **kwargs)
    session.commit()
    return report


def reminders(session, number: str) -> list[NotificationMessage]:
    employee_id = actor_for(session, number).employee_id
    return list(
        session.exec(
            select(NotificationMessage).where(
                NotificationMessage.recipient_id == employee_id, NotificationMessage.kind == "absence_reminder"
            )
        ).all()
    )


def streak_of(session, number: str) -> AbsenceStreak | None:
    return session.exec(
        select(AbsenceStreak).where(AbsenceStreak.employee_id == actor_for(session, number).employee_id).order_by(AbsenceStreak.id.desc())
    ).first()


def missing_days(session, number: str) -> list[date]:
    employee_id = actor_for(session, number).employee_id
    return sorted(
        a.day
        for a in session.exec(
            select(AttendanceAnomaly).where(AttendanceAnomaly.employee_id == employee_id, AttendanceAnomaly.status == "missing")
        ).all()
    )


def actions(session, streak: AbsenceStreak) -> dict[str, AbsenceAction]:
    return {a.rule: a for a in session.exec(select(AbsenceAction).where(AbsenceAction.streak_id == streak.id)).all()}


def test_two_missing_days_remind_the_employee_naming_the_dates_with_a_prefilled_leave_link(watched):
    report = scan(watched, NEXT[0])
    assert report.judged_through == date(2026, 11, 22) and report.reminded == [actor_for(watched, "E1004").employee_id]
    [message] = reminders(watched, "E1004")
    assert "您已连续2天（11月19日、11月20日）未打卡，请尽快通过员工自助系统提交请假申请或说明情况，逾期将按旷工处理。" in message.body
    assert message.requires_ack and message.link_path == "/leave?start=2026-11-19&end=2026-11-20&type=personal&from=reminder"
    streak = streak_of(watched, "E1004")
    assert (streak.start_date, streak.last_date, streak.days, streak.status) == (WEEK[3], WEEK[4], 2, "open")
    assert actions(watched, streak)[absence_watch.REMINDER].due_at == local(NEXT[0], 14), "four working hours later"


def test_every_rule_fires_once_across_reruns_replays_and_a_scheduled_run(watched):
    scan(watched, NEXT[0])
    scan(watched, NEXT[0])
    scan(watched, NEXT[0], run_key="manual-replay", trigger="cli")
    with time_machine.travel(local(NEXT[0], 10, 1), tick=False):
        from selfservice.jobs.attendance import scan_tick

        assert scan_tick() is not None
        assert scan_tick() is None, "the scheduled scan runs once a day"
    watched.expire_all()
    assert len(reminders(watched, "E1004")) == 1
    assert len(watched.exec(select(AbsenceAction)).all()) == 1
    assert watched.exec(select(ScanRun).where(ScanRun.run_key == "schedule:2026-11-23")).one()


def test_configured_channels_carry_the_reminder_and_the_wecom_text_has_the_signed_link(watched):
    channel_settings.save(
        watched, actor_for(watched, "admin"), "wecom", True, {"corp_id": "ww1", "agent_id": "1", "secret": "s"}, local(WEEK[4], 9)
    )
    watched.commit()
    scan(watched, NEXT[0])
    [message] = reminders(watched, "E1004")
    deliveries = {
        d.channel: d for d in watched.exec(select(NotificationDelivery).where(NotificationDelivery.message_id == message.id)).all()
    }
    assert set(deliveries) == {"inapp", "wecom"}, "SMS is not configured: no SMS delivery"
    assert "/m?t=" in deliveries["wecom"].text_sent and deliveries["wecom"].address == "E1004"


def test_unread_reminder_is_forwarded_to_the_manager_after_four_working_hours(watched):
    scan(watched, NEXT[0])
    assert absence_watch.forward_due(watched, SYSTEM, local(NEXT[0], 13, 59)) == 0
    assert absence_watch.forward_due(watched, SYSTEM, local(NEXT[0], 14)) == 1
    watched.commit()
    forward = watched.exec(select(NotificationMessage).where(NotificationMessage.kind == "absence_forward")).one()
    assert forward.recipient_id == actor_for(watched, "E1002").employee_id
    assert "系统于11-23 10:00通过站内发送了提醒，截至11-23 14:00仍未读" in forward.body
    assert forward.link_path.startswith("/team?streak=")
    assert absence_watch.forward_due(watched, SYSTEM, local(NEXT[0], 16)) == 0, "forwarded once"
    [view] = attendance.forwards_for(watched, actor_for(watched, "E1002"))
    assert view.name == "张伟" and view.reminder_sent_at == "2026-11-23 10:00" and view.unread_at == "2026-11-23 14:00"


def test_forward_deadline_counts_office_hours_of_working_days_only(watched):
    present(watched, NEXT[:4], {"E1004": set(NEXT[:4])})
    with time_machine.travel(local(NEXT[4], 17), tick=False):  # Friday 17:00: 1 h today, 3 h on Monday
        absence_watch.scan(watched, SYSTEM, NEXT[4], local(NEXT[4], 17))
        watched.commit()
    watched.expire_all()
    streak = streak_of(watched, "E1004")
    reminder = actions(watched, streak).get(absence_watch.REMINDER)
    assert reminder is not None and reminder.due_at == local(date(2026, 11, 30), 12)
    from selfservice.jobs.attendance import forward_tick

    with time_machine.travel(local(date(2026, 11, 28), 20), tick=False):  # Saturday: not counted
        assert forward_tick() == 0
    with time_machine.travel(local(date(2026, 11, 30), 12, 1), tick=False):
        assert forward_tick() == 1


def test_an_employee_without_a_manager_is_forwarded_to_hr(watched):
    present(watched, NEXT[:2], {"E1001": set(NEXT[:2])})  # 陈建国 heads R&D and has no manager
    scan(watched, NEXT[2])
    absence_watch.forward_due(watched, SYSTEM, local(NEXT[2], 15))
    watched.commit()
    recipients = {
        m.recipient_id
        for m in watched.exec(select(NotificationMessage).where(NotificationMessage.template == "absence.forwarded_hr")).all()
    }
    assert recipients == {actor_for(watched, n).employee_id for n in ("hr01", "hr02", "admin")}


def test_read_without_reply_becomes_an_hr_followup_at_the_next_scan(watched):
    scan(watched, NEXT[0])
    [message] = reminders(watched, "E1004")
    notifications.open_message(watched, actor_for(watched, "E1004"), message.id, local(NEXT[0], 11))
    watched.commit()
    absence_watch.forward_due(watched, SYSTEM, local(NEXT[0], 15))
    report = scan(watched, NEXT[1])
    assert report.followups == [actor_for(watched, "E1004").employee_id]
    streak = streak_of(watched, "E1004")
    assert set(actions(watched, streak)) == {absence_watch.REMINDER, absence_watch.FOLLOWUP}, "read in time: never forwarded"
    [row] = attendance.followups(watched, actor_for(watched, "hr01"))
    assert row.name == "张伟" and row.reminder_read_at == "2026-11-23 11:00" and row.days == 3
    absence_watch.assign_followup(watched, actor_for(watched, "hr01"), streak.id, "hr02", local(NEXT[1], 11))
    with pytest.raises(ValidationFailed):
        absence_watch.resolve_followup(watched, actor_for(watched, "hr01"), streak.id, "  ", local(NEXT[1], 11))
    absence_watch.resolve_followup(watched, actor_for(watched, "hr01"), streak.id, "电话联系上，明天返岗", local(NEXT[1], 12))
    watched.commit()
    assert attendance.followups(watched, actor_for(watched, "hr01")) == []
    notes = [n.kind for n in watched.exec(select(AbsenceNote)).all()]
    assert notes == ["assigned", "resolved"]
    with pytest.raises(NotPermitted):
        absence_watch.resolve_followup(watched, actor_for(watched, "E1002"), streak.id, "x", local(NEXT[1], 12))


@pytest.mark.parametrize("answer", ["reply", "leave"])
def test_a_reply_or_a_leave_request_is_a_response_and_no_followup_opens(watched, answer):
    scan(watched, NEXT[0])
    [message] = reminders(watched, "E1004")
    employee = actor_for(watched, "E1004")
    notifications.open_message(watched, employee, message.id, local(NEXT[0], 11))
    if answer == "reply":
        absence_watch.reply(watched, employee, message.id, "家里有急事，明天说明", local(NEXT[0], 11, 5))
    else:
        leave_balances.ensure_default_types(watched)
        leave_requests.submit(watched, employee, "personal", WEEK[3], "am", WEEK[4], "pm", "家里有急事", [], local(NEXT[0], 11, 5))
    watched.commit()
    report = scan(watched, NEXT[1])
    assert report.followups == []
    if answer == "reply":
        assert watched.get(NotificationMessage, message.id).acknowledged_at is not None
        note = watched.exec(select(AbsenceNote)).one()
        assert (note.kind, note.text, note.author_id) == ("reply", "家里有急事，明天说明", employee.employee_id)


def test_only_the_recipient_replies_and_only_to_a_reminder(watched):
    scan(watched, NEXT[0])
    [message] = reminders(watched, "E1004")
    before = audit_count(watched)
    with pytest.raises(NotPermitted):
        absence_watch.reply(watched, actor_for(watched, "E1005"), message.id, "", local(NEXT[0], 11))
    watched.rollback()
    assert audit_count(watched) == before


def test_retroactive_sick_leave_closes_the_streak_and_its_open_actions_with_the_reason(watched):
    scan(watched, NEXT[0])
    absence_watch.forward_due(watched, SYSTEM, local(NEXT[0], 14))
    watched.commit()
    leave_balances.ensure_default_types(watched)
    employee = actor_for(watched, "E1004")
    from selfservice.demo import sick_note_photo

    photo = sick_note_photo()
    note = leave_requests.stage_attachment(employee, photo, "note.jpg")
    request_id = leave_requests.submit(
        watched, employee, "sick", WEEK[3], "am", WEEK[4], "pm", "发烧", [(note.sha256, note.name)], local(NEXT[0], 15)
    )
    from selfservice.persistence.models import ApprovalInstance, ApprovalStep
    from selfservice.services import approvals

    step = watched.exec(
        select(ApprovalStep)
        .join(ApprovalInstance, ApprovalInstance.id == ApprovalStep.instance_id)
        .where(ApprovalInstance.subject_id == request_id)
    ).first()
    approvals.decide(watched, actor_for(watched, "E1002"), step.id, True, "", local(NEXT[0], 16))
    watched.commit()
    streak = streak_of(watched, "E1004")
    assert (streak.status, streak.close_reason) == ("closed", "leave")
    assert {a.rule: (a.status, a.close_reason) for a in actions(watched, streak).values()} == {
        "reminder": ("done", ""),
        "forward": ("closed", "leave"),
    }
    anomalies = watched.exec(select(AttendanceAnomaly).where(AttendanceAnomaly.employee_id == employee.employee_id)).all()
    assert {(a.day, a.status) for a in anomalies} == {(WEEK[3], "excused"), (WEEK[4], "excused")}
    assert scan(watched, NEXT[1]).reminded == []
    month = attendance.month(watched, employee, employee.employee_id, WEEK[0], WEEK[4], local(NEXT[1], 11))
    assert [d.outcome for d in month.days] == ["present", "present", "present", "leave", "leave"]


def test_a_clock_in_closes_the_streak_at_once(watched):
    scan(watched, NEXT[0])
    punches.clock_in(watched, actor_for(watched, "E1004"), "in", local(NEXT[1], 8, 55))
    watched.commit()
    streak = streak_of(watched, "E1004")
    assert (streak.status, streak.close_reason) == ("closed", "present")
    assert actions(watched, streak)["reminder"].status == "closed"
    assert absence_watch.forward_due(watched, SYSTEM, local(NEXT[1], 15)) == 0, "nobody is forwarded about someone back at work"


def test_a_streak_of_three_is_red_and_half_a_day_of_leave_counts_half(watched):
    leave_balances.ensure_default_types(watched)
    present(watched, NEXT[:2], {"E1004": set(NEXT[:2])})
    employee = actor_for(watched, "E1004")
    request_id = leave_requests.submit(watched, employee, "personal", NEXT[1], "am", NEXT[1], "am", "看病", [], local(NEXT[0], 9))
    from selfservice.persistence.models import ApprovalInstance, ApprovalStep
    from selfservice.services import approvals

    step = watched.exec(
        select(ApprovalStep)
        .join(ApprovalInstance, ApprovalInstance.id == ApprovalStep.instance_id)
        .where(ApprovalInstance.subject_id == request_id)
    ).first()
    approvals.decide(watched, actor_for(watched, "E1002"), step.id, True, "", local(NEXT[0], 9, 30))
    watched.commit()
    scan(watched, NEXT[2])
    [row] = attendance.current_streaks(watched, actor_for(watched, "hr01"), local(NEXT[2], 11))
    assert (row.days, row.missing, row.red) == (4, "3.5", True), "Thu, Fri, Mon and the afternoon of Tue"
    month = attendance.month(watched, employee, employee.employee_id, NEXT[0], NEXT[1], local(NEXT[2], 11))
    assert [(d.outcome, d.missing) for d in month.days] == [("missing", "1"), ("half_missing", "0.5")]


def test_days_in_a_year_without_holidays_are_recorded_but_nobody_is_reminded(demo):
    demo.add(AttendancePolicy(id=1, tracked_from=date(2026, 12, 21)))
    demo.commit()
    present(demo, [date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)], {"E1004": {date(2026, 12, 31)}})
    report = scan(demo, date(2027, 1, 6))  # 2027 is not in the calendar: 1 Jan (a holiday) looks like a workday
    streak = streak_of(demo, "E1004")
    assert streak.unconfirmed and streak.days == 4 and report.reminded == [] and report.unconfirmed >= 1
    assert reminders(demo, "E1004") == []
    alerts = demo.exec(select(NotificationMessage).where(NotificationMessage.template == "calendar.year_missing")).all()
    assert {a.title for a in alerts} == {"2027年法定节假日尚未录入"} and len(alerts) == 3, "HR and admin, once"
    scan(demo, date(2027, 1, 7))
    assert len(demo.exec(select(NotificationMessage).where(NotificationMessage.template == "calendar.year_missing")).all()) == 3


def test_hr_is_alerted_from_the_first_of_december_when_next_year_is_missing(demo):
    from selfservice.domain.actor import SYSTEM as system

    assert absence_watch.alert_missing_calendar(demo, system, date(2026, 11, 30), local(date(2026, 11, 30), 10)) == []
    assert absence_watch.alert_missing_calendar(demo, system, date(2026, 12, 1), local(date(2026, 12, 1), 10)) == [2027]
    alerts = attendance.health(demo, actor_for(demo, "hr01"), local(date(2026, 12, 1), 10))
    assert alerts[0].key == "health.calendar_missing" and alerts[0].params == {"year": "2027"}


def test_a_dry_run_tells_what_would_happen_and_writes_nothing(watched):
    before = audit_count(watched)
    report = scan(watched, NEXT[0], dry_run=True)
    assert report.reminded == [actor_for(watched, "E1004").employee_id] and report.dry_run
    assert audit_count(watched) == before
    assert watched.exec(select(AbsenceStreak)).all() == [] and reminders(watched, "E1004") == []


def test_a_roster_decides_the_working_days(watched):
    """张伟 works 4 on / 2 off from Mon 16 Nov: Fri 20 and Sat 21 are his rest days."""
    pattern = ShiftPattern(
        name="四班两运转", kind="cycle", days="111100", anchor=WEEK[0], follows_calendar=False, start_time="08:00", end_time="20:00"
    )
    watched.add(pattern)
    watched.flush()
    watched.add(ScheduleAssignment(employee_id=actor_for(watched, "E1004").employee_id, pattern_id=pattern.id, starts_on=WEEK[0]))
    watched.commit()
    scan(watched, date(2026, 11, 22))  # judged through Sat 21: he missed Thu 19 only (Fri 20 was his rest day)
    assert streak_of(watched, "E1004") is None and reminders(watched, "E1004") == [], "a single day is an anomaly, not a kept streak"
    assert missing_days(watched, "E1004") == [date(2026, 11, 19)]
    scan(watched, NEXT[0])  # Sun 22 is a working day of his roster, missed too
    streak = streak_of(watched, "E1004")
    assert json.loads(streak.dates_json) == ["2026-11-19", "2026-11-22"] and len(reminders(watched, "E1004")) == 1


def test_someone_hired_after_the_days_is_not_missing_them(watched):
    employee = watched.get(Employee, actor_for(watched, "E1005").employee_id)
    employee.hire_date = NEXT[0]
    watched.add(employee)
    watched.commit()
    present(watched, NEXT[:1], {"E1005": {NEXT[0]}})
    scan(watched, NEXT[1])
    assert streak_of(watched, "E1005") is None and missing_days(watched, "E1005") == [NEXT[0]], "only Monday, his first day"


def test_voiding_a_punch_makes_the_day_missing_again(watched):
    hr = actor_for(watched, "hr01")
    scan(watched, NEXT[0])
    present(watched, NEXT[:1])  # Monday's punches arrive late (a time-clock file imported after the scan)
    scan(watched, NEXT[1])
    assert streak_of(watched, "E1004").status == "closed"
    from selfservice.persistence.models import Punch

    monday = watched.exec(
        select(Punch).where(Punch.employee_id == actor_for(watched, "E1004").employee_id, Punch.work_date == NEXT[0])
    ).one()
    with pytest.raises(ValidationFailed):
        punches.void(watched, hr, monday.id, "", local(NEXT[1], 11))
    punches.void(watched, hr, monday.id, "同事代打卡，监控核实", local(NEXT[1], 11))
    watched.commit()
    scan(watched, NEXT[2])
    assert streak_of(watched, "E1004").days == 4


def test_an_hr_correction_excuses_the_day_and_closes_the_streak(watched):
    scan(watched, NEXT[0])
    hr = actor_for(watched, "hr01")
    employee = actor_for(watched, "E1004")
    punches.add_correction(watched, hr, employee.employee_id, WEEK[4], time(9, 2), "in", "考勤机故障，门禁记录核实", local(NEXT[0], 11))
    watched.commit()
    streak = streak_of(watched, "E1004")
    assert (streak.status, streak.close_reason) == ("closed", "present")
    anomaly = watched.exec(
        select(AttendanceAnomaly).where(AttendanceAnomaly.day == WEEK[4], AttendanceAnomaly.employee_id == employee.employee_id)
    ).one()
    assert (anomaly.status, anomaly.reason) == ("excused", "punch")
    with pytest.raises(NotPermitted):
        punches.add_correction(watched, actor_for(watched, "E1002"), employee.employee_id, WEEK[3], time(9), "in", "x", local(NEXT[0], 11))


def test_views_are_scoped_to_the_person_their_manager_and_hr(watched):
    scan(watched, NEXT[0])
    employee_id = actor_for(watched, "E1004").employee_id
    for who in ("E1004", "E1002", "hr01"):
        assert attendance.month(watched, actor_for(watched, who), employee_id, WEEK[0], WEEK[4], local(NEXT[0], 11)).employee_no == "E1004"
    for who in ("E1005", "E1003", "E2002"):
        with pytest.raises(NotPermitted):
            attendance.month(watched, actor_for(watched, who), employee_id, WEEK[0], WEEK[4], local(NEXT[0], 11))
        with pytest.raises(NotPermitted):
            attendance.streak_trails(watched, actor_for(watched, who), employee_id)
    streak = streak_of(watched, "E1004")
    with pytest.raises(NotPermitted):
        absence_watch.reached(watched, actor_for(watched, "E1003"), streak.id, "", local(NEXT[0], 15))
    for panel in (
        attendance.current_streaks,
        attendance.unread_forwards,
        attendance.missing_today,
        attendance.anomaly_chart,
        attendance.health,
    ):
        with pytest.raises(NotPermitted):
            panel(watched, actor_for(watched, "E1002"), local(NEXT[0], 15)) if panel is not attendance.unread_forwards else panel(
                watched, actor_for(watched, "E1002")
            )


def test_the_manager_notes_having_reached_them_and_the_trail_shows_every_step(watched):
    scan(watched, NEXT[0])
    absence_watch.forward_due(watched, SYSTEM, local(NEXT[0], 14))
    streak = streak_of(watched, "E1004")
    absence_watch.reached(watched, actor_for(watched, "E1002"), streak.id, "电话联系上，孩子生病", local(NEXT[0], 14, 30))
    watched.commit()
    assert attendance.unread_forwards(watched, actor_for(watched, "hr01")) == []
    [trail] = attendance.streak_trails(watched, actor_for(watched, "hr01"), actor_for(watched, "E1004").employee_id)
    assert [m.kind for m in trail.messages] == ["absence_reminder", "absence_forward"]
    assert trail.messages[0].deliveries[0][:2] == ("inapp", "delivered")
    assert trail.notes[0][1:] == ("李明", "reached", "电话联系上，孩子生病")


def test_missing_today_and_team_today(watched):
    present(watched, NEXT[:1])
    punches.clock_in(watched, actor_for(watched, "E1005"), "in", local(NEXT[1], 8, 50))
    watched.commit()
    early = {r.employee_no: r.status for r in attendance.team_today(watched, actor_for(watched, "E1002"), local(NEXT[1], 9, 30))}
    assert early == {"E1004": "not_yet_in", "E1005": "present", "E1006": "not_yet_in", "E1011": "not_yet_in"}
    late = {r.employee_no: r.status for r in attendance.team_today(watched, actor_for(watched, "E1002"), local(NEXT[1], 10, 30))}
    assert late["E1004"] == "missing" and late["E1005"] == "present"
    rows = {r.department: r for r in attendance.missing_today(watched, actor_for(watched, "hr01"), local(NEXT[1], 10, 30))}
    assert rows["研发部"].scheduled == 12 and rows["研发部"].missing == 11


def test_the_chart_counts_each_missing_day_once_even_when_people_came_back(watched):
    present(watched, NEXT[:2], {"E2004": {NEXT[0]}})
    scan(watched, NEXT[0])
    scan(watched, NEXT[1])
    scan(watched, NEXT[2])
    chart = attendance.anomaly_chart(watched, actor_for(watched, "hr01"), local(NEXT[2], 11))
    by_day = {d: sum(c) for d, c in zip(chart.days, chart.counts, strict=True)}
    assert by_day[WEEK[3]] == 1 and by_day[WEEK[4]] == 1 and by_day[NEXT[0]] == 1, "张伟 Thu/Fri, 郭敏 Monday (back on Tuesday)"
    assert by_day[NEXT[1]] == 0


def test_exported_text_that_looks_like_a_formula_stays_text(watched):
    import io

    from openpyxl import load_workbook

    from selfservice.services import attendance_dashboard, dashboard  # noqa: F401  (registers the panels)

    employee = watched.get(Employee, actor_for(watched, "E1004").employee_id)
    employee.name = '=HYPERLINK("http://evil.example","张伟")'
    watched.add(employee)
    watched.commit()
    scan(watched, NEXT[0])
    _name, data = dashboard.export_xlsx(watched, actor_for(watched, "hr01"), "streaks", "zh-CN", local(NEXT[0], 11))
    [cell] = [
        c for row in load_workbook(io.BytesIO(data)).active.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert cell.value.startswith("=") and cell.data_type == "s", "a name is text in the sheet, never a formula"
