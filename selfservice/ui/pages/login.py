"""Sign-in: username + password, then a TOTP / recovery code, or first-time TOTP enrolment."""

from __future__ import annotations

import asyncio

import reflex as rx
from pydantic import Field

from selfservice.domain.errors import DomainError
from selfservice.services import auth, contacts
from selfservice.ui import routes
from selfservice.ui.components.shell import card, page
from selfservice.ui.guard import Form, handler, now, resolve_actor_sync, run
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
    _pending_token: str = ""
    _next: str = ""  # the page a signed-out visitor wanted (e.g. a reminder's leave form)

    async def _landing(self) -> rx.event.EventSpec:
        """Where a fresh session goes: the page asked for, else HR's dashboard or the home page.
        The account's language becomes the browser's (a new browser starts in the language the
        person chose before, and messages are sent in that same language)."""
        actor = await asyncio.to_thread(resolve_actor_sync, self.session_token)
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

    @handler(public=True)
    async def load(self):
        """Already signed in? Go on. Otherwise start at the password step."""
        wanted = self.router.url.query_parameters.get("next", "")
        self._next = wanted if routes.is_internal(wanted) else ""
        if await asyncio.to_thread(resolve_actor_sync, self.session_token):
            return await self._landing()
        if self.stage != "recovery":
            self.stage, self.error = "password", ""

    @handler(public=True)
    async def sign_in(self, form: SignInForm):
        self.error = ""
        try:
            step = await run(auth.begin_sign_in, form.username, form.password, now(), self._user_agent())
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
        complete = auth.complete_enrolment if self.stage == "enrol" else auth.complete_totp
        try:
            step = await run(complete, self._pending_token, form.code, now(), self._user_agent())
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            if error.key in ("auth.pending_expired", "auth.locked", "auth.inactive"):
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
                    _password_step(),
                ),
                max_width="420px",
            ),
            width="100%",
            padding_top="2em",
        ),
        signed_in=False,
    )
