"""HR employee directory (员工名录): search by name, number or department, paged."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor, Role
from selfservice.services import employees
from selfservice.ui import routes
from selfservice.ui.components.shell import data_table, page
from selfservice.ui.guard import Form, handler, run
from selfservice.ui.i18n import T, T_fmt, T_var
from selfservice.ui.session import SessionState


class SearchForm(Form):
    query: str = Field(default="", max_length=64)


class DirectoryState(SessionState):
    rows: list[dict[str, str]] = []
    departments: list[dict[str, str]] = []
    query: str = ""
    department_id: str = ""
    page: int = 1
    pages: int = 1
    total: int = 0

    @rx.var
    def department_choice(self) -> str:
        """What the department picker shows: the filter in force, or "all" (never out of step)."""
        return self.department_id or "all"

    async def _refresh(self, actor: Actor) -> None:
        department = int(self.department_id) if self.department_id.isdigit() else None
        result = await run(employees.search, actor, self.query, department, self.page)
        self.rows = [{k: str(v) for k, v in asdict(row).items()} for row in result.rows]
        self.total, self.page, self.pages = result.total, result.page, result.pages

    @handler(Role.manager, page_load=True)
    async def load(self, actor: Actor):
        options = await run(employees.departments, actor)
        self.departments = [{"id": str(d.id), "name": d.name, "name_en": d.name_en or d.name} for d in options]
        self.page = 1
        await self._refresh(actor)
        await self._fill_shell(actor)

    @handler(Role.manager)
    async def search(self, actor: Actor, form: SearchForm):
        self.query, self.page = form.query.strip(), 1
        await self._refresh(actor)

    @handler(Role.manager)
    async def filter_department(self, actor: Actor, department_id: str):
        self.department_id = department_id if department_id.isdigit() else ""
        self.page = 1
        await self._refresh(actor)

    @handler(Role.manager)
    async def go_page(self, actor: Actor, page: int):
        self.page = page
        await self._refresh(actor)


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["employee_no"]),
        rx.table.cell(rx.cond(SessionState.lang == "en", rx.cond(row["name_en"] != "", row["name_en"], row["name"]), row["name"])),
        rx.table.cell(rx.cond(SessionState.lang == "en", row["department_en"], row["department"])),
        rx.table.cell(row["manager"]),
        rx.table.cell(rx.badge(T_var("status.", row["status"].to(str)), color_scheme=rx.cond(row["status"] == "active", "green", "gray"))),
        rx.table.cell(
            rx.cond(SessionState.is_hr_plus, rx.link(T("directory.edit"), href=routes.EMPLOYEE_EDIT + "?id=" + row["id"].to(str)))
        ),
        class_name="directory-row",
    )


def directory_page() -> rx.Component:
    return page(
        rx.hstack(
            rx.form(
                rx.hstack(
                    rx.input(
                        name="query", placeholder=T("directory.search"), aria_label=T("directory.search"), max_length=64, width="100%"
                    ),
                    rx.button(rx.icon("search", size=16), type="submit", id="directory-search-submit", aria_label=T("directory.search")),
                    width="100%",
                ),
                on_submit=DirectoryState.search,
                reset_on_submit=False,
                flex="1",
                min_width="240px",
            ),
            rx.select.root(
                rx.select.trigger(aria_label=T("field.department"), id="directory-department"),
                rx.select.content(
                    rx.select.item(T("directory.all_departments"), value="all"),
                    rx.foreach(
                        DirectoryState.departments,
                        lambda d: rx.select.item(rx.cond(SessionState.lang == "en", d["name_en"], d["name"]), value=d["id"]),
                    ),
                ),
                value=DirectoryState.department_choice,
                on_change=DirectoryState.filter_department,
            ),
            rx.cond(
                SessionState.is_hr_plus,
                rx.hstack(
                    rx.link(rx.button(rx.icon("user-plus", size=16), T("directory.new"), variant="soft"), href=routes.EMPLOYEE_NEW),
                    rx.link(rx.button(rx.icon("upload", size=16), T("nav.import"), variant="soft"), href=routes.IMPORT),
                ),
            ),
            wrap="wrap",
            width="100%",
            spacing="2",
        ),
        rx.text(
            T_fmt("directory.total", total=DirectoryState.total),
            size="2",
            color_scheme="gray",
            id="directory-total",
        ),
        data_table(("field.employee_no", "field.name", "field.department", "field.manager", "field.status", ""), DirectoryState.rows, _row),
        rx.cond(DirectoryState.total == 0, rx.text(T("directory.empty"), color_scheme="gray")),
        rx.hstack(
            rx.button(
                T("directory.prev"),
                on_click=DirectoryState.go_page(DirectoryState.page - 1),
                disabled=DirectoryState.page <= 1,
                variant="soft",
                id="directory-prev",
            ),
            rx.text(T_fmt("directory.page", page=DirectoryState.page, pages=DirectoryState.pages), size="2", id="directory-page"),
            rx.button(
                T("directory.next"),
                on_click=DirectoryState.go_page(DirectoryState.page + 1),
                disabled=DirectoryState.page >= DirectoryState.pages,
                variant="soft",
                id="directory-next",
            ),
            align="center",
            spacing="3",
        ),
        title_key="directory.title",
    )
