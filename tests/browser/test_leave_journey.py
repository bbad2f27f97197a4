"""Leave end to end on phones: file with a photo, approve, balance and inbox; reject; escalate."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlmodel import Session

from selfservice.domain.actor import SYSTEM
from selfservice.persistence.db import engine_for
from selfservice.services import approvals, leave_requests, work_calendar
from tests.browser.conftest import assert_accessible, shot
from tests.browser.flows import sign_in

pytestmark = pytest.mark.browser


def workday(db_url: str, weeks_ahead: int, skip: int = 0) -> date:
    """A workday some weeks ahead (the demo's own requests are within the next three weeks). Late in
    December that lands in a year whose holidays are not entered yet (leave there is refused), so
    then the days come from the end of this year instead, counted back from 31 December."""
    today = datetime.now(UTC).date()
    day = today + timedelta(weeks=weeks_ahead)
    with Session(engine_for(db_url)) as session:
        calendar = work_calendar.load(session, today, day + timedelta(days=40))
        entered = work_calendar.entered_years(session, {day.year})
    if not entered:
        last = date(today.year, 12, 31)
        days = [last - timedelta(days=n) for n in range((last - today).days)]
        ahead = [d for d in days if calendar.is_workday(d)]
        return ahead[(weeks_ahead - 2) * 5 + skip]
    found = -1
    while True:
        if calendar.is_workday(day):
            found += 1
            if found == skip:
                return day
        day += timedelta(days=1)


def past_workday(db_url: str, back: int) -> date:
    """A working day ``back`` working days ago (within the 30-day limit for leave after the fact):
    unlike days weeks ahead, it never falls in a year whose holidays are not entered yet."""
    day = datetime.now(UTC).date()
    with Session(engine_for(db_url)) as session:
        calendar = work_calendar.load(session, day - timedelta(days=45), day)
    while back:
        day -= timedelta(days=1)
        back -= calendar.is_workday(day)
    return day


def leave_days(db_url: str, start: date, end: date) -> str:
    with Session(engine_for(db_url)) as session:
        return f"{work_calendar.load(session, start, end).leave_days(start, 'am', end, 'pm').normalize():f}"  # type: ignore[arg-type]


def available(db_url: str, username: str, code: str = "annual") -> Decimal:
    """What the form shows as the balance now: the year's ledger less pending requests (the
    demo's numbers follow each person's working years and move with today's date)."""
    from selfservice.domain.leave import LeaveTypeRule
    from tests.helpers import actor_for

    with Session(engine_for(db_url)) as session:
        employee_id = actor_for(session, username).employee_id
        rule = LeaveTypeRule(code, "", "", True, True, Decimal(0))
        return leave_requests._available(session, employee_id, rule, datetime.now(UTC).year)  # noqa: SLF001


def text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def confirm(page: Page) -> None:
    """Say yes in the confirmation a destructive tap asks for."""
    page.locator(".confirm-yes").click()
    expect(page.locator(".confirm-yes")).to_have_count(0)


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (230, 240, 250)).save(buffer, "JPEG")
    return buffer.getvalue()


def fill_leave(page: Page, kind: str, start: date, end: date, reason: str) -> None:
    page.locator("select[name=leave_type]").select_option(kind)
    page.locator(".leave-start input, input.leave-start").first.fill(start.isoformat())
    page.locator(".leave-end input, input.leave-end").first.fill(end.isoformat())
    page.locator("textarea.leave-reason, .leave-reason textarea").first.fill(reason)


def signed_in(page: Page, base: str, username: str) -> Page:
    sign_in(page, base, username)
    expect(page.locator("#home-name")).to_be_visible()
    return page


def open_menu_item(page: Page, item: str) -> None:
    page.locator("#nav-menu").click()
    page.locator(f"#{item}").click()


def test_sick_leave_with_a_photo_approved_on_a_phone_changes_balance_and_reaches_the_inbox(browser, app_server):
    employee = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    sign_in(employee, app_server.url, "E1004")
    before = available(app_server.db_url, "E1004")
    expect(employee.locator(".balance-row", has_text="年假")).to_contain_text(text(before))
    employee.locator("#home-annual-how summary").click()
    expect(employee.locator("#home-annual-how")).to_contain_text("累计工作 10 年，每年 10 天")  # 张伟 crosses 10 years this year
    open_menu_item(employee, "nav-leave")
    expect(employee.locator("#leave-submit")).to_be_visible()

    sick_start, sick_end = workday(app_server.db_url, 2), workday(app_server.db_url, 2, 1)
    fill_leave(employee, "sick", sick_start, sick_end, "发烧，医生建议休息")
    expect(employee.locator("#leave-preview-days")).to_have_text(leave_days(app_server.db_url, sick_start, sick_end))
    employee.locator("#leave-submit").click()
    expect(employee.locator("#leave-form-error")).to_contain_text("证明")  # two days of sick leave need a note
    employee.locator("input[type=file]").set_input_files(files=[{"name": "sick-note.jpg", "mimeType": "image/jpeg", "buffer": photo()}])
    expect(employee.locator(".leave-file")).to_have_text("sick-note.jpg")
    employee.locator("input[type=file]").set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\x00" * 300}]
    )
    expect(employee.locator("#leave-upload-error")).to_contain_text("scan.pdf")
    shot(employee, "phone-leave-form")
    employee.locator("#leave-submit").click()
    expect(employee.locator(".leave-request").first).to_contain_text("审批中")
    own = employee.locator(".leave-own-file", has_text="sick-note.jpg")
    expect(own).to_be_visible()
    assert httpx.get(app_server.url + own.get_attribute("href")).content == photo()

    annual = workday(app_server.db_url, 2, 3)
    employee.locator("#leave-tab-new").click()
    fill_leave(employee, "annual", annual, annual, "家里有事")
    expect(employee.locator("#leave-preview-after")).to_have_text(text(before - 1))
    employee.locator("#leave-submit").click()
    expect(employee.locator(".leave-request")).to_have_count(2)
    assert employee.evaluate("document.documentElement.scrollWidth") <= 390

    manager = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    signed_in(manager, app_server.url, "E1002")
    open_menu_item(manager, "nav-approvals")
    sick = manager.locator(".approval-item", has_text="张伟").filter(has_text="病假")
    expect(sick).to_be_visible()
    image = sick.locator("img.approval-image")
    expect(image).to_be_visible()
    manager.wait_for_function(
        "document.querySelector('img.approval-image') && document.querySelector('img.approval-image').naturalWidth > 0"
    )
    src = image.get_attribute("src")
    assert httpx.get(app_server.url + src).headers["content-type"] == "image/jpeg"
    assert httpx.get(app_server.url + src.replace("&m=", "&m=0")).status_code == 404, "a tampered link opens nothing"
    shot(manager, "phone-approvals")
    assert manager.evaluate("document.documentElement.scrollWidth") <= 390
    sick.locator(".approval-approve").click()
    shot(manager, "phone-approval-confirm")
    confirm(manager)
    expect(manager.locator(".approval-item", has_text="张伟").filter(has_text="病假")).to_have_count(0)
    annual_item = manager.locator(".approval-item", has_text="张伟").filter(has_text="年假")
    expect(annual_item.locator(".approval-balance")).to_contain_text(text(before - 1))
    annual_item.locator(".approval-select").click()
    manager.locator("#approvals-bulk").click()
    confirm(manager)
    expect(manager.locator(".approval-item", has_text="张伟")).to_have_count(0)
    manager.locator("#approvals-tab-history").click()
    expect(manager.locator(".approval-history", has_text="张伟")).to_have_count(3)  # and the demo's overtime of 张伟
    expect(manager.locator(".approval-history", has_text="张伟").filter(has_text="请假申请")).to_have_count(2)  # names the request

    employee.goto(app_server.url + "/")
    expect(employee.locator(".balance-row", has_text="年假")).to_contain_text(text(before - 1))
    employee.locator("#nav-inbox-button").click()
    expect(employee.get_by_text("请假申请已批准").first).to_be_visible()
    shot(employee, "phone-inbox-leave-approved")
    employee.goto(app_server.url + "/leave?tab=mine")
    expect(employee.locator(".leave-request").first).to_contain_text("已批准")
    expect(employee.locator(".leave-cancel")).to_have_count(2)
    annual_request = employee.locator(".leave-request", has_text="年假")
    annual_request.locator(".leave-cancel").click()
    confirm(employee)
    expect(annual_request).to_contain_text("取消审批中")  # back to the manager; the days stay used until approved
    expect(employee.locator(".leave-cancel")).to_have_count(1)


def test_reject_needs_a_comment_and_the_employee_sees_it(browser, app_server):
    employee = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    signed_in(employee, app_server.url, "E1006")
    day = past_workday(app_server.db_url, 14)  # leave after the fact, as a reminder's link files it
    employee.goto(f"{app_server.url}/leave?start={day.isoformat()}&type=personal")  # how a reminder links to the form
    expect(employee.locator("#leave-preview-days")).to_have_text("1")
    expect(employee.locator("select[name=leave_type]")).to_have_value("personal")
    employee.locator("textarea.leave-reason, .leave-reason textarea").first.fill("看演唱会")
    employee.locator("#leave-submit").click()
    expect(employee.locator(".leave-request").first).to_contain_text("审批中")

    manager = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    signed_in(manager, app_server.url, "E1002")
    manager.goto(app_server.url + "/approvals")
    item = manager.locator(".approval-item", has_text="杨静")
    item.locator(".approval-reject").click()
    item.locator(".approval-confirm-reject").click()
    confirm(manager)
    expect(item.locator(".approval-reject-error")).to_have_text("驳回时必须填写理由。")
    item.locator("textarea.approval-comment, .approval-comment textarea").first.fill("项目上线周，请改期")
    shot(manager, "phone-approval-reject")
    item.locator(".approval-confirm-reject").click()
    confirm(manager)
    expect(manager.locator(".approval-item", has_text="杨静")).to_have_count(0)

    employee.goto(app_server.url + "/leave?tab=mine")
    request = employee.locator(".leave-request").first
    expect(request).to_contain_text("已驳回")
    expect(request.locator(".leave-trail")).to_contain_text("项目上线周，请改期")
    employee.locator("#lang-switch").click()
    expect(request).to_contain_text("Rejected")
    expect(request.locator(".leave-trail")).to_contain_text("李明 rejected: 项目上线周，请改期")
    employee.locator("#leave-tab-new").click()
    expect(employee.locator("#leave-submit")).to_have_text("Submit request")
    shot(employee, "phone-leave-en")
    employee.locator("#lang-switch").click()


def test_an_undecided_request_is_escalated_to_the_approvers_manager(browser, app_server):
    employee = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    signed_in(employee, app_server.url, "E1009")
    employee.goto(app_server.url + "/leave")
    day = past_workday(app_server.db_url, 16)
    expect(employee.locator("#leave-submit")).to_be_visible()
    fill_leave(employee, "personal", day, day, "办理房产手续")
    employee.locator("#leave-submit").click()
    expect(employee.locator(".leave-request").first).to_contain_text("审批中")

    # The job runs with the clock moved past the limit: first a reminder, then the escalation.
    with Session(engine_for(app_server.db_url)) as session:
        assert leave_requests.LEAVE in approvals._WORKFLOWS  # noqa: SLF001
        later = datetime.now(UTC) + timedelta(days=5)
        assert approvals.escalate_due(session, SYSTEM, later)[0] >= 1
        assert approvals.escalate_due(session, SYSTEM, later + timedelta(days=5))[1] >= 1
        session.commit()

    head = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    signed_in(head, app_server.url, "E1001")
    head.locator("#nav-inbox-button").click()
    expect(head.get_by_text("转交审批：周杰的请假申请").first).to_be_visible()
    head.goto(app_server.url + "/approvals")
    item = head.locator(".approval-item", has_text="周杰")
    expect(item).to_contain_text("超时已转交")
    shot(head, "phone-approval-escalated")
    item.locator(".approval-approve").click()
    confirm(head)
    expect(head.locator(".approval-item", has_text="周杰")).to_have_count(0)
    employee.goto(app_server.url + "/leave?tab=mine")
    expect(employee.locator(".leave-request").first).to_contain_text("已批准")


def test_hr_configures_leave_sees_the_company_calendar_and_exports_the_report(desktop, app_server):
    from tests.browser.flows import sign_in_with_totp

    sign_in_with_totp(desktop, app_server.url, "hr01")
    open_menu_item(desktop, "nav-leave-settings")
    expect(desktop.locator(".leave-type-row")).to_have_count(9)  # 年假 病假 事假 and Shanghai's statutory types
    desktop.locator(".leave-type-edit", has_text="personal").click()
    desktop.locator("input[name=attachment_over_days]").fill("3")
    desktop.locator("input[name=hr_must_approve]").check()
    desktop.locator("#leave-type-save").click()
    expect(desktop.locator(".leave-type-row", has_text="personal")).to_contain_text("3")
    desktop.locator("#leave-type-new").click()
    desktop.locator("input[name=code]").fill("Bad Code!")
    desktop.locator("input[name=name]").fill("学习假")
    desktop.locator("input[name=name_en]").fill("Study leave")
    desktop.locator("#leave-type-save").click()
    expect(desktop.locator("#leave-type-error")).to_contain_text("代码")
    desktop.locator("input[name=code]").fill("study")
    desktop.locator("#leave-type-save").click()
    expect(desktop.locator(".leave-type-row")).to_have_count(10)
    maternity = desktop.locator(".leave-type-row", has_text="maternity")
    expect(maternity).to_contain_text("自然日")
    expect(maternity.locator(".leave-type-event")).to_have_text("158")  # Shanghai: 98 + 60
    desktop.locator("select[name=province]").select_option("guangdong")
    desktop.locator("#leave-presets-apply").click()
    expect(maternity.locator(".leave-type-event")).to_have_text("178")  # Guangdong: 98 + 80
    desktop.locator("input[name=escalate_after_hours]").fill("0")
    desktop.locator("#policy-save").click()
    expect(desktop.locator("#policy-error")).to_contain_text("1–720")
    desktop.locator("input[name=escalate_after_hours]").fill("16")
    desktop.locator("#policy-save").click()
    expect(desktop.get_by_text("审批规则已保存。")).to_be_visible()
    shot(desktop, "desktop-leave-settings")

    desktop.goto(app_server.url + "/leave/calendar")
    expect(desktop.locator(".absence-row").first).to_be_visible()
    shot(desktop, "desktop-leave-calendar")
    with desktop.expect_download() as download:
        desktop.locator("#leave-export").click()
    from openpyxl import load_workbook

    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sheet["A1"].value == "工号" and sheet.max_row > 30


def test_the_form_shows_every_refusal_at_once_and_overtime_becomes_time_off(browser, app_server):
    employee = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    signed_in(employee, app_server.url, "E1011")
    employee.goto(app_server.url + "/leave")
    expect(employee.locator("select[name=leave_type] option", has_text="年假")).to_contain_text("余")  # each type's balance
    taken = past_workday(app_server.db_url, 5)
    fill_leave(employee, "annual", taken, taken, "体检")
    employee.locator("#leave-submit").click()
    expect(employee.locator(".leave-request").first).to_contain_text("审批中")
    expect(employee.locator(".leave-submitted-at").first).to_contain_text(datetime.now(UTC).astimezone().strftime("%Y-"))

    employee.locator("#leave-tab-new").click()
    employee.locator("#leave-submit").click()
    expect(employee.locator("#leave-form-error")).to_have_text("请选择开始日期。")  # not 日期“”无法识别
    fill_leave(employee, "annual", past_workday(app_server.db_url, 19), past_workday(app_server.db_url, 1), "长假")
    problems = employee.locator("#leave-preview-error .leave-problem")
    expect(problems).to_have_count(2)  # the overlap and the balance, before submitting
    expect(employee.locator("#leave-preview-error")).to_contain_text("重叠")
    shot(employee, "phone-leave-preview-problems")
    fixed = past_workday(app_server.db_url, 3)
    employee.locator(".leave-start input, input.leave-start").first.fill(fixed.isoformat())
    employee.locator(".leave-end input, input.leave-end").first.fill(fixed.isoformat())
    expect(employee.locator("#leave-preview-error")).to_have_count(0)  # cleared once it no longer holds
    expect(employee.locator("#leave-preview-days")).to_have_text("1")

    employee.locator("#leave-tab-mine").click()
    employee.locator(".leave-request", has_text="体检").locator(".leave-withdraw").click()
    employee.locator(".confirm-no").click()  # thought better of it: nothing happens
    expect(employee.locator(".leave-request", has_text="体检")).to_contain_text("审批中")
    employee.locator(".leave-request", has_text="体检").locator(".leave-withdraw").click()
    confirm(employee)
    expect(employee.locator(".leave-request", has_text="体检")).to_contain_text("已撤回")
    expect(employee.locator(".leave-request", has_text="体检").locator(".leave-trail")).to_contain_text("申请人已撤回")

    employee.locator("#leave-tab-overtime").click()
    worked = past_workday(app_server.db_url, 4)
    employee.locator("input[name=work_date]").fill(worked.isoformat())
    employee.locator("input[name=hours]").fill("2")
    employee.locator("textarea[name=reason]").fill("客户演示准备")
    employee.locator("#overtime-submit").click()
    expect(employee.locator(".overtime-request").first).to_contain_text("审批中")
    shot(employee, "phone-overtime")
    assert_accessible(employee, "overtime tab")

    manager = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    signed_in(manager, app_server.url, "E1002")
    manager.goto(app_server.url + "/approvals")
    item = manager.locator(".approval-item", has_text="徐强").filter(has_text="加班")
    expect(item).to_contain_text("2 小时")
    item.locator(".approval-approve").click()
    confirm(manager)
    expect(manager.locator(".approval-item", has_text="徐强")).to_have_count(0)
    manager.locator("#approvals-tab-history").click()
    expect(manager.locator(".approval-history", has_text="徐强").first).to_contain_text("加班申请")

    employee.goto(app_server.url + "/leave?tab=overtime")
    expect(employee.locator(".overtime-request").first).to_contain_text("已批准")
    employee.goto(app_server.url + "/")
    expect(employee.locator(".balance-row", has_text="调休")).to_contain_text("0.25")  # 2 hours at 8 a day


def test_an_employee_without_reports_has_no_approvals_menu(browser, app_server):
    page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    signed_in(page, app_server.url, "E3009")
    page.locator("#nav-menu").click()
    expect(page.locator("#nav-leave")).to_be_visible()
    expect(page.locator("#nav-approvals")).to_have_count(0)
