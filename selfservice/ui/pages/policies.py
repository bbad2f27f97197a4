"""HR: policies (制度管理) — the list, the editor with its side-by-side diff, PDF upload and
publishing. Rules live in :mod:`selfservice.services.policies`."""

from __future__ import annotations

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.services import employees, policies
from selfservice.ui import routes
from selfservice.ui.components.shell import card, data_table, page, upload_zone
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_var
from selfservice.ui.session import SessionState

UPLOAD_ID = "policy-pdf"


class PolicyForm(Form):
    title_zh: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=200)
    body_kind: str = Field(default="markdown", max_length=16)
    body_markdown: str = Field(default="", max_length=200_000)
    audience: str = Field(default="everyone", max_length=16)
    people: str = Field(default="", max_length=5000)
    deadline: str = Field(default="", max_length=20)
    reminder_days: str = Field(default="3", max_length=4)
    requires_ack: str = Field(default="", max_length=4)  # a checked checkbox sends "on"


class PoliciesState(SessionState):
    rows: list[dict[str, str]] = []

    @handler(Role.hr, page_load=True)
    async def load(self, actor: Actor):
        rows = await run(policies.list_policies, actor)
        self.rows = [
            {
                "id": str(r.id),
                "title": r.title,
                "version": str(r.version) if r.version else "",
                "status": "draft" if not r.version else ("changed" if r.changed else "published"),
                "signed": f"{r.signed} / {r.assigned}" if r.requires_ack and r.version else "",
                "deadline": r.deadline,
            }
            for r in rows
        ]
        await self._fill_shell(actor)


class PolicyEditState(SessionState):
    """``_policy_id`` is a backend var: the browser cannot point a save at another policy."""

    values: dict[str, str] = {}
    departments: list[dict[str, str]] = []
    chosen_departments: list[str] = []
    versions: list[dict[str, str]] = []
    diff: list[dict[str, str]] = []
    changed: bool = False
    pdf_name: str = ""
    form_key: int = 0
    error: str = ""
    _policy_id: int = 0

    async def _show(self, actor: Actor) -> None:
        view = await run(policies.editor, actor, self._policy_id)
        people = await run(_employee_numbers, actor, view.audience_ids) if view.audience == "people" else ""
        self.values = {
            "title_zh": view.title_zh,
            "title_en": view.title_en,
            "body_kind": view.body_kind,
            "body_markdown": view.body_markdown,
            "audience": view.audience,
            "people": people,
            "deadline": view.deadline,
            "reminder_days": str(view.reminder_days),
            "requires_ack": "on" if view.requires_ack else "",
        }
        self.chosen_departments = [str(i) for i in view.audience_ids] if view.audience == "departments" else []
        self.versions = [{"id": str(v.id), "number": str(v.number), "at": v.published_at, "sha256": v.sha256} for v in view.versions]
        self.diff = [{"left": d.left, "right": d.right, "change": d.change} for d in view.diff]
        self.changed, self.pdf_name = view.changed, view.pdf_name
        self.form_key += 1

    @handler(Role.hr, page_load=True)
    async def load(self, actor: Actor):
        raw = self.router.url.query_parameters.get("id", "")
        self.error = ""
        options = await run(employees.departments, actor)
        self.departments = [{"id": str(d.id), "label": d.name_en if self.lang == "en" and d.name_en else d.name} for d in options]
        if raw.isdigit():
            self._policy_id = int(raw)
            await self._show(actor)
        else:
            self._policy_id = 0
            self.values = {"body_kind": "markdown", "audience": "everyone", "reminder_days": "3", "requires_ack": "on"}
            self.chosen_departments, self.versions, self.diff, self.changed, self.pdf_name = [], [], [], True, ""
            self.form_key += 1
        await self._fill_shell(actor)

    @handler(Role.hr)
    async def toggle_department(self, actor: Actor, department_id: str):
        if department_id in self.chosen_departments:
            self.chosen_departments = [d for d in self.chosen_departments if d != department_id]
        elif any(d["id"] == department_id for d in self.departments):
            self.chosen_departments = [*self.chosen_departments, department_id]

    @handler(Role.hr)
    async def set_audience(self, actor: Actor, audience: str):
        self.values = {**self.values, "audience": audience[:16]}

    @handler(Role.hr)
    async def set_body_kind(self, actor: Actor, kind: str):
        self.values = {**self.values, "body_kind": kind[:16]}

    async def _save(self, actor: Actor, form: PolicyForm) -> bool:
        raw = form.model_dump()
        self.values = {k: str(v) for k, v in raw.items()}
        try:
            ids = await run(_audience_ids, actor, form.audience, form.people, self.chosen_departments)
            raw.update(audience_ids=ids, requires_ack=form.requires_ack == "on")
            raw["reminder_days"] = int(form.reminder_days) if form.reminder_days.strip().isdigit() else -1
            self._policy_id = await run(policies.save_draft, actor, self._policy_id or None, raw, now())
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return False
        self.error = ""
        return True

    @handler(Role.hr)
    async def save(self, actor: Actor, form: PolicyForm):
        created = not self._policy_id
        if not await self._save(actor, form):
            return rx.toast.error(self.error)
        await self._show(actor)
        events = [rx.toast.success(self._t("policy.saved"))]
        if created:
            events.append(rx.redirect(f"{routes.POLICY_EDIT}?id={self._policy_id}"))
        return events

    @handler(Role.hr)
    async def publish(self, actor: Actor):
        if not self._policy_id:
            return rx.toast.error(self._t("policy.save_first"))
        try:
            number = await run(policies.publish, actor, self._policy_id, now())
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return rx.toast.error(self.error)
        await self._show(actor)
        return rx.toast.success(self._t("policy.published", number=number))

    @handler(Role.hr)
    async def upload_pdf(self, actor: Actor, files: list[rx.UploadFile]):
        if not self._policy_id:
            return [rx.toast.error(self._t("policy.save_first")), rx.clear_selected_files(UPLOAD_ID)]
        for upload in files[:1]:
            data = await upload.read(policies.MAX_PDF_BYTES + 1)
            try:
                await run(policies.attach_pdf, actor, self._policy_id, data, upload.filename or "policy.pdf", now())
            except DomainError as error:
                self.error = self._t(error.key, **error.params)
                return [rx.toast.error(self.error), rx.clear_selected_files(UPLOAD_ID)]
        self.error = ""
        await self._show(actor)
        return [rx.toast.success(self._t("policy.pdf_attached")), rx.clear_selected_files(UPLOAD_ID)]


def _employee_numbers(session, actor: Actor, ids: list[int]) -> str:
    from sqlmodel import select

    from selfservice.persistence.models import Employee

    if not ids:
        return ""
    return ", ".join(session.exec(select(Employee.employee_no).where(Employee.id.in_(ids)).order_by(Employee.employee_no)).all())  # type: ignore[attr-defined]


def _audience_ids(session, actor: Actor, audience: str, people: str, departments: list[str]) -> list[int]:
    """Department ids chosen, or the employee numbers typed (comma, space or newline separated)."""
    from sqlmodel import select

    from selfservice.domain.errors import ValidationFailed
    from selfservice.persistence.models import Employee

    if audience == "departments":
        return [int(d) for d in departments if d.isdigit()]
    if audience != "people":
        return []
    numbers = [n for n in people.replace(",", " ").replace("，", " ").split() if n]
    found = dict(session.exec(select(Employee.employee_no, Employee.id).where(Employee.employee_no.in_(numbers))).all()) if numbers else {}  # type: ignore[attr-defined]
    unknown = [n for n in numbers if n not in found]
    if unknown:
        raise ValidationFailed("policy.unknown_people", field="audience", numbers=", ".join(unknown[:5]))
    return [found[n] for n in numbers]


STATUS_COLOUR = {"draft": "gray", "published": "green", "changed": "amber"}


def policies_page() -> rx.Component:
    return page(
        rx.hstack(
            rx.text(T("policy.list_hint"), size="2", color_scheme="gray"),
            rx.spacer(),
            rx.link(rx.button(rx.icon("plus", size=16), T("policy.new"), size="2"), href=routes.POLICY_EDIT, id="policy-new"),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        card(
            data_table(
                ("policy.col.title", "policy.col.version", "policy.col.status", "policy.col.signed", "policy.col.deadline", ""),
                PoliciesState.rows,
                lambda r: rx.table.row(
                    rx.table.cell(r["title"]),
                    rx.table.cell(rx.cond(r["version"] != "", "v" + r["version"], "—")),
                    rx.table.cell(
                        rx.badge(
                            T_var("policy.status.", r["status"].to(str)),
                            color_scheme=rx.Var.create(STATUS_COLOUR).get(r["status"], "gray"),
                        )
                    ),
                    rx.table.cell(r["signed"]),
                    rx.table.cell(r["deadline"]),
                    rx.table.cell(rx.link(T("policy.edit"), href=f"{routes.POLICY_EDIT}?id=" + r["id"].to(str))),
                    class_name="policy-row",
                ),
            ),
            rx.cond(PoliciesState.rows.length() == 0, rx.text(T("policy.none"), size="2", color_scheme="gray")),
        ),
        title_key="policy.title",
        wide=True,
    )


def _field(label_key: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(T(label_key), size="2", weight="medium"), control, spacing="1", width="100%")


def _body() -> rx.Component:
    values = PolicyEditState.values
    return rx.vstack(
        rx.radio_group.root(
            rx.hstack(
                rx.el.label(
                    rx.radio_group.item(value="markdown", id="body-kind-markdown"),
                    T("policy.body.markdown"),
                    style={"display": "flex", "gap": "6px"},
                ),
                rx.el.label(
                    rx.radio_group.item(value="pdf", id="body-kind-pdf"), T("policy.body.pdf"), style={"display": "flex", "gap": "6px"}
                ),
                spacing="4",
            ),
            name="body_kind",
            value=values.get("body_kind", "markdown"),
            on_change=PolicyEditState.set_body_kind,
            aria_label=T("policy.body"),
        ),
        rx.cond(
            values.get("body_kind", "markdown") == "markdown",
            rx.text_area(
                name="body_markdown",
                default_value=values.get("body_markdown", ""),
                rows="16",
                width="100%",
                aria_label=T("policy.body.markdown"),
                placeholder=T("policy.body.placeholder"),
                font_family="monospace",
            ),
            rx.vstack(
                rx.el.input(type="hidden", name="body_markdown", value=values.get("body_markdown", "")),
                upload_zone(
                    rx.hstack(rx.icon("file-up", size=20), rx.text(T("policy.upload_pdf"), size="2"), align="center", spacing="2"),
                    upload_id=UPLOAD_ID,
                    accept={"application/pdf": [".pdf"]},
                    multiple=False,
                    max_files=1,
                    on_drop=PolicyEditState.upload_pdf(rx.upload_files(upload_id=UPLOAD_ID)),
                    border_radius="8px",
                ),
                rx.cond(
                    PolicyEditState.pdf_name != "",
                    rx.text(T("policy.pdf_current"), " ", PolicyEditState.pdf_name, size="2", id="policy-pdf-name"),
                ),
                width="100%",
            ),
        ),
        width="100%",
    )


def _audience() -> rx.Component:
    values = PolicyEditState.values
    return rx.vstack(
        rx.el.select(
            rx.el.option(T("policy.audience.everyone"), value="everyone"),
            rx.el.option(T("policy.audience.departments"), value="departments"),
            rx.el.option(T("policy.audience.people"), value="people"),
            name="audience",
            value=values.get("audience", "everyone"),
            on_change=PolicyEditState.set_audience,
            aria_label=T("policy.audience"),
            style={"width": "100%", "padding": "6px", "borderRadius": "6px"},
        ),
        rx.cond(
            values.get("audience", "") == "departments",
            rx.flex(
                rx.foreach(
                    PolicyEditState.departments,
                    lambda d: rx.el.label(
                        rx.checkbox(
                            checked=PolicyEditState.chosen_departments.contains(d["id"]),
                            on_change=lambda _v: PolicyEditState.toggle_department(d["id"]),
                            aria_label=d["label"],
                        ),
                        d["label"],
                        style={"display": "flex", "gap": "6px", "alignItems": "center"},
                    ),
                ),
                wrap="wrap",
                gap="3",
            ),
        ),
        rx.cond(
            values.get("audience", "") == "people",
            rx.text_area(
                name="people",
                default_value=values.get("people", ""),
                placeholder=T("policy.audience.people_hint"),
                aria_label=T("policy.audience.people"),
                rows="2",
                width="100%",
            ),
            rx.el.input(type="hidden", name="people", value=""),
        ),
        width="100%",
    )


def _diff() -> rx.Component:
    colour = {"added": "var(--green-a3)", "removed": "var(--red-a3)", "changed": "var(--amber-a3)", "same": "transparent"}
    return rx.cond(
        PolicyEditState.diff.length() > 0,
        card(
            rx.heading(T("policy.diff"), size="3"),
            rx.text(T("policy.diff_hint"), size="1", color_scheme="gray"),
            data_table(
                ("policy.diff.published", "policy.diff.draft"),
                PolicyEditState.diff,
                lambda d: rx.table.row(
                    rx.table.cell(
                        rx.el.pre(d["left"], style={"whiteSpace": "pre-wrap", "margin": 0}),
                        background=rx.Var.create(colour).get(d["change"], "transparent"),
                    ),
                    rx.table.cell(
                        rx.el.pre(d["right"], style={"whiteSpace": "pre-wrap", "margin": 0}),
                        background=rx.Var.create(colour).get(d["change"], "transparent"),
                    ),
                    class_name="diff-" + d["change"].to(str),
                ),
            ),
            id="policy-diff",
        ),
    )


def _versions() -> rx.Component:
    return card(
        rx.heading(T("policy.versions"), size="3"),
        rx.cond(PolicyEditState.versions.length() == 0, rx.text(T("policy.never_published"), size="2", color_scheme="gray")),
        rx.foreach(
            PolicyEditState.versions,
            lambda v: rx.hstack(
                rx.badge("v" + v["number"].to(str)),
                rx.text(v["at"], size="2"),
                rx.code(v["sha256"].to(str)[:16] + "…", size="1", title=v["sha256"]),
                rx.link(T("policy.preview"), href=f"{routes.POLICY_READ}?v=" + v["id"].to(str), size="2"),
                wrap="wrap",
                align="center",
                class_name="policy-version",
            ),
        ),
    )


def policy_edit_page() -> rx.Component:
    values = PolicyEditState.values
    form = rx.form(
        rx.vstack(
            rx.grid(
                _field(
                    "policy.title_zh",
                    rx.input(
                        name="title_zh",
                        default_value=values.get("title_zh", ""),
                        max_length=120,
                        width="100%",
                        aria_label=T("policy.title_zh"),
                    ),
                ),
                _field(
                    "policy.title_en",
                    rx.input(
                        name="title_en",
                        default_value=values.get("title_en", ""),
                        max_length=120,
                        width="100%",
                        aria_label=T("policy.title_en"),
                    ),
                ),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            _field("policy.body", _body()),
            _field("policy.audience", _audience()),
            rx.grid(
                _field(
                    "policy.deadline",
                    rx.input(
                        type="date",
                        name="deadline",
                        default_value=values.get("deadline", ""),
                        aria_label=T("policy.deadline"),
                    ),
                ),
                _field(
                    "policy.reminder_days",
                    rx.input(
                        type="number",
                        name="reminder_days",
                        min=1,
                        max=60,
                        default_value=values.get("reminder_days", "3"),
                        aria_label=T("policy.reminder_days"),
                    ),
                ),
                rx.el.label(
                    rx.el.input(
                        type="checkbox",
                        name="requires_ack",
                        default_checked=values.get("requires_ack", "") == "on",
                    ),
                    T("policy.requires_ack"),
                    style={"display": "flex", "gap": "8px", "alignItems": "center", "paddingTop": "1.6em"},
                ),
                columns=rx.breakpoints(initial="1", sm="3"),
                spacing="3",
                width="100%",
            ),
            rx.cond(
                PolicyEditState.error != "",
                rx.callout(PolicyEditState.error, icon="triangle_alert", color_scheme="red", size="1", id="policy-error"),
            ),
            rx.hstack(
                rx.button(T("policy.save"), type="submit", variant="soft", size="3", id="policy-save"),
                rx.button(
                    rx.icon("send", size=16),
                    T("policy.publish"),
                    type="button",
                    size="3",
                    on_click=PolicyEditState.publish,
                    disabled=~PolicyEditState.changed,
                    id="policy-publish",
                ),
                wrap="wrap",
            ),
            rx.text(T("policy.publish_hint"), size="1", color_scheme="gray"),
            spacing="4",
            width="100%",
        ),
        on_submit=PolicyEditState.save,
        reset_on_submit=False,
        key=PolicyEditState.form_key,
        width="100%",
    )
    return page(
        rx.link(T("policy.back"), href=routes.POLICIES, size="2"),
        card(form),
        _diff(),
        _versions(),
        title_key="policy.edit_title",
        wide=True,
    )
