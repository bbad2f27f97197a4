"""The admin's single sign-on page and the sign-in page's single sign-on parts, called directly."""

from __future__ import annotations

from sqlmodel import select

from selfservice.persistence.models import SsoProvider, SsoSettings
from selfservice.ui.pages.login import LoginState
from selfservice.ui.pages.sso_admin import SsoAdminState
from tests.state.conftest import call, substate, token_for
from tests.state.test_attendance_state import at_url


def test_the_admin_adds_a_provider_and_it_shows_on_the_sign_in_page(app_db):
    state = substate(SsoAdminState)
    state.session_token = token_for("admin")
    at_url(state, "/admin/sso")
    call(state, "load")
    call(state, "edit", "new")
    call(state, "save_provider", {"name": "Keycloak", "issuer": "ftp://nope", "client_id": "c", "client_secret": "s", "enabled": "on"})
    assert "https://" in state.provider_error and app_db.exec(select(SsoProvider)).first() is None
    call(
        state,
        "save_provider",
        {"name": "Keycloak", "issuer": "https://id.example.com/realms/corp", "client_id": "c", "client_secret": "s", "enabled": "on"},
    )
    assert state.provider_error == "" and state.providers[0]["name"] == "Keycloak" and state.providers[0]["has_secret"] == "1"
    assert "s" not in {v for p in state.providers for v in p.values() if v not in ("1", "")} - {
        "Keycloak",
        "c",
    }  # the secret never comes back
    row = app_db.exec(select(SsoProvider)).one()
    assert row.client_secret_enc and "s" != row.client_secret_enc

    login = substate(LoginState)
    at_url(login, "/login?next=%2Fleave")
    call(login, "load")
    assert login.providers == [{"id": str(row.id), "name": "Keycloak"}] and login.next_query == "?next=%2Fleave"


def test_password_for_admins_cannot_be_switched_off_without_another_way_in(app_db):
    state = substate(SsoAdminState)
    state.session_token = token_for("admin")
    at_url(state, "/admin/sso")
    call(state, "load")
    call(state, "save_settings", {"password_employee": "on", "password_manager": "on", "password_hr": "on"})
    assert "管理员" in state.error
    assert app_db.get(SsoSettings, 1) is None


def test_a_bad_handoff_code_is_refused_on_the_finish_page(app_db):
    login = substate(LoginState)
    at_url(login, "/sso/finish?c=made-up")
    result = call(login, "sso_finish")
    assert "/login" in str(result) and "超时" in login.error and login.session_token == ""
