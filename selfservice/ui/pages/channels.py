"""Admin: channel settings (WeCom, SMS, email). Secrets are write-only: the page shows only
whether each is set, and leaving a secret field empty keeps the stored one."""

from __future__ import annotations

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.services import channel_settings, notifications
from selfservice.ui.components.shell import card, page
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T
from selfservice.ui.session import SessionState


class ChannelForm(Form):
    channel: str = Field(max_length=16)
    enabled: str = Field(default="", max_length=8)
    corp_id: str = Field(default="", max_length=200)
    agent_id: str = Field(default="", max_length=200)
    secret: str = Field(default="", max_length=500)
    base_url: str = Field(default="", max_length=300)
    access_key_id: str = Field(default="", max_length=200)
    access_key_secret: str = Field(default="", max_length=500)
    sign_name: str = Field(default="", max_length=100)
    template_code: str = Field(default="", max_length=100)
    report_secret: str = Field(default="", max_length=200)
    host: str = Field(default="", max_length=200)
    port: str = Field(default="", max_length=8)
    sender: str = Field(default="", max_length=254)
    username: str = Field(default="", max_length=200)
    password: str = Field(default="", max_length=500)
    starttls: str = Field(default="", max_length=8)


class ChannelsState(SessionState):
    """Only non-secret values and 'is set' flags ever reach the browser."""

    values: dict[str, dict[str, str]] = {}
    enabled: dict[str, bool] = {}
    secrets_set: dict[str, dict[str, bool]] = {}
    form_key: int = 0

    async def _refresh(self, actor: Actor) -> None:
        views = await run(channel_settings.views, actor)
        self.values = {v.channel: v.values for v in views}
        self.enabled = {v.channel: v.enabled for v in views}
        self.secrets_set = {v.channel: v.secrets_set for v in views}
        self.form_key += 1

    @handler(Role.admin, page_load=True)
    async def load(self, actor: Actor):
        await self._refresh(actor)
        await self._fill_shell(actor)

    @handler(Role.admin)
    async def save(self, actor: Actor, form: ChannelForm):
        values = form.model_dump()
        channel, enabled = values.pop("channel"), values.pop("enabled") == "on"
        if values.get("starttls") == "on":
            values["starttls"] = "1"
        try:
            await run(channel_settings.save, actor, channel, enabled, values, now())
        except DomainError as error:
            return rx.toast.error(self._t(error.key, **error.params))
        await self._refresh(actor)
        return rx.toast.success(self._t("channels.saved"))

    @handler(Role.admin)
    async def send_test(self, actor: Actor, channel: str):
        if channel not in channel_settings.FIELDS:
            return rx.toast.error(self._t("error.invalid"))
        await run(notifications.notify, actor, actor.employee_id, "test", "system.test", {"channel": channel}, (channel,), now())
        return rx.toast.success(self._t("channels.test_queued"))


def _field(channel: str, name: str, secret: bool) -> rx.Component:
    if secret:
        hint = rx.cond(ChannelsState.secrets_set[channel][name], T("channels.secret_set"), T("channels.secret_unset"))
        control = rx.input(name=name, type="password", placeholder=hint, aria_label=name, auto_complete="new-password", width="100%")
    else:
        control = rx.input(name=name, default_value=ChannelsState.values[channel][name], aria_label=name, width="100%")
    return rx.vstack(rx.text(name, size="1", color_scheme="gray"), control, spacing="1", width="100%")


def _channel_card(channel: str) -> rx.Component:
    fields = channel_settings.FIELDS[channel]
    return card(
        rx.heading(T(f"channels.{channel}"), size="4"),
        rx.form(
            rx.el.input(type="hidden", name="channel", value=channel),
            rx.hstack(
                rx.el.input(type="checkbox", name="enabled", default_checked=ChannelsState.enabled[channel], id=f"{channel}-enabled"),
                rx.el.label(T("channels.enabled"), html_for=f"{channel}-enabled", font_size="0.9em"),
                align="center",
            ),
            rx.grid(
                *(_field(channel, name, secret) for name, secret, _ in fields),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="2",
                width="100%",
            ),
            rx.hstack(
                rx.button(T("channels.save"), type="submit", id=f"{channel}-save"),
                rx.button(
                    T("channels.test"), type="button", variant="soft", on_click=ChannelsState.send_test(channel), id=f"{channel}-test"
                ),
                margin_top="0.5em",
            ),
            on_submit=ChannelsState.save,
            reset_on_submit=False,
            key=ChannelsState.form_key.to(str) + channel,
        ),
    )


def channels_page() -> rx.Component:
    return page(*(_channel_card(channel) for channel in channel_settings.FIELDS), title_key="channels.title")
