"""The admin's single sign-on page (/admin/sso): WeCom sign-in inside the app and by QR code,
OpenID Connect providers (the client secret stored encrypted, never shown again), and which
roles may still sign in with a password."""

from __future__ import annotations

import reflex as rx
from pydantic import Field

from selfservice.domain import sso as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.services import sso
from selfservice.ui.components.shell import card, page
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T
from selfservice.ui.session import SessionState

LABEL = {"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"}
SELECT = {"padding": "8px", "borderRadius": "6px"}


class SettingsForm(Form):
    wecom_enabled: str = Field(default="", max_length=4)
    wecom_qr_enabled: str = Field(default="", max_length=4)
    wecom_oauth_url: str = Field(default="", max_length=255)
    wecom_qr_url: str = Field(default="", max_length=255)
    password_employee: str = Field(default="", max_length=4)
    password_manager: str = Field(default="", max_length=4)
    password_hr: str = Field(default="", max_length=4)
    password_admin: str = Field(default="", max_length=4)


class ProviderForm(Form):
    name: str = Field(default="", max_length=64)
    issuer: str = Field(default="", max_length=255)
    client_id: str = Field(default="", max_length=255)
    client_secret: str = Field(default="", max_length=500)
    scopes: str = Field(default="openid email profile", max_length=255)
    claim: str = Field(default="email", max_length=16)
    custom_claim: str = Field(default="", max_length=64)
    acr: str = Field(default="", max_length=128)
    mfa_stands_in: str = Field(default="", max_length=4)
    enabled: str = Field(default="", max_length=4)


class SsoAdminState(SessionState):
    settings: dict[str, str] = {}
    providers: list[dict[str, str]] = []
    editing: str = ""  # a provider id, or "new"
    error: str = ""
    provider_error: str = ""
    form_key: int = 0

    async def _refresh(self, actor: Actor) -> None:
        config = await run(sso.settings)
        allowed = set(config.password_roles.split(","))
        self.settings = {
            "wecom_enabled": "1" if config.wecom_enabled else "",
            "wecom_qr_enabled": "1" if config.wecom_qr_enabled else "",
            "wecom_oauth_url": config.wecom_oauth_url,
            "wecom_qr_url": config.wecom_qr_url,
            **{f"password_{r}": "1" if r in allowed else "" for r in rules.ROLES},
        }
        self.providers = [
            {
                "id": str(p.id),
                "name": p.name,
                "issuer": p.issuer,
                "client_id": p.client_id,
                "scopes": p.scopes,
                "claim": p.claim,
                "custom_claim": p.custom_claim,
                "acr": p.acr,
                "mfa_stands_in": "1" if p.mfa_stands_in else "",
                "enabled": "1" if p.enabled else "",
                "has_secret": "1" if p.client_secret_enc else "",
            }
            for p in await run(sso.providers, False)
        ]

    @handler(Role.admin, page_load=True)
    async def load(self, actor: Actor):
        self.editing = self.error = self.provider_error = ""
        await self._refresh(actor)
        self.form_key += 1
        await self._fill_shell(actor)

    @handler(Role.admin)
    async def save_settings(self, actor: Actor, form: SettingsForm):
        raw = {
            k: (v == "on" if k.startswith(("wecom_enabled", "wecom_qr_enabled", "password_")) else v) for k, v in form.model_dump().items()
        }
        try:
            await run(sso.save_settings, actor, raw, now())
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return None
        self.error = ""
        await self._refresh(actor)
        return rx.toast.success(self._t("sso.saved"))

    @handler(Role.admin)
    async def edit(self, actor: Actor, provider_id: str):
        self.editing, self.provider_error = provider_id[:12], ""
        self.form_key += 1

    @handler(Role.admin)
    async def cancel(self, actor: Actor):
        self.editing, self.provider_error = "", ""

    @handler(Role.admin)
    async def save_provider(self, actor: Actor, form: ProviderForm):
        raw = form.model_dump()
        raw["mfa_stands_in"], raw["enabled"] = form.mfa_stands_in == "on", form.enabled == "on"
        try:
            await run(sso.save_provider, actor, int(self.editing) if self.editing.isdigit() else None, raw, now())
        except DomainError as error:
            self.provider_error = self._t(error.key, **error.params)
            return None
        self.editing, self.provider_error = "", ""
        await self._refresh(actor)
        return rx.toast.success(self._t("sso.saved"))


def _check(name: str, label_key: str, checked: rx.Var) -> rx.Component:
    return rx.el.label(
        rx.hstack(rx.checkbox(name=name, default_checked=checked, aria_label=T(label_key)), rx.text(T(label_key), size="2"), align="center")
    )


def _settings_card() -> rx.Component:
    s = SsoAdminState.settings
    return card(
        rx.heading(T("sso.wecom_title"), size="4"),
        rx.text(T("sso.wecom_hint"), size="1", color_scheme="gray"),
        rx.form(
            rx.vstack(
                _check("wecom_enabled", "sso.wecom_enabled", s.get("wecom_enabled", "") != ""),
                _check("wecom_qr_enabled", "sso.wecom_qr_enabled", s.get("wecom_qr_enabled", "") != ""),
                rx.el.label(
                    rx.text(T("sso.wecom_oauth_url"), size="2"),
                    rx.input(name="wecom_oauth_url", default_value=s.get("wecom_oauth_url", "")),
                    style=LABEL,
                ),
                rx.el.label(
                    rx.text(T("sso.wecom_qr_url"), size="2"),
                    rx.input(name="wecom_qr_url", default_value=s.get("wecom_qr_url", "")),
                    style=LABEL,
                ),
                rx.heading(T("sso.password_title"), size="3"),
                rx.text(T("sso.password_hint"), size="1", color_scheme="gray"),
                rx.hstack(
                    *(_check(f"password_{r}", f"role.{r}", s.get(f"password_{r}", "") != "") for r in rules.ROLES), wrap="wrap", spacing="4"
                ),
                rx.cond(SsoAdminState.error != "", rx.callout(SsoAdminState.error, color_scheme="red", size="1", id="sso-settings-error")),
                rx.button(T("employee.save"), type="submit", id="sso-settings-save"),
                spacing="3",
                width="100%",
            ),
            on_submit=SsoAdminState.save_settings,
            reset_on_submit=False,
            width="100%",
            key=SsoAdminState.form_key,
        ),
        id="sso-settings",
    )


def _provider_form(p: rx.Var | None) -> rx.Component:
    get = (lambda k: p[k]) if p is not None else (lambda k: {"scopes": "openid email profile", "claim": "email", "enabled": "1"}.get(k, ""))  # noqa: E731
    return rx.form(
        rx.vstack(
            rx.grid(
                rx.el.label(
                    rx.text(T("sso.provider_name"), size="2"), rx.input(name="name", default_value=get("name"), max_length=64), style=LABEL
                ),
                rx.el.label(
                    rx.text(T("sso.issuer"), size="2"),
                    rx.input(name="issuer", default_value=get("issuer"), placeholder="https://id.example.com/realms/corp"),
                    style=LABEL,
                ),
                rx.el.label(rx.text("Client ID", size="2"), rx.input(name="client_id", default_value=get("client_id")), style=LABEL),
                rx.el.label(
                    rx.text(T("sso.client_secret"), size="2"),
                    rx.input(name="client_secret", type="password", placeholder=rx.cond(get("has_secret") != "", T("sso.secret_kept"), "")),
                    style=LABEL,
                ),
                rx.el.label(rx.text(T("sso.scopes"), size="2"), rx.input(name="scopes", default_value=get("scopes")), style=LABEL),
                rx.el.label(
                    rx.text(T("sso.claim"), size="2"),
                    rx.el.select(
                        *(rx.el.option(T(f"sso.claim.{c}"), value=c) for c in rules.CLAIMS),
                        name="claim",
                        default_value=get("claim"),
                        style=SELECT,
                    ),
                    style=LABEL,
                ),
                rx.el.label(
                    rx.text(T("sso.custom_claim"), size="2"), rx.input(name="custom_claim", default_value=get("custom_claim")), style=LABEL
                ),
                rx.el.label(rx.text(T("sso.acr"), size="2"), rx.input(name="acr", default_value=get("acr")), style=LABEL),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            _check("mfa_stands_in", "sso.mfa_stands_in", get("mfa_stands_in") != ""),
            _check("enabled", "sso.enabled", get("enabled") != ""),
            rx.cond(
                SsoAdminState.provider_error != "",
                rx.callout(SsoAdminState.provider_error, color_scheme="red", size="1", id="sso-provider-error"),
            ),
            rx.hstack(
                rx.button(T("employee.save"), type="submit", id="sso-provider-save"),
                rx.button(T("confirm.no"), type="button", variant="soft", color_scheme="gray", on_click=SsoAdminState.cancel),
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=SsoAdminState.save_provider,
        reset_on_submit=False,
        width="100%",
        key=SsoAdminState.form_key,
    )


def _provider_card(p: rx.Var) -> rx.Component:
    return card(
        rx.hstack(
            rx.heading(p["name"], size="4"),
            rx.cond(
                p["enabled"] != "",
                rx.badge(T("sso.enabled"), color_scheme="green"),
                rx.badge(T("security.method_off"), color_scheme="gray"),
            ),
            rx.spacer(),
            rx.button(T("directory.edit"), size="1", variant="soft", on_click=SsoAdminState.edit(p["id"]), class_name="sso-provider-edit"),
            width="100%",
            align="center",
        ),
        rx.text(p["issuer"], " · ", p["client_id"], size="1", color_scheme="gray"),
        rx.cond(SsoAdminState.editing == p["id"], _provider_form(p)),
        class_name="sso-provider-card",
    )


def sso_admin_page() -> rx.Component:
    return page(
        _settings_card(),
        rx.heading(T("sso.providers_title"), size="4"),
        rx.text(T("sso.providers_hint"), size="1", color_scheme="gray"),
        rx.foreach(SsoAdminState.providers, _provider_card),
        rx.cond(
            SsoAdminState.editing == "new",
            card(rx.heading(T("sso.new_provider"), size="4"), _provider_form(None)),
            rx.button(
                rx.icon("plus", size=14), T("sso.new_provider"), variant="soft", on_click=SsoAdminState.edit("new"), id="sso-provider-new"
            ),
        ),
        title_key="sso.admin_title",
        wide=True,
    )
