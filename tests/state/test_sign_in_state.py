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


def test_lockout_message_after_five_failures(app_db):
    state = substate(LoginState)
    state.lang = "en"
    for _ in range(5):
        call(state, "sign_in", {"username": "E1009", "password": "wrong-password"})
    assert state.error.startswith("Too many failed attempts")
    call(state, "sign_in", {"username": "E1009", "password": DEMO_PASSWORD})
    assert state.error.startswith("Too many failed attempts") and state.session_token == ""


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
