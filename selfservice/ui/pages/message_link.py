"""The page a signed link opens (/m?t=…): records the read on the link's channel, then shows
the message read-only. The token is the credential, and it names one delivery only."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import quote

import reflex as rx

from selfservice.domain.actor import Actor
from selfservice.domain.errors import DomainError
from selfservice.services import absence_watch, notifications, sso
from selfservice.ui.components.shell import page
from selfservice.ui.guard import handler, now, resolve_actor, run
from selfservice.ui.i18n import T
from selfservice.ui.pages.inbox import message_body, reply_box
from selfservice.ui.pages.login import leave_for
from selfservice.ui.session import SessionState

# Messages whose link leads straight to the page they are about (the WeCom card and the SMS
# already carry the whole text).
STRAIGHT_TO_LINK = {"absence_reminder", "case_notice"}


def _wecom_sign_in(session) -> bool:  # noqa: ANN001
    return sso.settings(session).wecom_enabled


class LinkState(SessionState):
    message: dict[str, str] = {}
    error: str = ""
    signed_in: bool = False
    reply_text: str = ""

    @handler(public=True)
    async def load(self):
        token = self.router.url.query_parameters.get("t", "")
        actor = await resolve_actor(self.session_token)
        self.signed_in = actor is not None
        try:
            view = await run(notifications.open_by_link, token, now(), actor)
        except DomainError as error:
            self.message, self.error = {}, self._t(error.key, **error.params)
            return
        self.message, self.error = {k: str(v) for k, v in asdict(view).items()}, ""
        if actor is None and view.link_path and "wxwork" in (self.router.headers.user_agent or "").lower() and await run(_wecom_sign_in):
            # Inside WeCom: the read is recorded on its channel; sign in through WeCom and land on the page
            return leave_for(f"/sso/wecom/start?next={quote(view.link_path, safe='')}")
        if view.kind in STRAIGHT_TO_LINK and view.link_path:
            return rx.redirect(view.link_path)  # the read is recorded; an attendance reminder opens the leave form
        if actor is not None:
            await self._fill_shell(actor)

    @handler()
    async def acknowledge(self, actor: Actor, message_id: int):
        """The signed-in recipient confirms receipt from the link page."""
        view = await run(notifications.acknowledge, actor, message_id, now())
        self.message = {k: str(v) for k, v in asdict(view).items()}

    @handler()
    async def set_reply(self, actor: Actor, text: str):
        self.reply_text = text[:1000]

    @handler()
    async def reply(self, actor: Actor, message_id: int):
        """The signed-in recipient answers an attendance reminder from the link page."""
        await run(absence_watch.reply, actor, message_id, self.reply_text, now())
        self.reply_text = ""
        view = await run(notifications.open_message, actor, message_id, now())
        self.message = {k: str(v) for k, v in asdict(view).items()}


def link_page() -> rx.Component:
    ack = rx.cond(
        LinkState.signed_in,
        rx.button(
            T("inbox.ack"),
            on_click=LinkState.acknowledge(LinkState.message.get("id", "0").to(int)),
            size="3",
            width="100%",
            id="message-ack",
        ),
        rx.text(T("inbox.sign_in_to_ack"), size="2", color_scheme="gray"),
    )
    return page(
        rx.cond(
            LinkState.error != "",
            rx.callout(LinkState.error, icon="triangle_alert", color_scheme="red", id="link-error"),
            message_body(LinkState.message, ack, reply_box(LinkState, LinkState.signed_in)),
        ),
        signed_in=False,
    )
