"""Employee (phone): contact details (/profile/contact) — the fields that need no code, a new
mobile or email confirmed with a one-time code, the signed address-for-service confirmation
and the history of every change. Rules live in :mod:`selfservice.services.contacts`."""

from __future__ import annotations

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor
from selfservice.domain.contacts import CHANNELS, SERVICE_STATEMENT
from selfservice.domain.errors import DomainError
from selfservice.domain.signatures import MAX_IMAGE_BYTES
from selfservice.services import contacts, reauth
from selfservice.ui.components.shell import card, data_table, page
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_fmt, T_var
from selfservice.ui.pages.my_policies import SigningMixin, sign_card
from selfservice.ui.session import SessionState

FREE_FIELDS = ("address", "wecom_userid", "emergency_contact_name", "emergency_contact_relation", "emergency_contact_phone")


class ContactForm(Form):
    address: str = Field(default="", max_length=400)
    wecom_userid: str = Field(default="", max_length=128)
    emergency_contact_name: str = Field(default="", max_length=128)
    emergency_contact_relation: str = Field(default="", max_length=64)
    emergency_contact_phone: str = Field(default="", max_length=40)


class CodeRequestForm(Form):
    new_value: str = Field(default="", max_length=254)
    secret: str = Field(default="", max_length=64)


class CodeForm(Form):
    code: str = Field(default="", max_length=12)


class ConfirmForm(Form):
    typed_name: str = Field(default="", max_length=64)
    secret: str = Field(default="", max_length=64)
    drawing: str = Field(default="", max_length=MAX_IMAGE_BYTES * 4 // 3 + 100)
    ch_inapp: str = Field(default="", max_length=4)
    ch_wecom: str = Field(default="", max_length=4)
    ch_sms: str = Field(default="", max_length=4)
    ch_email: str = Field(default="", max_length=4)
    ch_post: str = Field(default="", max_length=4)


class ContactState(SigningMixin, SessionState):
    values: dict[str, str] = {}
    display: dict[str, str] = {}
    field_errors: dict[str, str] = {}
    confirmation: dict[str, str] = {}
    channels: list[str] = []
    history: list[dict[str, str]] = []
    changing: str = ""  # "phone" | "email" while the change form is open
    pending: dict[str, str] = {}
    change_error: str = ""
    form_key: int = 0

    async def _show(self, actor: Actor) -> None:
        view = await run(contacts.view, actor, now())
        self.values, self.display = view.values, view.display
        self.confirmation = {
            "number": str(view.confirmed_number),
            "at": view.confirmed_at,
            "needed": "1" if view.needs_confirmation else "",
            "receipt_url": view.receipt_url,
            "verify_url": view.verify_url,
        }
        self.channels = view.confirmed_channels or ["inapp", "wecom", "sms"]
        self.pending = {"field": view.pending_field, "value": view.pending_value}
        rows = await run(contacts.history, actor, actor.employee_id, 50)
        self.history = history_rows(rows)
        self.form_key += 1

    @handler(page_load=True)
    async def load(self, actor: Actor):
        self.field_errors, self.change_error, self.sign_error, self.changing = {}, "", "", ""
        self.reauth_method = await run(reauth.method_for, actor)
        await self._show(actor)
        await self._fill_shell(actor)

    @handler()
    async def save(self, actor: Actor, form: ContactForm):
        self.values = {**self.values, **form.model_dump()}
        try:
            changed = await run(contacts.save, actor, form.model_dump(), now())
        except contacts.InvalidContacts as error:
            self.field_errors = {e.field: self._t(e.key, **e.params) for e in error.errors}
            return rx.toast.error(self._t("contact.invalid"))
        self.field_errors = {}
        await self._show(actor)
        return rx.toast.success(self._t("contact.saved" if changed else "contact.nothing_changed"))

    @handler()
    async def start_change(self, actor: Actor, field: str):
        self.changing = field if field in ("phone", "email") else ""
        self.change_error = ""

    @handler()
    async def cancel_change(self, actor: Actor):
        self.changing, self.change_error = "", ""

    @handler()
    async def request_code(self, actor: Actor, form: CodeRequestForm):
        if self.changing not in ("phone", "email"):
            return None
        try:
            await self._reauthenticate(actor, form.secret)
            await run(contacts.request_code, actor, self.changing, form.new_value, now())
        except DomainError as error:
            self.change_error = self._t(error.key, **error.params)
            return None
        self.change_error, self.changing = "", ""
        await self._show(actor)
        return rx.toast.success(self._t("contact.code_sent"))

    @handler()
    async def confirm_code(self, actor: Actor, form: CodeForm):
        try:
            await run(contacts.confirm_code, actor, form.code, now())
        except DomainError as error:
            self.change_error = self._t(error.key, **error.params)
            await self._show(actor)
            return None
        self.change_error = ""
        await self._show(actor)
        return rx.toast.success(self._t("contact.changed"))

    @handler()
    async def sign(self, actor: Actor, form: ConfirmForm):
        chosen = [c for c in CHANNELS if getattr(form, f"ch_{c}") == "on"]
        self.channels = chosen
        try:
            await self._reauthenticate(actor, form.secret)
            await run(contacts.confirm_service, actor, chosen, form.typed_name, form.drawing, self._context(), now())
        except contacts.InvalidContacts as error:
            self.sign_error = self._t("contact.fix_first", field=self._t(f"field.{error.errors[0].field}"))
            return None
        except DomainError as error:
            self.sign_error = self._t(error.key, **error.params)
            return None
        self.sign_error = ""
        await self._show(actor)
        return rx.toast.success(self._t("contact.confirmed"))


S = ContactState


def _error(key: str) -> rx.Component:
    return rx.cond(
        S.field_errors.contains(key), rx.text(S.field_errors.get(key, ""), color_scheme="red", size="1", class_name="field-error")
    )


def _free_input(key: str, **props) -> rx.Component:
    return rx.el.label(
        rx.text(T(f"field.{key}"), size="2", weight="medium"),
        rx.input(name=key, default_value=S.display.get(key, ""), width="100%", **props),
        _error(key),
        style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
    )


def _verified_row(field: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(T(f"field.{field}"), size="2", color_scheme="gray", min_width="5em"),
            rx.text(
                rx.cond(S.display.get(field, "") != "", S.display.get(field, ""), T("home.not_set")),
                size="3",
                weight="medium",
                id=f"contact-{field}",
            ),
            rx.spacer(),
            rx.button(T("contact.change"), size="1", variant="soft", type="button", on_click=S.start_change(field), id=f"change-{field}"),
            width="100%",
            align="center",
        ),
        rx.cond(
            S.changing == field,
            rx.form(
                rx.vstack(
                    rx.el.label(
                        rx.text(T(f"contact.new_{field}"), size="2", weight="medium"),
                        rx.input(name="new_value", type="tel" if field == "phone" else "email", max_length=254, width="100%"),
                        style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
                    ),
                    rx.el.label(
                        rx.text(
                            rx.cond(S.reauth_method == "totp", T("sign.reauth_totp"), T("sign.reauth_password")), size="2", weight="medium"
                        ),
                        rx.input(name="secret", type=rx.cond(S.reauth_method == "totp", "text", "password"), max_length=64, width="100%"),
                        style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
                    ),
                    rx.cond(
                        S.change_error != "",
                        rx.callout(S.change_error, icon="triangle_alert", color_scheme="red", size="1", class_name="change-error"),
                    ),
                    rx.hstack(
                        rx.button(T("contact.send_code"), type="submit", size="2", id="send-code"),
                        rx.button(
                            T("contact.cancel"), type="button", size="2", variant="soft", color_scheme="gray", on_click=S.cancel_change
                        ),
                    ),
                    width="100%",
                ),
                on_submit=S.request_code,
                reset_on_submit=False,
                width="100%",
                padding="0.6em",
                border="1px solid var(--gray-a5)",
                border_radius="8px",
            ),
        ),
        width="100%",
        spacing="2",
    )


def _pending_code() -> rx.Component:
    return rx.cond(
        S.pending.get("field", "") != "",
        rx.form(
            rx.vstack(
                rx.callout(T_fmt("contact.code_pending", value=S.pending.get("value", "")), icon="info", size="1", id="code-pending"),
                rx.el.label(
                    rx.text(T("contact.code"), size="2", weight="medium"),
                    rx.input(name="code", input_mode="numeric", auto_complete="one-time-code", max_length=12, width="100%"),
                    style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
                ),
                rx.cond(
                    S.change_error != "",
                    rx.callout(S.change_error, icon="triangle_alert", color_scheme="red", size="1", class_name="change-error"),
                ),
                rx.button(T("contact.confirm_code"), type="submit", size="2", id="confirm-code"),
                width="100%",
            ),
            on_submit=S.confirm_code,
            reset_on_submit=True,
            width="100%",
        ),
    )


def _details() -> rx.Component:
    return card(
        rx.heading(T("contact.details"), size="4"),
        _verified_row("phone"),
        _verified_row("email"),
        _pending_code(),
        rx.separator(),
        rx.form(
            rx.vstack(
                _free_input("address", max_length=200),
                _free_input("wecom_userid", max_length=64, placeholder=T("contact.wecom_hint")),
                _free_input("emergency_contact_name", max_length=64),
                _free_input("emergency_contact_relation", max_length=32),
                _free_input("emergency_contact_phone", type="tel", max_length=20),
                rx.button(T("contact.save"), type="submit", size="3", width="100%", id="contact-save"),
                width="100%",
                spacing="3",
            ),
            on_submit=S.save,
            reset_on_submit=False,
            key=S.form_key,
            width="100%",
        ),
    )


def _channel_box(channel: str) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", name=f"ch_{channel}", default_checked=S.channels.contains(channel)),
        T(f"contact.channel.{channel}"),
        style={"display": "flex", "gap": "8px", "alignItems": "center", "minHeight": "32px"},
    )


def _confirmation() -> tuple[rx.Component, rx.Component]:
    """The confirmation's status (top of the page) and, when one is due, its sign step."""
    status = rx.cond(
        S.confirmation.get("needed", "") != "",
        rx.callout(T("contact.confirm_needed"), icon="triangle_alert", color_scheme="amber", size="1", id="confirm-needed"),
        rx.callout(
            T_fmt("contact.confirmed_line", number=S.confirmation.get("number", ""), at=S.confirmation.get("at", "")),
            icon="check",
            color_scheme="green",
            size="1",
            id="confirm-status",
        ),
    )
    links = rx.cond(
        S.confirmation.get("receipt_url", "") != "",
        rx.hstack(
            rx.link(T("sign.receipt"), href=S.confirmation.get("receipt_url", ""), size="2", id="service-receipt"),
            rx.link(T("sign.verify"), href=S.confirmation.get("verify_url", ""), size="2"),
            wrap="wrap",
        ),
    )
    channels = rx.el.fieldset(
        rx.el.legend(T("contact.channels"), style={"fontSize": "14px", "fontWeight": 500}),
        *(_channel_box(c) for c in CHANNELS),
        style={"border": "0", "padding": 0, "margin": 0, "display": "flex", "flexDirection": "column"},
    )
    sign_step = rx.cond(
        S.confirmation.get("needed", "") != "",
        rx.box(
            sign_card(S, SERVICE_STATEMENT, "contact.confirm_submit", "contact.confirm_title", (channels,)),
            key=S.form_key,
            width="100%",
        ),
    )
    return rx.vstack(status, links, width="100%"), sign_step


def history_rows(rows: list[contacts.ChangeRow]) -> list[dict[str, str]]:
    return [{"field": r.field, "before": r.before, "after": r.after, "how": r.how, "by": r.by, "at": r.at} for r in rows]


def history_card(rows: rx.Var, **props) -> rx.Component:
    """Every change of one person's contact details (their own page, and HR's employee page)."""
    return card(
        rx.heading(T("contact.history"), size="4"),
        rx.cond(rows.length() == 0, rx.text(T("contact.no_history"), size="2", color_scheme="gray")),
        data_table(
            ("contact.col.field", "contact.col.before", "contact.col.after", "contact.col.how", "contact.col.at"),
            rows,
            lambda r: rx.table.row(
                rx.table.cell(T_var("field.", r["field"].to(str))),
                rx.table.cell(r["before"]),
                rx.table.cell(r["after"]),
                rx.table.cell(T_var("contact.how.", r["how"].to(str)), " ", r["by"]),
                rx.table.cell(r["at"]),
                class_name="contact-history-row",
                white_space="nowrap",
            ),
        ),
        **props,
    )


def contact_page() -> rx.Component:
    status, sign_step = _confirmation()
    return page(status, _details(), sign_step, history_card(S.history), title_key="contact.title")
