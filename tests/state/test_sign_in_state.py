"""Sign-in through the LoginState handlers, as the browser calls them."""

from __future__ import annotations

from datetime import UTC, datetime

from selfservice.demo import DEMO_PASSWORD, DEMO_TOTP
from selfservice.ui.pages.login import LoginState
from tests.helpers import totp_code
from tests.state.conftest import call, substate


def test_password_then_totp_signs_in_and_pending_token_stays_on_server(app_db):
    state = substate(LoginState)
    call(state, "sign_in", {"username": "hr01", "password": DEMO_PASSWORD})
    assert state.stage == "totp" and state.session_token == ""
    sent_to_browser = str(state.dict())
    assert state._pending_token and state._pending_token not in sent_to_browser
    result = call(state, "verify_code", {"code": totp_code(DEMO_TOTP["hr01"], datetime.now(UTC))})
    assert state.session_token and "redirect" in str(result).lower()


def test_errors_are_in_the_users_language(app_db):
    state = substate(LoginState)
    state.lang = "en"
    call(state, "sign_in", {"username": "E1004", "password": "wrong-password"})
    assert state.error == "Incorrect username or password."
    state.lang = "zh-CN"
    call(state, "sign_in", {"username": "nobody", "password": "wrong-password"})
    assert state.error == "用户名或密码错误。"


def test_after_five_failures_the_form_asks_to_wait_the_same_way_for_any_name(app_db):
    answers = []
    for name in ("E1009", "E9009"):
        state = substate(LoginState)
        state.lang = "en"
        for _ in range(5):
            call(state, "sign_in", {"username": name, "password": "wrong-password"})
            assert state.error == "Incorrect username or password."
        call(state, "sign_in", {"username": name, "password": DEMO_PASSWORD})
        answers.append(state.error)
        assert state.session_token == ""
    assert answers[0] == answers[1] and answers[0].startswith("Too many attempts. Please try again in ")


def test_reused_totp_code_is_refused_in_the_form(app_db):
    code = totp_code(DEMO_TOTP["hr02"], datetime.now(UTC))
    first = substate(LoginState)
    call(first, "sign_in", {"username": "hr02", "password": DEMO_PASSWORD})
    call(first, "verify_code", {"code": code})
    assert first.session_token
    second = substate(LoginState)
    second.lang = "en"
    call(second, "sign_in", {"username": "hr02", "password": DEMO_PASSWORD})
    call(second, "verify_code", {"code": code})
    assert second.error == "That code was already used. Please wait for the next one." and second.session_token == ""


def test_verify_without_a_pending_sign_in_is_refused(app_db):
    state = substate(LoginState)
    call(state, "verify_code", {"code": "123456"})
    assert state.error and state.session_token == ""


def test_a_new_browser_takes_the_accounts_language_after_sign_in(app_db):
    """Before: the account said zh-CN, this browser en, and messages came in the other language."""
    from sqlmodel import select

    from selfservice.persistence.models import NotificationMessage, UserAccount
    from selfservice.services import notifications
    from tests.helpers import actor_for

    state = substate(LoginState)
    state.lang = "en"  # a browser last used in English by someone else
    call(state, "sign_in", {"username": "E1004", "password": DEMO_PASSWORD})
    assert state.session_token and state.lang == "zh-CN"  # E1004 reads Chinese: the account says so
    account = app_db.exec(select(UserAccount).where(UserAccount.username == "E1004")).one()
    account.language = "en"
    app_db.add(account)
    app_db.commit()
    other = substate(LoginState)
    call(other, "sign_in", {"username": "E1004", "password": DEMO_PASSWORD})
    assert other.lang == "en"
    message_id = notifications.notify(
        app_db, None, actor_for(app_db, "E1004").employee_id, "notice", "system.test", {"channel": "inapp"}, (), datetime.now(UTC)
    )
    app_db.commit()
    assert app_db.get(NotificationMessage, message_id).language == "en"  # and the messages follow the same language
