"""Employee inbox (我的消息) and one message, with the receipt confirmation (我已收到)."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx

from selfservice.domain.actor import Actor
from selfservice.services import absence_watch, notifications
from selfservice.ui import routes
from selfservice.ui.components.shell import card, page
from selfservice.ui.guard import handler, now, run
from selfservice.ui.i18n import T, T_fmt, T_var
from selfservice.ui.session import SessionState


def _strings(view) -> dict[str, str]:
    return {k: str(v) for k, v in asdict(view).items()}


class InboxState(SessionState):
    rows: list[dict[str, str]] = []
    message: dict[str, str] = {}
    reply_text: str = ""

    @handler(page_load=True)
    async def load(self, actor: Actor):
        self.rows = [_strings(r) for r in await run(notifications.inbox, actor)]
        await self._fill_shell(actor)

    @handler(page_load=True)
    async def load_message(self, actor: Actor):
        """Opening the page is the read: recorded once, by the recipient only."""
        raw_id = self.router.url.query_parameters.get("id", "")
        if not raw_id.isdigit():
            return rx.redirect(routes.INBOX)
        self.message = _strings(await run(notifications.open_message, actor, int(raw_id), now()))
        await self._fill_shell(actor)

    @handler()
    async def acknowledge(self, actor: Actor, message_id: int):
        self.message = _strings(await run(notifications.acknowledge, actor, message_id, now()))

    @handler()
    async def set_reply(self, actor: Actor, text: str):
        self.reply_text = text[:1000]

    @handler()
    async def reply(self, actor: Actor, message_id: int):
        """ "我已收到，稍后说明" to an attendance reminder: the receipt and a reply on the record."""
        await run(absence_watch.reply, actor, message_id, self.reply_text, now())
        self.reply_text = ""
        self.message = _strings(await run(notifications.open_message, actor, message_id, now()))


def _row(row: rx.Var) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.cond(
                    row["read"] == "False",
                    rx.box(width="8px", height="8px", border_radius="50%", background="var(--red-9)", flex_shrink="0"),
                ),
                rx.vstack(
                    rx.text(row["title"], weight=rx.cond(row["read"] == "False", "bold", "regular"), size="3"),
                    rx.hstack(
                        rx.text(row["created_at"], size="1", color_scheme="gray"),
                        rx.cond(
                            row["requires_ack"] == "True",
                            rx.cond(
                                row["acknowledged"] == "True",
                                rx.badge(T("inbox.acknowledged"), color_scheme="green"),
                                rx.badge(T("inbox.needs_ack"), color_scheme="orange"),
                            ),
                        ),
                        spacing="2",
                    ),
                    spacing="1",
                    align="start",
                ),
                align="center",
                spacing="3",
            ),
            width="100%",
            class_name="inbox-row",
        ),
        href=routes.MESSAGE + "?id=" + row["id"],
        underline="none",
        color="inherit",
        width="100%",
    )


def inbox_page() -> rx.Component:
    return page(
        rx.cond(InboxState.rows.length() == 0, rx.text(T("inbox.empty"), color_scheme="gray")),
        rx.vstack(rx.foreach(InboxState.rows, _row), spacing="2", width="100%"),
        title_key="inbox.title",
    )


def reply_box(state, signed_in) -> rx.Component:  # noqa: ANN001
    """An attendance reminder is answered with "我已收到，稍后说明" and, if they like, a few words."""
    return rx.cond(
        signed_in,
        rx.vstack(
            rx.text_area(
                placeholder=T("inbox.reply_hint"),
                on_change=state.set_reply,
                max_length=1000,
                width="100%",
                aria_label=T("inbox.reply_hint"),
                id="message-reply-text",
            ),
            rx.button(
                T("inbox.reply"), on_click=state.reply(state.message.get("id", "0").to(int)), size="3", width="100%", id="message-reply"
            ),
            width="100%",
        ),
        rx.text(T("inbox.sign_in_to_ack"), size="2", color_scheme="gray"),
    )


def message_body(message, can_ack, reply=None) -> rx.Component:  # noqa: ANN001
    """The message card, shared by the inbox and the signed-link page. A message that leads
    somewhere (a reminder → the leave form filled in) shows that button first."""
    is_reminder = message.get("kind", "") == "absence_reminder"
    return card(
        rx.heading(message.get("title", ""), size="5", id="message-title"),
        rx.text(message.get("created_at", ""), size="1", color_scheme="gray"),
        rx.text(message.get("body", ""), size="3", white_space="pre-wrap", id="message-body"),
        rx.text(T_fmt("inbox.read_at", time=message.get("read_at", "")), size="1", color_scheme="gray", id="message-read-at"),
        rx.cond(
            message.get("link_path", "") != "",
            rx.link(
                rx.button(
                    rx.icon(rx.cond(is_reminder, "calendar-plus", "arrow-right"), size=18),
                    T_var("inbox.go.", message.get("kind", "").to(str)),
                    size="3",
                    width="100%",
                ),
                href=message.get("link_path", ""),
                width="100%",
                id="message-go",
            ),
        ),
        rx.cond(
            message.get("requires_ack", "") == "True",
            rx.cond(
                message.get("acknowledged_at", "") != "",
                rx.callout(
                    T_fmt("inbox.acked_at", time=message.get("acknowledged_at", "")), icon="check", color_scheme="green", id="message-acked"
                ),
                can_ack if reply is None else rx.cond(is_reminder, reply, can_ack),
            ),
        ),
    )


def message_page() -> rx.Component:
    ack = rx.button(
        T("inbox.ack"), on_click=InboxState.acknowledge(InboxState.message.get("id", "0").to(int)), size="3", width="100%", id="message-ack"
    )
    return page(
        rx.link(rx.hstack(rx.icon("arrow-left", size=16), T("inbox.back"), align="center"), href=routes.INBOX),
        message_body(InboxState.message, ack, reply_box(InboxState, True)),
    )
