"""Work calendar (工作日历): everyone sees holidays and swapped workdays and can count leave
days; HR loads the statutory calendar and edits days for years the package does not cover."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.services import work_calendar
from selfservice.ui.components.shell import card, data_table, page
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_fmt, T_var
from selfservice.ui.session import SessionState

WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class DayForm(Form):
    day: str = Field(max_length=10)
    kind: str = Field(default="", max_length=16)
    name: str = Field(default="", max_length=64)


class CountForm(Form):
    start: str = Field(max_length=10)
    start_half: str = Field(default="am", max_length=2)
    end: str = Field(max_length=10)
    end_half: str = Field(default="pm", max_length=2)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class NoticeForm(Form):
    year: str = Field(max_length=4)
    notice: str = Field(default="", max_length=20_000)


class CalendarState(SessionState):
    year: int = 2026
    rows: list[dict[str, str]] = []
    days: str = ""
    count_error: str = ""
    notice_rows: list[dict[str, str]] = []
    notice_errors: list[str] = []
    notice_year: str = ""
    _notice_text: str = ""

    async def _refresh(self, actor: Actor) -> None:
        rows = await run(work_calendar.year_rows, actor, self.year)
        self.rows = [
            {**{k: str(v) for k, v in asdict(r).items()}, "weekday_zh": "周" + WEEKDAYS_ZH[r.weekday], "weekday_en": WEEKDAYS_EN[r.weekday]}
            for r in rows
        ]

    @handler(page_load=True)
    async def load(self, actor: Actor):
        self.year = now().year
        await self._refresh(actor)
        await self._fill_shell(actor)

    @handler()
    async def show_year(self, actor: Actor, year: int):
        if not 2000 <= year <= 2100:
            return rx.toast.error(self._t("calendar.year_range", min=2000, max=2100))
        self.year = year
        await self._refresh(actor)

    @handler(Role.hr)
    async def preview_notice(self, actor: Actor, form: NoticeForm):
        """Check a pasted notice and show the days it would enter (nothing saved yet)."""
        if not form.year.isdigit():
            return rx.toast.error(self._t("calendar.year_range", min=2000, max=2100))
        preview = await run(work_calendar.preview_notice, actor, int(form.year), form.notice)
        self.notice_year, self._notice_text = form.year, form.notice
        self.notice_rows = [
            {**{k: str(v) for k, v in asdict(r).items()}, "weekday_zh": "周" + WEEKDAYS_ZH[r.weekday], "weekday_en": WEEKDAYS_EN[r.weekday]}
            for r in preview.rows
        ]
        self.notice_errors = [self._t("calendar.notice_line", line=line) + self._t(key, text=text) for line, key, text in preview.errors]

    @handler(Role.hr)
    async def save_notice(self, actor: Actor):
        if not self.notice_year or self.notice_errors or not self.notice_rows:
            return rx.toast.error(self._t("calendar.notice_preview_first"))
        count = await run(work_calendar.save_notice, actor, int(self.notice_year), self._notice_text, now())
        self.year = int(self.notice_year)
        self.notice_rows, self.notice_errors, self.notice_year, self._notice_text = [], [], "", ""
        await self._refresh(actor)
        return rx.toast.success(self._t("calendar.notice_saved", count=count, year=self.year))

    @handler(Role.hr)
    async def load_statutory(self, actor: Actor):
        count = await run(work_calendar.load_statutory, actor, self.year, now())
        await self._refresh(actor)
        return rx.toast.success(self._t("calendar.loaded", count=count))

    @handler(Role.hr)
    async def set_day(self, actor: Actor, form: DayForm):
        day = _date(form.day)
        if day is None:
            return rx.toast.error(self._t("field.date_format", value=form.day[:10]))
        await run(work_calendar.set_day, actor, day, form.kind, form.name, now())
        self.year = day.year
        await self._refresh(actor)
        return rx.toast.success(self._t("calendar.saved"))

    @handler()
    async def count(self, actor: Actor, form: CountForm):
        start, end = _date(form.start), _date(form.end)
        self.days, self.count_error = "", ""
        if start is None or end is None:
            self.count_error = self._t("field.date_format", value=(form.start if start is None else form.end)[:10])
            return
        try:
            days = await run(work_calendar.count_leave_days, actor, start, form.start_half, end, form.end_half)
        except DomainError as error:
            self.count_error = self._t(error.key, **error.params)
            return
        self.days = f"{days.normalize():f}"


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["day"]),
        rx.table.cell(rx.cond(SessionState.lang == "en", row["weekday_en"], row["weekday_zh"])),
        rx.table.cell(rx.badge(T_var("calendar.", row["kind"].to(str)), color_scheme=rx.cond(row["kind"] == "holiday", "red", "blue"))),
        rx.table.cell(rx.cond(SessionState.lang == "en", row["name_en"], row["name"])),
        rx.table.cell(T_var("calendar.", row["source"].to(str))),
        class_name="calendar-row",
    )


def _select(name: str, options: tuple[tuple[str, str], ...], aria: str) -> rx.Component:
    return rx.el.select(
        *(rx.el.option(T(label), value=value) for value, label in options),
        name=name,
        aria_label=T(aria),
        style={"padding": "6px", "borderRadius": "6px"},
    )


def _counter() -> rx.Component:
    halves = (("am", "calendar.am"), ("pm", "calendar.pm"))
    return card(
        rx.heading(T("calendar.counter"), size="3"),
        rx.form(
            rx.hstack(
                rx.text(T("calendar.from"), size="2"),
                rx.input(name="start", type="date", aria_label=T("calendar.from")),
                _select("start_half", halves, "calendar.from"),
                rx.text(T("calendar.to"), size="2"),
                rx.input(name="end", type="date", aria_label=T("calendar.to")),
                _select("end_half", (("pm", "calendar.pm"), ("am", "calendar.am")), "calendar.to"),
                rx.button(T("calendar.count"), type="submit", id="calendar-count"),
                wrap="wrap",
                align="center",
                spacing="2",
            ),
            on_submit=CalendarState.count,
            reset_on_submit=False,
        ),
        rx.cond(CalendarState.days != "", rx.text(T_fmt("calendar.days", days=CalendarState.days), weight="bold", id="calendar-days")),
        rx.cond(CalendarState.count_error != "", rx.text(CalendarState.count_error, color_scheme="red", id="calendar-count-error")),
    )


def _hr_tools() -> rx.Component:
    return card(
        rx.button(T("calendar.load_statutory"), on_click=CalendarState.load_statutory, variant="soft", id="calendar-load-statutory"),
        rx.form(
            rx.hstack(
                rx.input(name="day", type="date", aria_label=T("attendance.col.day")),
                _select(
                    "kind",
                    (("holiday", "calendar.holiday"), ("swapped_workday", "calendar.swapped_workday"), ("", "calendar.clear")),
                    "attendance.col.kind",
                ),
                rx.input(name="name", placeholder=T("calendar.name"), aria_label=T("calendar.name"), max_length=64),
                rx.button(T("calendar.set"), type="submit", id="calendar-set"),
                wrap="wrap",
                spacing="2",
            ),
            on_submit=CalendarState.set_day,
            reset_on_submit=True,
        ),
    )


def _notice_tool() -> rx.Component:
    """HR enters a whole year at once: paste the State Council's notice, preview, save."""
    return card(
        rx.heading(T("calendar.notice_title"), size="3"),
        rx.text(T("calendar.notice_hint"), size="1", color_scheme="gray"),
        rx.form(
            rx.vstack(
                rx.el.label(
                    rx.text(T("calendar.notice_year"), size="2"),
                    rx.input(name="year", type="number", min=2000, max=2100, default_value=(CalendarState.year + 1).to(str), width="8em"),
                    style={"display": "flex", "gap": "8px", "alignItems": "center"},
                ),
                rx.text_area(
                    name="notice",
                    rows="8",
                    width="100%",
                    aria_label=T("calendar.notice_title"),
                    placeholder="一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n二、春节：……2月20日（周六）上班。",
                ),
                rx.button(T("calendar.notice_preview"), type="submit", variant="soft", id="notice-preview"),
                width="100%",
            ),
            on_submit=CalendarState.preview_notice,
            reset_on_submit=False,
        ),
        rx.foreach(CalendarState.notice_errors, lambda e: rx.text(e, color_scheme="red", size="2", class_name="notice-error")),
        rx.cond(
            CalendarState.notice_rows.length() > 0,
            rx.vstack(
                data_table(
                    ("calendar.day", "calendar.weekday", "calendar.kind", "calendar.name"),
                    CalendarState.notice_rows,
                    _notice_row,
                    white_space="nowrap",
                ),
                rx.button(
                    T_fmt("calendar.notice_save", year=CalendarState.notice_year),
                    on_click=CalendarState.save_notice,
                    disabled=CalendarState.notice_errors.length() > 0,
                    id="notice-save",
                ),
                width="100%",
            ),
        ),
        id="calendar-notice",
    )


def _notice_row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["day"]),
        rx.table.cell(rx.cond(SessionState.lang == "en", r["weekday_en"], r["weekday_zh"])),
        rx.table.cell(T_var("calendar.", r["kind"].to(str))),
        rx.table.cell(rx.cond(SessionState.lang == "en", r["name_en"], r["name"])),
        class_name="notice-row",
    )


def calendar_page() -> rx.Component:
    return page(
        rx.hstack(
            rx.button("‹", variant="soft", on_click=CalendarState.show_year(CalendarState.year - 1), id="calendar-prev"),
            rx.heading(CalendarState.year, size="4", id="calendar-year"),
            rx.button("›", variant="soft", on_click=CalendarState.show_year(CalendarState.year + 1), id="calendar-next"),
            align="center",
        ),
        _counter(),
        rx.cond(SessionState.is_hr_plus, _hr_tools()),
        rx.cond(SessionState.is_hr_plus, _notice_tool()),
        rx.cond(CalendarState.rows.length() == 0, rx.text(T("calendar.empty"), color_scheme="gray")),
        data_table(
            ("calendar.day", "calendar.weekday", "calendar.kind", "calendar.name", "calendar.source"),
            CalendarState.rows,
            _row,
            white_space="nowrap",
        ),
        title_key="calendar.title",
    )
