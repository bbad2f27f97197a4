"""An employee on a phone signs in, sees their home, switches language, signs out."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, assert_accessible, shot
from tests.browser.flows import sign_in

pytestmark = pytest.mark.browser


def test_employee_signs_in_and_sees_own_home(phone, app_server):
    sign_in(phone, app_server.url, "E1004")
    expect(phone.locator("#home-name")).to_have_text("张伟")
    expect(phone.locator("#home-employee-no")).to_have_text("E1004")
    expect(phone.locator("#home-department")).to_have_text("研发部")
    expect(phone.locator("#home-manager")).to_contain_text("李明")
    annual = phone.locator(".balance-row", has_text="年假")
    expect(annual).to_be_visible()
    from datetime import date

    this_year = date.today().year
    expect(phone.locator("#home-work-start")).to_have_text(f"{this_year - 10}-07-01")  # 参加工作时间, shown to the employee
    phone.locator("#home-annual-how summary").click()
    how = phone.locator("#home-annual-how")
    expect(how).to_contain_text(f"{this_year}-07-01 至 {this_year}-12-31：累计工作 10 年，每年 10 天")
    expect(how).to_contain_text("÷ 365")  # joined this year and crossed 10 years: pro-rated, the working shown
    shot(phone, "phone-home-zh")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways at 390 px ({width})"


def test_language_switch_changes_page_text_and_is_remembered(phone, app_server):
    sign_in(phone, app_server.url, "E1005")
    expect(phone.locator("#home-department")).to_have_text("研发部")
    phone.locator("#lang-switch").click()
    expect(phone.locator("#home-department")).to_have_text("R&D")
    expect(phone.locator("#home-name")).to_have_text("Yang Liu")
    shot(phone, "phone-home-en")
    phone.reload()
    expect(phone.locator("#home-department")).to_have_text("R&D")
    phone.locator("#lang-switch").click()
    expect(phone.locator("#home-department")).to_have_text("研发部")


def test_wrong_password_shows_translated_error(phone, app_server):
    sign_in(phone, app_server.url, "E1006", "wrong-password")
    expect(phone.locator("#signin-error")).to_have_text("用户名或密码错误。")
    shot(phone, "phone-sign-in-error")


def test_sign_out_returns_to_sign_in(phone, app_server):
    sign_in(phone, app_server.url, "E1007")
    expect(phone.locator("#home-name")).to_be_visible()
    phone.locator("#nav-menu").click()
    phone.locator("#nav-sign-out").click()
    expect(phone.locator("#signin-submit")).to_be_visible()
    phone.goto(app_server.url + "/")
    expect(phone.locator("#signin-submit")).to_be_visible()


def test_employee_opening_an_hr_page_is_refused_and_sent_home(phone, app_server):
    sign_in(phone, app_server.url, "E1011")
    expect(phone.locator("#home-name")).to_be_visible()
    phone.goto(app_server.url + "/directory")
    expect(phone.get_by_text("您没有权限执行此操作。")).to_be_visible()
    expect(phone.locator("#home-name")).to_have_text("徐强")
    expect(phone.locator(".directory-row")).to_have_count(0)


def test_an_unknown_address_gets_a_translated_page_with_a_way_home(phone, app_server):
    """Before: Reflex's "404: Page not found" in English with nowhere to go."""
    sign_in(phone, app_server.url, "E1006")
    expect(phone.locator("#home-name")).to_be_visible()
    phone.goto(app_server.url + "/no-such-page")
    expect(phone.locator("#page-title")).to_have_text("找不到这个页面")
    assert_accessible(phone, "not-found")
    phone.locator("#not-found-home").click()
    expect(phone.locator("#home-name")).to_be_visible()


def test_the_account_language_follows_the_person_to_a_new_browser_and_into_messages(browser, app_server):
    from datetime import UTC, datetime

    from sqlmodel import Session

    from selfservice.persistence.db import engine_for
    from selfservice.services import approvals, leave_requests  # noqa: F401  (the leave workflow)

    first = browser.new_context(**PHONE).new_page()
    sign_in(first, app_server.url, "E1005")
    first.locator("#lang-switch").click()
    expect(first.locator("#home-department")).to_have_text("R&D")
    second = browser.new_context(**PHONE).new_page()  # another phone: nothing in its storage
    sign_in(second, app_server.url, "E1005")
    expect(second.locator("#home-department")).to_have_text("R&D")  # starts in the account's language
    second.locator("#lang-switch").click()  # the switch changes the account's language too
    expect(second.locator("#home-department")).to_have_text("研发部")

    from tests.browser.test_leave_journey import past_workday

    day = past_workday(app_server.db_url, 8)
    second.goto(f"{app_server.url}/leave?start={day.isoformat()}&type=personal")
    expect(second.locator("#leave-preview-days")).to_have_text("1")
    second.locator("textarea.leave-reason, .leave-reason textarea").first.fill("陪家人看病")
    second.locator("#leave-submit").click()
    expect(second.locator(".leave-request", has_text="陪家人看病")).to_contain_text("审批中")

    with Session(engine_for(app_server.db_url)) as session:  # the approver decides (the approvals screen has its own tests)
        from sqlmodel import select

        from selfservice.persistence.models import ApprovalInstance, ApprovalStep, LeaveRequest, UserAccount
        from selfservice.services.auth import actor_of

        request = session.exec(select(LeaveRequest).where(LeaveRequest.reason == "陪家人看病")).one()
        while True:  # every step (the leave settings journey may have made HR a second one)
            step = session.exec(
                select(ApprovalStep)
                .join(ApprovalInstance, ApprovalInstance.id == ApprovalStep.instance_id)
                .where(ApprovalInstance.workflow == "leave", ApprovalInstance.subject_id == request.id, ApprovalStep.status == "pending")
            ).first()
            if step is None:
                break
            decider_id = step.acting_id or step.approver_id
            decider = session.exec(
                select(UserAccount).where(UserAccount.employee_id == decider_id)
                if decider_id
                else select(UserAccount).where(UserAccount.username == "hr01")
            ).one()
            approvals.decide(session, actor_of(decider), step.id, True, "", datetime.now(UTC))
            session.commit()
    with engine_for(app_server.db_url).connect() as db:
        title = db.exec_driver_sql(
            "SELECT m.title FROM notification_message m JOIN employee e ON e.id = m.recipient_id "
            "WHERE e.employee_no = 'E1005' AND m.template = 'approval.approved' ORDER BY m.id DESC LIMIT 1"
        ).scalar()
    assert title and "已批准" in title, title  # in the language the person reads, not the last browser's
    for page in (first, second):
        page.context.close()
