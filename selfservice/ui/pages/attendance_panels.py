"""The attendance panels of the HR dashboard: today's missing by department, current streaks with
each reminder's state per channel, "read, no reply" follow-ups (assign, resolve with a note),
unread forwards, a 30-day chart of anomalies by department, and calendar/source health."""

from __future__ import annotations

import reflex as rx

from selfservice.domain.actor import Actor, Role
from selfservice.services import absence_streaks, absence_watch, attendance, attendance_dashboard
from selfservice.ui import routes
from selfservice.ui.components.shell import data_table
from selfservice.ui.guard import handler, now, run
from selfservice.ui.i18n import T, T_fmt
from selfservice.ui.pages.attendance import delivery_text
from selfservice.ui.pages.hr_dashboard import UiPanel, panel_frame, register
from selfservice.ui.session import SessionState

COLOURS = ["#3e63dd", "#e5484d", "#30a46c", "#f76b15", "#8e4ec6", "#12a594", "#ffc53d", "#d6409f", "#0090ff", "#978365"]


class AttendancePanelsState(SessionState):
    missing_today: list[dict[str, str]] = []
    streaks: list[dict[str, str]] = []
    followups: list[dict[str, str]] = []
    forwards: list[dict[str, str]] = []
    chart: list[dict[str, float | str]] = []
    series: list[dict[str, str]] = []
    alerts: list[dict[str, str]] = []
    resolving: str = ""
    note: str = ""
    scanning: bool = False

    def _name(self, zh: str, en: str) -> str:
        return en if self.lang == "en" and en else zh

    async def _refresh(self, actor: Actor) -> None:
        moment = now()
        self.missing_today = [
            {
                "department": self._name(r.department, r.department_en),
                "scheduled": str(r.scheduled),
                "missing": str(r.missing),
                "not_yet_in": str(r.not_yet_in),
                "names": "、".join(r.names) if self.lang != "en" else ", ".join(r.names),
            }
            for r in await run(attendance.missing_today, actor, moment)
        ]
        self.streaks = [
            {
                "streak_id": str(r.streak_id),
                "employee_id": str(r.employee_id),
                "name": r.name,
                "employee_no": r.employee_no,
                "department": self._name(r.department, r.department_en),
                "manager": r.manager,
                "days": str(r.days),
                "red": "1" if r.red else "",
                "unconfirmed": "1" if r.unconfirmed else "",
                "since": r.start.isoformat(),
                "reminder_at": r.reminder_at,
                "channels": " · ".join(delivery_text(self._t, c, s, read) for c, s, read in r.channels),
                "read_at": r.read_at,
                "acknowledged_at": r.acknowledged_at,
                "forwarded_at": r.forwarded_at,
                "followup": r.followup,
            }
            for r in await run(attendance.current_streaks, actor, moment)
        ]
        self.followups = [
            {
                "streak_id": str(r.streak_id),
                "employee_id": str(r.employee_id),
                "name": r.name,
                "employee_no": r.employee_no,
                "department": self._name(r.department, r.department_en),
                "days": str(r.days),
                "read_at": r.reminder_read_at,
                "opened_at": r.opened_at,
                "assignee": r.assignee,
                "notes": "\n".join(
                    f"{at} {author}{self._t('punctuation.colon')}{text}"
                    for at, author, kind, text in r.notes
                    if kind in ("reply", "resolved", "reached", "note")
                ),
            }
            for r in await run(attendance.followups, actor)
        ]
        self.forwards = [
            {
                "employee_id": str(f.employee_id),
                "name": f.name,
                "employee_no": f.employee_no,
                "days": str(f.days),
                "sent_at": f.reminder_sent_at,
                "unread_at": f.unread_at,
                "read_at": f.reminder_read_at,
            }
            for f in await run(attendance.unread_forwards, actor)
        ]
        chart = await run(attendance.anomaly_chart, actor, moment)
        self.series = [
            {"key": f"d{i}", "name": self._name(zh, en), "colour": COLOURS[i % len(COLOURS)]}
            for i, (zh, en) in enumerate(chart.departments)
        ]
        self.chart = [
            {"day": f"{d.month}/{d.day}", **{f"d{i}": v for i, v in enumerate(counts)}}
            for d, counts in zip(chart.days, chart.counts, strict=True)
        ]
        self.alerts = [{"text": self._t(a.key, **a.params), "severity": a.severity} for a in await run(attendance.health, actor, moment)]

    @handler(Role.hr)
    async def load(self, actor: Actor):
        self.resolving, self.note = "", ""
        await self._refresh(actor)

    @handler(Role.hr)
    async def assign_to_me(self, actor: Actor, streak_id: int):
        await run(absence_watch.assign_followup, actor, streak_id, "", now())
        await self._refresh(actor)

    @handler(Role.hr)
    async def open_resolve(self, actor: Actor, streak_id: str):
        self.resolving, self.note = streak_id[:12], ""

    @handler(Role.hr)
    async def set_note(self, actor: Actor, text: str):
        self.note = text[:1000]

    @handler(Role.hr)
    async def resolve(self, actor: Actor, streak_id: int):
        await run(absence_watch.resolve_followup, actor, streak_id, self.note, now())
        self.resolving, self.note = "", ""
        await self._refresh(actor)
        return rx.toast.success(self._t("dashboard.resolved_done"))

    @handler(Role.hr)
    async def scan_now(self, actor: Actor):
        """Run today's scan now (the scheduled one still runs; every rule fires once anyway)."""
        moment = now()
        report = await run(absence_watch.scan, actor, absence_streaks.local_today(moment), moment, "manual")
        await self._refresh(actor)
        return rx.toast.success(self._t("dashboard.scanned", streaks=report.streaks, reminded=len(report.reminded)))


S = AttendancePanelsState


def _person_link(row: rx.Var) -> rx.Component:
    return rx.link(row["name"], href=routes.ATTENDANCE_EMPLOYEE + "?id=" + row["employee_id"], weight="medium", class_name="drill-link")


def missing_today_panel() -> rx.Component:
    return panel_frame(
        attendance_dashboard.MISSING_TODAY,
        "dashboard.missing_today",
        rx.cond(S.missing_today.length() == 0, rx.text(T("dashboard.nobody_scheduled"), size="2", color_scheme="gray")),
        data_table(
            ("field.department", "dashboard.scheduled", "dashboard.missing", "dashboard.not_yet_in", "dashboard.names"),
            S.missing_today,
            lambda r: rx.table.row(
                rx.table.cell(r["department"]),
                rx.table.cell(r["scheduled"]),
                rx.table.cell(rx.text(r["missing"], color_scheme=rx.cond(r["missing"] != "0", "red", "gray"), weight="bold")),
                rx.table.cell(r["not_yet_in"]),
                rx.table.cell(rx.text(r["names"], size="1")),
                class_name="missing-today-row",
            ),
        ),
    )


def _streak_row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(_person_link(r), rx.text(r["employee_no"], size="1", color_scheme="gray")),
        rx.table.cell(r["department"]),
        rx.table.cell(
            rx.badge(
                T_fmt("attendance.streak_days", days=r["days"]),
                color_scheme=rx.cond(r["red"] != "", "red", "orange"),
                variant=rx.cond(r["red"] != "", "solid", "soft"),
                class_name=rx.cond(r["red"] != "", "streak-red", "streak-days"),
            ),
            rx.cond(r["unconfirmed"] != "", rx.text(T("attendance.unconfirmed_short"), size="1", color_scheme="orange")),
        ),
        rx.table.cell(r["since"]),
        rx.table.cell(rx.cond(r["reminder_at"] != "", r["reminder_at"], T("dashboard.not_reminded"))),
        rx.table.cell(rx.text(r["channels"], size="1"), class_name="streak-channels"),
        rx.table.cell(
            rx.cond(
                r["read_at"] != "",
                rx.text(r["read_at"], color_scheme="green", size="1"),
                rx.text(T("dashboard.unread"), color_scheme="red", size="1"),
            )
        ),
        rx.table.cell(rx.text(r["acknowledged_at"], size="1")),
        rx.table.cell(rx.cond(r["forwarded_at"] != "", rx.text(r["forwarded_at"], size="1"), "")),
        class_name="streak-row",
        data_employee=r["employee_no"],
    )


def streaks_panel() -> rx.Component:
    return panel_frame(
        attendance_dashboard.STREAKS,
        "dashboard.streaks",
        rx.cond(S.streaks.length() == 0, rx.text(T("dashboard.no_streaks"), size="2", color_scheme="gray")),
        data_table(
            (
                "field.name",
                "field.department",
                "dashboard.days",
                "dashboard.since",
                "dashboard.reminder_sent",
                "dashboard.channels",
                "outbox.read",
                "attendance.replied",
                "dashboard.forwarded",
            ),
            S.streaks,
            _streak_row,
        ),
        hint_key="dashboard.streaks_hint",
    )


def _followup(r: rx.Var) -> rx.Component:
    streak_id = r["streak_id"]
    return rx.box(
        rx.hstack(
            _person_link(r),
            rx.text(r["department"], size="1", color_scheme="gray"),
            rx.badge(T_fmt("attendance.streak_days", days=r["days"]), color_scheme="red"),
            rx.spacer(),
            rx.text(T_fmt("dashboard.read_no_reply", time=r["read_at"]), size="1"),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.cond(r["assignee"] != "", rx.text(T("dashboard.assignee"), "：", r["assignee"], size="1", color_scheme="blue")),
        rx.cond(r["notes"] != "", rx.text(r["notes"], size="1", white_space="pre-wrap", color_scheme="gray")),
        rx.cond(
            S.resolving == streak_id,
            rx.hstack(
                rx.input(
                    placeholder=T("dashboard.resolve_note"),
                    on_change=S.set_note,
                    max_length=1000,
                    aria_label=T("dashboard.resolve_note"),
                    width="100%",
                    class_name="followup-note",
                ),
                rx.button(
                    T("dashboard.resolve"),
                    color_scheme="green",
                    on_click=S.resolve(streak_id.to(int)),
                    class_name="followup-resolve-confirm",
                ),
                width="100%",
            ),
            rx.hstack(
                rx.button(
                    T("dashboard.assign_to_me"),
                    size="1",
                    variant="soft",
                    on_click=S.assign_to_me(streak_id.to(int)),
                    class_name="followup-assign",
                ),
                rx.button(
                    T("dashboard.resolve"),
                    size="1",
                    variant="soft",
                    color_scheme="green",
                    on_click=S.open_resolve(streak_id),
                    class_name="followup-resolve",
                ),
            ),
        ),
        padding_y="0.5em",
        border_bottom="1px solid var(--gray-a4)",
        width="100%",
        class_name="followup-row",
    )


def followups_panel() -> rx.Component:
    return panel_frame(
        attendance_dashboard.FOLLOWUPS,
        "dashboard.followups",
        rx.cond(S.followups.length() == 0, rx.text(T("dashboard.no_followups"), size="2", color_scheme="gray")),
        rx.foreach(S.followups, _followup),
        hint_key="dashboard.followups_hint",
    )


def forwards_panel() -> rx.Component:
    return panel_frame(
        attendance_dashboard.FORWARDS,
        "dashboard.forwards",
        rx.cond(S.forwards.length() == 0, rx.text(T("dashboard.no_forwards"), size="2", color_scheme="gray")),
        rx.foreach(
            S.forwards,
            lambda f: rx.hstack(
                _person_link(f),
                rx.badge(T_fmt("attendance.streak_days", days=f["days"]), color_scheme="red"),
                rx.text(T_fmt("team.trail_short", sent=f["sent_at"], unread=f["unread_at"]), size="1"),
                wrap="wrap",
                align="center",
                padding_y="0.3em",
                class_name="forward-row",
            ),
        ),
        hint_key="dashboard.forwards_hint",
    )


def chart_panel() -> rx.Component:
    return panel_frame(
        attendance_dashboard.CHART,
        "dashboard.chart",
        rx.box(
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
                rx.recharts.x_axis(data_key="day"),
                rx.recharts.y_axis(allow_decimals=False),
                rx.recharts.graphing_tooltip(),
                rx.recharts.legend(),
                rx.foreach(
                    S.series,
                    lambda s: rx.recharts.bar(data_key=s["key"], name=s["name"], stack_id="a", fill=s["colour"], is_animation_active=False),
                ),
                data=S.chart,
                width="100%",
                height=260,
            ),
            width="100%",
            id="anomaly-chart",
            role="img",
            aria_label=T("dashboard.chart"),
        ),
        hint_key="dashboard.chart_hint",
    )


def health_panel() -> rx.Component:
    return panel_frame(
        attendance_dashboard.HEALTH,
        "dashboard.health",
        rx.foreach(
            S.alerts,
            lambda a: rx.callout(
                a["text"],
                icon=rx.cond(a["severity"] == "gray", "info", "triangle_alert"),
                color_scheme=rx.cond(a["severity"] == "red", "red", rx.cond(a["severity"] == "orange", "orange", "gray")),
                size="1",
                class_name="health-alert",
            ),
        ),
        rx.button(rx.icon("scan-line", size=14), T("dashboard.scan_now"), variant="soft", size="2", on_click=S.scan_now, id="scan-now"),
    )


register(UiPanel(attendance_dashboard.HEALTH, 5, health_panel, S.load))
register(UiPanel(attendance_dashboard.MISSING_TODAY, 10, missing_today_panel, S.load))
register(UiPanel(attendance_dashboard.STREAKS, 20, streaks_panel, S.load, wide=True))
register(UiPanel(attendance_dashboard.FOLLOWUPS, 30, followups_panel, S.load))
register(UiPanel(attendance_dashboard.FORWARDS, 40, forwards_panel, S.load))
register(UiPanel(attendance_dashboard.CHART, 50, chart_panel, S.load, wide=True))
