"""Employee home (我的主页): clock in / out (上班打卡 / 下班打卡) with today's status, leave
balances, shortcuts, and the employee's own profile."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx

from selfservice.domain.actor import Actor
from selfservice.domain.contacts import display_phone
from selfservice.services import attendance, home, leave_balances, punches
from selfservice.ui import routes
from selfservice.ui.components.shell import card, data_table, field_row, page
from selfservice.ui.guard import Form, handler, now, quick, run
from selfservice.ui.i18n import T, T_fmt, T_var
from selfservice.ui.session import SessionState

# Asks the browser for a position (only when HR turned geolocation on); never blocks a punch:
# refused, unavailable or slow (8 s) gives {} and the punch is kept without a location.
LOCATE_JS = """new Promise((resolve) => {
  if (!navigator.geolocation) { resolve({}); return; }
  navigator.geolocation.getCurrentPosition(
    (p) => resolve({lat: p.coords.latitude, lng: p.coords.longitude, acc: p.coords.accuracy}),
    () => resolve({}),
    {enableHighAccuracy: true, timeout: 8000, maximumAge: 60000});
})"""


class Position(Form):
    """What the browser's geolocation answered (nothing, when the employee refused)."""

    lat: float | None = None
    lng: float | None = None
    acc: float | None = None


class HomeState(SessionState):
    profile: dict[str, str] = {}
    balances: list[dict[str, str]] = []
    to_approve: int = 0
    today: dict[str, str] = {}
    clocked: str = ""  # the last punch this page made, "HH:MM:SS|in"
    clocking: bool = False
    contacts_due: bool = False
    annual_lines: list[str] = []  # how this year's annual leave was computed

    async def _today(self, actor: Actor) -> None:
        self._apply_today(await run(attendance.today, actor, now()))

    def _apply_today(self, view: attendance.TodayView) -> None:
        self.today = {
            "kind": view.kind,
            "outcome": view.outcome,
            "punches": " · ".join(f"{at} {self._t('punch.direction.' + d)}" if d else at for at, d in view.punches),
            "leave": view.leave,
            "next": view.next_direction,
            "geolocation": "1" if view.geolocation else "",
            "streak": str(view.streak_days),
        }

    @handler()
    async def load(self, actor: Actor):
        view = await quick(home.view, actor, now())  # one unit of work for the whole page
        self.profile = {k: str(v) for k, v in asdict(view.shell.profile).items()}
        for key in ("phone", "emergency_contact_phone"):
            if self.profile.get(key):
                self.profile[key] = display_phone(self.profile[key])
        self.contacts_due = view.contacts_due
        self.balances = [{k: str(v) for k, v in asdict(r).items()} for r in view.balances]
        self.annual_lines = [] if view.annual is None else annual_lines(view.annual, self._t)
        self.to_approve = view.to_approve
        self.clocked = ""
        self._apply_today(view.today)
        self._apply_shell(actor, view.shell)

    async def _clock(self, actor: Actor, direction: str, position: Position | None) -> None:
        position = position or Position()
        result = await run(punches.clock_in, actor, direction, now(), position.lat, position.lng, position.acc)
        self.clocked = f"{result.at}|{result.direction}"
        self.clocking = False
        await self._today(actor)

    @handler()
    async def clock(self, actor: Actor, direction: str):
        """上班 / 下班打卡 at the server's time (no location asked)."""
        await self._clock(actor, direction, None)

    @handler()
    async def locate(self, actor: Actor):
        """Geolocation is on: ask the browser first; the punch follows whatever it answers."""
        self.clocking = True
        callback = HomeState.clock_in_at if self.today.get("next") != "out" else HomeState.clock_out_at
        return rx.call_script(LOCATE_JS, callback=callback)

    @handler()
    async def clock_in_at(self, actor: Actor, position: Position):
        await self._clock(actor, "in", position)

    @handler()
    async def clock_out_at(self, actor: Actor, position: Position):
        await self._clock(actor, "out", position)


def annual_lines(explained: leave_balances.AnnualExplanation, t) -> list[str]:  # noqa: ANN001
    """The statutory computation in words: working years per stretch of the year, then the sum."""
    ent = explained.entitlement
    lines = [
        t("annual.work_start", date=explained.work_start)
        if explained.work_start
        else t("annual.work_start_missing", date=explained.hire_date)
    ]
    if not ent.segments:
        return [*lines, t("annual.none_yet", year=ent.year)]
    for seg in ent.segments:
        lines.append(
            t(
                "annual.segment",
                first=seg.first.isoformat(),
                last=seg.last.isoformat(),
                years=seg.working_years,
                per_year=seg.per_year,
                days=seg.days,
            )
        )
    if not ent.prorated:
        lines.append(t("annual.whole_year", days=ent.days))
    else:
        terms = " + ".join(f"{seg.days}×{seg.per_year}" for seg in ent.segments)
        exact = f"{ent.weighted / 365:.2f}"
        lines.append(t("annual.prorated", terms=terms, exact=exact, days=ent.days))
    return lines


def _value(key: str) -> rx.Var:
    value = HomeState.profile.get(key, "")
    return rx.cond(value != "", value, T("home.not_set"))


OUTCOME_COLOUR = {"present": "green", "leave": "blue", "half_leave": "blue", "pending": "gray", "rest": "gray", "missing": "red"}


def clock_card() -> rx.Component:
    """Today's status and the one button an employee needs in the morning."""
    direction = HomeState.today.get("next", "in")
    label = rx.cond(direction == "out", T("clock.out"), T("clock.in"))
    button = rx.cond(
        HomeState.today.get("geolocation", "") != "",
        rx.button(
            rx.icon("map-pin", size=18),
            label,
            on_click=HomeState.locate,
            loading=HomeState.clocking,
            size="4",
            width="100%",
            id="clock-button",
        ),
        rx.button(rx.icon("fingerprint", size=18), label, on_click=HomeState.clock(direction), size="4", width="100%", id="clock-button"),
    )
    return card(
        rx.hstack(
            rx.heading(T("clock.today"), size="3"),
            rx.badge(
                T_var("attendance.kind.", HomeState.today.get("kind", "workday").to(str)),
                color_scheme="gray",
                id="clock-day-kind",
            ),
            rx.spacer(),
            rx.badge(
                T_var("attendance.outcome.", HomeState.today.get("outcome", "pending").to(str)),
                color_scheme=rx.Var.create(OUTCOME_COLOUR).get(HomeState.today.get("outcome", "pending"), "gray"),
                id="clock-status",
            ),
            width="100%",
            align="center",
        ),
        rx.cond(
            HomeState.today.get("punches", "") != "",
            rx.text(T("clock.punches"), " ", HomeState.today.get("punches", ""), size="2", id="clock-punches"),
            rx.text(T("clock.no_punch"), size="2", color_scheme="gray", id="clock-punches"),
        ),
        rx.cond(
            HomeState.clocked != "",
            rx.callout(
                T_fmt("clock.done", time=HomeState.clocked.split("|")[0]),
                icon="check",
                color_scheme="green",
                size="1",
                id="clock-done",
            ),
        ),
        rx.cond(
            HomeState.today.get("streak", "0") != "0",
            rx.callout(
                T_fmt("clock.streak", days=HomeState.today.get("streak", "0")),
                icon="triangle_alert",
                color_scheme="red",
                size="1",
                id="clock-streak",
            ),
        ),
        button,
        rx.text(T("clock.server_time"), size="1", color_scheme="gray"),
        rx.link(T("attendance.mine_link"), href=routes.ATTENDANCE, size="2", id="home-my-attendance"),
    )


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
                rx.badge(T_var("role.", HomeState.profile.get("role", "employee").to(str)), size="2", id="home-role"),
                rx.text(HomeState.profile.get("position", ""), color_scheme="gray", size="2"),
                spacing="2",
            ),
            spacing="1",
        ),
        rx.cond(
            HomeState.contacts_due,
            rx.callout(
                rx.hstack(
                    rx.text(T("contact.home_prompt")),
                    rx.link(T("contact.home_link"), href=routes.CONTACT, weight="bold"),
                    wrap="wrap",
                    spacing="2",
                ),
                icon="mail-check",
                color_scheme="amber",
                id="home-contact-prompt",
            ),
        ),
        clock_card(),
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
            field_row("field.work_start_date", _value("work_start_date"), "home-work-start"),
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
                rx.cond(
                    HomeState.annual_lines.length() > 0,
                    rx.el.details(
                        rx.el.summary(T("annual.how"), style={"cursor": "pointer", "fontSize": "14px"}),
                        rx.vstack(
                            rx.foreach(HomeState.annual_lines, lambda line: rx.text(line, size="2")), spacing="1", padding_top="0.5em"
                        ),
                        id="home-annual-how",
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
            rx.link(T("contact.update_link"), href=routes.CONTACT, size="2", id="home-contact-link"),
        ),
    )
