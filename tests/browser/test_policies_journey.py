"""Policies in a real browser: an employee signs the handbook on a phone (typed name, a signature
drawn on the canvas, the password again), downloads the receipt and verifies it; HR edits the
handbook, sees the side-by-side diff, publishes the next version, and finds the employee back in
"unsigned" on the dashboard. Every page passes axe-core's WCAG 2.1 A/AA rules."""

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


def test_employee_signs_the_handbook_on_a_phone_and_hr_publishes_the_next_version(phone, desktop, app_server):
    sign_in(phone, app_server.url, "E1005")  # 刘洋 has not signed the demo handbook v2
    expect(phone.locator("#to-sign-badge")).to_have_text("1")
    phone.locator("#nav-to-sign-button").click()
    expect(phone.locator(".my-policy")).to_have_count(1)
    expect(phone.locator(".my-policy").first).to_contain_text("待确认")
    assert_accessible(phone, "policies-mine")
    shot(phone, "phone-policies-mine")
    phone.locator(".my-policy").first.click()
    expect(phone.locator("#policy-title")).to_have_text("员工手册")
    expect(phone.locator("#policy-body-view h2").first).to_contain_text("考勤")
    expect(phone.locator("#sign-statement")).to_contain_text("本人已阅读并理解《员工手册》（版本 2")
    assert_accessible(phone, "policy-read")

    signatures = "SELECT COUNT(*) FROM signature s JOIN employee e ON e.id = s.employee_id WHERE e.employee_no = 'E1005'"
    before = query(app_server, signatures)
    phone.locator("input[name=typed_name]").fill("刘洋")
    phone.locator("input[name=secret]").fill(DEMO_PASSWORD)
    phone.locator("#sign-submit").click()
    expect(phone.locator("#sign-error-text")).to_contain_text("请在签名区签名")  # no drawing: refused, nothing written
    assert query(app_server, signatures) == before

    draw_signature(phone)
    phone.locator("input[name=typed_name]").fill("王芳")
    phone.locator("#sign-submit").click()
    expect(phone.locator("#sign-error-text")).to_contain_text("姓名与档案中的姓名不一致")
    phone.locator("input[name=typed_name]").fill("刘洋")
    shot(phone, "phone-policy-sign")
    phone.locator("#sign-submit").click()  # the password was checked already: still fresh, not used
    expect(phone.locator("#policy-signed")).to_contain_text("已于")
    expect(phone.locator("#to-sign-badge")).to_have_count(0)
    shot(phone, "phone-policy-signed")
    [(typed, method, sha, version_sha)] = query(
        app_server,
        "SELECT s.typed_name, s.method, s.content_sha256, v.content_sha256 FROM signature s JOIN employee e ON e.id = s.employee_id "
        "JOIN policy_version v ON v.id = s.subject_id WHERE e.employee_no = 'E1005' AND s.subject = 'policy_version' AND v.number = 2",
    )
    assert (typed, method) == ("刘洋", "password") and sha == version_sha

    receipt = phone.request.get(app_server.url + phone.locator("#receipt-link").get_attribute("href"))
    assert receipt.ok and receipt.headers["content-type"] == "application/pdf"
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.body())).pages))
    assert "本人已阅读并理解《员工手册》" in text and sha in text
    phone.locator("#verify-link").click()
    expect(phone.locator("#verify-result")).to_contain_text("记录完整")
    expect(phone.locator(".verify-check")).to_have_count(5)
    assert_accessible(phone, "verify")
    shot(phone, "phone-verify")

    sign_in_with_totp(desktop, app_server.url, "hr01")
    desktop.goto(f"{app_server.url}/policies")
    expect(desktop.locator(".policy-row")).to_have_count(2)
    assert_accessible(desktop, "policies")
    desktop.locator(".policy-row", has_text="员工手册").get_by_role("link").click()
    expect(desktop.locator("input[name=title_zh]")).to_have_value("员工手册")
    body = desktop.locator("textarea[name=body_markdown]")
    body.fill(body.input_value() + "\n## 四、保密 / Confidentiality\n\n员工应对公司商业秘密保密。\n")
    desktop.locator("#policy-save").click()
    expect(desktop.locator("#policy-diff")).to_be_visible()
    expect(desktop.locator(".diff-added", has_text="保密")).to_have_count(2)  # the heading and its sentence
    expect(desktop.locator("[data-sonner-toast]")).to_have_count(0, timeout=10_000)  # axe would catch it mid-fade
    assert_accessible(desktop, "policy-edit")
    shot(desktop, "desktop-policy-diff")
    desktop.locator("#policy-publish").click()
    expect(desktop.locator(".policy-version")).to_have_count(3)

    desktop.goto(f"{app_server.url}/hr")
    unsigned = desktop.locator("#panel-policy_unsigned .policy-unsigned-row", has_text="刘洋")
    expect(unsigned.first).to_contain_text("员工手册 v3")
    expect(desktop.locator("#panel-policy_status")).to_contain_text("员工手册 v3")
    shot(desktop, "desktop-dashboard-policies")
    unsigned.first.get_by_role("button").click()
    expect(desktop.get_by_text("已向 1 人发送提醒")).to_be_visible()

    phone.goto(f"{app_server.url}/policies/mine")
    expect(phone.locator(".my-policy").first).to_contain_text("待确认")
    expect(phone.locator("#to-sign-badge")).to_have_text("1")
