"""HR: leave types (假期类型), approval routing rules, and balance adjustments."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.domain.leave_law import PROVINCES
from selfservice.services import approvals, leave_balances, leave_requests
from selfservice.ui.components.shell import card, data_table, page
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_var
from selfservice.ui.session import SessionState


class TypeForm(Form):
    code: str = Field(max_length=16)
    name: str = Field(max_length=32)
    name_en: str = Field(max_length=64)
    yearly_quota: str = Field(default="", max_length=8)
    carry_over_cap: str = Field(default="0", max_length=8)
    attachment_over_days: str = Field(default="", max_length=8)
    paid: str = Field(default="", max_length=3)
    half_day: str = Field(default="", max_length=3)
    hr_must_approve: str = Field(default="", max_length=3)
    allow_negative: str = Field(default="", max_length=3)
    active: str = Field(default="", max_length=3)
    kind: str = Field(default="custom", max_length=16)
    counting: str = Field(default="working", max_length=8)
    per_event_days: str = Field(default="", max_length=8)
    proof: str = Field(default="", max_length=100)
    proof_en: str = Field(default="", max_length=200)


class PresetForm(Form):
    province: str = Field(max_length=16)
    marriage: str = Field(default="", max_length=3)
    maternity: str = Field(default="", max_length=3)
    paternity: str = Field(default="", max_length=3)
    childcare: str = Field(default="", max_length=3)
    bereavement: str = Field(default="", max_length=3)
    lieu: str = Field(default="", max_length=3)
    annual: str = Field(default="", max_length=3)


PRESET_KINDS = ("annual", "marriage", "maternity", "paternity", "childcare", "bereavement", "lieu")
KINDS = ("custom", *PRESET_KINDS[:1], "sick", "personal", *PRESET_KINDS[1:])


class PolicyForm(Form):
    dept_head_over_days: str = Field(default="", max_length=8)
    escalate_after_hours: str = Field(max_length=4)


class AdjustForm(Form):
    employee_no: str = Field(max_length=32)
    leave_type: str = Field(max_length=16)
    year: str = Field(max_length=4)
    days: str = Field(max_length=8)
    note: str = Field(max_length=200)


PROVINCE_CODES = tuple(PROVINCES)


def _flag(value: str) -> bool:
    return value in ("on", "true", "1")


class LeaveSettingsState(SessionState):
    types: list[dict[str, str]] = []
    editing: dict[str, str] = {}
    dept_head_over_days: str = ""
    escalate_after_hours: str = "24"
    type_error: str = ""
    policy_error: str = ""
    adjust_error: str = ""
    preset_error: str = ""
    form_key: int = 0

    async def _refresh(self, actor: Actor) -> None:
        rows = await run(leave_balances.type_settings, actor)
        self.types = [{k: ("1" if v is True else "" if v is False else str(v)) for k, v in asdict(r).items()} for r in rows]
        policy = await run(approvals.policy, leave_requests.LEAVE)
        self.dept_head_over_days = "" if policy.dept_head_over_days is None else f"{policy.dept_head_over_days.normalize():f}"
        self.escalate_after_hours = str(policy.escalate_after_hours)

    @handler(Role.hr, page_load=True)
    async def load(self, actor: Actor):
        self.editing, self.type_error, self.policy_error, self.adjust_error = {}, "", "", ""
        await self._refresh(actor)
        await self._fill_shell(actor)

    @handler(Role.hr)
    async def edit(self, actor: Actor, code: str):
        self.editing = next((t for t in self.types if t["code"] == code), {})
        self.type_error, self.form_key = "", self.form_key + 1

    @handler(Role.hr)
    async def new_type(self, actor: Actor):
        self.editing = {
            "code": "",
            "paid": "1",
            "half_day": "1",
            "active": "1",
            "carry_over_cap": "0",
            "kind": "custom",
            "counting": "working",
        }
        self.type_error, self.form_key = "", self.form_key + 1

    @handler(Role.hr)
    async def save_type(self, actor: Actor, form: TypeForm):
        settings = leave_balances.TypeSettings(
            form.code,
            form.name,
            form.name_en,
            _flag(form.paid),
            _flag(form.half_day),
            form.yearly_quota,
            form.carry_over_cap,
            form.attachment_over_days,
            _flag(form.hr_must_approve),
            _flag(form.allow_negative),
            _flag(form.active),
            form.kind,
            form.counting,
            form.per_event_days,
            form.proof,
            form.proof_en,
        )
        try:
            await run(leave_balances.save_type, actor, settings, now())
        except DomainError as error:
            self.type_error = self._t(error.key, **error.params)
            return
        self.editing, self.type_error = {}, ""
        await self._refresh(actor)
        return rx.toast.success(self._t("leave.type_saved"), id="leave-type-saved")

    @handler(Role.hr)
    async def apply_presets(self, actor: Actor, form: PresetForm):
        """Switch on the statutory types ticked, with the province's days."""
        self.preset_error = ""
        kinds = [k for k in PRESET_KINDS if _flag(getattr(form, k))]
        try:
            codes = await run(leave_balances.apply_presets, actor, form.province, kinds, now())
        except DomainError as error:
            self.preset_error = self._t(error.key, **error.params)
            return
        await self._refresh(actor)
        return rx.toast.success(self._t("leave.presets_applied", count=len(codes)), id="leave-presets-applied")

    @handler(Role.hr)
    async def save_policy(self, actor: Actor, form: PolicyForm):
        self.policy_error = ""
        try:
            await run(approvals.save_policy, actor, leave_requests.LEAVE, form.dept_head_over_days, form.escalate_after_hours, now())
        except DomainError as error:
            self.policy_error = self._t(error.key, **error.params)
            return
        await self._refresh(actor)
        return rx.toast.success(self._t("approval.policy_saved"), id="policy-saved")

    @handler(Role.hr)
    async def adjust(self, actor: Actor, form: AdjustForm):
        self.adjust_error = ""
        if not form.year.isdigit() or not 2000 <= int(form.year) <= 2100:
            self.adjust_error = self._t("calendar.year_range", min=2000, max=2100)
            return
        try:
            employee_id = await run(leave_balances.employee_by_no, actor, form.employee_no)
            await run(leave_balances.adjust, actor, employee_id, form.leave_type, int(form.year), form.days, form.note, now())
        except DomainError as error:
            self.adjust_error = self._t(error.key, **error.params)
            return
        self.form_key += 1
        return rx.toast.success(self._t("leave.adjusted"), id="leave-adjusted")


def _yes(value: rx.Var) -> rx.Component:
    return rx.cond(value != "", rx.icon("check", size=14), rx.text("–", color_scheme="gray"))


def _type_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.button(row["code"], size="1", variant="ghost", on_click=LeaveSettingsState.edit(row["code"]), class_name="leave-type-edit")
        ),
        rx.table.cell(rx.cond(SessionState.lang == "en", row["name_en"], row["name"])),
        rx.table.cell(T_var("leave.kind.", row["kind"].to(str)), class_name="leave-type-kind"),
        rx.table.cell(T_var("leave.counting.", row["counting"].to(str))),
        rx.table.cell(rx.cond(row["yearly_quota"] != "", row["yearly_quota"], "–")),
        rx.table.cell(rx.cond(row["per_event_days"] != "", row["per_event_days"], "–"), class_name="leave-type-event"),
        rx.table.cell(row["carry_over_cap"]),
        rx.table.cell(rx.cond(row["attachment_over_days"] != "", row["attachment_over_days"], "–")),
        rx.table.cell(_yes(row["paid"])),
        rx.table.cell(_yes(row["half_day"])),
        rx.table.cell(_yes(row["hr_must_approve"])),
        rx.table.cell(_yes(row["allow_negative"])),
        rx.table.cell(_yes(row["active"])),
        class_name="leave-type-row",
    )


def _check(name: str, label: str) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", name=name, default_checked=LeaveSettingsState.editing.get(name, "") != ""),
        " ",
        T(label),
        style={"fontSize": "14px", "whiteSpace": "nowrap"},
    )


def _field(name: str, label: str, width: str = "8em") -> rx.Component:
    return rx.vstack(
        rx.text(T(label), size="1", color_scheme="gray"),
        rx.input(name=name, default_value=LeaveSettingsState.editing.get(name, ""), aria_label=T(label), width=width, max_length=64),
        spacing="1",
    )


def _select(name: str, label: str, options: list[tuple[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.text(T(label), size="1", color_scheme="gray"),
        rx.el.select(
            *(rx.el.option(T(key), value=value) for value, key in options),
            name=name,
            aria_label=T(label),
            default_value=LeaveSettingsState.editing.get(name, options[0][0]),
            style={"padding": "6px", "borderRadius": "6px"},
        ),
        spacing="1",
    )


def _presets_card() -> rx.Component:
    return card(
        rx.heading(T("leave.presets_title"), size="4"),
        rx.text(T("leave.presets_hint"), size="1", color_scheme="gray"),
        rx.form(
            rx.vstack(
                rx.hstack(
                    rx.el.label(
                        T("leave.province"),
                        " ",
                        rx.el.select(
                            *(rx.el.option(T(f"province.{code}"), value=code) for code in PROVINCE_CODES),
                            name="province",
                            style={"padding": "6px", "borderRadius": "6px"},
                        ),
                        style={"fontSize": "14px"},
                    ),
                    *(
                        rx.el.label(
                            rx.el.input(type="checkbox", name=kind, default_checked=kind != "annual"),
                            " ",
                            T(f"leave.kind.{kind}"),
                            style={"fontSize": "14px", "whiteSpace": "nowrap"},
                        )
                        for kind in PRESET_KINDS
                    ),
                    wrap="wrap",
                    spacing="4",
                    align="center",
                ),
                rx.button(T("leave.presets_apply"), type="submit", id="leave-presets-apply"),
            ),
            on_submit=LeaveSettingsState.apply_presets,
            reset_on_submit=False,
        ),
        rx.cond(
            LeaveSettingsState.preset_error != "",
            rx.text(LeaveSettingsState.preset_error, color_scheme="red", size="2", id="leave-presets-error"),
        ),
        rx.text(T("leave.presets_source"), size="1", color_scheme="gray"),
    )


def _type_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.hstack(
                _field("code", "leave.type_code_label"),
                _field("name", "leave.type_name_zh"),
                _field("name_en", "leave.type_name_en", "12em"),
                _field("yearly_quota", "leave.yearly_quota"),
                _field("carry_over_cap", "leave.carry_over_cap"),
                _field("attachment_over_days", "leave.attachment_over"),
                _field("per_event_days", "leave.per_event_days"),
                _select("kind", "leave.kind_label", [(k, f"leave.kind.{k}") for k in KINDS]),
                _select("counting", "leave.counting_label", [(c, f"leave.counting.{c}") for c in ("working", "calendar")]),
                _field("proof", "leave.proof_zh", "12em"),
                _field("proof_en", "leave.proof_en", "16em"),
                wrap="wrap",
                spacing="3",
            ),
            rx.hstack(
                _check("paid", "leave.paid"),
                _check("half_day", "leave.half_day"),
                _check("hr_must_approve", "leave.hr_must_approve"),
                _check("allow_negative", "leave.allow_negative"),
                _check("active", "leave.active"),
                wrap="wrap",
                spacing="4",
            ),
            rx.cond(
                LeaveSettingsState.type_error != "",
                rx.text(LeaveSettingsState.type_error, color_scheme="red", size="2", id="leave-type-error"),
            ),
            rx.button(T("leave.save_type"), type="submit", id="leave-type-save"),
            width="100%",
        ),
        on_submit=LeaveSettingsState.save_type,
        reset_on_submit=False,
        key=LeaveSettingsState.form_key,
    )


def leave_settings_page() -> rx.Component:
    return page(
        card(
            rx.hstack(
                rx.heading(T("leave.types_title"), size="4"),
                rx.spacer(),
                rx.button(T("leave.new_type"), size="1", variant="soft", on_click=LeaveSettingsState.new_type, id="leave-type-new"),
                width="100%",
            ),
            data_table(
                (
                    "leave.type_code_label",
                    "leave.type",
                    "leave.kind_label",
                    "leave.counting_label",
                    "leave.yearly_quota",
                    "leave.per_event_days",
                    "leave.carry_over_cap",
                    "leave.attachment_over",
                    "leave.paid",
                    "leave.half_day",
                    "leave.hr_must_approve",
                    "leave.allow_negative",
                    "leave.active",
                ),
                LeaveSettingsState.types,
                _type_row,
                white_space="nowrap",
            ),
            rx.cond(LeaveSettingsState.editing.length() > 0, _type_form()),
        ),
        _presets_card(),
        card(
            rx.heading(T("approval.routing_title"), size="4"),
            rx.text(T("approval.routing_hint"), size="1", color_scheme="gray"),
            rx.form(
                rx.hstack(
                    rx.vstack(
                        rx.text(T("approval.dept_head_over"), size="1", color_scheme="gray"),
                        rx.input(
                            name="dept_head_over_days",
                            default_value=LeaveSettingsState.dept_head_over_days,
                            aria_label=T("approval.dept_head_over"),
                            width="6em",
                        ),
                        spacing="1",
                    ),
                    rx.vstack(
                        rx.text(T("approval.escalate_after"), size="1", color_scheme="gray"),
                        rx.input(
                            name="escalate_after_hours",
                            default_value=LeaveSettingsState.escalate_after_hours,
                            aria_label=T("approval.escalate_after"),
                            width="6em",
                        ),
                        spacing="1",
                    ),
                    rx.button(T("approval.save_policy"), type="submit", id="policy-save"),
                    align="end",
                    wrap="wrap",
                    spacing="3",
                ),
                on_submit=LeaveSettingsState.save_policy,
                reset_on_submit=False,
                key=LeaveSettingsState.escalate_after_hours + LeaveSettingsState.dept_head_over_days,
            ),
            rx.cond(
                LeaveSettingsState.policy_error != "",
                rx.text(LeaveSettingsState.policy_error, color_scheme="red", size="2", id="policy-error"),
            ),
        ),
        card(
            rx.heading(T("leave.adjust_title"), size="4"),
            rx.form(
                rx.hstack(
                    rx.input(
                        name="employee_no",
                        placeholder=T("field.employee_no"),
                        aria_label=T("field.employee_no"),
                        width="8em",
                        max_length=32,
                    ),
                    rx.el.select(
                        rx.foreach(
                            LeaveSettingsState.types,
                            lambda ty: rx.el.option(rx.cond(SessionState.lang == "en", ty["name_en"], ty["name"]), value=ty["code"]),
                        ),
                        name="leave_type",
                        aria_label=T("leave.type"),
                        style={"padding": "6px", "borderRadius": "6px"},
                    ),
                    rx.input(name="year", placeholder=T("leave.year"), aria_label=T("leave.year"), width="5em", max_length=4),
                    rx.input(name="days", placeholder=T("leave.days_signed"), aria_label=T("leave.days_signed"), width="6em", max_length=8),
                    rx.input(
                        name="note", placeholder=T("leave.adjust_reason"), aria_label=T("leave.adjust_reason"), width="14em", max_length=200
                    ),
                    rx.button(T("leave.adjust"), type="submit", id="leave-adjust"),
                    wrap="wrap",
                    spacing="2",
                ),
                on_submit=LeaveSettingsState.adjust,
                reset_on_submit=True,
            ),
            rx.cond(
                LeaveSettingsState.adjust_error != "",
                rx.text(LeaveSettingsState.adjust_error, color_scheme="red", size="2", id="leave-adjust-error"),
            ),
        ),
        title_key="leave.settings_title",
        wide=True,
    )
