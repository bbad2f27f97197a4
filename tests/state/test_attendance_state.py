"""Attendance handlers: the right user succeeds; the wrong one is refused, gets a translated
message and nothing is written; bad input gets the reason in the user's language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from selfservice.domain.actor import SYSTEM
from selfservice.persistence.db import session_scope
from selfservice.persistence.models import AbsenceNote, AttendancePolicy, AuditEntry, NotificationMessage, Punch, PunchSource
from selfservice.services import absence_watch, punches
from selfservice.ui.pages.attendance import EmployeeAttendanceState, MyAttendanceState
from selfservice.ui.pages.attendance_panels import AttendancePanelsState
from selfservice.ui.pages.attendance_settings import AttendanceSettingsState
from selfservice.ui.pages.attendance_sources import SourcesState
from selfservice.ui.pages.home import HomeState
from selfservice.ui.pages.hr_dashboard import DashboardState
from selfservice.ui.pages.inbox import InboxState
from selfservice.ui.pages.login import LoginState
from selfservice.ui.pages.team import TeamState
from tests.helpers import actor_for
from tests.state.conftest import DEMO_PASSWORD, call, substate, token_for


def as_user(cls, username, url: str = ""):
    state = substate(cls)
    state.session_token = token_for(username)
    if url:
        at_url(state, url)
    return state


def at_url(state, url: str) -> None:
    """What Reflex sets when the browser opens ``url``."""
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(url)
    data = {"pathname": parts.path, "asPath": url, "query": dict(parse_qsl(parts.query)), "headers": {"origin": "http://localhost:3000"}}
    state.router_data = state._update_router_vars(data, state.router_data or {})


def rules_form(values: dict[str, str], **changes: str) -> dict[str, str]:
    """The settings form as the browser submits it (checkboxes by name, "on" when ticked)."""
    form = {k: v for k, v in values.items() if k not in ("reminder_channels", "geolocation")}
    form.update({f"channel_{c}": "on" for c in values.get("reminder_channels", "").split(",") if c})
    if values.get("geolocation"):
        form["geolocation"] = "on"
    return {**form, **changes}


def audit_rows() -> int:
    with session_scope() as session:
        return len(session.exec(select(AuditEntry.seq)).all())


@pytest.fixture
def streaked(app_db):
    """Tracked for two weeks; nobody clocked in, so everyone has a streak and a reminder."""
    today = datetime.now(UTC).date()
    app_db.add(AttendancePolicy(id=1, tracked_from=today - timedelta(days=10)))
    app_db.commit()
    absence_watch.scan(app_db, SYSTEM, today, datetime.now(UTC))
    app_db.commit()
    return app_db


def employee_id(number: str) -> int:
    with session_scope() as session:
        return actor_for(session, number).employee_id


def test_clock_in_and_out_from_the_home_page(app_db):
    home = as_user(HomeState, "E1004")
    call(home, "load")
    assert home.today["next"] == "in"
    call(home, "clock", "in")
    assert home.clocked.endswith("|in") and home.today["next"] == "out" and home.today["punches"]
    call(home, "clock", "out")
    assert home.today["punches"].count(" · ") == 1
    before = audit_rows()
    refused = call(home, "clock", "sideways")
    assert "输入无效" in str(refused) and audit_rows() == before


def test_clock_in_keeps_a_location_only_when_hr_turned_it_on(app_db):
    home = as_user(HomeState, "E1005")
    call(home, "load")
    call(home, "clock_in_at", {"lat": 31.2, "lng": 121.5, "acc": 20})
    with session_scope() as session:
        assert session.exec(select(Punch)).one().latitude is None
    hr = as_user(AttendanceSettingsState, "hr01")
    call(hr, "load")
    call(hr, "save", rules_form(hr.values, geolocation="on"))
    call(home, "load")
    assert home.today["geolocation"] == "1"
    asked = call(home, "locate")
    assert home.clocking and "_call_script" in str(asked.handler.fn.__qualname__ if hasattr(asked, "handler") else asked)
    call(home, "clock_out_at", {"lat": 31.2, "lng": 121.5, "acc": 20})
    call(home, "clock_out_at", {})
    with session_scope() as session:
        located = [p for p in session.exec(select(Punch).order_by(Punch.id)).all() if p.direction == "out"]
    assert located[0].latitude == 31.2 and located[0].accuracy_m == 20
    assert "请求参数无效" in str(call(home, "clock_in_at", {"lat": "north"}))


def test_my_attendance_shows_my_own_month_only(streaked):
    mine = as_user(MyAttendanceState, "E1004")
    call(mine, "load")
    assert mine.summary["employee_no"] == "E1004" and mine.days
    missing = [d for d in mine.days if d["outcome"] == "missing"]
    assert missing and missing[0]["leave_link"].startswith("/leave?start=")
    call(mine, "shift", -1)
    assert mine.month < datetime.now(UTC).strftime("%Y-%m")


def test_the_drill_down_is_for_hr_and_the_direct_manager(streaked):
    target = employee_id("E1004")
    manager = as_user(EmployeeAttendanceState, "E1002", f"/attendance/employee?id={target}")
    call(manager, "load_employee")
    assert manager.summary["employee_no"] == "E1004" and manager.trails and not manager.is_hr_view
    other = as_user(EmployeeAttendanceState, "E1003", f"/attendance/employee?id={target}")
    assert "您没有权限" in str(call(other, "load_employee"))
    assert other.summary == {}
    colleague = as_user(EmployeeAttendanceState, "E1005", f"/attendance/employee?id={target}")
    assert "error.not_permitted" in str(call(colleague, "load_employee")), "an employee without reports is not even a manager"


def test_hr_corrects_and_voids_punches_with_a_reason(streaked):
    target = employee_id("E1004")
    hr = as_user(EmployeeAttendanceState, "hr01", f"/attendance/employee?id={target}")
    call(hr, "load_employee")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    before = audit_rows()
    call(hr, "correct", {"day": yesterday, "time": "09:00", "direction": "in", "reason": ""})
    assert hr.form_error == "请填写原因。" and audit_rows() == before
    call(hr, "correct", {"day": yesterday, "time": "09:00", "direction": "in", "reason": "考勤机故障"})
    if hr.month != yesterday[:7]:
        call(hr, "shift_employee", -1)
    assert hr.form_error == "" and hr.punch_rows and hr.punch_rows[0]["reason"] == "考勤机故障"
    punch_id = hr.punch_rows[0]["id"]
    call(hr, "open_void", punch_id)
    call(hr, "void", int(punch_id))
    assert hr.form_error == "请填写原因。"
    call(hr, "set_void_reason", "补录错了人")
    call(hr, "void", int(punch_id))
    assert hr.punch_rows[0]["voided"] == "1" and hr.punch_rows[0]["void_reason"] == "补录错了人"
    download = call(hr, "export")
    assert "download" in str(download)


def test_the_manager_notes_having_reached_a_report_and_nobody_else_can(streaked):
    now = datetime.now(UTC)
    with session_scope() as session:
        absence_watch.forward_due(session, SYSTEM, now + timedelta(days=3))
    team = as_user(TeamState, "E1002")
    call(team, "load")
    assert {r["employee_no"] for r in team.rows} == {"E1004", "E1005", "E1006", "E1011"}
    forward = next(f for f in team.forwards if f["employee_no"] == "E1004")
    call(team, "open_note", forward["streak_id"])
    call(team, "set_note", "电话联系上了")
    call(team, "reached", int(forward["streak_id"]))
    assert "电话联系上了" in next(f for f in team.forwards if f["employee_no"] == "E1004")["notes"]
    intruder = as_user(TeamState, "E1003")
    before = audit_rows()
    assert "您没有权限" in str(call(intruder, "reached", int(forward["streak_id"])))
    assert audit_rows() == before


def test_the_employee_replies_to_a_reminder_and_nobody_else_can(streaked):
    with session_scope() as session:
        message = session.exec(
            select(NotificationMessage).where(
                NotificationMessage.recipient_id == actor_for(session, "E1004").employee_id, NotificationMessage.kind == "absence_reminder"
            )
        ).one()
    other = as_user(InboxState, "E1005")
    before = audit_rows()
    assert "您没有权限" in str(call(other, "reply", message.id))
    assert audit_rows() == before
    inbox = as_user(InboxState, "E1004", f"/inbox/message?id={message.id}")
    call(inbox, "load_message")
    assert inbox.message["link_path"].startswith("/leave?start=") and inbox.message["kind"] == "absence_reminder"
    call(inbox, "set_reply", "在医院，明天补假")
    call(inbox, "reply", message.id)
    assert inbox.message["acknowledged_at"]
    with session_scope() as session:
        assert session.exec(select(AbsenceNote)).one().text == "在医院，明天补假"


def test_hr_resolves_a_followup_only_with_a_note_and_exports_panels(streaked):
    panels = as_user(AttendancePanelsState, "hr01")
    call(panels, "load")
    assert panels.streaks and panels.alerts
    dashboard = as_user(DashboardState, "hr01")
    events = call(dashboard, "load")
    assert events, "the dashboard asks each panel to load"
    for key in ("missing_today", "streaks", "followups", "forwards", "anomaly_chart", "health"):
        assert "download" in str(call(dashboard, "export", key))
    assert "记录不存在" in str(call(dashboard, "export", "no-such-panel"))
    streak_id = int(panels.streaks[0]["streak_id"])
    assert "记录不存在" in str(call(panels, "resolve", streak_id)), "no follow-up exists for a fresh reminder"


def test_hr_lands_on_the_dashboard_and_a_reminder_link_survives_sign_in(app_db):
    login = substate(LoginState)
    at_url(login, "/login?next=%2Fleave%3Fstart%3D2026-11-19%26end%3D2026-11-20")
    call(login, "load")
    result = call(login, "sign_in", {"username": "E1004", "password": DEMO_PASSWORD})
    assert "/leave?start=2026-11-19&end=2026-11-20" in str(result)
    evil = substate(LoginState)
    at_url(evil, "/login?next=https%3A%2F%2Fevil.example")
    call(evil, "load")
    assert "https://evil" not in str(call(evil, "sign_in", {"username": "E1005", "password": DEMO_PASSWORD}))


def test_sources_issue_a_token_once_and_revoke_it(app_db):
    sources = as_user(SourcesState, "hr01")
    call(sources, "load")
    call(sources, "create", {"kind": "api", "name": "门禁 2"})
    token = sources.new_token
    assert token.startswith("pst_")
    with session_scope() as session:
        row = session.exec(select(PunchSource).where(PunchSource.name == "门禁 2")).one()
        assert token not in (row.token_hash, row.token_hint) and punches.authenticate(session, token).id == row.id
    call(sources, "revoke", row.id)
    assert sources.new_token == ""
    with session_scope() as session:
        assert punches.authenticate(session, token) is None
    before = audit_rows()
    assert "已有名为" in str(call(sources, "create", {"kind": "file", "name": "门禁 2"}))
    assert audit_rows() == before


def test_settings_refuse_bad_numbers_with_the_field_and_keep_the_old_rules(app_db):
    settings = as_user(AttendanceSettingsState, "hr01")
    call(settings, "load")
    good = dict(settings.values)
    call(settings, "save", rules_form(good, remind_after_days="0"))
    assert settings.error == "须为 1–30 之间的整数。"
    call(settings, "save", rules_form(good, office_end="08:00"))
    assert settings.error == "下班时间须晚于上班时间。"
    call(settings, "load")
    assert settings.values["remind_after_days"] == "2"
    call(
        settings,
        "add_pattern",
        {"name": "四班两运转", "kind": "cycle", "days": "111100", "anchor": "", "start_time": "08:00", "end_time": "20:00"},
    )
    assert settings.pattern_error == "循环排班须指定起始日期。"
    call(
        settings,
        "add_pattern",
        {"name": "四班两运转", "kind": "cycle", "days": "111100", "anchor": "2026-11-02", "start_time": "08:00", "end_time": "20:00"},
    )
    assert [p["name"] for p in settings.patterns] == ["四班两运转"]
    call(settings, "assign", {"employee_no": "E3004", "pattern_id": settings.patterns[0]["id"], "starts_on": date.today().isoformat()})
    assert settings.assign_error == "" and settings.patterns[0]["people"] == "1"
    settings.lang = "en"
    call(settings, "assign", {"employee_no": "E0000", "pattern_id": "", "starts_on": date.today().isoformat()})
    assert settings.assign_error == "Employee number “E0000” does not exist."
