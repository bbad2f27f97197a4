"""Resignation and the handover checklist in a real browser: an employee resigns on a phone with a
drawn signature and downloads the letter; the manager acknowledges and agrees the earlier day; HR
confirms; the manager, the admin office (after sending an item back) and IT confirm their stages
on phones; HR names itself finance owner, completes the last stages, issues the certificate; the
employee downloads it and confirms receipt. Every page passes axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from selfservice.demo import DEMO_PASSWORD
from tests.browser.conftest import assert_accessible, shot
from tests.browser.flows import draw_signature, query, sign_in, sign_in_with_totp

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _phone(browser, app_server, username: str):
    page = browser.new_context(**PHONE).new_page()
    if username in ("admin", "hr01", "hr02"):
        sign_in_with_totp(page, app_server.url, username)
    else:
        sign_in(page, app_server.url, username)
        expect(page.locator("#nav-menu")).to_be_visible()
    return page


def _confirm_all_open(page, count: int, note: str = "") -> None:
    """Confirm the open items this person holds, one after another."""
    for _ in range(count):
        page.locator(".item-confirm").first.click()
        if note:
            page.locator("textarea[name=text]").fill(note)
        page.locator("#item-submit").click()
        expect(page.locator("#item-submit")).to_have_count(0)


def test_resign_acknowledge_hand_over_and_receive_the_certificate(browser, app_server):
    employee = _phone(browser, app_server, "E1008")  # 黄丽, manager 王芳 (E1003)
    employee.locator("#nav-menu").click()
    employee.locator("#nav-resign").click()
    expect(employee.locator("#resign-notice")).to_contain_text("提前 30 天")
    assert_accessible(employee, "resign form")
    [(today,)] = query(app_server, "SELECT date('now', '+8 hours')")
    employee.locator("input[name=last_day]").fill(today)  # today: earlier than the notice, a request
    expect(employee.locator("#sign-statement")).to_contain_text("最后工作日为" + today.replace("-", "年", 1).replace("-", "月", 1) + "日")
    employee.locator("select[name=reason]").select_option("career")
    employee.locator("select[name=successor]").select_option("E1009")
    employee.locator("input[name=typed_name]").fill("黄丽")
    employee.locator("input[name=secret]").fill(DEMO_PASSWORD)
    employee.locator("#sign-submit").click()
    expect(employee.locator("#sign-error-text")).to_contain_text("请在签名区签名")  # no drawing: refused, nothing written
    assert query(app_server, "SELECT COUNT(*) FROM separation s JOIN employee e ON e.id = s.employee_id WHERE e.employee_no = 'E1008'") == [
        (0,)
    ]
    draw_signature(employee)
    shot(employee, "phone-resign")
    employee.locator("#sign-submit").click()
    expect(employee.locator("#separation-status")).to_have_text("待确认")
    expect(employee.locator("#separation-summary")).to_contain_text("早于法定通知期")
    letter = employee.request.get(app_server.url + employee.locator("#letter-link").get_attribute("href"))
    assert letter.ok and letter.headers["content-type"] == "application/pdf"
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.body())).pages))
    assert "辞职申请书" in text and "本人因个人原因申请辞职" in text and today in text
    assert_accessible(employee, "resign progress")
    shot(employee, "phone-resign-submitted")

    manager = _phone(browser, app_server, "E1003")
    manager.goto(app_server.url + "/approvals")
    manager.locator(".approval-resignation", has_text="黄丽").click()
    expect(manager.locator("#ack-card")).to_be_visible()
    assert_accessible(manager, "acknowledge")
    manager.locator(".ack-agree-early").click()
    shot(manager, "phone-resign-acknowledge")
    manager.locator("#ack-submit").click()
    expect(manager.locator("#ack-card")).to_have_count(0)
    expect(manager.locator("#separation-last-day")).to_have_text(today)

    hr = _phone(browser, app_server, "hr01")
    hr.set_viewport_size({"width": 1366, "height": 768})
    hr.goto(app_server.url + "/separations/templates")
    expect(hr.locator("#owners-card")).to_contain_text("蒋文")  # loaded (the form is keyed on load)
    hr.locator("input[name=finance]").fill("hr01")  # HR handles finance for this test
    hr.locator("#owners-save").click()
    expect(hr.locator("#owners-card")).to_contain_text("彭丽华")
    assert_accessible(hr, "templates")
    hr.goto(app_server.url + "/separations")
    expect(hr.locator(".separation-row", has_text="黄丽")).to_contain_text("待确认")
    expect(hr.locator(".separation-row", has_text="袁野")).to_contain_text("账号关闭")  # the demo's, stuck at IT
    assert_accessible(hr, "separations")
    shot(hr, "hr-separations")
    hr.locator(".separation-row", has_text="黄丽").get_by_role("link").click()
    hr.locator("#ack-submit").click()
    expect(hr.locator("#separation-status")).to_have_text("交接中")
    expect(hr.locator(".checklist-item")).to_have_count(17)

    # stage 1: the manager; an item of stage 3 cannot be reached yet
    manager.reload()
    expect(manager.locator(".item-confirm")).to_have_count(3)
    assert_accessible(manager, "checklist owner")
    _confirm_all_open(manager, 3, "已交接给周杰")
    expect(manager.locator(".item-confirm")).to_have_count(0)

    office = _phone(browser, app_server, "E4005")  # 行政
    office.goto(app_server.url + "/approvals")
    expect(office.locator(".approval-handover", has_text="黄丽")).to_have_count(3)
    office.locator(".approval-handover", has_text="黄丽").first.click()
    office.locator(".item-back").nth(1).click()
    office.locator("textarea[name=text]").fill("工牌带子未归还")
    office.locator("#item-submit").click()
    expect(office.locator(".checklist-item", has_text="工牌")).to_contain_text("已退回")
    shot(office, "phone-checklist-send-back")
    employee.reload()
    expect(employee.locator(".checklist-item", has_text="工牌")).to_contain_text("工牌带子未归还")
    _confirm_all_open(office, 3)

    it = _phone(browser, app_server, "admin")
    it.goto(app_server.url + "/approvals")
    expect(it.locator(".approval-handover", has_text="袁野").first).to_contain_text("已超时")  # the demo's checklist stuck at IT
    it.locator(".approval-handover", has_text="黄丽").first.click()
    _confirm_all_open(it, 3)

    hr.reload()
    _confirm_all_open(hr, 2)  # finance
    _confirm_all_open(hr, 6)  # HR
    expect(hr.locator("#handover-done")).to_be_visible()
    shot(hr, "hr-separation")
    assert_accessible(hr, "separation hr")
    hr.locator(".separation-issue").click()
    hr.locator(".confirm-yes").click()
    expect(hr.locator("#certificate-number")).to_contain_text("LZ-")

    employee.reload()
    expect(employee.locator("#certificate-card")).to_be_visible()
    certificate = employee.request.get(app_server.url + employee.locator("#certificate-link").get_attribute("href"))
    assert certificate.ok and certificate.headers["content-type"] == "application/pdf"
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(certificate.body())).pages))
    assert "解除劳动合同证明书" in text and "黄丽" in text and "后端工程师" in text
    employee.locator("#certificate-ack").click()
    expect(employee.locator("#certificate-acknowledged")).to_be_visible()
    expect(employee.locator("#settlement-working")).to_contain_text("÷ 365")
    assert_accessible(employee, "resign done")
    shot(employee, "phone-resign-certificate")
    for page in (employee, manager, hr, office, it):
        page.context.close()
