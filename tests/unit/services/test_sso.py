"""Single sign-on through the HTTP routes: an OpenID Connect provider (oidc-provider-mock on
127.0.0.1) and WeCom (a stand-in following its documented requests), and every bad input the
issue lists refused with a clear reason, nothing created, the attempt audited."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from selfservice import api
from selfservice.domain import sso as rules
from selfservice.persistence.models import AuditEntry, Employee, SignInMethod, SsoProvider, UserAccount, UserSession
from selfservice.services import auth, channel_settings, sso
from tests.helpers import actor_for
from tests.standins import ForgingOidc, OidcProvider, WeComStandIn

NOW = datetime.now(UTC)


def _refusals(session) -> list[str]:
    session.expire_all()
    return [e.after_json for e in session.exec(select(AuditEntry).where(AuditEntry.action == "sso.refused")).all()]


def _finish_code(response) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/sso/finish?c="), location
    return location.split("=", 1)[1]


def _exchange(session, code: str):
    try:
        return sso.exchange(session, code, datetime.now(UTC), "pytest")
    finally:
        session.commit()  # the routes write from their own connections


def _error_of(response) -> str:
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?sso_error="), location
    return location.split("=", 1)[1]


@pytest.fixture
def oidc(demo):
    with OidcProvider() as provider:
        provider_id = sso.save_provider(
            demo,
            actor_for(demo, "admin"),
            None,
            {
                "name": "Keycloak",
                "issuer": provider.url,
                "client_id": "selfservice",
                "client_secret": "s3cret",
                "claim": "email",
                "scopes": "openid email profile",
            },
            NOW,
        )
        demo.commit()
        yield provider, provider_id


def _oidc_sign_in(client: TestClient, provider: OidcProvider, provider_id: int, sub: str, next_path: str = "/leave?tab=mine"):
    start = client.get(f"/sso/oidc/{provider_id}/start", params={"next": next_path}, follow_redirects=False)
    assert start.status_code == 303
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    back = provider.sign_in_as(authorize, sub)
    return client.get(back.replace("http://testserver", ""), follow_redirects=False), back


def test_an_employee_signs_in_through_an_oidc_provider(oidc, demo):
    provider, provider_id = oidc
    email = demo.exec(select(Employee).where(Employee.employee_no == "E1004")).one().email
    provider.put_user(email, {"email": email, "email_verified": True})
    client = TestClient(api.build())
    response, callback_url = _oidc_sign_in(client, provider, provider_id, email)
    code = _finish_code(response)
    step, next_path = _exchange(demo, code)
    demo.commit()
    assert step.stage == "full" and next_path == "/leave?tab=mine"
    assert auth.resolve(demo, step.token, datetime.now(UTC)).username == "E1004"
    methods = {m.method: m for m in sso.methods(demo, actor_for(demo, "E1004"))}
    assert methods[f"oidc:{provider_id}"].last_used_at is not None and methods["password"].last_used_at is None
    with pytest.raises(sso.Refused) as refused:  # the one-time code, twice
        _exchange(demo, code)
    assert refused.value.key == "sso.handoff_invalid"
    again = client.get(callback_url.replace("http://testserver", ""), follow_redirects=False)  # the callback replayed
    assert _error_of(again) == "sso.state_invalid"
    assert any("sso.state_invalid" in r for r in _refusals(demo))


def test_unknown_identity_and_deactivated_employee_are_refused_and_nothing_is_created(oidc, demo):
    provider, provider_id = oidc
    client = TestClient(api.build())
    accounts, sessions = len(demo.exec(select(UserAccount)).all()), len(demo.exec(select(UserSession)).all())
    provider.put_user("stranger@example.org", {"email": "stranger@example.org", "email_verified": True})
    response, _ = _oidc_sign_in(client, provider, provider_id, "stranger@example.org")
    assert _error_of(response) == "sso.unknown_identity"
    provider.put_user("wildcard", {"email": "%@example.com", "email_verified": True})  # a pattern is not an address
    response, _ = _oidc_sign_in(client, provider, provider_id, "wildcard")
    assert _error_of(response) == "sso.unknown_identity"
    employee = demo.exec(select(Employee).where(Employee.employee_no == "E1005")).one()
    employee.status = "inactive"
    demo.add(employee)
    demo.commit()
    provider.put_user(employee.email, {"email": employee.email, "email_verified": True})
    response, _ = _oidc_sign_in(client, provider, provider_id, employee.email)
    assert _error_of(response) == "sso.inactive"
    demo.expire_all()
    assert len(demo.exec(select(UserAccount)).all()) == accounts and len(demo.exec(select(UserSession)).all()) == sessions
    reasons = " ".join(_refusals(demo))
    assert "sso.unknown_identity" in reasons and "stranger@example.org" in reasons and "sso.inactive" in reasons


def test_hr_keeps_totp_unless_the_admin_lets_the_providers_mfa_stand_in(oidc, demo):
    provider, provider_id = oidc
    email = demo.exec(select(Employee).join(UserAccount).where(UserAccount.username == "hr01")).one().email
    provider.put_user(email, {"email": email, "email_verified": True, "amr": ["pwd", "otp"]})
    client = TestClient(api.build())
    step, _ = _exchange(demo, _finish_code(_oidc_sign_in(client, provider, provider_id, email)[0]))
    demo.commit()
    assert step.stage == "totp"  # MFA claims do not count until the admin says so
    row = demo.get(SsoProvider, provider_id)
    sso.save_provider(
        demo,
        actor_for(demo, "admin"),
        provider_id,
        {"name": row.name, "issuer": row.issuer, "client_id": row.client_id, "claim": "email", "mfa_stands_in": True, "scopes": row.scopes},
        NOW,
    )
    demo.commit()
    step, _ = _exchange(demo, _finish_code(_oidc_sign_in(client, provider, provider_id, email)[0]))
    assert step.stage == "full"
    provider.put_user(email, {"email": email, "email_verified": True, "amr": ["pwd"]})  # no second factor at the provider
    step, _ = _exchange(demo, _finish_code(_oidc_sign_in(client, provider, provider_id, email)[0]))
    assert step.stage == "totp"


def test_a_forged_state_and_an_open_redirect_are_refused(oidc, demo):
    provider, provider_id = oidc
    client = TestClient(api.build())
    forged = client.get(f"/sso/oidc/{provider_id}/callback", params={"code": "x", "state": "made-up"}, follow_redirects=False)
    assert _error_of(forged) == "sso.state_invalid"
    email = demo.exec(select(Employee).where(Employee.employee_no == "E1004")).one().email
    provider.put_user(email, {"email": email})
    for target in ("//evil.example/phish", "https://evil.example", "/\\evil.example", "/login?next=//x"):
        response, _ = _oidc_sign_in(client, provider, provider_id, email, next_path=target)
        _, next_path = _exchange(demo, _finish_code(response))
        assert next_path == "", target
    assert rules.safe_next("/notice?n=FG-2026-0001") == "/notice?n=FG-2026-0001"


# ---- the ID token's checks, with tokens forged by the test ------------------------------------------


@pytest.fixture
def forging(demo):
    with ForgingOidc() as provider:
        provider_id = sso.save_provider(
            demo,
            actor_for(demo, "admin"),
            None,
            {"name": "Forged", "issuer": provider.url, "client_id": "selfservice", "client_secret": "x", "claim": "employee_no"},
            NOW,
        )
        demo.commit()
        yield provider, demo.get(SsoProvider, provider_id)


def _claims(provider: ForgingOidc, **changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": provider.url,
        "sub": "u-1",
        "aud": "selfservice",
        "iat": now,
        "exp": now + 300,
        "nonce": "n-123",
        "employee_no": "E1004",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _check(provider_row: SsoProvider) -> dict | str:
    callback = sso.Callback(f"oidc:{provider_row.id}", "", "n-123", "verifier-" + "x" * 40)
    try:
        return asyncio.run(sso.oidc_claims(provider_row, "code", callback, "http://127.0.0.1/cb"))
    except sso.Refused as refused:
        return refused.key


def test_each_check_of_the_id_token(forging):
    from joserfc.jwk import RSAKey

    provider, row = forging
    provider.forge(_claims(provider))
    assert isinstance(_check(row), dict)  # the control: a proper token passes
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    for label, forge in (
        ("another key", lambda: provider.forge(_claims(provider), key=other)),
        ("alg none", lambda: provider.forge(_claims(provider), alg="none")),
        (
            "HS256 with the public key",
            lambda: provider.forge(
                _claims(provider), alg="HS256", key=__import__("joserfc.jwk", fromlist=["OctKey"]).OctKey.import_key(b"k" * 32)
            ),
        ),
        ("expired", lambda: provider.forge(_claims(provider, iat=int(time.time()) - 4000, exp=int(time.time()) - 3000))),
        ("wrong audience", lambda: provider.forge(_claims(provider, aud="someone-else"))),
        ("wrong issuer", lambda: provider.forge(_claims(provider, iss="https://evil.example"))),
        ("no nonce", lambda: provider.forge(_claims(provider, nonce=None))),
        ("wrong nonce", lambda: provider.forge(_claims(provider, nonce="n-999"))),
    ):
        forge()
        assert _check(row) == "sso.token_invalid", label
    provider.forge(_claims(provider, iat=int(time.time()) + 30, exp=int(time.time()) + 330))  # 30 s ahead: within the skew
    assert isinstance(_check(row), dict)


# ---- WeCom -------------------------------------------------------------------------------------------


@pytest.fixture
def wecom(demo):
    with WeComStandIn() as standin:
        admin = actor_for(demo, "admin")
        channel_settings.save(
            demo,
            admin,
            "wecom",
            True,
            {"corp_id": standin.corp_id, "agent_id": "1000002", "secret": standin.secret, "base_url": standin.url},
            NOW,
        )
        sso.save_settings(
            demo,
            admin,
            {
                "wecom_enabled": True,
                "wecom_qr_enabled": True,
                "wecom_oauth_url": standin.oauth_url,
                "wecom_qr_url": standin.qr_url,
                **{f"password_{r}": True for r in rules.ROLES},
            },
            NOW,
        )
        demo.commit()
        yield standin


def _wecom_sign_in(client: TestClient, qr: bool = False, next_path: str = "/"):
    import httpx

    start = client.get("/sso/wecom/qr" if qr else "/sso/wecom/start", params={"next": next_path}, follow_redirects=False)
    assert start.status_code == 303
    url = start.headers["location"].split("#", 1)[0]
    query = parse_qs(urlsplit(url).query)
    if qr:
        assert query["login_type"] == ["CorpApp"] and query["agentid"] == ["1000002"]
    else:
        assert query["scope"] == ["snsapi_base"] and query["response_type"] == ["code"]
    back = httpx.get(url, follow_redirects=False).headers["location"]
    return client.get(back.replace("http://testserver", ""), follow_redirects=False), back


def test_wecom_inside_the_app_and_by_qr_code(wecom, demo):
    client = TestClient(api.build())
    wecom.member = "E1004"  # no WeCom id on the record: the employee number is the WeCom account
    step, next_path = _exchange(demo, _finish_code(_wecom_sign_in(client, next_path="/notice?n=FG-2026-0001")[0]))
    demo.commit()
    assert step.stage == "full" and next_path == "/notice?n=FG-2026-0001"
    person = demo.exec(select(Employee).where(Employee.employee_no == "E1005")).one()
    person.wecom_userid = "liuyang"
    demo.add(person)
    demo.commit()
    wecom.member = "liuyang"
    step, _ = _exchange(demo, _finish_code(_wecom_sign_in(client, qr=True)[0]))
    assert auth.resolve(demo, step.token, datetime.now(UTC)).username == "E1005"
    wecom.member = "hr01"  # HR through WeCom: TOTP is still due
    hr = demo.exec(select(Employee).join(UserAccount).where(UserAccount.username == "hr01")).one()
    hr.wecom_userid = "hr01"
    demo.add(hr)
    demo.commit()
    step, _ = _exchange(demo, _finish_code(_wecom_sign_in(client)[0]))
    assert step.stage == "totp"
    assert {m.method for m in demo.exec(select(SignInMethod)).all()} >= {"wecom", "wecom_qr"}


def test_wecom_refusals(wecom, demo):
    client = TestClient(api.build())
    wecom.member = "nobody-here"
    response, back = _wecom_sign_in(client)
    assert _error_of(response) == "sso.unknown_identity"
    wecom.member = "E1004"
    response, back = _wecom_sign_in(client)
    _finish_code(response)
    assert _error_of(client.get(back.replace("http://testserver", ""), follow_redirects=False)) == "sso.state_invalid"  # replayed
    # a code already used at WeCom (a fresh state, an old code)
    start = client.get("/sso/wecom/start", follow_redirects=False).headers["location"]
    state = parse_qs(urlsplit(start.split("#")[0]).query)["state"][0]
    used = next(iter(wecom.used_codes))
    assert _error_of(client.get("/sso/wecom/callback", params={"code": used, "state": state}, follow_redirects=False)) == "sso.code_invalid"
    wecom.outsider = True
    response, _ = _wecom_sign_in(client)
    assert _error_of(response) == "sso.not_a_member"
    reasons = " ".join(_refusals(demo))
    assert "nobody-here" in reasons and "sso.code_invalid" in reasons


def test_password_sign_in_can_be_switched_off_per_role(wecom, demo):
    sso.save_settings(
        demo,
        actor_for(demo, "admin"),
        {
            "wecom_enabled": True,
            "wecom_qr_enabled": True,
            "wecom_oauth_url": wecom.oauth_url,
            "wecom_qr_url": wecom.qr_url,
            "password_hr": True,
            "password_admin": True,
            "password_manager": True,
        },
        NOW,
    )
    demo.commit()
    from selfservice.demo import DEMO_PASSWORD
    from selfservice.domain.errors import DomainError

    with pytest.raises(DomainError) as refused:
        auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, datetime.now(UTC))
    assert refused.value.key == "sso.password_disabled"
    assert auth.begin_sign_in(demo, "E1002", DEMO_PASSWORD, datetime.now(UTC)).stage == "full"  # a manager still may
    methods = {m.method: m for m in sso.methods(demo, actor_for(demo, "E1004"))}
    assert not methods["password"].available and methods["wecom"].available


def test_only_the_admin_configures_sign_in(demo):
    from selfservice.domain.errors import NotPermitted

    for who in ("hr01", "E1004"):
        with pytest.raises(NotPermitted):
            sso.save_provider(demo, actor_for(demo, who), None, {"name": "x", "issuer": "https://x", "client_id": "y"}, NOW)
        with pytest.raises(NotPermitted):
            sso.save_settings(demo, actor_for(demo, who), {}, NOW)
    assert timedelta(seconds=30) == rules.HANDOFF_LIFETIME
