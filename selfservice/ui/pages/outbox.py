"""HR outbox (发件箱): every message with per-channel delivery and read records; retry failures."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor, Role
from selfservice.domain.contacts import display_phone
from selfservice.services import notifications
from selfservice.ui.components.shell import card, data_table, page
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_fmt
from selfservice.ui.session import SessionState

STATUSES = ("queued", "sent", "delivered", "failed", "not_configured")


class OutboxFilter(Form):
    recipient: str = Field(default="", max_length=64)
    kind: str = Field(default="", max_length=32)
    status: str = Field(default="", max_length=16)


KINDS = (
    "approval",
    "leave_fyi",
    "absence_reminder",
    "absence_forward",
    "policy",
    "contact",
    "contact_code",
    "notice",
    "calendar_alert",
    "delivery_failed",
    "welcome",
    "test",
)
KNOWN_ERRORS = {"channel not configured": "outbox.error.not_configured", "no address on file": "outbox.error.no_address"}


def _address(state: SessionState, channel: str, address: str) -> str:
    """What HR reads: the inbox for in-app, a phone number as people write it, else the address."""
    if channel == "inapp":
        return state._t("outbox.address.inapp")
    if channel == "sms" and address.startswith("+"):
        return display_phone(address)
    return address


def _delivery_rows(state: SessionState, rows) -> list[dict[str, str]]:
    return [
        {
            **{k: str(v) for k, v in asdict(d).items()},
            "hash_short": d.text_sha256[:12],
            "channel_label": state._t(f"channel.name.{d.channel}"),
            "status_label": state._t(f"delivery.status.{d.status}"),
            "address": _address(state, d.channel, d.address),
            "last_error": state._t(KNOWN_ERRORS[d.last_error]) if d.last_error in KNOWN_ERRORS else d.last_error,
        }
        for d in rows
    ]


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
        self.rows = [
            {
                **{k: str(v) for k, v in asdict(r).items()},
                "kind_label": self._t(f"outbox.kind.{r.kind}") if r.kind in KINDS else r.kind,
                "statuses": " · ".join(
                    f"{self._t(f'channel.name.{c}')}{self._t('punctuation.colon')}{self._t(f'delivery.status.{st}')}"
                    for c, st in (pair.split(":", 1) for pair in r.statuses.split() if ":" in pair)
                ),
            }
            for r in rows
        ]

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
        self.deliveries = _delivery_rows(self, await run(notifications.deliveries, actor, message_id))
        self.attempts = [
            {
                **{k: str(v) for k, v in asdict(a).items()},
                "channel": self._t(f"channel.name.{a.channel}"),
                "outcome": self._t(f"outbox.outcome.{a.outcome}"),
            }
            for a in await run(notifications.attempts, actor, message_id)
        ]

    @handler(Role.hr)
    async def retry(self, actor: Actor, delivery_id: int):
        await run(notifications.retry, actor, delivery_id, now())
        if self.selected:
            self.deliveries = _delivery_rows(self, await run(notifications.deliveries, actor, int(self.selected["id"])))
        await self._refresh(actor)
        return rx.toast.success(self._t("outbox.retried"))


def _filters() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="recipient", placeholder=T("outbox.recipient"), aria_label=T("outbox.recipient"), max_length=64, min_width="200px"
            ),
            rx.el.select(
                rx.el.option(T("outbox.any_kind"), value=""),
                *(rx.el.option(T(f"outbox.kind.{kind}"), value=kind) for kind in KINDS),
                name="kind",
                aria_label=T("outbox.kind"),
                style={"padding": "6px", "borderRadius": "6px"},
            ),
            rx.el.select(
                rx.el.option(T("outbox.any"), value=""),
                *(rx.el.option(T(f"delivery.status.{status}"), value=status) for status in STATUSES),
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
        rx.table.cell(row["channel_label"]),
        rx.table.cell(row["address"]),
        rx.table.cell(
            rx.vstack(
                rx.badge(
                    row["status_label"],
                    color_scheme=rx.cond(row["status"] == "failed", "red", rx.cond(row["status"] == "delivered", "green", "gray")),
                ),
                rx.text(T_fmt("outbox.attempts_n", n=row["attempts"]), size="1", color_scheme="gray"),
                rx.cond(
                    (row["status"] == "failed") | (row["status"] == "not_configured"),
                    rx.button(T("outbox.retry"), size="1", variant="soft", on_click=OutboxState.retry(row["id"].to(int))),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(T("outbox.sent_at"), " ", row["sent_at"], size="1"),
                rx.text(T("outbox.delivered"), " ", row["delivered_at"], size="1"),
                rx.text(T("outbox.read"), " ", row["read_at"], size="1"),
                spacing="0",
            ),
            white_space="nowrap",
        ),
        rx.table.cell(rx.text(row["last_error"], size="1"), max_width="260px", white_space="normal"),
        rx.table.cell(
            rx.code(row["hash_short"], size="1", title=row["text_sha256"]),
            rx.text(row["provider_message_id"], size="1", color_scheme="gray"),
        ),
        class_name="delivery-row",
    )


def _details() -> rx.Component:
    headers = ("outbox.channel", "outbox.address", "outbox.status", "outbox.times", "outbox.error", "outbox.hash")
    return rx.cond(
        OutboxState.selected.get("id", "") != "",
        card(
            rx.heading(T("outbox.details"), size="3"),
            rx.text(OutboxState.selected.get("title", "") + " · " + OutboxState.selected.get("recipient", ""), size="2"),
            rx.hstack(
                rx.text(T("outbox.read"), T("punctuation.colon"), OutboxState.selected.get("read_at", ""), size="2", id="selected-read-at"),
                rx.text(
                    T("outbox.acknowledged"),
                    T("punctuation.colon"),
                    OutboxState.selected.get("acknowledged_at", ""),
                    size="2",
                    id="selected-acknowledged-at",
                ),
                spacing="4",
                wrap="wrap",
            ),
            data_table(headers, OutboxState.deliveries, _delivery),
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
        rx.table.cell(row["created_at"], white_space="nowrap"),
        rx.table.cell(row["recipient"]),
        rx.table.cell(row["kind_label"], white_space="nowrap"),
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
        wide=True,
    )
