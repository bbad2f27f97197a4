"""My team today (我的团队) for a direct manager: who is missing, on leave or not yet in, and
the attendance reminders forwarded to me because they stayed unread, with a one-tap "I have
reached them" note that goes into the record."""

from __future__ import annotations

import reflex as rx

from selfservice.domain.actor import Actor, Role
from selfservice.services import absence_watch, attendance
from selfservice.ui import routes
from selfservice.ui.components.shell import card, page
from selfservice.ui.guard import handler, now, run
from selfservice.ui.i18n import T, T_fmt, T_var
from selfservice.ui.session import SessionState

STATUS_COLOUR = {"missing": "red", "not_yet_in": "orange", "leave": "blue", "half_leave": "cyan", "present": "green", "rest": "gray"}


class TeamState(SessionState):
    rows: list[dict[str, str]] = []
    forwards: list[dict[str, str]] = []
    reaching: str = ""
    note: str = ""
    focus: str = ""  # the streak a forwarded message links to

    async def _refresh(self, actor: Actor) -> None:
        moment = now()
        team = await run(attendance.team_today, actor, moment)
        self.rows = [
            {
                "employee_id": str(r.employee_id),
                "name": r.name,
                "employee_no": r.employee_no,
                "status": r.status,
                "first_punch": r.first_punch,
                "streak": str(r.streak_days),
            }
            for r in team
        ]
        forwards = await run(attendance.forwards_for, actor)
        self.forwards = [
            {
                "streak_id": str(f.streak_id),
                "employee_id": str(f.employee_id),
                "name": f.name,
                "employee_no": f.employee_no,
                "days": str(f.days),
                "dates": "、".join(f"{d.month}/{d.day}" for d in f.dates)
                if self.lang != "en"
                else ", ".join(f"{d.month}/{d.day}" for d in f.dates),
                "sent_at": f.reminder_sent_at,
                "channels": " + ".join(self._t("channel.name." + c) for c in f.reminder_channels.split(",") if c),
                "unread_at": f.unread_at,
                "read_at": f.reminder_read_at,
                "status": f.status,
                "open": "1" if f.streak_open else "",
                "notes": "\n".join(
                    f"{at} {author}{self._t('punctuation.colon')}{text or self._t('team.reached_default')}" for at, author, text in f.notes
                ),
            }
            for f in forwards
        ]

    @handler(Role.manager, page_load=True)
    async def load(self, actor: Actor):
        self.reaching, self.note = "", ""
        self.focus = self.router.url.query_parameters.get("streak", "")[:12]
        await self._refresh(actor)
        await self._fill_shell(actor)

    @handler(Role.manager)
    async def open_note(self, actor: Actor, streak_id: str):
        self.reaching, self.note = streak_id[:12], ""

    @handler(Role.manager)
    async def set_note(self, actor: Actor, text: str):
        self.note = text[:1000]

    @handler(Role.manager)
    async def reached(self, actor: Actor, streak_id: int):
        """ "I have reached them": goes into the streak's record with the time and my name."""
        await run(absence_watch.reached, actor, streak_id, self.note, now())
        self.reaching, self.note = "", ""
        await self._refresh(actor)
        return rx.toast.success(self._t("team.reached_done"))


def _member(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(row["name"], weight="medium", size="2"),
            rx.text(row["employee_no"], size="1", color_scheme="gray"),
            spacing="0",
        ),
        rx.spacer(),
        rx.cond(row["first_punch"] != "", rx.text(row["first_punch"], size="1", color_scheme="gray")),
        rx.cond(row["streak"] != "0", rx.badge(T_fmt("attendance.streak_days", days=row["streak"]), color_scheme="red")),
        rx.badge(
            T_var("team.status.", row["status"].to(str)),
            color_scheme=rx.Var.create(STATUS_COLOUR).get(row["status"], "gray"),
            class_name="team-status",
        ),
        width="100%",
        align="center",
        padding_y="0.4em",
        border_bottom="1px solid var(--gray-a4)",
        class_name="team-member",
        data_status=row["status"],
    )


def _forward(row: rx.Var) -> rx.Component:
    streak_id = row["streak_id"]
    return card(
        rx.hstack(
            rx.text(row["name"], " ", row["employee_no"], weight="bold"),
            rx.badge(T_fmt("attendance.streak_days", days=row["days"]), color_scheme="red"),
            rx.spacer(),
            rx.cond(row["open"] == "", rx.badge(T("team.streak_over"), color_scheme="gray")),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.text(
            T_fmt("team.trail", sent=row["sent_at"], channels=row["channels"], unread=row["unread_at"]),
            size="2",
            class_name="forward-trail",
        ),
        rx.text(T("team.dates"), " ", row["dates"], size="1", color_scheme="gray"),
        rx.cond(row["read_at"] != "", rx.text(T_fmt("team.read_since", time=row["read_at"]), size="1", color_scheme="green")),
        rx.cond(
            row["notes"] != "", rx.text(row["notes"], size="1", white_space="pre-wrap", color_scheme="blue", class_name="forward-notes")
        ),
        rx.cond(
            TeamState.reaching == streak_id,
            rx.vstack(
                rx.text_area(
                    placeholder=T("team.note_hint"),
                    on_change=TeamState.set_note,
                    max_length=1000,
                    width="100%",
                    aria_label=T("team.note_hint"),
                    class_name="forward-note",
                ),
                rx.hstack(
                    rx.button(
                        T("team.reached"),
                        on_click=TeamState.reached(streak_id.to(int)),
                        color_scheme="green",
                        class_name="forward-reached-confirm",
                    ),
                    rx.button(T("approval.back"), variant="soft", color_scheme="gray", on_click=TeamState.open_note("")),
                ),
                width="100%",
            ),
            rx.hstack(
                rx.button(
                    rx.icon("phone", size=16),
                    T("team.reached"),
                    on_click=TeamState.open_note(streak_id),
                    size="3",
                    class_name="forward-reached",
                ),
                rx.link(T("team.record"), href=routes.ATTENDANCE_EMPLOYEE + "?id=" + row["employee_id"], size="2"),
                align="center",
                spacing="3",
            ),
        ),
        class_name="forward-item",
        border=rx.cond(TeamState.focus == streak_id, "2px solid var(--accent-9)", "none"),
    )


def team_page() -> rx.Component:
    return page(
        card(
            rx.heading(T("team.today"), size="3"),
            rx.cond(TeamState.rows.length() == 0, rx.text(T("team.no_reports"), size="2", color_scheme="gray")),
            rx.foreach(TeamState.rows, _member),
        ),
        rx.heading(T("team.forwards"), size="4"),
        rx.cond(TeamState.forwards.length() == 0, rx.text(T("team.no_forwards"), size="2", color_scheme="gray")),
        rx.foreach(TeamState.forwards, _forward),
        title_key="team.title",
    )
