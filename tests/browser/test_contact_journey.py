"""Contact details in a real browser at 390×844: a new employee is taken to her contact details
at sign-in, signs the address-for-service confirmation, then signs the handbook; another changes
his mobile with the code sent to the new number, and HR sees the before/after entry. Every page
passes axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from selfservice.demo import DEMO_PASSWORD
from tests.browser.conftest import assert_accessible, shot
from tests.browser.flows import draw_signature, execute, query, sign_in, sign_in_with_totp

pytestmark = pytest.mark.browser


def test_new_employee_confirms_the_address_for_service_then_signs_the_handbook(phone, app_server):
    sign_in(phone, app_server.url, "E4005")  # 潘宁 never confirmed her contact details
    expect(phone.locator("#confirm-needed")).to_be_visible()
    assert phone.url.endswith("/profile/contact")
    expect(phone.locator("#contact-phone")).to_have_text(re.compile(r"^1\d\d \d{4} \d{4}$"))  # national format
    assert_accessible(phone, "contact")
    shot(phone, "phone-contact-confirm")
    card = phone.locator("#sign-card")
    card.locator("input[name=ch_email]").check()
    card.locator("input[name=typed_name]").fill("潘宁")
    draw_signature(phone)
    card.locator("input[name=secret]").fill(DEMO_PASSWORD)
    card.locator("#sign-submit").click()
    expect(phone.locator("#confirm-status")).to_contain_text("第 1 版")
    [(channels,)] = query(
        app_server, "SELECT c.channels FROM service_confirmation c JOIN employee e ON e.id = c.employee_id WHERE e.employee_no = 'E4005'"
    )
    assert channels == "inapp,wecom,sms,email"
    receipt = phone.request.get(app_server.url + phone.locator("#service-receipt").get_attribute("href"))
    assert receipt.ok and receipt.body().startswith(b"%PDF-")
    shot(phone, "phone-contact-confirmed")

    expect(phone.locator("#to-sign-badge")).to_have_text("1")
    phone.locator("#nav-to-sign-button").click()
    phone.locator(".my-policy").first.click()
    phone.locator("input[name=typed_name]").fill("潘宁")
    draw_signature(phone)
    phone.locator("input[name=secret]").fill(DEMO_PASSWORD)
    phone.locator("#sign-submit").click()
    expect(phone.locator("#policy-signed")).to_be_visible()
    phone.goto(f"{app_server.url}/")
    expect(phone.locator("#home-name")).to_be_visible()
    expect(phone.locator("#home-contact-prompt")).to_have_count(0)


def test_employee_changes_mobile_with_a_code_and_hr_sees_the_change(phone, desktop, app_server):
    sign_in(phone, app_server.url, "E3007")
    expect(phone.locator("#home-name")).to_be_visible()
    phone.locator("#home-contact-link").click()
    expect(phone.locator("#contact-phone")).to_have_text(re.compile(r"^1\d\d \d{4} \d{4}$"))
    old = phone.locator("#contact-phone").inner_text()
    phone.locator("#change-phone").click()
    phone.locator("input[name=new_value]").fill("12345")
    phone.locator("input[name=secret]").first.fill(DEMO_PASSWORD)
    phone.locator("#send-code").click()
    expect(phone.locator(".change-error").first).to_contain_text("不是有效的手机号码")
    phone.locator("input[name=new_value]").fill("137 0013 7070")
    phone.locator("#send-code").click()  # the password was checked already and is still fresh
    expect(phone.locator(".change-error").first).to_contain_text("尚未开通")  # no SMS channel: no code that nobody gets
    # SMS switched on (its delivery itself is the dispatcher's business, tested with the stand-in elsewhere)
    execute(
        app_server, "INSERT INTO channel_setting (channel, enabled, config_enc, updated_at) VALUES ('sms', 1, '', '2026-12-01 00:00:00')"
    )
    try:
        phone.locator("#send-code").click()
        expect(phone.locator("#code-pending")).to_contain_text("137 0013 7070")
    finally:
        execute(app_server, "DELETE FROM channel_setting WHERE channel = 'sms'")
    [(text, address)] = query(
        app_server,
        "SELECT d.text_sent, d.address FROM notification_delivery d JOIN notification_message m ON m.id = d.message_id "
        "WHERE m.kind = 'contact_code' ORDER BY d.id DESC LIMIT 1",
    )
    assert address == "+8613700137070"
    code = re.search(r"(?<!\d)\d{6}(?!\d)", text).group()
    phone.locator("input[name=code]").fill(code)
    phone.locator("#confirm-code").click()
    expect(phone.locator("#contact-phone")).to_have_text("137 0013 7070")
    expect(phone.locator(".contact-history-row").first).to_contain_text("137 0013 7070")
    shot(phone, "phone-contact-changed")

    sign_in_with_totp(desktop, app_server.url, "hr01")
    [(employee_id,)] = query(app_server, "SELECT id FROM employee WHERE employee_no = 'E3007'")
    desktop.goto(f"{app_server.url}/employees/edit?id={employee_id}")
    row = desktop.locator("#employee-contact-history .contact-history-row").first
    expect(row).to_contain_text(old)
    expect(row).to_contain_text("137 0013 7070")
    expect(row).to_contain_text("本人")
    expect(desktop.locator("#employee-signed .signed-row").first).to_contain_text("送达地址确认书")  # HR can download its receipt
    receipt = desktop.request.get(
        app_server.url + desktop.locator("#employee-signed .signed-row").first.get_by_role("link").first.get_attribute("href")
    )
    assert receipt.ok and receipt.body().startswith(b"%PDF-")
    expect(desktop.locator("#employee-annual-how")).to_contain_text("参加工作时间")  # HR sees the computation the employee sees
    assert_accessible(desktop, "employee-edit")
    desktop.goto(f"{app_server.url}/hr")
    expect(desktop.locator("#panel-stale_contacts .stale-contact-row")).to_have_count(2)
    shot(desktop, "desktop-stale-contacts")
