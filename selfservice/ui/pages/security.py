"""Account security: TOTP enrolment with a QR code, recovery codes, sign out everywhere."""

from __future__ import annotations

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor
from selfservice.services import auth, sso
from selfservice.services.attendance import local_text
from selfservice.ui.components.shell import card, page
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_fmt
from selfservice.ui.pages.login import recovery_list
from selfservice.ui.session import SessionState


class CodeOnlyForm(Form):
    code: str = Field(max_length=32)


class SecurityState(SessionState):
    totp_enabled: bool = False
    recovery_left: int = 0
    qr: str = ""
    secret: str = ""
    new_codes: list[str] = []
    methods: list[dict[str, str]] = []  # how this account can sign in, and when each was last used

    async def _refresh(self, actor: Actor) -> None:
        view = await run(auth.security_view, actor)
        self.totp_enabled, self.recovery_left = view.totp_enabled, view.recovery_codes_left
        self.methods = [
            {
                "label": self._t("sso.method.oidc") + " · " + m.name if m.method.startswith("oidc:") else self._t(f"sso.method.{m.method}"),
                "available": "1" if m.available else "",
                "last": local_text(m.last_used_at) if m.last_used_at else "",
            }
            for m in await run(sso.methods, actor)
        ]

    @handler()
    async def load(self, actor: Actor):
        self.qr, self.secret, self.new_codes = "", "", []
        await self._refresh(actor)
        await self._fill_shell(actor)

    @handler()
    async def start_enrolment(self, actor: Actor):
        step = await run(auth.start_enrolment, actor, now())
        self.qr, self.secret = step.qr_data_url, step.secret

    @handler()
    async def confirm_enrolment(self, actor: Actor, form: CodeOnlyForm):
        self.new_codes = await run(auth.confirm_enrolment, actor, form.code, now())
        self.qr, self.secret = "", ""
        await self._refresh(actor)
        return rx.toast.success(self._t("security.enabled"))

    @handler()
    async def regenerate_codes(self, actor: Actor, form: CodeOnlyForm):
        self.new_codes = await run(auth.regenerate_recovery_codes, actor, form.code, now())
        await self._refresh(actor)


def _code_form(on_submit, button_key: str, test_id: str) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="code", placeholder=T("signin.code"), aria_label=T("signin.code"), max_length=32, auto_complete="one-time-code"),
            rx.button(T(button_key), type="submit", id=f"{test_id}-submit"),
            wrap="wrap",
        ),
        on_submit=on_submit,
        reset_on_submit=True,
    )


def _methods_card() -> rx.Component:
    return card(
        rx.heading(T("security.methods_title"), size="3"),
        rx.foreach(
            SecurityState.methods,
            lambda m: rx.hstack(
                rx.text(m["label"], size="2"),
                rx.spacer(),
                rx.cond(m["available"] == "", rx.badge(T("security.method_off"), color_scheme="gray")),
                rx.text(
                    rx.cond(m["last"] != "", T_fmt("security.method_last", at=m["last"]), T("security.method_never")),
                    size="1",
                    color_scheme="gray",
                ),
                width="100%",
                align="center",
                class_name="sign-in-method",
            ),
        ),
        id="sign-in-methods",
    )


def security_page() -> rx.Component:
    return page(
        _methods_card(),
        card(
            rx.heading(rx.cond(SecurityState.totp_enabled, T("security.totp_on"), T("security.totp_off")), size="3", id="totp-status"),
            rx.cond(
                SecurityState.totp_enabled,
                rx.vstack(
                    rx.text(
                        T_fmt("security.recovery_left", count=SecurityState.recovery_left),
                        size="2",
                    ),
                    rx.text(T("security.regenerate_hint"), size="2", color_scheme="gray"),
                    _code_form(SecurityState.regenerate_codes, "security.regenerate", "regenerate"),
                ),
                rx.cond(
                    SecurityState.qr != "",
                    rx.vstack(
                        rx.text(T("security.enrol_hint"), size="2", color_scheme="gray"),
                        rx.image(src=SecurityState.qr, width="200px", height="200px", alt="TOTP QR", id="security-qr"),
                        rx.text(T("signin.secret"), size="1", color_scheme="gray"),
                        rx.code(SecurityState.secret, id="security-secret"),
                        _code_form(SecurityState.confirm_enrolment, "security.confirm", "enrol"),
                    ),
                    rx.button(T("security.enrol"), on_click=SecurityState.start_enrolment, id="security-enrol"),
                ),
            ),
            rx.cond(
                SecurityState.new_codes.length() > 0,
                rx.vstack(
                    rx.heading(T("signin.recovery_title"), size="3"),
                    rx.text(T("signin.recovery_hint"), size="2"),
                    recovery_list(SecurityState.new_codes),
                    width="100%",
                ),
            ),
        ),
        card(
            rx.button(
                T("security.sign_out_all"),
                on_click=SessionState.sign_out_everywhere,
                color_scheme="red",
                variant="soft",
                id="sign-out-everywhere",
            )
        ),
        title_key="security.title",
    )
