"""HR creates and edits an employee; an employee turns on TOTP from the security page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.browser.flows import sign_in, sign_in_with_totp

pytestmark = pytest.mark.browser


def test_hr_creates_employee_with_field_errors_then_success(desktop, app_server):
    sign_in_with_totp(desktop, app_server.url, "hr01")
    desktop.goto(app_server.url + "/employees/new")
    form = desktop.locator("form")
    expect(form.locator("select[name=department] option")).to_have_count(4)  # on_load finished
    form.locator("input[name=employee_no]").fill("N7001")
    form.locator("input[name=name]").fill("周新")
    form.locator("input[name=name_en]").fill("Xin Zhou")
    form.locator("select[name=department]").select_option("OPS")
    form.locator("input[name=manager_no]").fill("E3002")
    form.locator("input[name=hire_date]").fill("2026-11-20")
    form.locator("input[name=phone]").fill("555")
    form.locator("input[name=password]").fill("start-pass-1")
    desktop.locator("#employee-save").click()
    expect(desktop.locator("#error-phone")).to_contain_text("555")
    shot(desktop, "desktop-employee-form-error")
    form.locator("input[name=phone]").fill("13700001234")
    desktop.locator("#employee-save").click()
    expect(desktop).to_have_url(re.compile(r"/employees/edit\?id=\d+"))
    expect(desktop.locator("input[name=phone]")).to_have_value("137 0000 1234")
    expect(desktop.locator("input[name=employee_no]")).to_have_value("N7001")


def test_new_employee_signs_in_and_enrols_totp_on_the_security_page(phone, app_server):
    sign_in(phone, app_server.url, "E3006")
    expect(phone.locator("#home-name")).to_be_visible()
    phone.goto(app_server.url + "/account/security")
    expect(phone.locator("#totp-status")).to_have_text("两步验证：未启用")
    phone.locator("#security-enrol").click()
    expect(phone.locator("#security-qr")).to_be_visible()
    secret = phone.locator("#security-secret").inner_text().strip()
    shot(phone, "phone-security-enrol")
    phone.locator("input[name=code]").fill(pyotp.TOTP(secret).at(datetime.now(UTC)))
    phone.locator("#enrol-submit").click()
    expect(phone.locator("#totp-status")).to_have_text("两步验证：已启用")
    expect(phone.locator("#recovery-codes code")).to_have_count(10)
