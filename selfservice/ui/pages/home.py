"""Employee home (我的主页): the employee's own profile, read-only for now."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx

from selfservice.domain.actor import Actor
from selfservice.services import approvals, employees, leave_balances
from selfservice.ui import routes
from selfservice.ui.components.shell import card, data_table, field_row, page
from selfservice.ui.guard import handler, now, run
from selfservice.ui.i18n import T, T_var
from selfservice.ui.session import SessionState


class HomeState(SessionState):
    profile: dict[str, str] = {}
    balances: list[dict[str, str]] = []
    to_approve: int = 0

    @handler()
    async def load(self, actor: Actor):
        view = await run(employees.profile, actor, actor.employee_id)
        self.profile = {k: str(v) for k, v in asdict(view).items()}
        rows = await run(leave_balances.balances, actor, actor.employee_id, now().year)
        self.balances = [{k: str(v) for k, v in asdict(r).items()} for r in rows]
        self.to_approve = len(await run(approvals.pending_for, actor))
        await self._fill_shell(actor)


def _value(key: str) -> rx.Var:
    value = HomeState.profile.get(key, "")
    return rx.cond(value != "", value, T("home.not_set"))


def home_page() -> rx.Component:
    name = rx.cond(
        (SessionState.lang == "en") & (HomeState.profile.get("name_en", "") != ""),
        HomeState.profile.get("name_en", ""),
        HomeState.profile.get("name", ""),
    )
    department = rx.cond(SessionState.lang == "en", HomeState.profile.get("department_en", ""), HomeState.profile.get("department", ""))
    return page(
        rx.vstack(
            rx.heading(name, size="6", id="home-name"),
            rx.hstack(
                rx.badge(T_var("role." + HomeState.profile.get("role", "employee").to(str)), size="2", id="home-role"),
                rx.text(HomeState.profile.get("position", ""), color_scheme="gray", size="2"),
                spacing="2",
            ),
            spacing="1",
        ),
        rx.hstack(
            rx.link(
                rx.button(rx.icon("calendar-plus", size=18), T("leave.request_title"), size="3", width="100%"),
                href=routes.LEAVE,
                width="100%",
                id="home-request-leave",
            ),
            rx.cond(
                HomeState.to_approve > 0,
                rx.link(
                    rx.button(
                        rx.icon("list-checks", size=18),
                        T("approval.title"),
                        rx.badge(HomeState.to_approve, color_scheme="red", variant="solid"),
                        size="3",
                        variant="soft",
                        width="100%",
                    ),
                    href=routes.APPROVALS,
                    width="100%",
                    id="home-approvals",
                ),
            ),
            width="100%",
            spacing="2",
        ),
        card(
            rx.heading(T("home.title"), size="3"),
            field_row("field.employee_no", HomeState.profile.get("employee_no", ""), "home-employee-no"),
            field_row("field.department", department, "home-department"),
            field_row("field.manager", _value("manager"), "home-manager"),
            field_row("field.hire_date", HomeState.profile.get("hire_date", "")),
        ),
        rx.cond(
            HomeState.balances.length() > 0,
            card(
                rx.heading(T("leave.balances"), size="3"),
                data_table(
                    ("leave.type", "leave.granted", "leave.used", "leave.balance"),
                    HomeState.balances,
                    lambda b: rx.table.row(
                        rx.table.cell(rx.cond(SessionState.lang == "en", b["name_en"], b["name"])),
                        rx.table.cell(b["granted"]),
                        rx.table.cell(b["used"]),
                        rx.table.cell(rx.text(b["balance"], weight="bold")),
                        class_name="balance-row",
                    ),
                ),
            ),
        ),
        card(
            rx.heading(T("home.contact_title"), size="3"),
            field_row("field.phone", _value("phone"), "home-phone"),
            field_row("field.email", _value("email")),
            field_row("field.address", _value("address")),
            field_row(
                "field.emergency_contact",
                rx.cond(
                    HomeState.profile.get("emergency_contact_name", "") != "",
                    HomeState.profile.get("emergency_contact_name", "") + " " + HomeState.profile.get("emergency_contact_phone", ""),
                    T("home.not_set"),
                ),
            ),
            rx.text(T("home.contact_readonly"), size="1", color_scheme="gray"),
        ),
    )
