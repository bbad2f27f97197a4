"""Team / company leave calendar (请假日历): who is away in a month. Managers see their reports,
HR the whole company and can export balances and taken leave to Excel."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

import reflex as rx

from selfservice.domain.actor import Actor, Role
from selfservice.services import approvals, leave_requests, work_calendar
from selfservice.ui.components.shell import card, data_table, page
from selfservice.ui.guard import handler, now, run
from selfservice.ui.i18n import T, T_var
from selfservice.ui.session import SessionState


def _month_bounds(month: str) -> tuple[date, date]:
    first = date.fromisoformat(month + "-01")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def month_grid(first: date, last: date, absences: list[leave_requests.Absence], is_workday) -> list[list[str]]:  # noqa: ANN001
    """One row per absence: its label, then one mark per day of the month: "" (not away),
    "rest" (a rest day), or the status, with "-half" when only half of that day is taken."""
    grid = []
    for a in absences:
        start, end = date.fromisoformat(a.start), date.fromisoformat(a.end)
        row = [f"{a.employee}|{a.type_name}|{a.type_name_en}"]
        day = first
        while day <= last:
            if not is_workday(day):
                mark = "rest"
            elif start <= day <= end:
                half = (day == start and a.start_half == "pm") or (day == end and a.end_half == "am")
                mark = a.status if a.status == "approved" else "pending"
                mark += "-half" if half else ""
            else:
                mark = ""
            row.append(mark)
            day += timedelta(days=1)
        grid.append(row)
    return grid


class LeaveCalendarState(SessionState):
    month: str = ""
    rows: list[dict[str, str]] = []
    days: list[str] = []
    grid: list[list[str]] = []

    async def _refresh(self, actor: Actor) -> None:
        first, last = _month_bounds(self.month)
        absences = await run(leave_requests.absences, actor, first, last)
        calendar = await run(work_calendar.load, first, last)
        self.rows = [{k: str(v) for k, v in asdict(a).items()} for a in absences]
        self.days = [f"{d}|{'' if calendar.is_workday(first + timedelta(days=d - 1)) else 'rest'}" for d in range(1, last.day + 1)]
        self.grid = month_grid(first, last, absences, calendar.is_workday)

    @handler(Role.manager, page_load=True)
    async def load(self, actor: Actor):
        self.month = approvals.local_today(now()).strftime("%Y-%m")
        await self._refresh(actor)
        await self._fill_shell(actor)

    @handler(Role.manager)
    async def shift(self, actor: Actor, months: int):
        if months not in (-1, 1):
            return
        first, last = _month_bounds(self.month)
        target = (first - timedelta(days=1)) if months < 0 else (last + timedelta(days=1))
        if not 2000 <= target.year <= 2100:
            return
        self.month = target.strftime("%Y-%m")
        await self._refresh(actor)

    @handler(Role.hr)
    async def export(self, actor: Actor):
        year = int(self.month[:4]) if self.month[:4].isdigit() else now().year
        data = await run(leave_requests.report_xlsx, actor, year, self.lang, now())
        return rx.download(data=data, filename=f"leave-report-{year}.xlsx")


def _row(a: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(a["employee"]),
        rx.table.cell(rx.cond(SessionState.lang == "en", a["department_en"], a["department"])),
        rx.table.cell(rx.cond(SessionState.lang == "en", a["type_name_en"], a["type_name"])),
        rx.table.cell(a["start"], " ", T_var("calendar.", a["start_half"].to(str))),
        rx.table.cell(a["end"], " ", T_var("calendar.", a["end_half"].to(str))),
        rx.table.cell(a["days"]),
        rx.table.cell(
            rx.badge(T_var("leave.status.", a["status"].to(str)), color_scheme=rx.cond(a["status"] == "approved", "green", "orange"))
        ),
        class_name="absence-row",
    )


CELL = {"width": "18px", "minWidth": "18px", "height": "18px", "borderRadius": "3px"}
COLOURS = {
    "approved": "var(--green-9)",
    "approved-half": "linear-gradient(135deg, var(--green-9) 50%, transparent 50%)",
    "pending": "var(--orange-8)",
    "pending-half": "linear-gradient(135deg, var(--orange-8) 50%, transparent 50%)",
    "rest": "var(--gray-a4)",
}


def _cell(mark: rx.Var) -> rx.Component:
    return rx.box(style={**CELL, "background": rx.Var.create(COLOURS).get(mark, "var(--gray-a2)")}, class_name="grid-cell-" + mark.to(str))


def _grid_row(row: rx.Var) -> rx.Component:
    label = row[0].to(str).split("|")
    return rx.hstack(
        rx.text(
            label[0],
            " ",
            rx.cond(SessionState.lang == "en", label[2], label[1]),
            size="1",
            min_width="120px",
            max_width="120px",
            overflow="hidden",
            white_space="nowrap",
        ),
        rx.foreach(row[1:].to(list[str]), _cell),
        spacing="1",
        class_name="absence-grid-row",
    )


def _grid() -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.box(min_width="120px", max_width="120px", overflow="hidden"),
                rx.foreach(
                    LeaveCalendarState.days,
                    lambda d: rx.text(
                        d.split("|")[0],
                        size="1",
                        align="center",
                        style={**CELL, "color": rx.cond(d.split("|")[1] == "rest", "var(--gray-9)", "inherit")},
                    ),
                ),
                spacing="1",
            ),
            rx.foreach(LeaveCalendarState.grid, _grid_row),
            spacing="1",
        ),
        overflow_x="auto",
        tab_index=0,  # keyboard users can scroll it
        width="100%",
        padding_bottom="4px",
    )


def leave_calendar_page() -> rx.Component:
    return page(
        rx.hstack(
            rx.button("‹", variant="soft", on_click=LeaveCalendarState.shift(-1), id="absences-prev"),
            rx.heading(LeaveCalendarState.month, size="4", id="absences-month"),
            rx.button("›", variant="soft", on_click=LeaveCalendarState.shift(1), id="absences-next"),
            rx.spacer(),
            rx.cond(
                SessionState.is_hr_plus,
                rx.button(
                    rx.icon("download", size=16), T("leave.export"), variant="soft", on_click=LeaveCalendarState.export, id="leave-export"
                ),
            ),
            align="center",
            width="100%",
        ),
        card(
            rx.cond(LeaveCalendarState.rows.length() == 0, rx.text(T("leave.nobody_away"), color_scheme="gray"), _grid()),
            data_table(
                ("field.name", "field.department", "leave.type", "leave.from", "leave.to", "leave.days", "leave.status_label"),
                LeaveCalendarState.rows,
                _row,
                white_space="nowrap",
            ),
        ),
        title_key="leave.calendar_title",
    )
