"""The absence watch in a real browser: clocking in on a phone, a missing day turned into a
prefilled leave request, a reminder opened from its signed link (read recorded) and answered,
the manager's note, and HR's dashboard with the demo's 3-day streak forwarded to 李明, its
drill-down and the XLSX export. Every page passes axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from selfservice.domain.notifications import sign_link
from tests.browser.conftest import PHONE, assert_accessible, shot
from tests.browser.flows import query, sign_in, sign_in_with_totp

pytestmark = pytest.mark.browser


def test_employee_clocks_in_on_a_phone_and_requests_leave_for_a_missed_day(phone, app_server):
    sign_in(phone, app_server.url, "E1004")
    expect(phone.locator("#home-name")).to_be_visible()
    expect(phone.locator("#clock-button")).to_contain_text("上班打卡")
    assert_accessible(phone, "home")
    phone.locator("#clock-button").click()
    expect(phone.locator("#clock-done")).to_contain_text("已打卡")
    expect(phone.locator("#clock-button")).to_contain_text("下班打卡")
    expect(phone.locator("#clock-punches")).to_contain_text("上班")
    shot(phone, "phone-clock-in")
    [(source,)] = query(
        app_server,
        "SELECT s.kind FROM punch p JOIN punch_source s ON s.id = p.source_id JOIN employee e ON e.id = p.employee_id "
        "WHERE e.employee_no = 'E1004' AND p.direction = 'in' ORDER BY p.id DESC LIMIT 1",
    )
    assert source == "app"

    phone.locator("#home-my-attendance").click()
    expect(phone.locator("#month-label")).to_be_visible()
    expect(phone.locator(".day-row").first).to_be_visible()
    if phone.locator(".day-leave-link").count() == 0:  # the demo's missed day may be last month
        phone.locator("#month-prev").click()
    link = phone.locator(".day-leave-link").first
    expect(link).to_be_visible()
    assert_accessible(phone, "my attendance")
    shot(phone, "phone-my-attendance")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    href = link.get_attribute("href")
    link.click()
    expect(phone).to_have_url(app_server.url + href)
    start = href.split("start=")[1][:10]
    expect(phone.locator(".leave-start input, input.leave-start").first).to_have_value(start)
    expect(phone.locator("select[name=leave_type]")).to_have_value("personal")
    expect(phone.locator("#leave-preview-days")).to_have_text("1")


def test_a_reminder_opened_from_its_signed_link_is_read_then_answered_and_the_leave_form_follows_sign_in(browser, app_server):
    [(message_id, key, body)] = query(
        app_server,
        "SELECT m.id, d.idempotency_key, m.body FROM notification_message m JOIN notification_delivery d ON d.message_id = m.id "
        "JOIN employee e ON e.id = m.recipient_id WHERE e.employee_no = 'E1009' AND m.kind = 'absence_reminder' AND d.channel = 'inapp'",
    )
    assert "您已连续2天（" in body and "逾期将按旷工处理" in body
    token = sign_link(os.environ["SELFSERVICE_SECRET_KEY"], key, datetime.now(UTC) + timedelta(days=30))
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{app_server.url}/m?t={token}")  # straight to the leave form, through sign-in
    expect(page.locator("#username")).to_be_visible()
    [(read_at, read_via)] = query(app_server, "SELECT read_at, read_via FROM notification_message WHERE id = ?", message_id)
    assert read_at and read_via == "inapp", "the read is recorded on the link's channel, before sign-in"
    page.locator("#username").fill("E1009")
    page.locator("#password").fill("demo-pass-2026")
    page.locator("#signin-submit").click()
    expect(page.locator("#leave-submit")).to_be_visible()
    assert "/leave?start=" in page.url
    expect(page.locator("#leave-preview-days")).to_have_text("2")
    expect(page.locator("#leave-from-reminder")).to_be_visible()
    assert_accessible(page, "leave form from a reminder")
    shot(page, "phone-reminder-leave-form")

    page.locator("#leave-to-inbox").click()
    page.locator(".inbox-row", has_text="考勤提醒").first.click()
    expect(page.locator("#message-title")).to_contain_text("考勤提醒")
    expect(page.locator("#message-go")).to_be_visible()
    shot(page, "phone-reminder")
    expect(page.locator("#message-reply")).to_contain_text("我已收到，稍后说明")
    page.locator("#message-reply-text").fill("家里老人住院，今天下午补请假")
    page.locator("#message-reply").click()
    expect(page.locator("#message-acked")).to_be_visible()
    [(note,)] = query(app_server, "SELECT text FROM absence_note WHERE kind = 'reply' ORDER BY id DESC LIMIT 1")
    assert note == "家里老人住院，今天下午补请假"
    page.context.close()


def test_hr_dashboard_shows_the_red_streak_forwarded_to_the_manager_and_its_drill_down(desktop, app_server):
    sign_in_with_totp(desktop, app_server.url, "hr01")
    expect(desktop).to_have_url(app_server.url + "/hr")
    row = desktop.locator(".streak-row", has_text="徐强")
    expect(row).to_be_visible()
    expect(row.locator(".streak-red")).to_contain_text("连续 3 天")
    expect(row).to_contain_text("未读")
    expect(desktop.locator("#panel-followups .followup-row", has_text="程露")).to_be_visible()
    expect(desktop.locator("#panel-forwards")).to_contain_text("徐强")
    expect(desktop.locator("#anomaly-chart .recharts-bar-rectangle").first).to_be_visible()
    expect(desktop.locator("#panel-health")).to_contain_text("2027")
    assert_accessible(desktop, "hr dashboard")
    shot(desktop, "desktop-hr-dashboard")

    with desktop.expect_download() as download:
        desktop.locator("#export-streaks").click()
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    values = [[c for c in r] for r in book.active.iter_rows(values_only=True)]
    assert values[0][:3] == ["工号", "姓名", "部门"] and any(r[1] == "徐强" and r[4] == 3 for r in values[1:])

    row.locator(".drill-link").click()
    expect(desktop.locator("#drill-name")).to_contain_text("徐强")
    trail = desktop.locator(".streak-trail").first
    expect(trail.locator(".trail-messages")).to_contain_text("转发直属领导 → 李明")
    expect(trail.locator(".trail-messages")).to_contain_text("考勤提醒 → 徐强")
    expect(desktop.locator("#drill-streak")).to_contain_text("3")
    assert_accessible(desktop, "drill-down")
    shot(desktop, "desktop-attendance-drilldown")

    desktop.goto(app_server.url + "/hr")
    followup = desktop.locator("#panel-followups .followup-row", has_text="程露")
    followup.locator(".followup-resolve").click()
    desktop.locator(".followup-note input, input.followup-note").first.fill("电话联系上，本人下周一返岗并补请假")
    desktop.locator(".followup-resolve-confirm").click()
    expect(desktop.locator("#panel-followups .followup-row", has_text="程露")).to_have_count(0)


def test_the_manager_sees_the_forwarded_reminder_and_notes_having_reached_him(phone, app_server):
    sign_in(phone, app_server.url, "E1002")
    expect(phone.locator("#home-name")).to_be_visible()
    phone.goto(app_server.url + "/team")
    forward = phone.locator(".forward-item", has_text="徐强")
    expect(forward).to_be_visible()
    expect(forward.locator(".forward-trail")).to_contain_text("仍未读")
    expect(phone.locator(".team-member", has_text="徐强").locator(".team-status")).to_be_visible()
    assert_accessible(phone, "my team")
    shot(phone, "phone-team")
    forward.locator(".forward-reached").click()
    phone.locator(".forward-note textarea, textarea.forward-note").first.fill("电话联系上了，明天回来上班")
    phone.locator(".forward-reached-confirm").click()
    expect(phone.locator(".forward-item", has_text="徐强").locator(".forward-notes")).to_contain_text("电话联系上了")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_hr_sources_and_settings_pages(desktop, app_server):
    sign_in_with_totp(desktop, app_server.url, "hr02")
    desktop.goto(app_server.url + "/attendance/sources")
    expect(desktop.locator(".source-row", has_text="前台考勤机")).to_be_visible()
    assert_accessible(desktop, "sources")
    desktop.locator("select#file-source").select_option(label="前台考勤机（ZKTeco）")
    desktop.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "clock.csv",
                "mimeType": "text/csv",
                "buffer": "工号,日期,时间\nE1004,2026/11/02,08:59\nE9999,2026/11/02,09:00\n".encode("gbk"),
            }
        ]
    )
    expect(desktop.locator(".mapping-employee_no")).to_have_value("工号")
    desktop.locator("#file-import").click()
    expect(desktop.locator(".file-error-row")).to_contain_text("E9999")
    expect(desktop.locator("#file-message")).to_contain_text("1")
    shot(desktop, "desktop-attendance-sources")
    desktop.goto(app_server.url + "/attendance/settings")
    expect(desktop.locator("#rule-remind_after_days")).to_have_value("2")
    assert_accessible(desktop, "settings")
    shot(desktop, "desktop-attendance-settings")


ROLE_PAGES = {
    "E1004": ["/", "/attendance", "/inbox", "/leave", "/calendar", "/account/security"],
    "E1002": ["/team", "/approvals", "/leave/calendar", "/directory"],
}
HR_PAGES = ["/hr", "/outbox", "/directory", "/employees/new", "/employees/import", "/leave/settings", "/leave/calendar", "/calendar"]


@pytest.mark.parametrize("username", sorted(ROLE_PAGES))
def test_every_page_passes_axe_on_a_phone(browser, app_server, username):
    page = browser.new_context(**PHONE).new_page()
    page.goto(app_server.url + "/login")
    expect(page.locator("#username")).to_be_visible()
    assert_accessible(page, "/login")
    sign_in(page, app_server.url, username)
    expect(page.locator("#home-name")).to_be_visible()
    for path in ROLE_PAGES[username]:
        page.goto(app_server.url + path)
        expect(page.locator("#nav-menu")).to_be_visible()
        page.wait_for_timeout(800)
        assert_accessible(page, path)
    page.context.close()


def test_every_hr_and_admin_page_passes_axe(desktop, app_server):
    sign_in_with_totp(desktop, app_server.url, "admin")
    for path in [*HR_PAGES, "/admin/channels", "/attendance/sources", "/attendance/settings"]:
        desktop.goto(app_server.url + path)
        expect(desktop.locator("#nav-menu")).to_be_visible()
        desktop.wait_for_timeout(800)
        assert_accessible(desktop, path)
