"""Sign-in: username + password, then a TOTP / recovery code, or first-time TOTP enrolment; or
single sign-on (WeCom inside its app and by QR code, an OpenID Connect provider), whose callback
hands this page a one-time code (``/sso/finish?c=…``) that is exchanged here for the session."""

from __future__ import annotations

import json
from urllib.parse import quote

import reflex as rx
from pydantic import Field

from selfservice.auth import gate
from selfservice.domain.errors import DomainError
from selfservice.services import auth, contacts, sso
from selfservice.ui import routes
from selfservice.ui.components.shell import card, page
from selfservice.ui.guard import Form, handler, now, resolve_actor, run
from selfservice.ui.i18n import T
from selfservice.ui.session import SessionState


class SignInForm(Form):
    username: str = Field(max_length=64)
    password: str = Field(max_length=128)


class CodeForm(Form):
    code: str = Field(max_length=32)


class LoginState(SessionState):
    """The pending-sign-in token stays on the server (backend var), never in the browser."""

    stage: str = "password"  # password | totp | enrol | recovery
    error: str = ""
    qr: str = ""
    secret: str = ""
    recovery_codes: list[str] = []
    providers: list[dict[str, str]] = []  # OIDC providers to offer
    wecom_qr: bool = False
    next_query: str = ""  # "?next=…" for the single sign-on links
    _pending_token: str = ""
    _next: str = ""  # the page a signed-out visitor wanted (e.g. a reminder's leave form)

    async def _landing(self) -> rx.event.EventSpec:
        """Where a fresh session goes: the page asked for, else HR's dashboard or the home page.
        The account's language becomes the browser's (a new browser starts in the language the
        person chose before, and messages are sent in that same language)."""
        actor = await resolve_actor(self.session_token)
        if actor is not None and actor.language in ("zh-CN", "en"):
            self.lang = actor.language
        if self._next:
            target, self._next = self._next, ""
            return rx.redirect(target)
        target = routes.landing(actor.role.value if actor else "")
        if actor is not None and target == routes.HOME and await run(contacts.due_for, actor):
            target = routes.CONTACT  # first the contact details and the address for service
        return rx.redirect(target)

    def _user_agent(self) -> str:
        return (self.router.headers.user_agent or "")[:255]

    def _source(self) -> str:
        """The client's address: the socket's peer, or the proxy's word for it when
        SELFSERVICE_TRUSTED_PROXY_HOPS says how many proxies stand in front."""
        return (self.router.session.client_ip or "")[:64]

    @handler(public=True)
    async def load(self):
        """Already signed in? Go on. Inside WeCom, sign in through WeCom without a password.
        Otherwise start at the password step (or the TOTP step a single sign-on left due)."""
        query = self.router.url.query_parameters
        wanted = query.get("next", "")
        self._next = wanted if routes.is_internal(wanted) else ""
        self.next_query = f"?next={quote(self._next, safe='')}" if self._next else ""
        if await resolve_actor(self.session_token):
            return await self._landing()
        ways = await run(_sign_in_ways)
        self.providers, self.wecom_qr = ways["providers"], ways["wecom_qr"]
        failed = query.get("sso_error", "")
        if failed.startswith("sso.") and len(failed) < 40:
            self.stage, self.error, self._pending_token = "password", self._t(failed), ""
            return None
        if ways["wecom"] and "wxwork" in self._user_agent().lower():
            return leave_for(f"/sso/wecom/start?next={quote(self._next, safe='')}")
        if self.stage in ("totp", "enrol") and self._pending_token:
            return None  # a single sign-on that still owes the second factor
        if self.stage != "recovery":
            self.stage, self.error = "password", ""

    @handler(public=True)
    async def sso_finish(self):
        """``/sso/finish?c=…``: trade the one-time code for the session (or the TOTP step)."""
        code = self.router.url.query_parameters.get("c", "")[:64]
        try:
            step, wanted = await run(sso.exchange, code, now(), self._user_agent())
        except DomainError as error:
            self.stage, self.error = "password", self._t(error.key, **error.params)
            return rx.redirect(routes.LOGIN)
        self._next = wanted if routes.is_internal(wanted) else ""
        if step.stage == "full":
            self.session_token, self.error = step.token, ""
            return await self._landing()
        self._pending_token, self.error = step.token, ""
        self.stage, self.qr, self.secret = step.stage, step.qr_data_url, step.secret
        return rx.redirect(routes.LOGIN)

    @handler(public=True)
    async def sign_in(self, form: SignInForm):
        self.error = ""
        try:
            step = await gate.run_checked(auth.begin_sign_in, form.username, form.password, now(), self._user_agent(), self._source())
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return
        if step.stage == "full":
            self.session_token = step.token
            return await self._landing()
        self._pending_token = step.token
        self.stage, self.qr, self.secret = step.stage, step.qr_data_url, step.secret

    @handler(public=True)
    async def verify_code(self, form: CodeForm):
        self.error = ""
        try:
            if self.stage == "enrol":
                step = await run(auth.complete_enrolment, self._pending_token, form.code, now(), self._user_agent())
            else:
                step = await run(auth.complete_totp, self._pending_token, form.code, now(), self._user_agent(), self._source())
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            if error.key in ("auth.pending_expired", "auth.inactive"):
                self.stage, self._pending_token = "password", ""
            return
        self._pending_token, self.qr, self.secret = "", "", ""
        self.session_token = step.token
        if step.recovery_codes:
            self.stage, self.recovery_codes = "recovery", step.recovery_codes
            return
        self.stage = "password"
        return await self._landing()

    @handler(public=True)
    async def finish(self):
        self.stage, self.recovery_codes = "password", []
        return await self._landing()

    @handler(public=True)
    async def back(self):
        self.stage, self._pending_token, self.error, self.qr, self.secret = "password", "", "", "", ""


def leave_for(path: str) -> rx.event.EventSpec:
    """A full page load of one of the app's HTTP routes (the single sign-on redirects are not
    pages of the front-end: its router would show "not found")."""
    return rx.call_script(f"window.location.assign({json.dumps(path)})")


# The single sign-on links leave the front-end for HTTP routes (``target="_top"``: a full page
# load, which the front-end's router leaves alone).
BUTTON_LINK = {
    "color": "var(--accent-11)",
    "display": "flex",
    "alignItems": "center",
    "justifyContent": "center",
    "gap": "8px",
    "width": "100%",
    "padding": "10px",
    "border": "1px solid var(--accent-8)",
    "borderRadius": "6px",
    "textDecoration": "none",
}


def _sign_in_ways(session) -> dict:  # noqa: ANN001
    config = sso.settings(session)
    return {
        "providers": [{"id": str(p.id), "name": p.name} for p in sso.providers(session)],
        "wecom": config.wecom_enabled,
        "wecom_qr": config.wecom_qr_enabled,
    }


def _other_ways() -> rx.Component:
    """企业微信扫码登录 and the configured OIDC providers, under the password form."""
    next_part = LoginState.next_query
    return rx.cond(
        LoginState.wecom_qr | (LoginState.providers.length() > 0),
        rx.vstack(
            rx.hstack(
                rx.separator(size="4"),
                rx.text(T("sso.or"), size="1", color_scheme="gray", white_space="nowrap"),
                rx.separator(size="4"),
                width="100%",
                align="center",
            ),
            rx.cond(
                LoginState.wecom_qr,
                rx.el.a(
                    rx.icon("qr-code", size=16),
                    T("sso.wecom_qr"),
                    href="/sso/wecom/qr" + next_part,
                    id="sso-wecom-qr",
                    style=BUTTON_LINK,
                    target="_top",
                ),
            ),
            rx.foreach(
                LoginState.providers,
                lambda p: rx.el.a(
                    rx.icon("log-in", size=16),
                    T("sso.with"),
                    " ",
                    p["name"],
                    href="/sso/oidc/" + p["id"].to(str) + "/start" + next_part,
                    class_name="sso-provider",
                    style=BUTTON_LINK,
                    target="_top",  # a full page load: the router would look for a page of the front-end
                ),
            ),
            width="100%",
            spacing="2",
        ),
    )


def finish_page() -> rx.Component:
    return page(
        rx.center(
            card(rx.text(T("sso.finishing"), size="3", id="sso-finishing"), _error(), max_width="420px"), width="100%", padding_top="2em"
        ),
        signed_in=False,
    )


def _error() -> rx.Component:
    return rx.cond(
        LoginState.error != "", rx.callout(LoginState.error, icon="triangle_alert", color_scheme="red", id="signin-error", width="100%")
    )


def _password_step() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(T("signin.username"), size="2"),
            rx.input(
                name="username",
                id="username",
                aria_label=T("signin.username"),
                auto_complete="username",
                max_length=64,
                width="100%",
                size="3",
            ),
            rx.text(T("signin.password"), size="2"),
            rx.input(
                name="password",
                id="password",
                type="password",
                aria_label=T("signin.password"),
                auto_complete="current-password",
                max_length=128,
                width="100%",
                size="3",
            ),
            rx.button(T("signin.submit"), type="submit", width="100%", size="3", id="signin-submit"),
            spacing="2",
            width="100%",
        ),
        on_submit=LoginState.sign_in,
        reset_on_submit=False,
        width="100%",
    )


def _code_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(T("signin.code"), size="2"),
            rx.input(
                name="code",
                id="code",
                aria_label=T("signin.code"),
                auto_complete="one-time-code",
                input_mode="text",
                max_length=32,
                width="100%",
                size="3",
            ),
            rx.button(T("signin.verify"), type="submit", width="100%", size="3", id="code-submit"),
            rx.button(T("signin.back"), type="button", variant="ghost", on_click=LoginState.back, width="100%"),
            spacing="2",
            width="100%",
        ),
        on_submit=LoginState.verify_code,
        reset_on_submit=True,
        width="100%",
    )


def _totp_step() -> rx.Component:
    return rx.vstack(
        rx.heading(T("signin.totp_title"), size="4"),
        rx.text(T("signin.totp_hint"), size="2", color_scheme="gray"),
        _code_form(),
        width="100%",
    )


def _enrol_step() -> rx.Component:
    return rx.vstack(
        rx.heading(T("signin.enrol_title"), size="4"),
        rx.text(T("signin.enrol_hint"), size="2", color_scheme="gray"),
        rx.center(rx.image(src=LoginState.qr, width="200px", height="200px", alt="TOTP QR", id="totp-qr"), width="100%"),
        rx.text(T("signin.secret"), size="1", color_scheme="gray"),
        rx.code(LoginState.secret, id="totp-secret", size="2"),
        _code_form(),
        width="100%",
    )


def recovery_list(codes) -> rx.Component:
    return rx.grid(rx.foreach(codes, lambda c: rx.code(c, size="3")), columns="2", spacing="2", id="recovery-codes", width="100%")


def _recovery_step() -> rx.Component:
    return rx.vstack(
        rx.heading(T("signin.recovery_title"), size="4"),
        rx.text(T("signin.recovery_hint"), size="2", color_scheme="gray"),
        recovery_list(LoginState.recovery_codes),
        rx.button(T("signin.continue"), on_click=LoginState.finish, width="100%", size="3", id="recovery-continue"),
        width="100%",
    )


def login_page() -> rx.Component:
    return page(
        rx.center(
            card(
                rx.heading(T("signin.title"), size="6"),
                rx.text(T("app.tagline"), size="2", color_scheme="gray"),
                _error(),
                rx.match(
                    LoginState.stage,
                    ("totp", _totp_step()),
                    ("enrol", _enrol_step()),
                    ("recovery", _recovery_step()),
                    rx.vstack(_password_step(), _other_ways(), width="100%", spacing="3"),
                ),
                max_width="420px",
            ),
            width="100%",
            padding_top="2em",
        ),
        signed_in=False,
    )
