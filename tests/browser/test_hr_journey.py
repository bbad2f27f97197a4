"""HR at a desktop: password + TOTP, directory search, CSV import (rejected, then fixed), deactivation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, shot
from tests.browser.flows import sign_in, sign_in_with_totp

pytestmark = pytest.mark.browser

BAD_CSV = (
    "工号,姓名,英文名,部门,直属领导工号,入职日期,手机,邮箱\n"
    "N9001,钱多多,Duoduo Qian,研发部,E1002,2026-11-02,13912340001,dd@example.com\n"
    "N9002,孙小美,Xiaomei Sun,销售部,E2002,2026-11-02,1391234,xm@example.com\n"
)


def upload(page, name: str, content: bytes, mime: str = "text/csv") -> None:
    page.locator("input[type=file]").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": content}])
    expect(page.get_by_text(name)).to_be_visible()
    page.locator("#import-start").click()


def test_hr_signs_in_with_totp_and_searches_the_directory(desktop, app_server):
    sign_in_with_totp(desktop, app_server.url, "hr01")
    desktop.locator("#nav-menu").click()
    desktop.locator("#nav-directory").click()
    expect(desktop.locator("#directory-total")).to_have_text("共 40 人")
    expect(desktop.locator(".directory-row")).to_have_count(20)
    shot(desktop, "desktop-hr-directory")
    desktop.locator("input[name=query]").fill("张伟")
    desktop.locator("#directory-search-submit").click()
    expect(desktop.locator(".directory-row")).to_have_count(1)
    expect(desktop.locator(".directory-row").first).to_contain_text("E1004")


def test_the_department_filter_never_hides_people_without_saying_so(desktop, app_server):
    """Before: after choosing a department and coming back, the list stayed filtered while the
    picker said 全部部门, and there was no way back to all departments."""
    sign_in_with_totp(desktop, app_server.url, "hr02")
    desktop.goto(app_server.url + "/directory")
    expect(desktop.locator(".directory-row")).to_have_count(20)
    total = desktop.locator("#directory-total").inner_text()
    desktop.locator("#directory-department").click()
    desktop.get_by_role("option", name="销售部").click()
    expect(desktop.locator("#directory-total")).to_have_text("共 10 人")
    desktop.goto(app_server.url + "/hr")
    desktop.goto(app_server.url + "/directory")
    expect(desktop.locator("#directory-department")).to_contain_text("销售部")  # the filter in force is the one shown
    expect(desktop.locator("#directory-total")).to_have_text("共 10 人")
    desktop.locator("#directory-department").click()
    desktop.get_by_role("option", name="全部部门").click()
    expect(desktop.locator("#directory-total")).to_have_text(total)


def test_hr_import_with_a_bad_row_imports_nothing_then_fixed_file_imports(desktop, app_server):
    sign_in_with_totp(desktop, app_server.url, "hr02")
    desktop.goto(app_server.url + "/employees/import")
    expect(desktop.locator("#import-start")).to_be_visible()
    upload(desktop, "new-staff.csv", BAD_CSV.encode("gbk"))
    expect(desktop.locator("#import-message")).to_contain_text("未导入任何数据")
    rows = desktop.locator(".import-error-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("3")
    expect(rows.first).to_contain_text("手机")
    expect(rows.first).to_contain_text("1391234")
    shot(desktop, "desktop-import-rejected")
    desktop.goto(app_server.url + "/directory")
    desktop.locator("input[name=query]").fill("N900")
    desktop.locator("#directory-search-submit").click()
    expect(desktop.locator("#directory-total")).to_have_text("共 0 人")
    desktop.goto(app_server.url + "/employees/import")
    expect(desktop.locator("#import-start")).to_be_visible()
    upload(desktop, "new-staff-fixed.csv", BAD_CSV.replace("1391234,", "13912340002,").encode("gbk"))
    expect(desktop.locator("#import-message")).to_contain_text("已导入 2 名员工")
    expect(desktop.locator("#import-progress")).to_be_visible()
    desktop.goto(app_server.url + "/directory")
    desktop.locator("input[name=query]").fill("N900")
    desktop.locator("#directory-search-submit").click()
    expect(desktop.locator(".directory-row")).to_have_count(2)
    expect(desktop.locator(".directory-row").first).to_contain_text("钱多多")


def test_deactivated_users_open_tab_is_refused_on_next_action(browser, desktop, app_server):
    context = browser.new_context(**PHONE)
    employee = context.new_page()
    sign_in(employee, app_server.url, "E1010")
    expect(employee.locator("#home-name")).to_have_text("吴婷")
    sign_in_with_totp(desktop, app_server.url, "admin")
    desktop.goto(app_server.url + "/directory")
    desktop.locator("input[name=query]").fill("E1010")
    desktop.locator("#directory-search-submit").click()
    # Wait for the search's answer: clicking the first row of the unfiltered list deactivated E1001.
    expect(desktop.locator(".directory-row")).to_have_count(1)
    expect(desktop.locator(".directory-row").first).to_contain_text("E1010")
    desktop.locator(".directory-row").first.get_by_role("link").click()
    expect(desktop.locator("#employee-toggle-active")).to_have_text("停用账户")
    desktop.locator("#employee-toggle-active").click()
    expect(desktop.locator("#employee-toggle-active")).to_have_text("重新启用")
    employee.locator("#nav-menu").click()
    employee.locator("#nav-security").click()
    expect(employee.locator("#signin-submit")).to_be_visible()
    expect(employee.get_by_text("登录已失效，请重新登录。")).to_be_visible()
    sign_in(employee, app_server.url, "E1010")
    expect(employee.locator("#signin-error")).to_have_text("该账户已停用，请联系人力资源部。")
    context.close()
