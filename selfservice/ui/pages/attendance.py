"""My attendance (我的考勤) on a phone, and HR's / the manager's drill-down into one employee:
each day of a month (present, on leave, half days, rest, holiday, 调休, missing) with the punches,
a one-tap leave request for a run of missing days, and, in the drill-down, every reminder with
its deliveries, reads and replies, punch corrections and the export."""

from __future__ import annotations

from datetime import date, time, timedelta

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.i18n import t
from selfservice.services import attendance, dashboard, punches
from selfservice.services.absence_streaks import local_today
from selfservice.ui import routes
from selfservice.ui.components.shell import card, page, visually_hidden
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_fmt, T_var
from selfservice.ui.session import SessionState

WEEKDAYS = {"zh-CN": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
OUTCOME_COLOUR = {
    "present": "green",
    "leave": "blue",
    "half_leave": "cyan",
    "missing": "red",
    "half_missing": "orange",
    "rest": "gray",
    "pending": "gray",
    "not_tracked": "gray",
}


def month_bounds(month: str) -> tuple[date, date]:
    first = date.fromisoformat(month + "-01")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def shifted(month: str, months: int) -> str | None:
    first, last = month_bounds(month)
    target = (first - timedelta(days=1)) if months < 0 else (last + timedelta(days=1))
    return target.strftime("%Y-%m") if 2000 <= target.year <= 2100 else None


def source_label(tr, kind: str, name: str) -> str:  # noqa: ANN001
    """The app's own sources by their translated kind; HR's own by the name HR gave them."""
    return tr("sources.kind." + kind) if kind in ("app", "correction", "wecom") else name


def _run_label(run: tuple[date, date]) -> str:
    first, last = run
    return f"{first.month}/{first.day}" + ("" if first == last else f"–{last.month}/{last.day}")


def day_rows(view: attendance.MonthView, lang: str, today: date) -> list[dict[str, str]]:
    rows = []
    for day in reversed(view.days):  # newest first: what a phone user wants to see
        if day.day > today:
            continue
        weekday = WEEKDAYS["en" if lang == "en" else "zh-CN"][day.day.weekday()]
        rows.append(
            {
                "day": day.day.isoformat(),
                "label": f"{day.day.month}/{day.day.day} {weekday}" if lang == "en" else f"{day.day.month}月{day.day.day}日 周{weekday}",
                "kind": day.kind,
                "outcome": day.outcome,
                "missing": day.missing,
                "leave": day.leave,
                "leave_type": (day.leave_type.split("|")[1 if lang == "en" else 0] if "|" in day.leave_type else day.leave_type),
                "punches": " · ".join(
                    p.time[:5]
                    + (" " + t(lang, "punch.direction." + p.direction) if p.direction else "")
                    + (f" ({t(lang, 'punch.void')})" if p.voided else "")
                    for p in day.punches
                ),
                "unconfirmed": "1" if day.unconfirmed else "",
                "leave_link": f"{routes.LEAVE}?start={day.run[0].isoformat()}&end={day.run[1].isoformat()}&type=personal"
                if day.run
                else "",
                "run": _run_label(day.run) if day.run else "",
            }
        )
    return rows


class MyAttendanceState(SessionState):
    month: str = ""
    days: list[dict[str, str]] = []
    summary: dict[str, str] = {}

    async def _refresh(self, actor: Actor, employee_id: int) -> attendance.MonthView:
        first, last = month_bounds(self.month)
        moment = now()
        view = await run(attendance.month, actor, employee_id, first, last, moment)
        self.days = day_rows(view, self.lang, local_today(moment))
        self.summary = {
            "name": view.name,
            "employee_no": view.employee_no,
            "department": view.department_en if self.lang == "en" else view.department,
            "missing": view.missing_days,
            "streak": str(view.streak_days),
        }
        return view

    @handler(page_load=True)
    async def load(self, actor: Actor):
        self.month = local_today(now()).strftime("%Y-%m")
        await self._refresh(actor, actor.employee_id)
        await self._fill_shell(actor)

    @handler()
    async def shift(self, actor: Actor, months: int):
        target = shifted(self.month, months) if months in (-1, 1) else None
        if target:
            self.month = target
            await self._refresh(actor, actor.employee_id)


class CorrectionForm(Form):
    day: str = Field(max_length=10)
    time: str = Field(max_length=5)
    direction: str = Field(default="", max_length=3)
    reason: str = Field(max_length=500)


def delivery_text(tr, channel: str, status: str, read: str) -> str:  # noqa: ANN001
    """ "企业微信：已发送，已读 11-25 10:42" — channel and status in the reader's words."""
    text = f"{tr('channel.name.' + channel)}{tr('punctuation.colon')}{tr('delivery.status.' + status)}"
    return text + (f"{tr('punctuation.comma')}{tr('outbox.read')} {read}" if read else "")


def _trail_rows(trails: list[attendance.StreakTrail], tr) -> list[dict[str, str]]:  # noqa: ANN001
    rows = []
    for trail in trails:
        lines = []
        for m in trail.messages:
            parts = [f"{m.created_at} {tr('attendance.kind_of.' + m.kind)} → {m.recipient}"]
            parts += [delivery_text(tr, channel, status, read) for channel, status, _at, read in m.deliveries]
            parts.append(f"{tr('outbox.read')} {m.read_at}" if m.read_at else tr("dashboard.unread"))
            if m.acknowledged_at:
                parts.append(f"{tr('attendance.replied')} {m.acknowledged_at}")
            lines.append(" · ".join(parts))
        rows.append(
            {
                "id": str(trail.id),
                "range": f"{trail.start.isoformat()} – {trail.last.isoformat()}",
                "days": str(trail.days),
                "missing": trail.missing,
                "status": trail.status,
                "close_reason": trail.close_reason.split(" ")[0],
                "unconfirmed": "1" if trail.unconfirmed else "",
                "messages": "\n".join(lines),
                "notes": "\n".join(
                    f"{at} {author} {tr('attendance.note.' + kind)}{tr('punctuation.colon')}{text}"
                    for at, author, kind, text in trail.notes
                ),
            }
        )
    return rows


class EmployeeAttendanceState(MyAttendanceState):
    """The drill-down: HR (anyone) or a direct manager (their reports)."""

    trails: list[dict[str, str]] = []
    punch_rows: list[dict[str, str]] = []
    voiding: str = ""
    void_reason: str = ""
    form_error: str = ""
    is_hr_view: bool = False
    _employee_id: int = 0

    async def _reload(self, actor: Actor) -> None:
        view = await self._refresh(actor, self._employee_id)
        self.days = [{**d, "leave_link": ""} for d in self.days]  # leave is requested by the employee, not from here
        trails = await run(attendance.streak_trails, actor, self._employee_id)
        self.trails = _trail_rows(trails, self._t)
        self.punch_rows = [
            {
                "id": str(p.id),
                "day": p.day.isoformat(),
                "time": p.time,
                "direction": p.direction or "none",
                "source": source_label(self._t, p.source_kind, p.source),
                "location": p.location,
                "reason": p.reason,
                "voided": "1" if p.voided else "",
                "void_reason": p.void_reason,
            }
            for d in reversed(view.days)
            for p in d.punches
        ]

    @handler(Role.manager, page_load=True)
    async def load_employee(self, actor: Actor):
        raw = self.router.url.query_parameters.get("id", "")
        if not raw.isdigit():
            return rx.redirect(routes.HOME)
        self._employee_id = int(raw)
        self.month = local_today(now()).strftime("%Y-%m")
        self.voiding, self.form_error, self.is_hr_view = "", "", actor.has_role(Role.hr)
        await self._reload(actor)
        await self._fill_shell(actor)

    @handler(Role.manager)
    async def shift_employee(self, actor: Actor, months: int):
        target = shifted(self.month, months) if months in (-1, 1) else None
        if target:
            self.month = target
            await self._reload(actor)

    @handler(Role.hr)
    async def open_void(self, actor: Actor, punch_id: str):
        self.voiding, self.void_reason, self.form_error = punch_id[:12], "", ""

    @handler(Role.hr)
    async def set_void_reason(self, actor: Actor, text: str):
        self.void_reason = text[:500]

    @handler(Role.hr)
    async def void(self, actor: Actor, punch_id: int):
        try:
            await run(punches.void, actor, punch_id, self.void_reason, now())
        except DomainError as error:
            self.form_error = self._t(error.key, **error.params)
            return
        self.voiding = ""
        await self._reload(actor)
        return rx.toast.success(self._t("punch.voided_done"))

    @handler(Role.hr)
    async def correct(self, actor: Actor, form: CorrectionForm):
        """补卡: a punch the clock missed, with the reason."""
        self.form_error = ""
        try:
            day = date.fromisoformat(form.day)
            moment = time.fromisoformat(form.time)
        except ValueError:
            self.form_error = self._t("punch.bad_datetime", value=f"{form.day} {form.time}"[:20])
            return
        try:
            await run(punches.add_correction, actor, self._employee_id, day, moment, form.direction, form.reason, now())
        except DomainError as error:
            self.form_error = self._t(error.key, **error.params)
            return
        await self._reload(actor)
        return rx.toast.success(self._t("punch.corrected_done"))

    @handler(Role.manager)
    async def export(self, actor: Actor):
        """The month's record as Excel (the same rows as on screen)."""
        first, last = month_bounds(self.month)
        moment = now()
        view = await run(attendance.month, actor, self._employee_id, first, last, moment)
        rows = [
            [
                d.day.isoformat(),
                self._t("attendance.kind." + d.kind),
                self._t("attendance.outcome." + d.outcome),
                float(d.missing),
                d.leave_type.split("|")[1 if self.lang == "en" else 0] if "|" in d.leave_type else d.leave_type,
                " ".join(f"{p.time}{'(' + self._t('punch.void') + ')' if p.voided else ''}" for p in d.punches),
            ]
            for d in view.days
        ]
        headers = [
            self._t(k)
            for k in (
                "attendance.col.day",
                "attendance.col.kind",
                "attendance.col.outcome",
                "attendance.col.missing",
                "attendance.col.leave",
                "attendance.col.punches",
            )
        ]
        data = dashboard.xlsx(f"{view.employee_no} {self.month}", headers, rows, dashboard.generated_at(self.lang, moment))
        return rx.download(data=data, filename=f"attendance-{view.employee_no}-{self.month}.xlsx")


# ---- the screens ---------------------------------------------------------------------------------


def month_switcher(state, shift) -> rx.Component:  # noqa: ANN001
    return rx.hstack(
        rx.button(rx.icon("chevron-left", size=16), variant="soft", on_click=shift(-1), aria_label=T("calendar.prev"), id="month-prev"),
        rx.text(state.month, weight="bold", id="month-label"),
        rx.button(rx.icon("chevron-right", size=16), variant="soft", on_click=shift(1), aria_label=T("calendar.next"), id="month-next"),
        align="center",
        spacing="3",
    )


def day_card(row: rx.Var) -> rx.Component:
    missing = (row["outcome"] == "missing") | (row["outcome"] == "half_missing")
    return rx.box(
        rx.hstack(
            rx.text(row["label"], size="2", weight="medium", min_width="7.5em"),
            rx.cond(
                (row["kind"] != "workday") & (row["kind"] != "rest"),
                rx.badge(T_var("attendance.kind.", row["kind"].to(str)), color_scheme="purple", variant="soft"),
            ),
            rx.spacer(),
            rx.badge(
                T_var("attendance.outcome.", row["outcome"].to(str)),
                color_scheme=rx.Var.create(OUTCOME_COLOUR).get(row["outcome"], "gray"),
                class_name="day-outcome",
            ),
            width="100%",
            align="center",
        ),
        rx.cond(row["punches"] != "", rx.text(row["punches"], size="1", color_scheme="gray", class_name="day-punches")),
        rx.cond(
            row["leave_type"] != "",
            rx.text(row["leave_type"], " ", T_var("attendance.leave.", row["leave"].to(str)), size="1", color_scheme="blue"),
        ),
        rx.cond(row["unconfirmed"] != "", rx.text(T("attendance.unconfirmed"), size="1", color_scheme="orange")),
        rx.cond(
            missing & (row["leave_link"] != ""),
            rx.link(
                rx.button(
                    rx.icon("calendar-plus", size=14),
                    T_fmt("attendance.request_leave_for", run=row["run"]),
                    size="2",
                    variant="soft",
                    color_scheme="red",
                ),
                href=row["leave_link"],
                class_name="day-leave-link",
            ),
        ),
        padding_y="0.5em",
        border_bottom="1px solid var(--gray-a4)",
        width="100%",
        class_name="day-row",
        data_day=row["day"],
    )


def my_attendance_page() -> rx.Component:
    return page(
        month_switcher(MyAttendanceState, MyAttendanceState.shift),
        rx.cond(
            MyAttendanceState.summary.get("streak", "0") != "0",
            rx.callout(T_fmt("clock.streak", days=MyAttendanceState.summary.get("streak", "0")), icon="triangle_alert", color_scheme="red"),
        ),
        card(
            rx.text(
                T_fmt("attendance.missing_total", days=MyAttendanceState.summary.get("missing", "0")),
                size="2",
                id="attendance-missing-total",
            ),
            rx.foreach(MyAttendanceState.days, day_card),
        ),
        title_key="attendance.mine_title",
    )


def _punch_row(p: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(p["day"]),
        rx.table.cell(rx.text(p["time"], text_decoration=rx.cond(p["voided"] != "", "line-through", "none"))),
        rx.table.cell(T_var("punch.direction.", p["direction"].to(str))),
        rx.table.cell(p["source"]),
        rx.table.cell(p["location"]),
        rx.table.cell(
            rx.cond(
                p["voided"] != "",
                rx.text(T("punch.void"), ": ", p["void_reason"], color_scheme="red", size="1"),
                rx.text(p["reason"], size="1"),
            )
        ),
        rx.table.cell(
            rx.cond(
                EmployeeAttendanceState.is_hr_view & (p["voided"] == ""),
                rx.cond(
                    EmployeeAttendanceState.voiding == p["id"],
                    rx.hstack(
                        rx.input(
                            placeholder=T("punch.reason"),
                            on_change=EmployeeAttendanceState.set_void_reason,
                            size="1",
                            max_length=500,
                            aria_label=T("punch.reason"),
                            class_name="void-reason",
                        ),
                        rx.button(
                            T("punch.confirm_void"),
                            size="1",
                            color_scheme="red",
                            on_click=EmployeeAttendanceState.void(p["id"].to(int)),
                            class_name="void-confirm",
                        ),
                    ),
                    rx.button(
                        T("punch.void"),
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=EmployeeAttendanceState.open_void(p["id"]),
                        class_name="void-open",
                    ),
                ),
            )
        ),
        class_name="punch-row",
    )


def _trail(row: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(row["range"], weight="bold", size="2"),
            rx.badge(T_fmt("attendance.streak_days", days=row["days"]), color_scheme="red"),
            rx.badge(
                T_var("attendance.streak_status.", row["status"].to(str)), color_scheme=rx.cond(row["status"] == "open", "orange", "gray")
            ),
            rx.cond(
                row["close_reason"] != "",
                rx.text(T_var("attendance.close_reason.", row["close_reason"].to(str)), size="1", color_scheme="gray"),
            ),
            wrap="wrap",
            align="center",
        ),
        rx.cond(row["messages"] != "", rx.text(row["messages"], size="1", white_space="pre-wrap", class_name="trail-messages")),
        rx.cond(row["notes"] != "", rx.text(row["notes"], size="1", white_space="pre-wrap", color_scheme="blue", class_name="trail-notes")),
        padding_y="0.5em",
        border_bottom="1px solid var(--gray-a4)",
        width="100%",
        class_name="streak-trail",
    )


def _correction() -> rx.Component:
    return card(
        rx.heading(T("punch.correction_title"), size="3"),
        rx.text(T("punch.correction_hint"), size="1", color_scheme="gray"),
        rx.form(
            rx.hstack(
                rx.input(name="day", type="date", aria_label=T("attendance.col.day"), required=True),
                rx.input(name="time", type="time", aria_label=T("punch.time"), required=True),
                rx.el.select(
                    rx.el.option(T("punch.direction.none"), value=""),
                    rx.el.option(T("punch.direction.in"), value="in"),
                    rx.el.option(T("punch.direction.out"), value="out"),
                    name="direction",
                    aria_label=T("punch.direction"),
                ),
                rx.input(name="reason", placeholder=T("punch.reason"), max_length=500, aria_label=T("punch.reason"), min_width="14em"),
                rx.button(T("punch.add_correction"), type="submit", id="correction-submit"),
                wrap="wrap",
                spacing="2",
            ),
            on_submit=EmployeeAttendanceState.correct,
            reset_on_submit=False,
        ),
    )


def employee_attendance_page() -> rx.Component:
    state = EmployeeAttendanceState
    return page(
        rx.hstack(
            rx.heading(state.summary.get("name", ""), " ", state.summary.get("employee_no", ""), size="5", id="drill-name"),
            rx.text(state.summary.get("department", ""), color_scheme="gray"),
            rx.spacer(),
            rx.button(rx.icon("download", size=14), T("dashboard.export"), variant="soft", on_click=state.export, id="drill-export"),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            state.summary.get("streak", "0") != "0",
            rx.callout(
                T_fmt("attendance.current_streak", days=state.summary.get("streak", "0")),
                icon="triangle_alert",
                color_scheme="red",
                id="drill-streak",
            ),
        ),
        rx.cond(state.form_error != "", rx.callout(state.form_error, icon="triangle_alert", color_scheme="red", id="drill-error")),
        card(
            rx.heading(T("attendance.trails_title"), size="3"),
            rx.cond(state.trails.length() == 0, rx.text(T("attendance.no_streaks"), size="2", color_scheme="gray")),
            rx.foreach(state.trails, _trail),
        ),
        month_switcher(state, state.shift_employee),
        card(
            rx.text(T_fmt("attendance.missing_total", days=state.summary.get("missing", "0")), size="2"),
            rx.foreach(state.days, day_card),
        ),
        card(
            rx.heading(T("punch.title"), size="3"),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *(
                                rx.table.column_header_cell(T(k))
                                for k in (
                                    "attendance.col.day",
                                    "punch.time",
                                    "punch.direction",
                                    "punch.source",
                                    "punch.location",
                                    "punch.reason",
                                )
                            ),
                            rx.table.column_header_cell(visually_hidden(T("punch.actions"))),
                        )
                    ),
                    rx.table.body(rx.foreach(state.punch_rows, _punch_row)),
                    size="1",
                    width="100%",
                ),
                overflow_x="auto",
                tab_index=0,  # keyboard users can scroll it
                width="100%",
            ),
        ),
        rx.cond(state.is_hr_view, _correction()),
    )
