"""The work calendar: an employee counts leave days across the National Day week on a phone;
HR enters a holiday for a year the statutory data does not cover."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot
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
