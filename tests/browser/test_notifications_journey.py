"""An employee reads and confirms a notice on a phone; HR sees the read and confirmation times;
a signed link opens the message without signing in and records the read on its channel."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, assert_accessible, shot
from tests.browser.flows import query, sign_in, sign_in_with_totp

pytestmark = pytest.mark.browser


def test_employee_confirms_receipt_and_hr_sees_it_in_the_outbox(phone, desktop, app_server):
    [(unread,)] = query(
        app_server,
        "SELECT count(*) FROM notification_message m JOIN employee e ON e.id = m.recipient_id WHERE e.employee_no = 'E1004' AND m.read_at IS NULL",
    )
    sign_in(phone, app_server.url, "E1004")
    expect(phone.locator("#unread-badge")).to_have_text(str(unread))
    phone.locator("#nav-inbox-button").click()
    expect(phone.locator(".inbox-row", has_text="考勤制度更新通知")).to_have_count(1)
    shot(phone, "phone-inbox")
    phone.locator(".inbox-row", has_text="考勤制度更新通知").click()
    expect(phone.locator("#message-title")).to_have_text("考勤制度更新通知")
    expect(phone.locator("#message-read-at")).to_contain_text("首次阅读：20")
    expect(phone.locator("#unread-badge")).to_have_text(str(unread - 1))
    phone.locator("#message-ack").click()
    expect(phone.locator("#message-acked")).to_contain_text("确认收到")
    shot(phone, "phone-message-acknowledged")
    [(read_at, acked_at)] = query(
        app_server,
        "SELECT m.read_at, m.acknowledged_at FROM notification_message m JOIN employee e ON e.id = m.recipient_id WHERE e.employee_no = 'E1004' AND m.kind = 'notice'",
    )
    assert read_at and acked_at

    sign_in_with_totp(desktop, app_server.url, "hr01")
    desktop.goto(app_server.url + "/outbox")
    desktop.locator("input[name=recipient]").fill("E1004")
    desktop.locator("select[name=kind]").select_option("notice")
    desktop.locator("#outbox-filter").click()
    expect(desktop.locator(".outbox-row")).to_have_count(1)
    desktop.locator(".outbox-row .outbox-open").first.click()
    expect(desktop.locator(".delivery-row")).to_have_count(3)
    expect(desktop.locator("#selected-read-at")).to_contain_text("20")
    expect(desktop.locator("#selected-acknowledged-at")).to_contain_text("20")
    expect(desktop.locator(".outbox-row").first).to_contain_text("通知")  # the kind in words, not "notice"
    expect(desktop.locator(".delivery-row", has_text="站内")).to_contain_text("已送达")
    expect(desktop.locator(".delivery-row", has_text="站内")).to_contain_text("员工自助收件箱")  # not "account:4"
    expect(desktop.locator(".delivery-row", has_text="企业微信")).to_contain_text("未配置")
    expect(desktop.locator(".delivery-row", has_text="企业微信")).to_contain_text("该渠道尚未开通")
    page_text = desktop.locator("body").inner_text()
    for code in ("not_configured", "inapp:", "account:", "channel not configured", "wecom"):
        assert code not in page_text, code
    desktop.set_viewport_size({"width": 1366, "height": 768})
    retry = desktop.locator(".delivery-row", has_text="企业微信").get_by_role("button")
    box = retry.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1366  # the retry button is on screen at 1366 px
    assert_accessible(desktop, "outbox")
    shot(desktop, "desktop-hr-outbox")


def test_signed_link_opens_without_sign_in_and_records_the_read(browser, app_server):
    [(text, delivery_id)] = query(
        app_server,
        "SELECT d.text_sent, d.id FROM notification_delivery d JOIN notification_message m ON m.id = d.message_id "
        "JOIN employee e ON e.id = m.recipient_id WHERE e.employee_no = 'E1005' AND m.kind = 'notice' AND d.channel = 'sms'",
    )
    token = text.rsplit("?t=", 1)[1]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{app_server.url}/m?t={token}")
    expect(page.locator("#message-title")).to_have_text("考勤制度更新通知")
    expect(page.get_by_text("登录后可确认收到。")).to_be_visible()
    [(read_at,)] = query(app_server, "SELECT read_at FROM notification_delivery WHERE id = ?", delivery_id)
    assert read_at
    page.goto(f"{app_server.url}/m?t={token[:-2]}xx")
    expect(page.locator("#link-error")).to_have_text("链接无效或已过期。")
    context.close()
