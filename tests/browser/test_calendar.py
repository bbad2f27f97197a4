"""The work calendar: an employee counts leave days across the National Day week on a phone;
HR enters a holiday for a year the statutory data does not cover."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, shot
from tests.browser.flows import sign_in, sign_in_with_totp

pytestmark = pytest.mark.browser


def test_employee_counts_leave_days_across_national_day(phone, app_server):
    sign_in(phone, app_server.url, "E1009")
    expect(phone.locator("#home-name")).to_be_visible()
    phone.goto(app_server.url + "/calendar")
    expect(phone.locator("#calendar-year")).to_have_text("2026")
    expect(phone.locator(".calendar-row", has_text="2026-10-01")).to_contain_text("国庆节")
    expect(phone.locator(".calendar-row", has_text="2026-10-10")).to_contain_text("调休补班")
    expect(phone.locator("#calendar-load-statutory")).to_have_count(0)
    phone.locator("input[name=start]").fill("2026-09-30")
    phone.locator("input[name=end]").fill("2026-10-10")
    phone.locator("select[name=end_half]").select_option("am")
    phone.locator("#calendar-count").click()
    expect(phone.locator("#calendar-days")).to_have_text("共 3.5 个工作日")
    shot(phone, "phone-calendar")
    phone.locator("input[name=end]").fill("2026-09-29")
    phone.locator("#calendar-count").click()
    expect(phone.locator("#calendar-count-error")).to_have_text("结束日期早于开始日期。")


def test_hr_enters_a_holiday_for_an_uncovered_year(desktop, app_server):
    sign_in_with_totp(desktop, app_server.url, "hr02")
    desktop.goto(app_server.url + "/calendar")
    expect(desktop.locator("#calendar-load-statutory")).to_be_visible()
    desktop.locator("#calendar-next").click()
    desktop.locator("#calendar-next").click()
    expect(desktop.locator("#calendar-year")).to_have_text("2028")
    desktop.locator("#calendar-load-statutory").click()
    expect(desktop.get_by_text("内置的法定节假日数据不包含 2028 年，请手工录入。")).to_be_visible()
    desktop.locator("input[name=day]").fill("2028-01-03")
    desktop.locator("select[name=kind]").select_option("holiday")
    desktop.locator("input[name=name]").fill("元旦")
    desktop.locator("#calendar-set").click()
    expect(desktop.locator(".calendar-row", has_text="2028-01-03")).to_contain_text("元旦")
    expect(desktop.locator(".calendar-row", has_text="2028-01-03")).to_contain_text("人力资源")


NOTICE_2029 = """一、元旦：1月1日（周一）放假，共1天。
二、春节：2月12日（周一）至18日（周日）放假调休，共7天。2月10日（周六）上班。"""


def test_hr_enters_a_whole_year_from_the_notice(desktop, app_server):
    """2029 (made-up dates, not a real arrangement): pasted, previewed with its errors, then saved at once."""
    sign_in_with_totp(desktop, app_server.url, "hr02")
    desktop.goto(app_server.url + "/calendar")
    notice = desktop.locator("#calendar-notice")
    notice.locator("input[name=year]").fill("2029")
    notice.locator("textarea[name=notice]").fill(NOTICE_2029 + "\n三、清明节：4月4日（周三）上班。")
    desktop.locator("#notice-preview").click()
    expect(desktop.locator(".notice-error")).to_contain_text("第 3 行：2029-04-04 是工作日")
    expect(desktop.locator("#notice-save")).to_be_disabled()
    notice.locator("textarea[name=notice]").fill(NOTICE_2029)
    desktop.locator("#notice-preview").click()
    expect(desktop.locator(".notice-row")).to_have_count(7)  # 1 Jan, 12–16 Feb, the Saturday 10 Feb
    assert_accessible(desktop, "calendar-notice")
    shot(desktop, "desktop-calendar-notice")
    desktop.locator("#notice-save").click()
    expect(desktop.locator("#calendar-year")).to_have_text("2029")
    expect(desktop.locator(".calendar-row", has_text="2029-02-10")).to_contain_text("整年录入")
