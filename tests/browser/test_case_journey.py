"""A disappearance case in a real browser: HR opens a case from 徐强's streak on the dashboard,
records a call and sends the return-to-work notice on desktop; 徐强 reads it on his phone and
confirms receipt but never answers; once the deadline has passed HR proposes termination, the
two approvers decide on the case's page, HR records the union notice and sends the termination
notice; the bundle downloaded from the page verifies offline. Every page passes axe-core."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from selfservice.documents import evidence as bundle_format
from tests.browser.conftest import DESKTOP, assert_accessible, shot
from tests.browser.flows import execute, query, sign_in, sign_in_with_totp

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _approver(browser, app_server, username: str, case_id: int) -> None:
    page = browser.new_context(**DESKTOP).new_page()
    sign_in(page, app_server.url, username)
    expect(page.locator("#nav-menu")).to_be_visible()
    page.goto(app_server.url + "/approvals")
    page.locator(".approval-termination", has_text="徐强").click()
    expect(page.locator("#case-decision")).to_be_visible()
    expect(page.locator("#case-record")).to_have_count(0)  # approvers decide; they do not add to the record
    page.locator("#case-decision textarea[name=text]").first.fill("证据完整，同意。")
    page.locator("#case-approve").click()
    expect(page.locator("#case-decision")).to_have_count(0)
    page.context.close()


def test_hr_runs_a_case_the_employee_reads_the_notice_on_a_phone(browser, app_server):
    hr = browser.new_context(**DESKTOP).new_page()
    sign_in_with_totp(hr, app_server.url, "hr01")
    hr.goto(app_server.url + "/hr")
    expect(hr.locator(".case-panel-open").first).to_be_visible()  # 徐强's three days, offered for a case
    assert_accessible(hr, "dashboard with the cases panel")
    hr.goto(app_server.url + "/cases")
    expect(hr.locator(".case-row", has_text="程露")).to_be_visible()  # the demo's case, its deadline running
    assert_accessible(hr, "cases")
    hr.locator(".case-candidate", has_text="徐强").locator(".case-open-streak").click()
    expect(hr.locator("#case-number")).to_contain_text("AJ-")
    [(case_id,)] = query(
        app_server, "SELECT c.id FROM absence_case c JOIN employee e ON e.id = c.employee_id WHERE e.employee_no = 'E1011'"
    )
    expect(hr.locator(".case-entry-missing")).to_have_count(3)

    hr.locator("#case-record select[name=kind]").select_option("call")
    hr.locator("#case-record select[name=number]").select_option(index=1)
    hr.locator("#case-record select[name=outcome]").select_option("switched_off")
    hr.locator("#case-record-save").click()
    expect(hr.locator("#case-timeline")).to_contain_text("关机")
    hr.locator("#case-send-return").click()
    expect(hr.locator("#case-deadline")).to_contain_text("23:59")
    [(number,)] = query(app_server, "SELECT number FROM case_notice WHERE case_id = ? AND kind = 'return'", case_id)
    assert_accessible(hr, "case with the notice sent")
    shot(hr, "hr-case")

    employee = browser.new_context(**PHONE).new_page()
    sign_in(employee, app_server.url, "E1011")
    expect(employee.locator("#nav-menu")).to_be_visible()
    employee.goto(app_server.url + f"/notice?n={number}")
    expect(employee.locator("#notice-text")).to_contain_text("请您于")
    assert_accessible(employee, "notice on a phone")
    employee.locator("#notice-acknowledge").click()
    expect(employee.locator("#notice-acknowledged")).to_be_visible()
    shot(employee, "phone-notice")
    pdf = employee.request.get(app_server.url + employee.locator("#notice-pdf").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert query(app_server, "SELECT stage FROM absence_case WHERE id = ?", case_id) == [("notice_sent",)]  # read and confirmed: no answer

    # The deadline passes (three days, here moved back in the database).
    execute(app_server, f"UPDATE absence_case SET deadline_at = datetime('now', '-1 hour') WHERE id = {case_id}")
    hr.reload()
    hr.locator("#case-actions textarea[name=text]").first.fill("返岗期限届满，既未返岗也未说明。")
    hr.locator("#case-propose").click()
    expect(hr.locator("#case-approval-hint")).to_be_visible()
    _approver(browser, app_server, "E4001", case_id)
    _approver(browser, app_server, "E3001", case_id)

    hr.reload()
    expect(hr.locator("#case-send-termination")).to_have_count(0)  # not before the union is told
    hr.locator("#case-actions textarea[name=reason]").fill("连续旷工三个工作日，返岗通知逾期未回应。")
    hr.locator("#case-union-send").click()
    expect(hr.locator("#case-send-termination")).to_be_visible()
    hr.locator("#case-send-termination").click()
    expect(hr.locator("#case-separation-link")).to_be_visible()
    assert query(app_server, "SELECT stage FROM absence_case WHERE id = ?", case_id) == [("terminated",)]
    assert query(app_server, "SELECT s.kind FROM separation s JOIN employee e ON e.id = s.employee_id WHERE e.employee_no = 'E1011'") == [
        ("dismissal",)
    ]
    assert_accessible(hr, "case terminated")

    hr.locator("#case-export").click()
    link = hr.locator(".case-bundle").first
    expect(link).to_be_visible()
    bundle = hr.request.get(app_server.url + link.get_attribute("href"))
    assert bundle.ok and bundle.headers["content-type"] == "application/zip"
    with ThreadPoolExecutor(max_workers=1) as pool:  # pyHanko runs its own event loop; Playwright owns this thread's
        report = pool.submit(bundle_format.verify, bundle.body()).result()
    assert report.ok and report.pdfs == 3, report
    shot(hr, "hr-case-terminated")
