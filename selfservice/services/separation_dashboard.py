"""The departures panel of the HR dashboard, as exportable rows (registered on import)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from selfservice.domain.actor import Actor
from selfservice.i18n import t
from selfservice.services import separations
from selfservice.services.attendance import local_text
from selfservice.services.dashboard import Panel, register

DEPARTURES = "departures"


def _rows(session: Session, actor: Actor, now: datetime, language: str) -> list[list]:
    en = language == "en"
    yes = t(language, "dashboard.yes")
    return [
        [
            r.employee_no,
            r.employee,
            r.department_en if en else r.department,
            t(language, "separation.kind." + r.kind),
            t(language, "separation.status." + r.status),
            r.last_day.isoformat(),
            (r.stage_name_en if en else r.stage_name) if r.stage else "",
            local_text(r.stuck_since),
            r.overdue,
            yes if r.certificate else "",
            r.transfer_due.isoformat() if r.status == "ended" and not r.transfer_done else "",
        ]
        for r in separations.overview(session, actor, now)
    ]


register(
    Panel(
        DEPARTURES,
        "dashboard.departures",
        90,
        (
            "field.employee_no",
            "field.name",
            "field.department",
            "separation.kind_label",
            "separation.status_label",
            "separation.last_day_label",
            "separation.stage_col",
            "checklist.since_col",
            "checklist.overdue",
            "separation.certificate_col",
            "separation.transfer_col",
        ),
        _rows,
    )
)
