"""Single sign-on in a real browser: an employee signs in through an OpenID Connect provider's
own login form (oidc-provider-mock on 127.0.0.1); inside WeCom (a user agent with ``wxwork``) a
signed link from a notice signs the employee in through WeCom's OAuth (the stand-in) and lands on
the notice, the read recorded on the link's channel; on desktop, "企业微信扫码登录". Password and
TOTP still work (every other browser test signs in that way)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from selfservice.domain.sso import ROLES
from selfservice.persistence.db import engine_for
from selfservice.services import channel_settings, sso
from tests.browser.conftest import DESKTOP, assert_accessible, shot
from tests.browser.flows import query
from tests.helpers import actor_for
from tests.standins import OidcProvider, WeComStandIn

pytestmark = pytest.mark.browser

WECOM_PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh",
}


def test_sign_in_through_an_oidc_provider(browser, app_server):
    with OidcProvider() as provider:
        with Session(engine_for(app_server.db_url)) as session:
            provider_id = sso.save_provider(
                session,
                actor_for(session, "admin"),
                None,
                {"name": "Keycloak", "issuer": provider.url, "client_id": "selfservice", "client_secret": "s3cret", "claim": "email"},
                datetime.now(UTC),
            )
            session.commit()
        [(email,)] = query(app_server, "SELECT email FROM employee WHERE employee_no = 'E1006'")
        page = browser.new_context(**DESKTOP).new_page()
        page.goto(app_server.url + "/login?next=%2Fleave")
        link = page.locator(".sso-provider", has_text="Keycloak")
        expect(link).to_be_visible()
        assert_accessible(page, "sign-in page with single sign-on")
        shot(page, "desktop-sign-in-sso")
        link.click()
        page.locator("input[name=sub]").fill(email)  # the provider's own login form
        page.get_by_role("button", name="Authorize").click()
        expect(page).to_have_url(re.compile(r"/leave"), timeout=15000)
        expect(page.locator("#nav-menu")).to_be_visible()
        assert "c=" not in page.url and "token" not in page.url
        [(method, last)] = query(
            app_server,
            "SELECT m.method, m.last_used_at FROM sign_in_method m JOIN user_account a ON a.id = m.account_id "
            "WHERE a.username = 'E1006' AND m.method LIKE 'oidc:%'",
        )
        assert method == f"oidc:{provider_id}" and last
        page.goto(app_server.url + "/account/security")
        expect(page.locator(".sign-in-method", has_text="Keycloak")).to_contain_text("上次使用")
        assert_accessible(page, "security page with sign-in methods")
        page.context.close()

        stranger = browser.new_context(**DESKTOP).new_page()  # no employee has this email
        stranger.goto(app_server.url + "/login")
        stranger.locator(".sso-provider", has_text="Keycloak").click()
        stranger.locator("input[name=sub]").fill("someone@elsewhere.example")
        stranger.get_by_role("button", name="Authorize").click()
        expect(stranger.locator("#signin-error")).to_contain_text("请联系人事")
        stranger.context.close()
        with Session(engine_for(app_server.db_url)) as session:  # the provider goes away with this test
            sso.save_provider(
                session,
                actor_for(session, "admin"),
                provider_id,
                {"name": "Keycloak", "issuer": provider.url, "client_id": "selfservice", "claim": "email", "enabled": False},
                datetime.now(UTC),
            )
            session.commit()


def test_a_notice_link_opened_inside_wecom_signs_in_and_lands_on_the_notice(browser, app_server):
    with WeComStandIn() as wecom:
        with Session(engine_for(app_server.db_url)) as session:
            now = datetime.now(UTC)
            admin = actor_for(session, "admin")
            channel_settings.save(
                session,
                admin,
                "wecom",
                True,
                {"corp_id": wecom.corp_id, "agent_id": "1000002", "secret": wecom.secret, "base_url": wecom.url},
                now,
            )
            sso.save_settings(
                session,
                admin,
                {
                    "wecom_enabled": True,
                    "wecom_qr_enabled": True,
                    "wecom_oauth_url": wecom.oauth_url,
                    "wecom_qr_url": wecom.qr_url,
                    **{f"password_{r}": True for r in ROLES},
                },
                now,
            )
            session.commit()
        # 程露's return-to-work notice (the demo's open case): the link in its SMS
        [(delivery_id, text, number)] = query(
            app_server,
            "SELECT d.id, d.text_sent, n.number FROM notification_delivery d JOIN case_notice n ON n.message_id = d.message_id "
            "JOIN absence_case c ON c.id = n.case_id JOIN employee e ON e.id = c.employee_id "
            "WHERE d.channel = 'sms' AND e.employee_no = 'E3008' AND n.kind = 'return'",
        )
        link = "/m?t=" + re.search(r"/m\?t=(\S+)", text).group(1)
        wecom.member = "E3008"
        phone = browser.new_context(**WECOM_PHONE).new_page()
        phone.goto(app_server.url + link)
        expect(phone).to_have_url(re.compile(rf"/notice\?n={number}"), timeout=15000)
        expect(phone.locator("#notice-text")).to_contain_text("程露")
        expect(phone.locator("#notice-acknowledge")).to_be_visible()  # signed in as her: she can confirm receipt
        assert query(app_server, "SELECT read_at IS NOT NULL FROM notification_delivery WHERE id = ?", delivery_id) == [(1,)]
        assert any(c["path"] == "/connect/oauth2/authorize" for c in wecom.authorize_calls)
        assert_accessible(phone, "notice inside WeCom")
        shot(phone, "phone-wecom-notice")
        phone.context.close()

        desktop = browser.new_context(**DESKTOP).new_page()  # 企业微信扫码登录 on the sign-in page
        wecom.member = "E1004"
        desktop.goto(app_server.url + "/login")
        desktop.locator("#sso-wecom-qr").click()
        expect(desktop.locator("#nav-menu")).to_be_visible(timeout=15000)
        assert any(c["path"] == "/wwlogin/sso/login" and c.get("login_type") == "CorpApp" for c in wecom.authorize_calls)
        desktop.context.close()
        with Session(engine_for(app_server.db_url)) as session:  # leave the demo as it was for the other tests
            sso.save_settings(
                session,
                actor_for(session, "admin"),
                {"wecom_oauth_url": wecom.oauth_url, "wecom_qr_url": wecom.qr_url, **{f"password_{r}": True for r in ROLES}},
                now,
            )
            session.commit()
