"""The admin backs up the running demo from the admin page (issue 14: backups shown with the last success)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, shot
from tests.browser.flows import query, sign_in_with_totp


def test_the_admin_backs_up_now_and_sees_the_last_success(desktop, app_server):
    page = desktop
    sign_in_with_totp(page, app_server.url, "admin")
    page.goto(f"{app_server.url}/admin/backups")
    expect(page.locator("#page-title")).to_have_text("备份")
    before = query(app_server, "SELECT count(*) FROM backup_run")[0][0]
    page.locator("#backup-run-now").click()
    expect(page.get_by_text("备份完成。")).to_be_visible(timeout=30000)
    expect(page.locator("#backup-last")).to_contain_text("最近一次成功备份：")
    expect(page.locator(".backup-run").first).to_contain_text("管理员手动")
    [(ok, path)] = query(app_server, "SELECT ok, path FROM backup_run ORDER BY id DESC LIMIT 1")
    assert ok and path.endswith(".tar.gz") and query(app_server, "SELECT count(*) FROM backup_run")[0][0] == before + 1
    assert_accessible(page, "backups")
    shot(page, "desktop-backups")
