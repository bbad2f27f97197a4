"""Separation screens for the people in it (phone first): the employee's resignation and its
progress (/resign), and the separation page (/separation?s=ID) where the manager acknowledges,
each owner confirms or sends back their checklist items, and HR issues the certificate.
The rules are in :mod:`selfservice.services.separations`."""

from __future__ import annotations

import asyncio
from datetime import date

import reflex as rx
from pydantic import Field

from selfservice.domain import separation as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.domain.signatures import MAX_IMAGE_BYTES
from selfservice.i18n import t
from selfservice.services import file_links, leave_requests, reauth, separations
from selfservice.services.attendance import local_text
from selfservice.ui import routes
from selfservice.ui.components.confirm import confirm_button
from selfservice.ui.components.shell import card, page, upload_zone
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_fmt, T_var
from selfservice.ui.pages.my_policies import SigningMixin, sign_card
from selfservice.ui.session import SessionState

PHOTO_UPLOAD = "item-photo"
DOCUMENT_UPLOAD = "separation-documents"
STATUS_COLOUR = {"submitted": "amber", "confirmed": "blue", "ended": "gray", "withdrawn": "gray"}
ITEM_COLOUR = {"waiting": "gray", "open": "amber", "done": "green", "sent_back": "red"}


class ResignForm(Form):
    reason: str = Field(default="", max_length=16)
    reason_text: str = Field(default="", max_length=500)
    last_day: str = Field(default="", max_length=10)
    successor: str = Field(default="", max_length=32)
    typed_name: str = Field(default="", max_length=64)
    secret: str = Field(default="", max_length=64)
    drawing: str = Field(default="", max_length=MAX_IMAGE_BYTES * 4 // 3 + 100)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError("separation.date_format") from None


def _trail(lang: str, steps: list) -> str:
    parts = []
    for step in steps:
        who = step.decided_by or step.approver
        text = f"{who} {t(lang, 'separation.step.' + step.status)}"
        if step.comment:
            text += f"：{step.comment}" if lang == "zh-CN" else f": {step.comment}"
        parts.append(text)
    return " → ".join(parts)


def _settlement_text(lang: str, s: dict[str, str]) -> str:
    if not s:
        return ""
    return t(lang, "separation.settlement_working", weighted=s["weighted"], taken=s["taken"], exact=s["exact"], days=s["days"])


class ProgressMixin(SessionState, mixin=True):
    """The facts of one separation as every page about it shows them."""

    view: dict[str, str] = {}
    items: list[dict[str, str]] = []
    documents: list[dict[str, str]] = []
    _separation_id: int = 0

    async def _show(self, actor: Actor) -> None:
        moment = now()
        p = await run(separations.progress, actor, self._separation_id, moment)
        lang = self.lang
        kind_zh, kind_en = rules.certificate_title(rules.SeparationType(p.kind))
        self.view = {
            "id": str(p.id),
            "employee": p.employee,
            "employee_no": p.employee_no,
            "department": p.department_en if lang == "en" else p.department,
            "position": p.position,
            "kind": p.kind,
            "status": p.status,
            "reason": t(lang, "separation.reason." + p.reason) if p.reason else "",
            "reason_text": p.reason_text,
            "requested_last_day": p.requested_last_day.isoformat(),
            "last_day": p.last_day.isoformat(),
            "early": "1" if p.requested_last_day < p.last_day else "",
            "early_agreed": "1" if p.early_agreed else "",
            "proposed_day": p.proposed_day.isoformat() if p.proposed_day else "",
            "successor": p.successor,
            "created_at": local_text(p.created_at),
            "confirmed_at": local_text(p.confirmed_at),
            "handover_done_at": local_text(p.handover_done_at),
            "ended_at": local_text(p.ended_at),
            "transfer_due": p.transfer_due.isoformat(),
            "transfer_open": "1" if p.transfer_open else "",
            "transfer_done_at": local_text(p.transfer_done_at),
            "contract_start": p.contract_start.isoformat(),
            "contract_end": p.contract_end.isoformat() if p.contract_end else "",
            "note": p.note,
            "letter_url": file_links.link("receipt", p.signature_id, actor, moment) if p.signature_id else "",
            "letter_sha256": p.letter_sha256,
            "certificate_url": separations.certificate_link(p.certificate_id, actor, moment) if p.certificate_id else "",
            "certificate_number": p.certificate_number,
            "certificate_sha256": p.certificate_sha256,
            "certificate_title": kind_en if lang == "en" else kind_zh,
            "certificate_acknowledged": "1" if p.certificate_acknowledged else "",
            "certificate_due": "1" if p.certificate_due else "",
            "settlement": _settlement_text(lang, p.settlement),
            "settlement_days": p.settlement.get("days", ""),
            "settlement_preview": "1" if p.settlement.get("preview") else "",
            "trail": _trail(lang, p.trail),
            "can_withdraw": "1" if p.can_withdraw else "",
            "can_acknowledge": "1" if p.can_acknowledge else "",
            "open_stage": str(p.open_stage or ""),
            "mine": "1" if p.employee_id == actor.employee_id else "",
            "is_hr": "1" if actor.is_hr else "",
        }
        previous = 0
        rows = []
        for item in p.items:
            rows.append(
                {
                    "id": str(item.id),
                    "stage": str(item.stage),
                    "first": "1" if item.stage != previous else "",
                    "stage_name": item.stage_name_en if lang == "en" else item.stage_name,
                    "title": item.title_en if lang == "en" else item.title,
                    "owner": t(lang, "checklist.owner." + item.owner),
                    "holders": item.holders,
                    "status": item.status,
                    "since": local_text(item.since),
                    "overdue": "1" if item.overdue else "",
                    "confirmed_at": local_text(item.confirmed_at),
                    "confirmed_by": item.confirmed_by,
                    "note": item.note,
                    "sent_back_reason": item.sent_back_reason,
                    "photo_url": file_links.link("item_photo", item.id, actor, moment) if item.has_photo else "",
                    "can_confirm": "1"
                    if item.mine and item.status in ("open", "sent_back") and str(item.stage) == str(p.open_stage)
                    else "",
                    "can_send_back": "1"
                    if item.mine and item.status in ("open", "done") and p.open_stage is not None and item.stage <= p.open_stage
                    else "",
                }
            )
            previous = item.stage
        self.items = rows
        self.documents = [{"name": name, "url": file_links.link("separation_doc", doc_id, actor, moment)} for doc_id, name in p.documents]


class ResignState(SigningMixin, ProgressMixin, SessionState):
    has_separation: bool = False
    default_last_day: str = ""
    chosen_last_day: str = ""
    notice_days: int = 30
    on_probation: bool = False
    colleagues: list[dict[str, str]] = []
    form_key: int = 0
    form_error: str = ""

    @rx.var
    def statement(self) -> str:
        try:
            day = date.fromisoformat(self.chosen_last_day or self.default_last_day)
        except ValueError:
            return ""
        return rules.resignation_statement(day)

    async def _refresh(self, actor: Actor) -> None:
        mine = await run(separations.mine, actor)
        self.has_separation = mine is not None
        if mine is not None:
            self._separation_id = mine
            await self._show(actor)
            return
        view = await run(separations.form, actor, now())
        self.default_last_day = self.chosen_last_day = view.default_last_day.isoformat()
        self.notice_days, self.on_probation = view.notice_days, view.on_probation
        self.colleagues = [{"no": n, "name": m} for n, m in view.colleagues]

    @handler(page_load=True)
    async def load(self, actor: Actor):
        self.form_error = self.sign_error = ""
        self.reauth_method = await run(reauth.method_for, actor)
        await self._refresh(actor)
        self.form_key += 1
        await self._fill_shell(actor)

    @handler()
    async def choose_day(self, actor: Actor, value: str):
        self.chosen_last_day = value[:10]

    @handler()
    async def sign(self, actor: Actor, form: ResignForm):
        try:
            last_day = _date(form.last_day)
            await self._reauthenticate(actor, form.secret)
            await run(
                separations.resign,
                actor,
                reason=form.reason,
                reason_text=form.reason_text,
                last_day=last_day,
                successor_no=form.successor,
                typed_name=form.typed_name,
                drawing=form.drawing,
                context=self._context(),
                now=now(),
            )
        except DomainError as error:
            self.sign_error = self._t(error.key, **error.params)  # above the button (a toast would cover it)
            return None
        self.sign_error = ""
        await self._refresh(actor)
        await self._fill_shell(actor)
        return rx.toast.success(self._t("separation.resigned_done"))

    @handler()
    async def withdraw(self, actor: Actor):
        await run(separations.withdraw, actor, self._separation_id, now())
        await self._refresh(actor)
        self.form_key += 1
        return rx.toast.success(self._t("separation.withdrawn_done"))

    @handler()
    async def answer(self, actor: Actor, accept: bool):
        await run(separations.answer_proposal, actor, self._separation_id, accept, now())
        await self._show(actor)

    @handler()
    async def acknowledge_certificate(self, actor: Actor):
        await run(separations.acknowledge_certificate, actor, self._separation_id, now())
        await self._show(actor)
        return rx.toast.success(self._t("separation.certificate_received"))


class AckForm(Form):
    agree_early: str = Field(default="", max_length=8)
    later_day: str = Field(default="", max_length=10)
    successor: str = Field(default="", max_length=32)
    comment: str = Field(default="", max_length=500)


class ContractForm(Form):
    contract_start: str = Field(default="", max_length=10)
    contract_end: str = Field(default="", max_length=10)


class ItemForm(Form):
    text: str = Field(default="", max_length=500)


class SeparationState(ProgressMixin, SessionState):
    acting: str = ""  # the item whose confirm / send-back area is open
    mode: str = ""  # confirm | back
    item_error: str = ""
    ack_error: str = ""
    photo_name: str = ""
    colleagues: list[dict[str, str]] = []
    _photo: tuple[str, str] = ("", "")

    @handler(page_load=True)
    async def load(self, actor: Actor):
        raw = self.router.url.query_parameters.get("s", "")
        if not raw.isdigit():
            return rx.redirect(routes.APPROVALS)
        self._separation_id = int(raw)
        self.acting = self.mode = self.item_error = self.ack_error = self.photo_name = ""
        self._photo = ("", "")
        await self._show(actor)
        if self.view.get("can_acknowledge"):
            self.colleagues = [{"no": n, "name": m} for n, m in await run(separations.colleagues_of, actor, self._separation_id)]
        await self._fill_shell(actor)

    @handler()
    async def acknowledge(self, actor: Actor, form: AckForm):
        try:
            later = _date(form.later_day) if form.later_day.strip() else None
            await run(
                separations.acknowledge,
                actor,
                self._separation_id,
                agree_early=form.agree_early == "on",
                later_day=later,
                successor_no=form.successor,
                comment=form.comment,
                now=now(),
            )
        except DomainError as error:
            self.ack_error = self._t(error.key, **error.params)
            return None
        self.ack_error = ""
        await self._show(actor)
        await self._fill_shell(actor)
        return rx.toast.success(self._t("separation.acknowledged_done"))

    @handler()
    async def open_item(self, actor: Actor, item_id: str, mode: str):
        self.acting, self.mode = item_id[:12], ("back" if mode == "back" else "confirm")
        self.item_error, self.photo_name, self._photo = "", "", ("", "")

    @handler()
    async def close_item(self, actor: Actor):
        self.acting = self.mode = self.item_error = self.photo_name = ""
        self._photo = ("", "")

    @handler()
    async def add_photo(self, actor: Actor, files: list[rx.UploadFile]):
        self.item_error = ""
        limit = leave_requests.get_settings().attachment_max_bytes
        for upload in files[:1]:
            data = await upload.read(limit + 1)
            try:
                checked = await asyncio.to_thread(leave_requests.stage_attachment, actor, data, upload.filename or "")
            except DomainError as error:
                self.item_error = self._t(error.key, **error.params)
                continue
            self._photo, self.photo_name = (checked.sha256, checked.name), checked.name
        return rx.clear_selected_files(PHOTO_UPLOAD)

    @handler()
    async def submit_item(self, actor: Actor, form: ItemForm):
        if not self.acting.isdigit():
            return None
        try:
            if self.mode == "back":
                await run(separations.send_back, actor, int(self.acting), form.text, now())
            else:
                photo = await asyncio.to_thread(leave_requests.staged_file, *self._photo) if self._photo[0] else None
                await run(separations.confirm_item, actor, int(self.acting), form.text, photo, now())
        except DomainError as error:
            self.item_error = self._t(error.key, **error.params)
            return None
        done = self.mode
        self.acting = self.mode = self.item_error = self.photo_name = ""
        self._photo = ("", "")
        await self._show(actor)
        await self._fill_shell(actor)
        return rx.toast.success(self._t("checklist.sent_back_done" if done == "back" else "checklist.confirmed_done"))

    @handler()
    async def nudge(self, actor: Actor):
        count = await run(separations.nudge, actor, self._separation_id, now())
        return rx.toast.success(self._t("dashboard.reminded", count=count))

    @handler()
    async def issue(self, actor: Actor):
        await run(separations.issue_certificate, actor, self._separation_id, now())
        await self._show(actor)
        return rx.toast.success(self._t("separation.certificate_done"))

    @handler(Role.hr)
    async def save_contract(self, actor: Actor, form: ContractForm):
        """HR states the contract term the certificate will carry (before it is issued)."""
        try:
            start = _date(form.contract_start)
            end = _date(form.contract_end) if form.contract_end.strip() else None
            await run(separations.set_contract, actor, self._separation_id, start, end, now())
        except DomainError as error:
            return rx.toast.error(self._t(error.key, **error.params))
        await self._show(actor)
        return rx.toast.success(self._t("separation.contract_saved"))

    @handler(Role.hr)
    async def add_documents(self, actor: Actor, files: list[rx.UploadFile]):
        """HR attaches the agreement, the notice, ... (checked by content like every upload)."""
        self.item_error = ""
        limit = leave_requests.get_settings().attachment_max_bytes
        for upload in files[:5]:
            data = await upload.read(limit + 1)
            try:
                await run(separations.add_document, actor, self._separation_id, data, upload.filename or "", now())
            except DomainError as error:
                return rx.toast.error(self._t(error.key, **error.params))
        await self._show(actor)
        return rx.clear_selected_files(DOCUMENT_UPLOAD)

    @handler()
    async def transferred(self, actor: Actor):
        await run(separations.mark_transferred, actor, self._separation_id, now())
        await self._show(actor)


# ---- components -------------------------------------------------------------------------------


def _status_badge(view: rx.Var) -> rx.Component:
    return rx.badge(
        T_var("separation.status.", view.get("status", "submitted").to(str)),
        color_scheme=rx.Var.create(STATUS_COLOUR).get(view.get("status", "submitted"), "gray"),
        id="separation-status",
    )


def summary_card(state) -> rx.Component:  # noqa: ANN001
    view = state.view
    return card(
        rx.hstack(
            rx.heading(view.get("employee", ""), size="4"),
            rx.text(view.get("employee_no", ""), size="1", color_scheme="gray"),
            rx.spacer(),
            _status_badge(view),
            width="100%",
            align="center",
        ),
        rx.text(view.get("department", ""), " · ", view.get("position", ""), size="2", color_scheme="gray"),
        rx.text(T_var("separation.kind.", view.get("kind", "resignation").to(str)), size="2"),
        rx.text(
            T("separation.last_day_label"),
            "：",
            rx.text(view.get("last_day", ""), as_="span", weight="bold", id="separation-last-day"),
            size="3",
        ),
        rx.cond(
            view.get("early", "") != "",
            rx.text(T_fmt("separation.early_line", date=view.get("requested_last_day", "")), size="1", color_scheme="amber"),
        ),
        rx.cond(view.get("early_agreed", "") != "", rx.text(T("separation.early_agreed"), size="1", color_scheme="green")),
        rx.cond(
            view.get("reason", "") != "",
            rx.text(T("separation.reason_label"), "：", view.get("reason", ""), " ", view.get("reason_text", ""), size="2"),
        ),
        rx.cond(view.get("successor", "") != "", rx.text(T("separation.successor_label"), "：", view.get("successor", ""), size="2")),
        rx.cond(view.get("trail", "") != "", rx.text(view.get("trail", ""), size="1", color_scheme="gray", id="separation-trail")),
        rx.cond(
            view.get("letter_url", "") != "",
            rx.hstack(
                rx.link(
                    rx.button(rx.icon("download", size=14), T("separation.letter"), variant="soft", size="1"),
                    href=view.get("letter_url", ""),
                    id="letter-link",
                ),
                rx.text("SHA-256 ", rx.code(view.get("letter_sha256", "").to(str)[:16], size="1"), "…", size="1", color_scheme="gray"),
                align="center",
                wrap="wrap",
            ),
        ),
        id="separation-summary",
    )


def _item(row: rx.Var, state) -> rx.Component:  # noqa: ANN001
    return rx.fragment(
        rx.cond(
            row["first"] != "",
            rx.heading(
                T_fmt("checklist.stage_heading", n=row["stage"]),
                " ",
                row["stage_name"],
                size="3",
                margin_top="0.5em",
                class_name="checklist-stage",
            ),
        ),
        rx.box(
            rx.hstack(
                rx.text(row["title"], weight="medium", size="2"),
                rx.spacer(),
                rx.badge(
                    T_var("checklist.status.", row["status"].to(str)), color_scheme=rx.Var.create(ITEM_COLOUR).get(row["status"], "gray")
                ),
                width="100%",
                align="center",
            ),
            rx.text(row["owner"], "：", row["holders"], size="1", color_scheme="gray"),
            rx.cond(
                (row["since"] != "") & (row["status"] != "done") & (row["status"] != "waiting"),
                rx.text(T_fmt("checklist.since", at=row["since"]), size="1", color_scheme=rx.cond(row["overdue"] != "", "red", "gray")),
            ),
            rx.cond(row["overdue"] != "", rx.badge(T("checklist.overdue"), color_scheme="red", size="1")),
            rx.cond(
                row["sent_back_reason"] != "",
                rx.text(T("checklist.sent_back_label"), "：", row["sent_back_reason"], size="1", color_scheme="red"),
            ),
            rx.cond(
                row["confirmed_at"] != "",
                rx.text(
                    T_fmt("checklist.confirmed_line", who=row["confirmed_by"], at=row["confirmed_at"]),
                    " ",
                    row["note"],
                    size="1",
                    color_scheme="gray",
                ),
            ),
            rx.cond(row["photo_url"] != "", rx.link(T("checklist.photo"), href=row["photo_url"], is_external=True, size="1")),
            *(_item_actions(row, state) if state is SeparationState else ()),
            class_name="checklist-item",
            padding="0.5em 0",
            border_bottom="1px solid var(--gray-a4)",
            width="100%",
        ),
    )


def _item_actions(row: rx.Var, state) -> tuple[rx.Component, ...]:  # noqa: ANN001
    return (
        rx.hstack(
            rx.cond(
                row["can_confirm"] != "",
                rx.button(
                    T("checklist.confirm"), size="2", on_click=SeparationState.open_item(row["id"], "confirm"), class_name="item-confirm"
                ),
            ),
            rx.cond(
                row["can_send_back"] != "",
                rx.button(
                    T("checklist.send_back"),
                    size="2",
                    variant="soft",
                    color_scheme="red",
                    on_click=SeparationState.open_item(row["id"], "back"),
                    class_name="item-back",
                ),
            ),
            spacing="2",
        ),
        rx.cond(SeparationState.acting == row["id"], _item_form()),
    )


def _item_form() -> rx.Component:
    back = SeparationState.mode == "back"
    return rx.form(
        rx.vstack(
            rx.el.label(
                rx.text(rx.cond(back, T("checklist.reason"), T("checklist.note")), size="2"),
                rx.text_area(name="text", max_length=500, width="100%", rows="2"),
                style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
            ),
            rx.cond(
                ~back,
                upload_zone(
                    rx.hstack(rx.icon("camera", size=18), rx.text(T("checklist.add_photo"), size="2"), align="center", spacing="2"),
                    upload_id=PHOTO_UPLOAD,
                    padding="0.6em",
                    accept={"image/*": [], "application/pdf": []},
                    max_files=1,
                    on_drop=SeparationState.add_photo(rx.upload_files(upload_id=PHOTO_UPLOAD)),
                ),
            ),
            rx.cond(SeparationState.photo_name != "", rx.text(SeparationState.photo_name, size="1", id="item-photo-name")),
            rx.cond(
                SeparationState.item_error != "", rx.callout(SeparationState.item_error, color_scheme="red", size="1", id="item-error")
            ),
            rx.hstack(
                rx.button(rx.cond(back, T("checklist.send_back"), T("checklist.confirm")), type="submit", size="2", id="item-submit"),
                rx.button(
                    T("confirm.no"), type="button", variant="soft", color_scheme="gray", size="2", on_click=SeparationState.close_item
                ),
                spacing="2",
            ),
            width="100%",
            spacing="2",
        ),
        on_submit=SeparationState.submit_item,
        reset_on_submit=True,
        width="100%",
    )


def checklist_card(state) -> rx.Component:  # noqa: ANN001
    return rx.cond(
        state.items.length() > 0,
        card(
            rx.heading(T("checklist.title"), size="4"),
            rx.text(T("checklist.hint"), size="1", color_scheme="gray"),
            rx.foreach(state.items, lambda row: _item(row, state)),
            rx.cond(
                state.view.get("handover_done_at", "") != "",
                rx.callout(
                    T_fmt("checklist.all_done", at=state.view.get("handover_done_at", "")),
                    icon="check",
                    color_scheme="green",
                    size="1",
                    id="handover-done",
                ),
            ),
            id="checklist",
        ),
    )


def settlement_card(state) -> rx.Component:  # noqa: ANN001
    view = state.view
    return rx.cond(
        view.get("settlement", "") != "",
        card(
            rx.heading(T("separation.settlement_title"), size="4"),
            rx.text(
                T_fmt("separation.settlement_days", days=view.get("settlement_days", "")), size="3", weight="bold", id="settlement-days"
            ),
            rx.text(view.get("settlement", ""), size="2", id="settlement-working"),
            rx.text(
                rx.cond(view.get("settlement_preview", "") != "", T("separation.settlement_preview"), T("separation.settlement_recorded")),
                size="1",
                color_scheme="gray",
            ),
        ),
    )


def certificate_card(state, employee: bool) -> rx.Component:  # noqa: ANN001
    view = state.view
    return rx.cond(
        view.get("certificate_url", "") != "",
        card(
            rx.heading(view.get("certificate_title", ""), size="4"),
            rx.text(T("separation.certificate_number"), " ", view.get("certificate_number", ""), size="2", id="certificate-number"),
            rx.text("SHA-256 ", rx.code(view.get("certificate_sha256", "").to(str)[:16], size="1"), "…", size="1", color_scheme="gray"),
            rx.hstack(
                rx.link(
                    rx.button(rx.icon("download", size=14), T("separation.certificate_download"), size="2"),
                    href=view.get("certificate_url", ""),
                    id="certificate-link",
                ),
                rx.cond(
                    view.get("certificate_acknowledged", "") != "",
                    rx.badge(
                        T("inbox.acknowledged") if employee else T("separation.certificate_acknowledged"),
                        color_scheme="green",
                        id="certificate-acknowledged",
                    ),
                    rx.button(T("inbox.ack"), size="2", variant="soft", on_click=ResignState.acknowledge_certificate, id="certificate-ack")
                    if employee
                    else rx.badge(T("separation.certificate_unacknowledged"), color_scheme="amber"),
                ),
                wrap="wrap",
                align="center",
            ),
            id="certificate-card",
        ),
    )


def _resign_form() -> rx.Component:
    reasons = [r.value for r in rules.Reason]
    fields = (
        rx.el.label(
            rx.text(T("separation.reason_label"), size="2", weight="medium"),
            rx.el.select(
                rx.el.option(T("separation.reason_none"), value=""),
                *(rx.el.option(T("separation.reason." + r), value=r) for r in reasons),
                name="reason",
                style={"padding": "8px", "borderRadius": "6px", "width": "100%"},
            ),
            style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
        ),
        rx.el.label(
            rx.text(T("separation.reason_text"), size="2", weight="medium"),
            rx.text_area(name="reason_text", max_length=500, rows="2", width="100%"),
            style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
        ),
        rx.el.label(
            rx.text(T("separation.last_day_label"), size="2", weight="medium"),
            rx.input(
                name="last_day",
                type="date",
                default_value=ResignState.default_last_day,
                on_change=ResignState.choose_day,
                width="100%",
            ),
            rx.text(
                rx.cond(
                    ResignState.on_probation,
                    T_fmt("separation.notice_probation", date=ResignState.default_last_day),
                    T_fmt("separation.notice_normal", date=ResignState.default_last_day),
                ),
                size="1",
                color_scheme="gray",
                id="resign-notice",
            ),
            style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
        ),
        rx.el.label(
            rx.text(T("separation.successor_label"), size="2", weight="medium"),
            rx.el.select(
                rx.el.option(T("separation.successor_unknown"), value=""),
                rx.foreach(ResignState.colleagues, lambda c: rx.el.option(c["name"], " ", c["no"], value=c["no"])),
                name="successor",
                style={"padding": "8px", "borderRadius": "6px", "width": "100%"},
            ),
            style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
        ),
    )
    return rx.box(
        rx.callout(T("separation.resign_intro"), icon="info", size="1", margin_bottom="0.75em"),
        sign_card(
            ResignState, ResignState.statement, button_key="separation.resign_submit", title_key="separation.resign_title", before=fields
        ),
        key=ResignState.form_key,
        width="100%",
    )


def resign_page() -> rx.Component:
    view = ResignState.view
    return page(
        rx.cond(
            ResignState.has_separation,
            rx.vstack(
                summary_card(ResignState),
                rx.cond(
                    view.get("proposed_day", "") != "",
                    card(
                        rx.text(T_fmt("separation.proposal_line", date=view.get("proposed_day", "")), size="2"),
                        rx.hstack(
                            rx.button(T("separation.accept"), size="2", on_click=ResignState.answer(True), id="proposal-accept"),
                            rx.button(
                                T("separation.decline"),
                                size="2",
                                variant="soft",
                                color_scheme="gray",
                                on_click=ResignState.answer(False),
                                id="proposal-decline",
                            ),
                            spacing="2",
                        ),
                        id="proposal",
                    ),
                ),
                rx.cond(
                    view.get("can_withdraw", "") != "",
                    confirm_button(
                        T("separation.withdraw"),
                        "separation.withdraw_question",
                        ResignState.withdraw,
                        class_name="separation-withdraw",
                        color_scheme="red",
                        size="2",
                    ),
                ),
                certificate_card(ResignState, employee=True),
                settlement_card(ResignState),
                checklist_card(ResignState),
                width="100%",
                spacing="3",
            ),
            _resign_form(),
        ),
        title_key="separation.page_title",
    )


def _ack_card() -> rx.Component:
    view = SeparationState.view
    return card(
        rx.heading(T("separation.ack_title"), size="4"),
        rx.text(T("separation.ack_hint"), size="1", color_scheme="gray"),
        rx.form(
            rx.vstack(
                rx.cond(
                    view.get("early", "") != "",
                    rx.el.label(
                        rx.hstack(
                            rx.checkbox(name="agree_early", class_name="ack-agree-early", aria_label=T("separation.agree_early_short")),
                            rx.text(T_fmt("separation.agree_early", date=view.get("requested_last_day", "")), size="2"),
                            align="center",
                        ),
                    ),
                ),
                rx.el.label(
                    rx.text(T("separation.later_day_label"), size="2"),
                    rx.input(name="later_day", type="date", width="100%"),
                    style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
                ),
                rx.el.label(
                    rx.text(T("separation.successor_label"), size="2"),
                    rx.el.select(
                        rx.el.option(
                            rx.cond(view.get("successor", "") != "", view.get("successor", ""), T("separation.successor_unknown")), value=""
                        ),
                        rx.foreach(SeparationState.colleagues, lambda c: rx.el.option(c["name"], " ", c["no"], value=c["no"])),
                        name="successor",
                        style={"padding": "8px", "borderRadius": "6px", "width": "100%"},
                    ),
                    style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
                ),
                rx.el.label(
                    rx.text(T("separation.comment"), size="2"),
                    rx.text_area(name="comment", max_length=500, rows="2", width="100%"),
                    style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
                ),
                rx.cond(
                    SeparationState.ack_error != "", rx.callout(SeparationState.ack_error, color_scheme="red", size="1", id="ack-error")
                ),
                rx.button(T("separation.ack_submit"), type="submit", size="3", width="100%", id="ack-submit"),
                width="100%",
                spacing="3",
            ),
            on_submit=SeparationState.acknowledge,
            reset_on_submit=False,
            width="100%",
        ),
        id="ack-card",
    )


def _hr_card() -> rx.Component:
    view = SeparationState.view
    return rx.cond(
        view.get("is_hr", "") != "",
        card(
            rx.heading(T("separation.hr_title"), size="4"),
            rx.text(
                T("separation.contract_label"),
                "：",
                view.get("contract_start", ""),
                " – ",
                rx.cond(view.get("contract_end", "") != "", view.get("contract_end", ""), T("separation.open_ended")),
                size="2",
            ),
            rx.cond(
                view.get("certificate_url", "") == "",
                rx.form(
                    rx.hstack(
                        rx.el.label(
                            rx.text(T("separation.contract_start"), size="1"),
                            rx.input(name="contract_start", type="date", default_value=view.get("contract_start", "")),
                        ),
                        rx.el.label(
                            rx.text(T("separation.contract_end_label"), size="1"),
                            rx.input(name="contract_end", type="date", default_value=view.get("contract_end", "")),
                        ),
                        rx.button(T("employee.save"), type="submit", size="2", variant="soft", id="contract-save"),
                        align="end",
                        wrap="wrap",
                        spacing="3",
                    ),
                    on_submit=SeparationState.save_contract,
                    reset_on_submit=False,
                    key=view.get("id", ""),
                ),
            ),
            rx.cond(view.get("note", "") != "", rx.text(view.get("note", ""), size="2")),
            rx.cond(
                (view.get("handover_done_at", "") == "") & (view.get("status", "") != "submitted"),
                rx.text(T("separation.severance_note"), size="1", color_scheme="amber", id="severance-note"),
            ),
            rx.foreach(
                SeparationState.documents,
                lambda d: rx.link(d["name"], href=d["url"], is_external=True, size="2", class_name="separation-document"),
            ),
            upload_zone(
                rx.hstack(rx.icon("paperclip", size=16), rx.text(T("separation.add_documents"), size="2"), align="center", spacing="2"),
                upload_id=DOCUMENT_UPLOAD,
                padding="0.6em",
                accept={"image/*": [], "application/pdf": []},
                on_drop=SeparationState.add_documents(rx.upload_files(upload_id=DOCUMENT_UPLOAD)),
            ),
            rx.cond(
                view.get("ended_at", "") != "",
                rx.text(T_fmt("separation.ended_line", at=view.get("ended_at", "")), size="2"),
            ),
            rx.cond(
                view.get("transfer_done_at", "") != "",
                rx.text(T_fmt("separation.transfer_done", at=view.get("transfer_done_at", "")), size="2", color_scheme="green"),
                rx.cond(
                    view.get("transfer_open", "") != "",
                    rx.hstack(
                        rx.text(T_fmt("separation.transfer_due", date=view.get("transfer_due", "")), size="2", color_scheme="amber"),
                        confirm_button(
                            T("separation.mark_transferred"),
                            "separation.transferred_question",
                            SeparationState.transferred,
                            class_name="separation-transferred",
                            size="1",
                        ),
                        align="center",
                        wrap="wrap",
                    ),
                ),
            ),
            rx.hstack(
                rx.cond(
                    view.get("open_stage", "") != "",
                    rx.button(T("separation.nudge"), size="2", variant="soft", on_click=SeparationState.nudge, id="separation-nudge"),
                ),
                rx.cond(
                    view.get("certificate_due", "") != "",
                    confirm_button(
                        T("separation.issue"),
                        "separation.issue_question",
                        SeparationState.issue,
                        class_name="separation-issue",
                        color_scheme="blue",
                        variant="solid",
                        size="2",
                    ),
                ),
                rx.link(T("separation.all"), href=routes.SEPARATIONS, size="2"),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            id="hr-card",
        ),
    )


def separation_page() -> rx.Component:
    view = SeparationState.view
    return page(
        summary_card(SeparationState),
        rx.cond(view.get("can_acknowledge", "") != "", _ack_card()),
        _hr_card(),
        certificate_card(SeparationState, employee=False),
        settlement_card(SeparationState),
        checklist_card(SeparationState),
        title_key="separation.detail_title",
    )
