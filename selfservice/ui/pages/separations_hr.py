"""HR's separation screens (desktop): every separation in progress with its stage and what is
due (/separations), recording a separation that does not start from the employee, the checklist
templates and who holds each owner role (/separations/templates), and the dashboard panel."""

from __future__ import annotations

from datetime import date

import reflex as rx
from pydantic import Field

from selfservice.domain import separation as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.services import employees, separation_dashboard, separations
from selfservice.services.attendance import local_text
from selfservice.ui import routes
from selfservice.ui.components.shell import card, data_table, page
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_fmt, T_var
from selfservice.ui.pages.hr_dashboard import UiPanel, panel_frame, register
from selfservice.ui.session import SessionState

LABEL_STYLE = {"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"}


def _day(text: str, required: bool = True) -> date | None:
    if not text.strip() and not required:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError("separation.date_format") from None


class RecordForm(Form):
    employee_no: str = Field(default="", max_length=32)
    kind: str = Field(default="", max_length=16)
    last_day: str = Field(default="", max_length=10)
    contract_start: str = Field(default="", max_length=10)
    contract_end: str = Field(default="", max_length=10)
    note: str = Field(default="", max_length=500)


class SeparationsState(SessionState):
    rows: list[dict[str, str]] = []
    finished: bool = False
    record_error: str = ""
    form_key: int = 0

    async def _refresh(self, actor: Actor) -> None:
        en = self.lang == "en"
        self.rows = [
            {
                "id": str(r.id),
                "employee": r.employee,
                "employee_no": r.employee_no,
                "department": r.department_en if en else r.department,
                "kind": r.kind,
                "status": r.status,
                "last_day": r.last_day.isoformat(),
                "stage": (r.stage_name_en if en else r.stage_name) if r.stage else "",
                "stuck_since": local_text(r.stuck_since),
                "overdue": str(r.overdue),
                "certificate": "1" if r.certificate else "",
                "certificate_due": "1" if r.certificate_due else "",
                "transfer_due": r.transfer_due.isoformat() if r.status == "ended" and not r.transfer_done else "",
            }
            for r in await run(separations.overview, actor, now(), self.finished)
        ]

    @handler(Role.hr, page_load=True)
    async def load(self, actor: Actor):
        self.record_error = ""
        await self._refresh(actor)
        await self._fill_shell(actor)

    @handler(Role.hr)
    async def show_finished(self, actor: Actor, value: bool):
        self.finished = value
        await self._refresh(actor)

    @handler(Role.hr)
    async def record(self, actor: Actor, form: RecordForm):
        try:
            sid = await run(
                separations.record,
                actor,
                employee_no=form.employee_no,
                kind=form.kind,
                last_day=_day(form.last_day),
                contract_start=_day(form.contract_start, required=False),
                contract_end=_day(form.contract_end, required=False),
                note=form.note,
                now=now(),
            )
        except DomainError as error:
            self.record_error = self._t(error.key, **error.params)
            return None
        self.record_error = ""
        self.form_key += 1
        return rx.redirect(f"{routes.SEPARATION}?s={sid}")


def _record_card() -> rx.Component:
    kinds = [k.value for k in rules.SeparationType if k != rules.SeparationType.resignation]
    return card(
        rx.heading(T("separation.record_title"), size="4"),
        rx.text(T("separation.record_hint"), size="1", color_scheme="gray"),
        rx.form(
            rx.grid(
                rx.el.label(rx.text(T("field.employee_no"), size="2"), rx.input(name="employee_no", max_length=32), style=LABEL_STYLE),
                rx.el.label(
                    rx.text(T("separation.kind_label"), size="2"),
                    rx.el.select(
                        *(rx.el.option(T("separation.kind." + k), value=k) for k in kinds),
                        name="kind",
                        style={"padding": "8px", "borderRadius": "6px"},
                    ),
                    style=LABEL_STYLE,
                ),
                rx.el.label(rx.text(T("separation.last_day_label"), size="2"), rx.input(name="last_day", type="date"), style=LABEL_STYLE),
                rx.el.label(
                    rx.text(T("separation.contract_start"), size="2"), rx.input(name="contract_start", type="date"), style=LABEL_STYLE
                ),
                rx.el.label(
                    rx.text(T("separation.contract_end_label"), size="2"), rx.input(name="contract_end", type="date"), style=LABEL_STYLE
                ),
                rx.el.label(rx.text(T("separation.note"), size="2"), rx.input(name="note", max_length=500), style=LABEL_STYLE),
                columns=rx.breakpoints(initial="1", md="3"),
                spacing="3",
                width="100%",
            ),
            rx.cond(
                SeparationsState.record_error != "",
                rx.callout(SeparationsState.record_error, color_scheme="red", size="1", id="record-error", margin_top="0.5em"),
            ),
            rx.button(T("separation.record_submit"), type="submit", margin_top="0.75em", id="record-submit"),
            on_submit=SeparationsState.record,
            reset_on_submit=False,
            width="100%",
        ),
        key=SeparationsState.form_key,
    )


def separations_page() -> rx.Component:
    return page(
        rx.hstack(
            rx.link(T("separation.templates_title"), href=routes.SEPARATION_TEMPLATES, size="2", id="templates-link"),
            rx.spacer(),
            rx.el.label(
                rx.hstack(
                    rx.switch(
                        checked=SeparationsState.finished,
                        on_change=SeparationsState.show_finished,
                        aria_label=T("separation.show_finished"),
                    ),
                    rx.text(T("separation.show_finished"), size="2"),
                    align="center",
                ),
            ),
            width="100%",
            align="center",
        ),
        rx.cond(SeparationsState.rows.length() == 0, rx.text(T("separation.none"), size="2", color_scheme="gray")),
        data_table(
            (
                "field.name",
                "field.department",
                "separation.kind_label",
                "separation.last_day_label",
                "separation.stage_col",
                "checklist.overdue",
                "separation.certificate_col",
                "separation.transfer_col",
            ),
            SeparationsState.rows,
            lambda r: rx.table.row(
                rx.table.cell(
                    rx.link(r["employee"], href=f"{routes.SEPARATION}?s=" + r["id"].to(str), underline="always"),
                    " ",
                    rx.text(r["employee_no"], as_="span", size="1", color_scheme="gray"),
                ),
                rx.table.cell(r["department"]),
                rx.table.cell(T_var("separation.kind.", r["kind"].to(str))),
                rx.table.cell(r["last_day"]),
                rx.table.cell(
                    rx.cond(
                        r["status"] == "submitted",
                        rx.badge(T("separation.status.submitted"), color_scheme="amber"),
                        rx.cond(
                            r["stage"] != "",
                            rx.vstack(
                                rx.text(r["stage"], size="2"),
                                rx.text(T_fmt("checklist.since", at=r["stuck_since"]), size="1", color_scheme="gray"),
                                spacing="0",
                            ),
                            rx.badge(T("checklist.done_short"), color_scheme="green"),
                        ),
                    )
                ),
                rx.table.cell(rx.cond(r["overdue"] != "0", rx.badge(r["overdue"], color_scheme="red"), "0")),
                rx.table.cell(
                    rx.cond(
                        r["certificate"] != "",
                        rx.badge(T("separation.issued"), color_scheme="green"),
                        rx.cond(r["certificate_due"] != "", rx.badge(T("separation.due_now"), color_scheme="red"), "-"),
                    )
                ),
                rx.table.cell(rx.cond(r["transfer_due"] != "", r["transfer_due"], "-")),
                class_name="separation-row",
            ),
        ),
        _record_card(),
        title_key="separation.list_title",
        wide=True,
    )


# ---- templates and owners ----------------------------------------------------------------------


class TemplateForm(Form):
    name: str = Field(default="", max_length=64)
    department: str = Field(default="", max_length=12)
    position: str = Field(default="", max_length=64)
    is_default: str = Field(default="", max_length=8)
    items: str = Field(default="", max_length=8000)


class OwnersForm(Form):
    admin: str = Field(default="", max_length=300)
    it: str = Field(default="", max_length=300)
    finance: str = Field(default="", max_length=300)


class TemplatesState(SessionState):
    templates: list[dict[str, str]] = []
    departments: list[dict[str, str]] = []
    owners: dict[str, str] = {}
    owner_names: dict[str, str] = {}
    editing: str = ""  # template id being edited, "new" for a new one
    error: str = ""
    owners_error: str = ""
    form_key: int = 0

    async def _refresh(self, actor: Actor) -> None:
        moment = now()
        await run(separations.ensure_default_template_for, actor, moment)
        en = self.lang == "en"
        self.templates = [
            {
                "id": str(v.id),
                "name": v.name,
                "department_id": str(v.department_id or ""),
                "department": (v.department_en if en else v.department) or "",
                "position": v.position,
                "is_default": "1" if v.is_default else "",
                "text": v.text,
                "stages": str(v.stages),
                "items": str(v.items),
            }
            for v in await run(separations.templates, actor)
        ]
        self.departments = [
            {"id": str(d.id), "name": (d.name_en or d.name) if en else d.name} for d in await run(employees.departments, actor)
        ]
        held = await run(separations.owners, actor)
        self.owners = {role: ", ".join(n for n, _ in people) for role, people in held.items()}
        self.owner_names = {role: "、".join(m for _, m in people) for role, people in held.items()}

    @handler(Role.hr, page_load=True)
    async def load(self, actor: Actor):
        self.editing = self.error = self.owners_error = ""
        await self._refresh(actor)
        self.form_key += 1
        await self._fill_shell(actor)

    @handler(Role.hr)
    async def edit(self, actor: Actor, template_id: str):
        self.editing, self.error = template_id[:12], ""
        self.form_key += 1

    @handler(Role.hr)
    async def cancel(self, actor: Actor):
        self.editing, self.error = "", ""

    @handler(Role.hr)
    async def save(self, actor: Actor, form: TemplateForm):
        try:
            await run(
                separations.save_template,
                actor,
                int(self.editing) if self.editing.isdigit() else None,
                form.name,
                int(form.department) if form.department.isdigit() else None,
                form.position,
                form.is_default == "on",
                form.items,
                now(),
            )
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return None
        self.editing, self.error = "", ""
        await self._refresh(actor)
        return rx.toast.success(self._t("checklist.template_saved"))

    @handler(Role.hr)
    async def save_owners(self, actor: Actor, form: OwnersForm):
        try:
            for role in ("admin", "it", "finance"):
                await run(separations.set_owners, actor, role, getattr(form, role), now())
        except DomainError as error:
            self.owners_error = self._t(error.key, **error.params)
            return None
        self.owners_error = ""
        await self._refresh(actor)
        return rx.toast.success(self._t("checklist.owners_saved"))


def _template_form(template: rx.Var | None) -> rx.Component:
    get = (lambda k: template[k]) if template is not None else (lambda k: "")  # noqa: E731
    return rx.form(
        rx.vstack(
            rx.grid(
                rx.el.label(
                    rx.text(T("checklist.template_name_label"), size="2"),
                    rx.input(name="name", default_value=get("name"), max_length=64),
                    style=LABEL_STYLE,
                ),
                rx.el.label(
                    rx.text(T("field.department"), size="2"),
                    rx.el.select(
                        rx.el.option(T("checklist.any_department"), value=""),
                        rx.foreach(TemplatesState.departments, lambda d: rx.el.option(d["name"], value=d["id"])),
                        name="department",
                        default_value=get("department_id"),
                        style={"padding": "8px", "borderRadius": "6px"},
                    ),
                    style=LABEL_STYLE,
                ),
                rx.el.label(
                    rx.text(T("checklist.position_label"), size="2"),
                    rx.input(name="position", default_value=get("position"), max_length=64),
                    style=LABEL_STYLE,
                ),
                columns=rx.breakpoints(initial="1", md="3"),
                spacing="3",
                width="100%",
            ),
            rx.el.label(
                rx.hstack(
                    rx.checkbox(name="is_default", default_checked=get("is_default") != "", aria_label=T("checklist.is_default")),
                    rx.text(T("checklist.is_default"), size="2"),
                    align="center",
                ),
            ),
            rx.el.label(
                rx.text(T("checklist.items_label"), size="2"),
                rx.text_area(
                    name="items",
                    default_value=get("text") if template is not None else rules.DEFAULT_TEMPLATE,
                    rows="14",
                    width="100%",
                    font_family="monospace",
                ),
                rx.text(T("checklist.items_hint"), size="1", color_scheme="gray"),
                style=LABEL_STYLE,
            ),
            rx.cond(TemplatesState.error != "", rx.callout(TemplatesState.error, color_scheme="red", size="1", id="template-error")),
            rx.hstack(
                rx.button(T("employee.save"), type="submit", id="template-save"),
                rx.button(T("confirm.no"), type="button", variant="soft", color_scheme="gray", on_click=TemplatesState.cancel),
                spacing="2",
            ),
            width="100%",
            spacing="3",
        ),
        on_submit=TemplatesState.save,
        reset_on_submit=False,
        width="100%",
        key=TemplatesState.form_key,
    )


def _template_card(v: rx.Var) -> rx.Component:
    return card(
        rx.hstack(
            rx.heading(v["name"], size="4"),
            rx.cond(v["is_default"] != "", rx.badge(T("checklist.default_badge"), color_scheme="blue")),
            rx.spacer(),
            rx.button(T("directory.edit"), size="1", variant="soft", on_click=TemplatesState.edit(v["id"]), class_name="template-edit"),
            width="100%",
            align="center",
        ),
        rx.text(
            rx.cond(v["department"] != "", v["department"], T("checklist.any_department")),
            " · ",
            rx.cond(v["position"] != "", v["position"], T("checklist.any_position")),
            " · ",
            T_fmt("checklist.template_size", stages=v["stages"], items=v["items"]),
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            TemplatesState.editing == v["id"],
            _template_form(v),
            rx.el.pre(v["text"], style={"whiteSpace": "pre-wrap", "fontSize": "12px", "margin": 0}),
        ),
        class_name="checklist-template",
    )


def _owners_card() -> rx.Component:
    return card(
        rx.heading(T("checklist.owners_title"), size="4"),
        rx.text(T("checklist.owners_hint"), size="1", color_scheme="gray"),
        rx.form(
            rx.vstack(
                *(
                    rx.el.label(
                        rx.text(T("checklist.owner." + role), size="2", weight="medium"),
                        rx.input(name=role, default_value=TemplatesState.owners.get(role, ""), max_length=300, placeholder="E4005, E4006"),
                        rx.text(TemplatesState.owner_names.get(role, ""), size="1", color_scheme="gray"),
                        style=LABEL_STYLE,
                    )
                    for role in ("admin", "it", "finance")
                ),
                rx.cond(
                    TemplatesState.owners_error != "",
                    rx.callout(TemplatesState.owners_error, color_scheme="red", size="1", id="owners-error"),
                ),
                rx.button(T("employee.save"), type="submit", id="owners-save"),
                width="100%",
                spacing="3",
            ),
            on_submit=TemplatesState.save_owners,
            reset_on_submit=False,
            width="100%",
            key=TemplatesState.form_key,
        ),
        id="owners-card",
    )


def templates_page() -> rx.Component:
    return page(
        rx.link(T("separation.list_title"), href=routes.SEPARATIONS, size="2"),
        rx.text(T("checklist.templates_hint"), size="2", color_scheme="gray"),
        _owners_card(),
        rx.foreach(TemplatesState.templates, _template_card),
        rx.cond(
            TemplatesState.editing == "new",
            card(rx.heading(T("checklist.new_template"), size="4"), _template_form(None)),
            rx.button(
                rx.icon("plus", size=14),
                T("checklist.new_template"),
                variant="soft",
                on_click=TemplatesState.edit("new"),
                id="template-new",
            ),
        ),
        title_key="separation.templates_title",
        wide=True,
    )


# ---- the dashboard panel -----------------------------------------------------------------------


class SeparationPanelState(SessionState):
    numbers: dict[str, str] = {}
    stages: list[dict[str, str]] = []

    @handler(Role.hr)
    async def load(self, actor: Actor):
        p = await run(separations.panel, actor, now())
        en = self.lang == "en"
        self.numbers = {
            "waiting": str(p.waiting_manager),
            "overdue": str(p.overdue_items),
            "certificates": str(p.certificates_due),
            "transfers": str(p.transfers_due),
            "late": str(p.transfers_late),
        }
        self.stages = [{"stage": en_name if en else zh, "count": str(n)} for zh, en_name, n in p.by_stage]


def _number(key: str, label_key: str, colour: str) -> rx.Component:
    value = SeparationPanelState.numbers.get(key, "0")
    return rx.vstack(
        rx.text(value, size="6", weight="bold", color_scheme=rx.cond(value != "0", colour, "gray")),
        rx.text(T(label_key), size="1", color_scheme="gray"),
        spacing="0",
        align="center",
        class_name=f"separation-number-{key}",
    )


def separation_panel() -> rx.Component:
    return panel_frame(
        separation_dashboard.DEPARTURES,
        "dashboard.departures",
        rx.hstack(
            _number("waiting", "dashboard.departures_waiting", "amber"),
            _number("overdue", "dashboard.departures_overdue", "red"),
            _number("certificates", "dashboard.departures_certificates", "red"),
            _number("transfers", "dashboard.departures_transfers", "amber"),
            _number("late", "dashboard.departures_late", "red"),
            justify="between",
            width="100%",
            wrap="wrap",
        ),
        rx.foreach(
            SeparationPanelState.stages,
            lambda s: rx.hstack(
                rx.text(s["stage"], size="2"), rx.spacer(), rx.badge(s["count"]), width="100%", class_name="departure-stage"
            ),
        ),
        rx.link(T("separation.list_title"), href=routes.SEPARATIONS, size="2", id="departures-link"),
    )


register(UiPanel(separation_dashboard.DEPARTURES, 90, separation_panel, SeparationPanelState.load))
