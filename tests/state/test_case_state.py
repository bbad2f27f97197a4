"""Case handlers called directly: HR runs a case, the employee reads and answers the notice, the
manager records a call; the wrong person, the wrong channel and the wrong moment are refused
with a translated reason and nothing written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from selfservice.i18n import t
from selfservice.persistence.models import AbsenceCase, CaseEvent, CaseNotice, NotificationMessage
from selfservice.services import cases
from selfservice.ui.pages.cases import CasesState, CaseState, NoticeState
from tests.cases_setup import configure, confirm_contacts, employee, handbook, streak
from tests.helpers import actor_for, audit_count
from tests.state.conftest import call, substate, token_for
from tests.state.test_attendance_state import at_url


def _case(app_db) -> int:
    now = datetime.now(UTC)
    policy_id = handbook(app_db, now, ["E1008"])
    confirm_contacts(app_db, "E1008", ["inapp", "sms"], now - timedelta(days=10))
    configure(app_db, policy_id, now)
    today = date.today()
    sid = streak(app_db, "E1008", [today - timedelta(days=4), today - timedelta(days=3), today - timedelta(days=2)], now)
    state = substate(CasesState)
    state.session_token = token_for("hr01")
    at_url(state, "/cases")
    call(state, "load")
    assert any(c["streak"] == str(sid) for c in state.candidates)
    result = call(state, "open_streak", str(sid))
    case = app_db.exec(select(AbsenceCase)).one()
    assert f"/case?c={case.id}" in str(result)
    return case.id


def _hr_case_state(case_id: int, who: str = "hr01") -> CaseState:
    state = substate(CaseState)
    state.session_token = token_for(who)
    at_url(state, f"/case?c={case_id}")
    call(state, "load")
    return state


def test_hr_sends_the_notice_only_to_confirmed_channels(app_db):
    case_id = _case(app_db)
    state = _hr_case_state(case_id)
    assert state.view["stage"] == "open" and {c["value"] for c in state.confirmed} == {"inapp", "sms"}
    assert any("缺勤" in e["title"] for e in state.entries)
    before = audit_count(app_db)
    call(state, "send_return", {"ch_inapp": "on", "ch_email": "on"})
    assert "电子邮件" in state.error and audit_count(app_db) == before
    assert app_db.exec(select(CaseNotice)).first() is None
    call(state, "send_return", {"ch_inapp": "on", "ch_sms": "on"})
    assert state.error == "" and state.view["stage"] == "notice_sent" and state.view["deadline"].endswith("23:59")
    assert state.notices[0]["number"].startswith("FG-")
    call(state, "propose", {"text": "逾期"})
    assert "尚未届满" in state.error
    app_db.expire_all()
    assert app_db.get(AbsenceCase, case_id).stage == "notice_sent"


def test_the_employee_reads_confirms_and_answers_on_the_notice_page(app_db):
    case_id = _case(app_db)
    cases.send_return_notice(app_db, actor_for(app_db, "hr01"), case_id, ["inapp", "sms"], datetime.now(UTC))
    app_db.commit()
    number = app_db.exec(select(CaseNotice)).one().number

    stranger = substate(NoticeState)
    stranger.session_token = token_for("E2004")
    at_url(stranger, f"/notice?n={number}")
    assert "error.not_permitted" in str(call(stranger, "load"))

    page = substate(NoticeState)
    page.session_token = token_for("E1008")
    at_url(page, f"/notice?n={number}")
    call(page, "load")
    assert page.notice["mine"] == "1" and "返岗" in page.notice["text"] and page.notice["acknowledged"] == ""
    message = app_db.get(NotificationMessage, app_db.exec(select(CaseNotice)).one().message_id)
    app_db.refresh(message)
    assert message.read_at is not None and message.acknowledged_at is None  # a read, not an answer
    assert app_db.get(AbsenceCase, case_id).stage == "notice_sent"
    call(page, "acknowledge")
    assert page.notice["acknowledged"] != ""
    app_db.expire_all()
    assert app_db.get(AbsenceCase, case_id).stage == "notice_sent"  # receipt is not a reaction
    call(page, "reply", {"text": "家里有急事，下周一回来上班。"})
    app_db.expire_all()
    assert app_db.get(AbsenceCase, case_id).stage == "paused"
    hr = _hr_case_state(case_id)
    assert hr.view["stage"] == "paused" and any("家里有急事" in e["lines"] for e in hr.entries)
    call(hr, "resolve", {"resolution": "explained", "text": "电话核实，补请事假。"})
    assert hr.view["stage"] == "resolved" and "已说明正当理由" in hr.view["outcome"]


def test_the_manager_records_a_call_but_cannot_act_for_hr(app_db):
    case_id = _case(app_db)
    manager = _hr_case_state(case_id, "E1003")  # 王芳 manages 黄丽
    assert manager.view["is_hr"] == "" and manager.exports == []
    number = employee(app_db, "E1008").phone
    call(manager, "add_record", {"kind": "call", "at": "", "number": number, "outcome": "no_answer", "text": ""})
    assert manager.error == ""
    assert app_db.exec(select(CaseEvent).where(CaseEvent.kind == "call")).one().actor_id == employee(app_db, "E1003").id
    before = audit_count(app_db)
    assert "error.not_permitted" in str(call(manager, "send_return", {"ch_inapp": "on"}))
    assert "error.not_permitted" in str(call(manager, "export", True))
    assert audit_count(app_db) == before

    for who in ("E1008", "E2004"):  # the employee themself and a stranger do not see the case
        state = substate(CaseState)
        state.session_token = token_for(who)
        at_url(state, f"/case?c={case_id}")
        assert "error.not_permitted" in str(call(state, "load"))
        state._case_id = case_id  # even pointed at it on the server
        call(state, "add_record", {"kind": "note", "at": "", "number": "", "outcome": "", "text": "x"})
        assert state.error == t("zh-CN", "error.not_permitted")
    assert audit_count(app_db) == before


def test_hr_exports_a_bundle_from_the_page(app_db):
    case_id = _case(app_db)
    state = _hr_case_state(case_id)
    call(state, "export", False)
    assert state.error == "" and len(state.exports) == 1 and state.exports[0]["url"].startswith("/files/evidence/")
