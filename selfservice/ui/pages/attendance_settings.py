"""Attendance settings (/attendance/settings, HR): every number of the absence watch, shift
patterns (排班) and who works which."""

from __future__ import annotations

from datetime import date

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.services import attendance_settings
from selfservice.services.absence_streaks import local_today
from selfservice.ui.components.shell import card, data_table, page
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_var
from selfservice.ui.session import SessionState

RULE_FIELDS = (
    ("scan_time", "time"),
    ("remind_after_days", "number"),
    ("forward_after_hours", "number"),
    ("case_threshold", "number"),
    ("office_start", "time"),
    ("office_end", "time"),
    ("late_grace_minutes", "number"),
    ("lookback_days", "number"),
    ("tracked_from", "date"),
)


class RulesForm(Form):
    scan_time: str = Field(max_length=5)
    remind_after_days: str = Field(max_length=4)
    forward_after_hours: str = Field(max_length=4)
    case_threshold: str = Field(max_length=4)
    office_start: str = Field(max_length=5)
    office_end: str = Field(max_length=5)
    late_grace_minutes: str = Field(max_length=4)
    lookback_days: str = Field(max_length=4)
    tracked_from: str = Field(default="", max_length=10)
    geolocation: str = Field(default="", max_length=8)
    channel_wecom: str = Field(default="", max_length=8)
    channel_sms: str = Field(default="", max_length=8)
    channel_email: str = Field(default="", max_length=8)


class PatternForm(Form):
    name: str = Field(max_length=64)
    kind: str = Field(max_length=8)
    days: str = Field(max_length=40)
    anchor: str = Field(default="", max_length=10)
    start_time: str = Field(max_length=5)
    end_time: str = Field(max_length=5)
    follows_calendar: str = Field(default="", max_length=8)


class AssignForm(Form):
    employee_no: str = Field(max_length=32)
    pattern_id: str = Field(default="", max_length=12)
    starts_on: str = Field(max_length=10)


class AttendanceSettingsState(SessionState):
    values: dict[str, str] = {}
    patterns: list[dict[str, str]] = []
    error: str = ""
    pattern_error: str = ""
    assign_error: str = ""
    form_key: int = 0

    async def _refresh(self, actor: Actor) -> None:
        self.values = await run(attendance_settings.rules_form, actor)
        views = await run(attendance_settings.patterns, actor, local_today(now()))
        self.patterns = [
            {
                "id": str(p.id),
                "name": p.name,
                "kind": p.kind,
                "days": p.days,
                "anchor": p.anchor,
                "hours": f"{p.start_time}–{p.end_time}",
                "calendar": "1" if p.follows_calendar else "",
                "people": str(p.people),
            }
            for p in views
        ]
        self.form_key += 1

    @handler(Role.hr, page_load=True)
    async def load(self, actor: Actor):
        self.error = self.pattern_error = self.assign_error = ""
        await self._refresh(actor)
        await self._fill_shell(actor)

    @handler(Role.hr)
    async def save(self, actor: Actor, form: RulesForm):
        raw = form.model_dump()
        raw["reminder_channels"] = ",".join(c for c in ("wecom", "sms", "email") if raw.pop(f"channel_{c}", "") in ("on", "1", "true"))
        raw["geolocation"] = "1" if raw.get("geolocation") in ("on", "1", "true") else ""
        self.error = ""
        try:
            await run(attendance_settings.save_rules, actor, raw, now())
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return
        await self._refresh(actor)
        return rx.toast.success(self._t("settings.saved"))

    @handler(Role.hr)
    async def add_pattern(self, actor: Actor, form: PatternForm):
        self.pattern_error = ""
        try:
            await run(attendance_settings.create_pattern, actor, form.model_dump(), now())
        except DomainError as error:
            self.pattern_error = self._t(error.key, **error.params)
            return
        await self._refresh(actor)

    @handler(Role.hr)
    async def assign(self, actor: Actor, form: AssignForm):
        self.assign_error = ""
        try:
            starts_on = date.fromisoformat(form.starts_on)
        except ValueError:
            self.assign_error = self._t("field.date_format", value=form.starts_on[:10])
            return
        pattern_id = int(form.pattern_id) if form.pattern_id.isdigit() else None
        try:
            await run(attendance_settings.assign, actor, form.employee_no, pattern_id, starts_on, now())
        except DomainError as error:
            self.assign_error = self._t(error.key, **error.params)
            return
        await self._refresh(actor)
        return rx.toast.success(self._t("settings.assigned"))


def _rules() -> rx.Component:
    v = AttendanceSettingsState.values
    return card(
        rx.heading(T("settings.rules_title"), size="3"),
        rx.text(T("settings.rules_hint"), size="1", color_scheme="gray"),
        rx.form(
            rx.vstack(
                *(
                    rx.hstack(
                        rx.el.label(T("settings." + name), html_for=f"rule-{name}", min_width="16em", font_size="0.9em"),
                        rx.input(name=name, id=f"rule-{name}", type=kind, default_value=v.get(name, ""), width="10em"),
                        align="center",
                        wrap="wrap",
                    )
                    for name, kind in RULE_FIELDS
                ),
                rx.hstack(
                    rx.text(T("settings.reminder_channels"), size="2", min_width="16em"),
                    *(
                        rx.hstack(
                            rx.checkbox(
                                name=f"channel_{c}",
                                default_checked=v.get("reminder_channels", "").contains(c),
                                id=f"rule-channel-{c}",
                                aria_label=T("channel.name." + c),
                            ),
                            rx.text(T("channel.name." + c), size="2"),
                            align="center",
                        )
                        for c in ("wecom", "sms", "email")
                    ),
                    wrap="wrap",
                ),
                rx.hstack(
                    rx.checkbox(
                        name="geolocation",
                        default_checked=v.get("geolocation", "") != "",
                        id="rule-geolocation",
                        aria_label=T("settings.geolocation"),
                    ),
                    rx.text(T("settings.geolocation"), size="2"),
                    align="center",
                ),
                rx.button(T("settings.save"), type="submit", id="rules-save"),
                width="100%",
            ),
            on_submit=AttendanceSettingsState.save,
            key=AttendanceSettingsState.form_key,
        ),
        rx.cond(
            AttendanceSettingsState.error != "",
            rx.callout(AttendanceSettingsState.error, icon="triangle_alert", color_scheme="red", id="rules-error"),
        ),
    )


def _patterns() -> rx.Component:
    return card(
        rx.heading(T("settings.patterns_title"), size="3"),
        rx.text(T("settings.patterns_hint"), size="1", color_scheme="gray"),
        data_table(
            (
                "settings.pattern_name",
                "settings.pattern_kind",
                "settings.pattern_days",
                "settings.pattern_anchor",
                "settings.pattern_hours",
                "settings.pattern_calendar",
                "settings.pattern_people",
            ),
            AttendanceSettingsState.patterns,
            lambda p: rx.table.row(
                rx.table.cell(p["name"]),
                rx.table.cell(T_var("settings.kind.", p["kind"].to(str))),
                rx.table.cell(rx.code(p["days"])),
                rx.table.cell(p["anchor"]),
                rx.table.cell(p["hours"]),
                rx.table.cell(rx.cond(p["calendar"] != "", T("settings.yes"), T("settings.no"))),
                rx.table.cell(p["people"]),
                class_name="pattern-row",
            ),
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    name="name", placeholder=T("settings.pattern_name"), aria_label=T("settings.pattern_name"), max_length=64, required=True
                ),
                rx.el.select(
                    rx.el.option(T("settings.kind.weekly"), value="weekly"),
                    rx.el.option(T("settings.kind.cycle"), value="cycle"),
                    name="kind",
                    aria_label=T("settings.pattern_kind"),
                ),
                rx.input(
                    name="days",
                    placeholder="1111100 / 111100",
                    aria_label=T("settings.pattern_days"),
                    max_length=31,
                    required=True,
                    width="9em",
                ),
                rx.input(name="anchor", type="date", aria_label=T("settings.pattern_anchor")),
                rx.input(name="start_time", type="time", default_value="09:00", aria_label=T("settings.office_start")),
                rx.input(name="end_time", type="time", default_value="18:00", aria_label=T("settings.office_end")),
                rx.hstack(
                    rx.checkbox(name="follows_calendar", default_checked=True, aria_label=T("settings.pattern_calendar")),
                    rx.text(T("settings.pattern_calendar"), size="2"),
                    align="center",
                ),
                rx.button(T("settings.add_pattern"), type="submit", id="pattern-add"),
                wrap="wrap",
                spacing="2",
            ),
            on_submit=AttendanceSettingsState.add_pattern,
            reset_on_submit=True,
        ),
        rx.cond(
            AttendanceSettingsState.pattern_error != "",
            rx.text(AttendanceSettingsState.pattern_error, color_scheme="red", size="2", id="pattern-error"),
        ),
        rx.heading(T("settings.assign_title"), size="3"),
        rx.form(
            rx.hstack(
                rx.input(
                    name="employee_no",
                    placeholder=T("field.employee_no"),
                    aria_label=T("field.employee_no"),
                    max_length=32,
                    required=True,
                    width="8em",
                ),
                rx.el.select(
                    rx.el.option(T("settings.standard_schedule"), value=""),
                    rx.foreach(AttendanceSettingsState.patterns, lambda p: rx.el.option(p["name"], value=p["id"])),
                    name="pattern_id",
                    aria_label=T("settings.pattern_name"),
                ),
                rx.input(name="starts_on", type="date", aria_label=T("settings.starts_on"), required=True),
                rx.button(T("settings.assign"), type="submit", id="assign-submit"),
                wrap="wrap",
                spacing="2",
            ),
            on_submit=AttendanceSettingsState.assign,
            reset_on_submit=True,
        ),
        rx.cond(
            AttendanceSettingsState.assign_error != "",
            rx.text(AttendanceSettingsState.assign_error, color_scheme="red", size="2", id="assign-error"),
        ),
    )


def attendance_settings_page() -> rx.Component:
    return page(_rules(), _patterns(), title_key="settings.title")
