"""HR: create or edit an employee, set a temporary password, deactivate / reactivate."""

from __future__ import annotations

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.services import auth, contacts, employees, signatures
from selfservice.ui import routes
from selfservice.ui.components.shell import card, page
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T
from selfservice.ui.pages.contact import history_card, history_rows
from selfservice.ui.session import SessionState

FIELDS = (
    "employee_no",
    "name",
    "name_en",
    "department",
    "manager_no",
    "position",
    "hire_date",
    "phone",
    "email",
    "role",
    "wecom_userid",
    "work_start_date",
    "child_births",
    "probation_end",
)


class EmployeeForm(Form):
    employee_no: str = Field(default="", max_length=32)
    name: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    department: str = Field(max_length=64)
    manager_no: str = Field(default="", max_length=32)
    position: str = Field(default="", max_length=200)
    hire_date: str = Field(max_length=20)
    phone: str = Field(max_length=32)
    email: str = Field(default="", max_length=254)
    role: str = Field(default="employee", max_length=16)
    password: str = Field(default="", max_length=128)
    wecom_userid: str = Field(default="", max_length=64)
    work_start_date: str = Field(default="", max_length=20)
    child_births: str = Field(default="", max_length=120)
    probation_end: str = Field(default="", max_length=20)


class PasswordForm(Form):
    new_password: str = Field(max_length=128)


class EmployeeFormState(SessionState):
    """``_employee_id`` is a backend var: the browser cannot point a save at another record."""

    editing: bool = False
    values: dict[str, str] = {}
    field_errors: dict[str, str] = {}
    active: bool = True
    departments: list[dict[str, str]] = []
    form_key: int = 0  # bumped whenever values change on the server, to remount the inputs
    contact_history: list[dict[str, str]] = []
    signed: list[dict[str, str]] = []
    annual_lines: list[str] = []  # how this year's annual leave is computed (what the employee sees)
    _employee_id: int = 0
    _account_id: int = 0

    async def _load_history(self, actor: Actor) -> None:
        from selfservice.services import approvals, leave_balances
        from selfservice.ui.pages.home import annual_lines

        explained = await run(leave_balances.annual_explanation, actor, self._employee_id, approvals.local_today(now()).year)
        self.annual_lines = [] if explained is None else annual_lines(explained, self._t)
        signed = await run(signatures.of_employee, actor, self._employee_id, now())
        self.signed = [{"document": r.document, "at": r.signed_at, "receipt": r.receipt_url, "verify": r.verify_url} for r in signed]
        rows = await run(contacts.history, actor, self._employee_id, 100)
        self.contact_history = history_rows(rows)

    async def _load_departments(self, actor: Actor) -> None:
        options = await run(employees.departments, actor)
        self.departments = [{"code": d.code, "label": f"{d.name} / {d.name_en}"} for d in options]

    @handler(Role.hr, page_load=True)
    async def load_new(self, actor: Actor):
        self.editing, self._employee_id, self._account_id, self.active = False, 0, 0, True
        self.values = {k: "" for k in FIELDS} | {"role": "employee"}
        self.field_errors = {}
        self.form_key += 1
        await self._load_departments(actor)
        await self._fill_shell(actor)

    @handler(Role.hr, page_load=True)
    async def load_edit(self, actor: Actor):
        raw_id = self.router.url.query_parameters.get("id", "")
        if not raw_id.isdigit():
            return rx.redirect(routes.DIRECTORY)
        view = await run(employees.edit_view, actor, int(raw_id))
        self.editing, self._employee_id, self._account_id = True, view.id, view.account_id
        self.values, self.active, self.field_errors = view.values, view.active, {}
        self.form_key += 1
        await self._load_history(actor)
        await self._load_departments(actor)
        await self._fill_shell(actor)

    @handler(Role.hr)
    async def save(self, actor: Actor, form: EmployeeForm):
        raw = form.model_dump()
        password = raw.pop("password")
        self.values = {k: raw.get(k, "") for k in FIELDS} | ({"employee_no": self.values.get("employee_no", "")} if self.editing else {})
        try:
            if self.editing:
                await run(employees.update, actor, self._employee_id, raw, now())
                message = "employee.saved"
            else:
                self._employee_id = await run(employees.create, actor, raw, password, now())
                message = "employee.created"
        except employees.InvalidEmployee as error:
            self.field_errors = {e.field: self._t(e.key, **e.params) for e in error.errors}
            self.form_key += 1
            return rx.toast.error(self._t("employee.invalid"))
        self.field_errors = {}
        if self.editing:
            view = await run(employees.edit_view, actor, self._employee_id)
            self.values = view.values
            self.form_key += 1
            await self._load_history(actor)
        if not self.editing:
            return [rx.toast.success(self._t(message)), rx.redirect(f"{routes.EMPLOYEE_EDIT}?id={self._employee_id}")]
        return rx.toast.success(self._t(message))

    @handler(Role.hr)
    async def toggle_active(self, actor: Actor):
        if not self.editing:
            return
        await run(employees.set_active, actor, self._employee_id, not self.active, now())
        self.active = not self.active
        return rx.toast.success(self._t("employee.activated" if self.active else "employee.deactivated"))

    @handler(Role.hr)
    async def set_password(self, actor: Actor, form: PasswordForm):
        if not self._account_id:
            return
        try:
            await run(auth.set_password, actor, self._account_id, form.new_password, now())
        except DomainError as error:
            return rx.toast.error(self._t(error.key, **error.params))
        return rx.toast.success(self._t("employee.password_set"))


def _labelled(key: str, control: rx.Component) -> rx.Component:
    """A form control with its label above and its server-side error below."""
    return rx.vstack(
        rx.text(T(f"field.{key}"), size="2"),
        control,
        rx.cond(
            EmployeeFormState.field_errors.contains(key),
            rx.text(EmployeeFormState.field_errors.get(key, ""), color_scheme="red", size="1", id=f"error-{key}"),
        ),
        spacing="1",
        width="100%",
    )


def _input(key: str, **props) -> rx.Component:
    return _labelled(
        key, rx.input(name=key, default_value=EmployeeFormState.values.get(key, ""), aria_label=T(f"field.{key}"), width="100%", **props)
    )


def _select(key: str, *options: rx.Component) -> rx.Component:
    return _labelled(
        key,
        rx.el.select(
            *options,
            name=key,
            aria_label=T(f"field.{key}"),
            default_value=EmployeeFormState.values.get(key, ""),
            key=EmployeeFormState.values.get(key, "") + f"-{key}",
            style={"width": "100%", "padding": "6px", "borderRadius": "6px"},
        ),
    )


def _form() -> rx.Component:
    return rx.form(
        rx.grid(
            _input("employee_no", max_length=32, read_only=EmployeeFormState.editing),
            _input("name", max_length=64),
            _input("name_en", max_length=64),
            _select("department", rx.foreach(EmployeeFormState.departments, lambda d: rx.el.option(d["label"], value=d["code"]))),
            _input("manager_no", max_length=32),
            _input("position", max_length=64),
            _input("hire_date", type="date"),
            _input("work_start_date", type="date"),
            _input("child_births", max_length=120, placeholder=T("field.child_births_hint")),
            _input("probation_end", type="date"),
            _input("phone", type="tel", max_length=20),
            _input("email", type="email", max_length=254),
            _input("wecom_userid", max_length=64, placeholder=T("field.wecom_userid_hint")),
            _select("role", *(rx.el.option(T(f"role.{role}"), value=role) for role in ("employee", "manager", "hr", "admin"))),
            rx.cond(~EmployeeFormState.editing, _input("password", type="password", max_length=128), rx.fragment()),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        rx.button(T("employee.save"), type="submit", size="3", margin_top="1em", id="employee-save"),
        on_submit=EmployeeFormState.save,
        reset_on_submit=False,
        key=EmployeeFormState.form_key,
        width="100%",
    )


def _account_actions() -> rx.Component:
    return card(
        rx.form(
            rx.hstack(
                rx.input(
                    name="new_password",
                    type="password",
                    placeholder=T("employee.new_password"),
                    aria_label=T("employee.new_password"),
                    max_length=128,
                ),
                rx.button(T("employee.set_password"), type="submit", variant="soft"),
                wrap="wrap",
            ),
            on_submit=EmployeeFormState.set_password,
            reset_on_submit=True,
        ),
        rx.button(
            rx.cond(EmployeeFormState.active, T("employee.deactivate"), T("employee.activate")),
            color_scheme=rx.cond(EmployeeFormState.active, "red", "green"),
            variant="soft",
            on_click=EmployeeFormState.toggle_active,
            id="employee-toggle-active",
        ),
    )


def employee_new_page() -> rx.Component:
    return page(card(_form()), title_key="employee.new_title")


def _signed() -> rx.Component:
    return card(
        rx.heading(T("employee.signed"), size="4"),
        rx.cond(EmployeeFormState.signed.length() == 0, rx.text(T("employee.nothing_signed"), size="2", color_scheme="gray")),
        rx.foreach(
            EmployeeFormState.signed,
            lambda r: rx.hstack(
                rx.text(r["document"], size="2", weight="medium"),
                rx.text(r["at"], size="2", color_scheme="gray"),
                rx.link(T("sign.receipt"), href=r["receipt"], size="2"),
                rx.link(T("sign.verify"), href=r["verify"], size="2"),
                wrap="wrap",
                align="center",
                class_name="signed-row",
            ),
        ),
        id="employee-signed",
    )


def _annual() -> rx.Component:
    return rx.cond(
        EmployeeFormState.annual_lines.length() > 0,
        card(
            rx.heading(T("annual.how"), size="4"),
            rx.foreach(EmployeeFormState.annual_lines, lambda line: rx.text(line, size="2")),
            id="employee-annual-how",
        ),
    )


def employee_edit_page() -> rx.Component:
    return page(
        card(_form()),
        _annual(),
        _account_actions(),
        _signed(),
        history_card(EmployeeFormState.contact_history, id="employee-contact-history"),
        title_key="employee.edit_title",
    )
