"""HR outbox (发件箱): every message with per-channel delivery and read records; retry failures."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor, Role
from selfservice.services import notifications
from selfservice.ui.components.shell import card, data_table, page
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T
from selfservice.ui.session import SessionState

STATUSES = ("queued", "sent", "delivered", "failed", "not_configured")


class OutboxFilter(Form):
    recipient: str = Field(default="", max_length=64)
    kind: str = Field(default="", max_length=32)
    status: str = Field(default="", max_length=16)


def _delivery_rows(rows) -> list[dict[str, str]]:
    return [{**{k: str(v) for k, v in asdict(d).items()}, "hash_short": d.text_sha256[:12]} for d in rows]


class OutboxState(SessionState):
    rows: list[dict[str, str]] = []
    total: int = 0
    selected: dict[str, str] = {}
    deliveries: list[dict[str, str]] = []
    attempts: list[dict[str, str]] = []
    _filters: dict[str, str] = {}

    async def _refresh(self, actor: Actor) -> None:
        rows, self.total = await run(
            notifications.outbox, actor, self._filters.get("recipient", ""), self._filters.get("kind", ""), self._filters.get("status", "")
        )
        self.rows = [{k: str(v) for k, v in asdict(r).items()} for r in rows]

    @handler(Role.hr, page_load=True)
    async def load(self, actor: Actor):
        self._filters, self.selected, self.deliveries = {}, {}, []
        await self._refresh(actor)
        await self._fill_shell(actor)

    @handler(Role.hr)
    async def filter(self, actor: Actor, form: OutboxFilter):
        self._filters = form.model_dump()
        await self._refresh(actor)

    @handler(Role.hr)
    async def select(self, actor: Actor, message_id: int):
        self.selected = next((r for r in self.rows if r["id"] == str(message_id)), {})
        self.deliveries = _delivery_rows(await run(notifications.deliveries, actor, message_id))
        self.attempts = [{k: str(v) for k, v in asdict(a).items()} for a in await run(notifications.attempts, actor, message_id)]

    @handler(Role.hr)
    async def retry(self, actor: Actor, delivery_id: int):
        await run(notifications.retry, actor, delivery_id, now())
        if self.selected:
            self.deliveries = _delivery_rows(await run(notifications.deliveries, actor, int(self.selected["id"])))
        await self._refresh(actor)
        return rx.toast.success(self._t("outbox.retried"))


def _filters() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="recipient", placeholder=T("outbox.recipient"), aria_label=T("outbox.recipient"), max_length=64, min_width="200px"
            ),
            rx.input(name="kind", placeholder=T("outbox.kind"), aria_label=T("outbox.kind"), max_length=32, width="140px"),
            rx.el.select(
                rx.el.option(T("outbox.any"), value=""),
                *(rx.el.option(status, value=status) for status in STATUSES),
                name="status",
                aria_label=T("outbox.status"),
                style={"padding": "6px", "borderRadius": "6px"},
            ),
            rx.button(T("outbox.filter"), type="submit", id="outbox-filter"),
            wrap="wrap",
            spacing="2",
        ),
        on_submit=OutboxState.filter,
        reset_on_submit=False,
        width="100%",
    )


def _delivery(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["channel"]),
        rx.table.cell(row["address"]),
        rx.table.cell(rx.badge(row["status"])),
        rx.table.cell(row["attempts"]),
        rx.table.cell(row["provider_message_id"]),
        rx.table.cell(row["sent_at"]),
        rx.table.cell(row["delivered_at"]),
        rx.table.cell(row["read_at"]),
        rx.table.cell(rx.text(row["last_error"], size="1")),
        rx.table.cell(rx.code(row["hash_short"], size="1", title=row["text_sha256"])),
        rx.table.cell(
            rx.cond(
                (row["status"] == "failed") | (row["status"] == "not_configured"),
                rx.button(T("outbox.retry"), size="1", variant="soft", on_click=OutboxState.retry(row["id"].to(int))),
            )
        ),
        class_name="delivery-row",
    )


def _details() -> rx.Component:
    headers = (
        "outbox.channel",
        "outbox.address",
        "outbox.status",
        "outbox.attempts",
        "outbox.provider_id",
        "outbox.sent_at",
        "outbox.delivered",
        "outbox.read",
        "outbox.error",
        "outbox.hash",
    )
    return rx.cond(
        OutboxState.selected.get("id", "") != "",
        card(
            rx.heading(T("outbox.details"), size="3"),
            rx.text(OutboxState.selected.get("title", "") + " · " + OutboxState.selected.get("recipient", ""), size="2"),
            rx.hstack(
                rx.text(T("outbox.read"), ": ", OutboxState.selected.get("read_at", ""), size="2", id="selected-read-at"),
                rx.text(
                    T("outbox.acknowledged"), ": ", OutboxState.selected.get("acknowledged_at", ""), size="2", id="selected-acknowledged-at"
                ),
                spacing="4",
                wrap="wrap",
            ),
            data_table((*headers, ""), OutboxState.deliveries, _delivery, white_space="nowrap"),
            rx.cond(
                OutboxState.attempts.length() > 0,
                rx.vstack(
                    rx.foreach(
                        OutboxState.attempts,
                        lambda a: rx.text(
                            a["at"],
                            " · ",
                            a["channel"],
                            " · ",
                            a["outcome"],
                            " ",
                            a["http_status"],
                            " ",
                            a["error"],
                            " ",
                            rx.code(a["response"], size="1"),
                            size="1",
                            class_name="attempt-row",
                        ),
                    ),
                    spacing="1",
                    width="100%",
                ),
            ),
        ),
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["created_at"]),
        rx.table.cell(row["recipient"]),
        rx.table.cell(row["kind"]),
        rx.table.cell(
            rx.button(row["title"], variant="ghost", size="1", on_click=OutboxState.select(row["id"].to(int)), class_name="outbox-open")
        ),
        rx.table.cell(row["statuses"]),
        rx.table.cell(row["read_at"]),
        rx.table.cell(row["acknowledged_at"]),
        class_name="outbox-row",
    )


def outbox_page() -> rx.Component:
    return page(
        _filters(),
        _details(),
        data_table(
            ("outbox.sent_at", "outbox.recipient", "outbox.kind", "outbox.subject", "outbox.status", "outbox.read", "outbox.acknowledged"),
            OutboxState.rows,
            _row,
        ),
        title_key="outbox.title",
    )
