"""Request leave (请假) on a phone, and My requests: status, approver trail, withdraw, cancel."""

from __future__ import annotations

import asyncio
from datetime import date

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor
from selfservice.domain.errors import DomainError
from selfservice.i18n import t
from selfservice.services import approvals, leave_balances, leave_requests, overtime
from selfservice.services.attendance import local_text
from selfservice.ui import routes
from selfservice.ui.components.confirm import confirm_button
from selfservice.ui.components.shell import card, page, upload_zone
from selfservice.ui.guard import Form, handler, now, quick, run
from selfservice.ui.i18n import T, T_var
from selfservice.ui.session import SessionState

UPLOAD_ID = "leave-attachments"
FIELDS = ("leave_type", "start", "start_half", "end", "end_half", "difficult_birth", "babies")
STATUS_COLOUR = {
    "pending": "amber",
    "approved": "green",
    "rejected": "red",
    "withdrawn": "gray",
    "cancel_pending": "amber",
    "cancelled": "gray",
}


class LeaveForm(Form):
    leave_type: str = Field(max_length=16)
    start: str = Field(max_length=10)
    start_half: str = Field(max_length=2)
    end: str = Field(max_length=10)
    end_half: str = Field(max_length=2)
    reason: str = Field(default="", max_length=500)
    difficult_birth: str = Field(default="", max_length=3)
    babies: str = Field(default="1", max_length=2)


class OvertimeForm(Form):
    work_date: str = Field(max_length=10)
    hours: str = Field(max_length=6)
    reason: str = Field(default="", max_length=500)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def trail_text(lang: str, steps: list[approvals.TrailStep], withdrawn: bool = False) -> str:
    """The approver trail in one line: "李明 已同意 → 陈建国 待审批"; delegates say on whose behalf;
    a withdrawn request ends with "申请人已撤回", not with the approvers' closed steps."""
    parts = []
    for step in steps:
        if step.status == "cancelled" and withdrawn:
            continue
        who = step.decided_by or step.approver
        text = f"{who} {t(lang, 'approval.status.' + step.status)}"
        if step.on_behalf_of:
            text += ("" if lang == "zh-CN" else " ") + t(lang, "approval.on_behalf", name=step.on_behalf_of)
        if step.comment:
            text += f"：{step.comment}" if lang == "zh-CN" else f": {step.comment}"
        parts.append(text)
    if withdrawn:
        parts.append(t(lang, "approval.withdrawn_by_requester"))
    return " → ".join(parts)


def request_row(view: leave_requests.RequestView) -> dict[str, str]:
    return {
        "id": str(view.id),
        "type_name": view.type_name,
        "type_name_en": view.type_name_en,
        "start": view.start,
        "start_half": view.start_half,
        "end": view.end,
        "end_half": view.end_half,
        "days": view.days,
        "reason": view.reason,
        "status": view.status,
        "submitted": local_text(view.created_at),
        "trail_zh": trail_text("zh-CN", view.trail, view.status == "withdrawn"),
        "trail_en": trail_text("en", view.trail, view.status == "withdrawn"),
        "can_withdraw": "1" if view.can_withdraw else "",
        "can_cancel": "1" if view.can_cancel else "",
    }


class LeaveState(SessionState):
    types: list[dict[str, str]] = []
    values: dict[str, str] = {"leave_type": "annual", "start": "", "start_half": "am", "end": "", "end_half": "pm"}
    preview_days: str = ""
    preview_balance: str = ""
    preview_after: str = ""
    preview_problems: list[str] = []  # every refusal submitting would give, at once
    preview_proof: str = ""
    preview_allowance: str = ""
    needs_attachment: bool = False
    tab: str = "new"  # new | mine | overtime
    overtime: list[dict[str, str]] = []
    overtime_error: str = ""
    overtime_key: int = 0
    lieu_on: bool = False
    kind: str = ""  # the chosen type's statutory kind (产假 shows its extra fields)
    files: list[str] = []
    own_files: list[dict[str, str]] = []
    upload_error: str = ""
    form_error: str = ""
    requests: list[dict[str, str]] = []
    form_key: int = 0
    from_reminder: bool = False
    _staged: list[tuple[str, str]] = []

    async def _refresh(self, actor: Actor) -> None:
        moment = now()
        views = await run(leave_requests.mine, actor, moment)
        self.requests = [request_row(v) for v in views]
        self.overtime = [
            {
                "id": str(o.id),
                "work_date": o.work_date,
                "hours": o.hours,
                "lieu_days": o.lieu_days,
                "reason": o.reason,
                "status": o.status,
                "submitted": local_text(o.created_at),
                "trail_zh": trail_text("zh-CN", o.trail, o.status == "withdrawn"),
                "trail_en": trail_text("en", o.trail, o.status == "withdrawn"),
                "can_withdraw": "1" if o.can_withdraw else "",
            }
            for o in await run(overtime.mine, actor)
        ]
        self.own_files = [
            {"request_id": str(v.id), "name": a.name, "url": leave_requests.attachment_link(a.id, actor, moment)}
            for v in views
            for a in v.attachments
        ]

    @handler(page_load=True)
    async def load(self, actor: Actor):
        await self._load_types(actor)
        self.values = {
            "leave_type": self.types[0]["code"] if self.types else "",
            "start": "",
            "start_half": "am",
            "end": "",
            "end_half": "pm",
            "difficult_birth": "",
            "babies": "1",
        }
        self.preview_days = self.form_error = self.upload_error = self.overtime_error = ""
        self.preview_problems = []
        wanted_tab = self.router.url.query_parameters.get("tab", "")
        self.tab = wanted_tab if wanted_tab in ("mine", "overtime") else "new"  # messages link to the list they are about
        self.files, self._staged, self.needs_attachment = [], [], False
        # A reminder links here as /leave?start=…&end=…[&type=…] so the missing days come filled in.
        query = self.router.url.query_parameters
        self.from_reminder = query.get("from", "") == "reminder"
        start, end = _date(query.get("start", "")[:10]), _date(query.get("end", "")[:10])
        if start is not None:
            wanted = query.get("type", "")[:16]
            if any(t["code"] == wanted for t in self.types):
                self.values = {**self.values, "leave_type": wanted}
            self.values = {**self.values, "start": start.isoformat(), "end": (end if end and end >= start else start).isoformat()}
            await self._preview(actor)
        else:
            await self._preview(actor)  # the chosen type's proof and extra fields
        self.form_key += 1
        await self._refresh(actor)
        await self._fill_shell(actor)

    async def _load_types(self, actor: Actor) -> None:
        """The types with each one's balance this year, for the picker ("年假 · 余 6 天")."""

        def load(session):  # noqa: ANN001, ANN202
            year = approvals.local_today(now()).year
            rules = leave_balances.leave_types(session)
            left = {b.code: b.balance for b in leave_balances.balances(session, actor, actor.employee_id, year)}
            return rules, left

        rules, left = await run(load)
        self.types = [
            {
                "code": r.code,
                "name": r.name,
                "name_en": r.name_en,
                "kind": r.kind,
                "proof": r.proof,
                "proof_en": r.proof_en or r.proof,
                "balance": left.get(r.code, ""),
                "label_zh": r.name + (f" · 余 {left[r.code]} 天" if r.code in left else ""),
                "label_en": r.name_en + (f" · {left[r.code]} day(s) left" if r.code in left else ""),
            }
            for r in rules
        ]
        self.lieu_on = any(r.kind == "lieu" for r in rules)

    async def _preview(self, actor: Actor) -> None:
        self.preview_days = self.preview_balance = self.preview_after = self.preview_allowance = ""
        self.preview_problems, self.needs_attachment = [], False
        chosen = next((t for t in self.types if t["code"] == self.values["leave_type"]), None)
        self.preview_proof = "" if chosen is None else (chosen["proof_en"] if self.lang == "en" else chosen["proof"])
        self.kind = "" if chosen is None else chosen["kind"]
        start, end = _date(self.values["start"]), _date(self.values["end"] or self.values["start"])
        if start is None or end is None or chosen is None:
            return
        babies = int(self.values.get("babies", "1")) if self.values.get("babies", "1").isdigit() else 0
        try:
            result = await quick(
                leave_requests.preview,
                actor,
                self.values["leave_type"],
                start,
                self.values["start_half"],
                end,
                self.values["end_half"],
                now(),
                self.values.get("difficult_birth", "") != "",
                babies,
            )
        except DomainError as error:
            self.preview_problems = [self._t(error.key, **error.params)]
            return
        self.preview_problems = [self._t(p.key, **p.params) for p in result.problems]
        self.preview_days, self.preview_balance, self.preview_after = result.days, result.balance, result.balance_after
        self.needs_attachment, self.preview_allowance = result.attachment_required, result.allowance

    @handler()
    async def show(self, actor: Actor, tab: str):
        self.tab = tab if tab in ("new", "mine", "overtime") else "new"

    @handler()
    async def set_field(self, actor: Actor, field: str, value: str):
        """One field of the form changed: keep it and recount the days."""
        if field not in FIELDS:
            return
        if field == "difficult_birth":
            value = "1" if value in ("true", "on", "1", True) else ""
        self.values = {**self.values, field: str(value)[:16]}
        if field == "start" and not self.values["end"]:
            self.values = {**self.values, "end": value[:16]}
        await self._preview(actor)

    @handler()
    async def add_files(self, actor: Actor, files: list[rx.UploadFile]):
        """Photos or PDFs, checked by content and stored by hash as soon as they are chosen."""
        self.upload_error = ""
        limit = leave_requests.get_settings().attachment_max_bytes
        for upload in files[: leave_requests.files.MAX_FILES]:
            data = await upload.read(limit + 1)
            try:
                checked = await asyncio.to_thread(leave_requests.stage_attachment, actor, data, upload.filename or "")
            except DomainError as error:
                self.upload_error = self._t(error.key, **error.params)
                continue
            if all(sha != checked.sha256 for sha, _ in self._staged) and len(self._staged) < leave_requests.files.MAX_FILES:
                self._staged = [*self._staged, (checked.sha256, checked.name)]
        self.files = [name for _, name in self._staged]
        return rx.clear_selected_files(UPLOAD_ID)

    @handler()
    async def remove_file(self, actor: Actor, index: int):
        if 0 <= index < len(self._staged):
            self._staged = [s for i, s in enumerate(self._staged) if i != index]
            self.files = [name for _, name in self._staged]

    @handler()
    async def submit(self, actor: Actor, form: LeaveForm):
        self.form_error = ""
        if not form.start.strip():
            self.form_error = self._t("leave.start_missing")
            return
        start, end = _date(form.start), _date(form.end or form.start)
        if start is None or end is None:
            self.form_error = self._t("field.date_format", value=(form.start if start is None else form.end)[:10])
            return
        if not form.babies.isdigit():
            self.form_error = self._t("leave.babies_range")
            return
        try:
            await run(
                leave_requests.submit,
                actor,
                form.leave_type,
                start,
                form.start_half,
                end,
                form.end_half,
                form.reason,
                list(self._staged),
                now(),
                form.difficult_birth != "",
                int(form.babies),
            )
        except DomainError as error:
            self.form_error = self._t(error.key, **error.params)
            return
        self._staged, self.files, self.form_key = [], [], self.form_key + 1
        self.values = {**self.values, "start": "", "end": "", "start_half": "am", "end_half": "pm", "difficult_birth": "", "babies": "1"}
        self.preview_days = self.preview_balance = self.preview_after = ""
        self.preview_problems, self.tab = [], "mine"
        await self._load_types(actor)
        await self._refresh(actor)
        await self._fill_shell(actor)
        return rx.toast.success(self._t("leave.submitted"), id="leave-submitted")

    @handler()
    async def submit_overtime(self, actor: Actor, form: OvertimeForm):
        """加班申请: approved, its hours become time off in lieu (调休)."""
        self.overtime_error = ""
        day = _date(form.work_date)
        if day is None:
            self.overtime_error = self._t("leave.start_missing" if not form.work_date else "field.date_format", value=form.work_date[:10])
            return
        try:
            await run(overtime.submit, actor, day, form.hours, form.reason, now())
        except DomainError as error:
            self.overtime_error = self._t(error.key, **error.params)
            return
        self.overtime_key += 1
        await self._refresh(actor)
        await self._fill_shell(actor)
        return rx.toast.success(self._t("overtime.submitted"), id="overtime-submitted")

    @handler()
    async def withdraw_overtime(self, actor: Actor, request_id: int):
        await run(overtime.withdraw, actor, request_id, now())
        await self._refresh(actor)
        return rx.toast.success(self._t("leave.withdrawn_done"))

    @handler()
    async def withdraw(self, actor: Actor, request_id: int):
        await run(leave_requests.withdraw, actor, request_id, now())
        await self._load_types(actor)
        await self._refresh(actor)
        return rx.toast.success(self._t("leave.withdrawn_done"))

    @handler()
    async def cancel(self, actor: Actor, request_id: int):
        await run(leave_requests.request_cancel, actor, request_id, now())
        await self._refresh(actor)
        return rx.toast.success(self._t("leave.cancel_sent"))


def _half_select(name: str, default: str) -> rx.Component:
    return rx.el.select(
        rx.el.option(T("calendar.am"), value="am"),
        rx.el.option(T("calendar.pm"), value="pm"),
        name=name,
        default_value=default,
        aria_label=T("leave.half_start") if name == "start_half" else T("leave.half_end"),
        on_change=lambda v: LeaveState.set_field(name, v),
        style={"padding": "8px", "borderRadius": "6px", "minWidth": "7.5em", "flexShrink": 0},
        class_name=f"leave-{name.replace('_', '-')}",
    )


def _date_row(label: str, name: str, half: str, default_half: str) -> rx.Component:
    return rx.vstack(
        rx.text(T(label), size="2", color_scheme="gray"),
        rx.hstack(
            rx.input(
                name=name,
                type="date",
                aria_label=T(label),
                default_value=LeaveState.values[name],
                on_change=lambda v: LeaveState.set_field(name, v),
                width="100%",
                class_name=f"leave-{name}",
            ),
            _half_select(half, default_half),
            width="100%",
            spacing="2",
        ),
        spacing="1",
        width="100%",
    )


def _preview() -> rx.Component:
    """The days counted and the balance after, and every refusal the submit would give."""
    return rx.vstack(
        rx.cond(
            LeaveState.preview_problems.length() > 0,
            rx.callout(
                rx.vstack(rx.foreach(LeaveState.preview_problems, lambda p: rx.text(p, class_name="leave-problem")), spacing="1"),
                icon="triangle_alert",
                color_scheme="red",
                id="leave-preview-error",
                width="100%",
                role="alert",
            ),
        ),
        rx.cond(
            LeaveState.preview_days != "",
            rx.callout(
                rx.vstack(
                    rx.text(
                        T("leave.counted"), " ", rx.text.strong(LeaveState.preview_days, id="leave-preview-days"), " ", T("leave.days_unit")
                    ),
                    rx.cond(
                        LeaveState.preview_balance != "",
                        rx.text(
                            T("leave.balance_now"),
                            " ",
                            rx.text.strong(LeaveState.preview_balance),
                            " → ",
                            rx.text.strong(
                                LeaveState.preview_after,
                                id="leave-preview-after",
                                color=rx.cond(LeaveState.preview_after.contains("-"), "var(--red-11)", "inherit"),
                            ),
                        ),
                    ),
                    rx.cond(
                        LeaveState.preview_allowance != "",
                        rx.text(
                            T("leave.allowance"),
                            " ",
                            rx.text.strong(LeaveState.preview_allowance, id="leave-preview-allowance"),
                            " ",
                            T("leave.days_unit"),
                        ),
                    ),
                    rx.cond(LeaveState.needs_attachment, rx.text(T("leave.needs_attachment"), color_scheme="orange")),
                    spacing="1",
                ),
                icon="calendar-check",
                color_scheme=rx.cond(LeaveState.preview_problems.length() > 0, "gray", "blue"),
                width="100%",
                id="leave-preview",
            ),
        ),
        width="100%",
        spacing="2",
    )


def _maternity() -> rx.Component:
    """产假: a difficult birth and each additional baby add 15 days each."""
    return rx.cond(
        LeaveState.kind == "maternity",
        rx.hstack(
            rx.el.label(
                rx.el.input(
                    type="checkbox",
                    name="difficult_birth",
                    on_change=lambda v: LeaveState.set_field("difficult_birth", v),
                    class_name="leave-difficult",
                ),
                " ",
                T("leave.difficult_birth"),
                style={"fontSize": "14px"},
            ),
            rx.el.label(
                T("leave.babies"),
                " ",
                rx.el.input(
                    type="number",
                    name="babies",
                    min=1,
                    max=6,
                    default_value="1",
                    on_change=lambda v: LeaveState.set_field("babies", v),
                    style={"width": "4em", "padding": "4px"},
                    class_name="leave-babies",
                ),
                style={"fontSize": "14px"},
            ),
            spacing="4",
            wrap="wrap",
        ),
    )


def _attachments() -> rx.Component:
    return rx.vstack(
        upload_zone(
            rx.hstack(rx.icon("camera", size=20), rx.text(T("leave.add_attachment"), size="2"), align="center", spacing="2"),
            upload_id=UPLOAD_ID,
            padding="0.8em",
            accept={"image/*": [], "application/pdf": [".pdf"]},
            multiple=True,
            max_files=5,
            on_drop=LeaveState.add_files(rx.upload_files(upload_id=UPLOAD_ID)),
            border_radius="8px",
        ),
        rx.foreach(
            LeaveState.files,
            lambda name, i: rx.hstack(
                rx.icon("paperclip", size=14),
                rx.text(name, size="2", class_name="leave-file"),
                rx.spacer(),
                rx.icon_button(rx.icon("x", size=14), size="1", variant="ghost", on_click=LeaveState.remove_file(i), type="button"),
                width="100%",
                align="center",
            ),
        ),
        rx.cond(LeaveState.upload_error != "", rx.text(LeaveState.upload_error, color_scheme="red", size="2", id="leave-upload-error")),
        width="100%",
        spacing="2",
    )


def _form() -> rx.Component:
    return card(
        rx.heading(T("leave.request_title"), size="4"),
        rx.form(
            rx.vstack(
                rx.text(T("leave.type"), size="2", color_scheme="gray"),
                rx.el.select(
                    rx.foreach(
                        LeaveState.types,
                        lambda ty: rx.el.option(rx.cond(SessionState.lang == "en", ty["label_en"], ty["label_zh"]), value=ty["code"]),
                    ),
                    name="leave_type",
                    aria_label=T("leave.type"),
                    default_value=LeaveState.values["leave_type"],
                    on_change=lambda v: LeaveState.set_field("leave_type", v),
                    style={"padding": "8px", "borderRadius": "6px", "width": "100%"},
                ),
                _date_row("leave.from", "start", "start_half", "am"),
                _date_row("leave.to", "end", "end_half", "pm"),
                _maternity(),
                _preview(),
                rx.text(T("leave.reason"), size="2", color_scheme="gray"),
                rx.text_area(
                    name="reason", max_length=500, rows="3", width="100%", class_name="leave-reason", aria_label=T("leave.reason")
                ),
                rx.cond(
                    LeaveState.preview_proof != "",
                    rx.text(T("leave.proof_needed"), " ", LeaveState.preview_proof, size="2", color_scheme="orange", id="leave-proof"),
                ),
                _attachments(),
                rx.cond(
                    LeaveState.form_error != "",
                    rx.callout(LeaveState.form_error, icon="triangle_alert", color_scheme="red", id="leave-form-error", width="100%"),
                ),
                rx.button(T("leave.submit"), type="submit", size="3", width="100%", id="leave-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=LeaveState.submit,
            reset_on_submit=False,
            key=LeaveState.form_key,
        ),
    )


def _half(half: rx.Var) -> rx.Var:
    return T_var("calendar.", half.to(str))


def request_card(r: rx.Var) -> rx.Component:
    return card(
        rx.hstack(
            rx.text(rx.cond(SessionState.lang == "en", r["type_name_en"], r["type_name"]), weight="bold"),
            rx.badge(
                T_var("leave.status.", r["status"].to(str)),
                color_scheme=rx.Var.create(STATUS_COLOUR).get(r["status"], "gray"),
                variant=rx.cond(r["status"] == "rejected", "solid", "soft"),
                class_name="leave-status",
            ),
            rx.spacer(),
            rx.text(r["days"], " ", T("leave.days_unit"), size="2"),
            width="100%",
            align="center",
        ),
        rx.text(r["start"], " ", _half(r["start_half"]), " – ", r["end"], " ", _half(r["end_half"]), size="2"),
        rx.text(r["reason"], size="2", color_scheme="gray"),
        rx.text(T("leave.submitted_at"), " ", r["submitted"], size="1", color_scheme="gray", class_name="leave-submitted-at"),
        rx.hstack(
            rx.foreach(
                LeaveState.own_files,
                lambda f: rx.cond(
                    f["request_id"] == r["id"],
                    rx.link(
                        rx.icon("paperclip", size=12),
                        " ",
                        f["name"],
                        href=f["url"],
                        is_external=True,
                        size="1",
                        class_name="leave-own-file",
                    ),
                ),
            ),
            wrap="wrap",
            spacing="2",
        ),
        rx.text(rx.cond(SessionState.lang == "en", r["trail_en"], r["trail_zh"]), size="1", class_name="leave-trail"),
        rx.hstack(
            rx.cond(
                r["can_withdraw"] != "",
                confirm_button(T("leave.withdraw"), "confirm.withdraw", LeaveState.withdraw(r["id"].to(int)), "leave-withdraw"),
            ),
            rx.cond(
                r["can_cancel"] != "",
                confirm_button(
                    T("leave.cancel"), "confirm.cancel_leave", LeaveState.cancel(r["id"].to(int)), "leave-cancel", color_scheme="orange"
                ),
            ),
        ),
        class_name="leave-request",
    )


def _overtime_card(o: rx.Var) -> rx.Component:
    return card(
        rx.hstack(
            rx.text(o["work_date"], weight="bold"),
            rx.badge(
                T_var("leave.status.", o["status"].to(str)),
                color_scheme=rx.Var.create(STATUS_COLOUR).get(o["status"], "gray"),
                variant=rx.cond(o["status"] == "rejected", "solid", "soft"),
                class_name="overtime-status",
            ),
            rx.spacer(),
            rx.text(
                o["hours"],
                " ",
                T("overtime.hours_unit"),
                " · ",
                T("overtime.lieu"),
                " ",
                o["lieu_days"],
                " ",
                T("leave.days_unit"),
                size="2",
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.text(o["reason"], size="2", color_scheme="gray"),
        rx.text(T("leave.submitted_at"), " ", o["submitted"], size="1", color_scheme="gray"),
        rx.text(rx.cond(SessionState.lang == "en", o["trail_en"], o["trail_zh"]), size="1"),
        rx.cond(
            o["can_withdraw"] != "",
            confirm_button(T("leave.withdraw"), "confirm.withdraw", LeaveState.withdraw_overtime(o["id"].to(int)), "overtime-withdraw"),
        ),
        class_name="overtime-request",
    )


def _overtime() -> rx.Component:
    return rx.vstack(
        card(
            rx.heading(T("overtime.title"), size="4"),
            rx.text(T("overtime.hint"), size="1", color_scheme="gray"),
            rx.cond(
                LeaveState.lieu_on,
                rx.form(
                    rx.vstack(
                        rx.el.label(
                            T("overtime.date"),
                            rx.input(name="work_date", type="date", width="100%"),
                            style={"width": "100%", "fontSize": "14px"},
                        ),
                        rx.el.label(
                            T("overtime.hours"),
                            rx.input(name="hours", type="number", min=0.5, max=16, step=0.5, width="100%", input_mode="decimal"),
                            style={"width": "100%", "fontSize": "14px"},
                        ),
                        rx.el.label(
                            T("leave.reason"),
                            rx.text_area(name="reason", max_length=500, rows="2", width="100%"),
                            style={"width": "100%", "fontSize": "14px"},
                        ),
                        rx.cond(
                            LeaveState.overtime_error != "",
                            rx.callout(
                                LeaveState.overtime_error, icon="triangle_alert", color_scheme="red", id="overtime-error", width="100%"
                            ),
                        ),
                        rx.button(T("overtime.submit"), type="submit", size="3", width="100%", id="overtime-submit"),
                        width="100%",
                        spacing="3",
                    ),
                    on_submit=LeaveState.submit_overtime,
                    reset_on_submit=True,
                    key=LeaveState.overtime_key,
                ),
                rx.text(T("overtime.off"), color_scheme="gray", size="2", id="overtime-off"),
            ),
        ),
        rx.cond(LeaveState.overtime.length() == 0, rx.text(T("overtime.none"), color_scheme="gray")),
        rx.foreach(LeaveState.overtime, _overtime_card),
        width="100%",
        spacing="3",
    )


def _tab(name: str, label: rx.Component | str, *extra: rx.Component) -> rx.Component:
    return rx.button(
        T(label) if isinstance(label, str) else label,
        *extra,
        variant=rx.cond(LeaveState.tab == name, "solid", "soft"),
        on_click=LeaveState.show(name),
        id=f"leave-tab-{name}",
        aria_pressed=rx.cond(LeaveState.tab == name, "true", "false"),
    )


def leave_page() -> rx.Component:
    return page(
        rx.cond(
            LeaveState.from_reminder,
            rx.callout(
                rx.text(T("leave.from_reminder"), " ", rx.link(T("nav.inbox"), href=routes.INBOX, id="leave-to-inbox")),
                icon="info",
                color_scheme="blue",
                id="leave-from-reminder",
            ),
        ),
        rx.hstack(
            _tab("new", "leave.tab_new"),
            _tab("mine", "leave.mine", " (", LeaveState.requests.length(), ")"),
            _tab("overtime", "overtime.tab"),
            spacing="2",
            wrap="wrap",
        ),
        rx.match(
            LeaveState.tab,
            (
                "mine",
                rx.vstack(
                    rx.cond(LeaveState.requests.length() == 0, rx.text(T("leave.none"), color_scheme="gray")),
                    rx.foreach(LeaveState.requests, request_card),
                    width="100%",
                    spacing="3",
                ),
            ),
            ("overtime", _overtime()),
            _form(),
        ),
        rx.link(T("nav.calendar"), href=routes.CALENDAR, size="2"),
        title_key="leave.title",
    )
