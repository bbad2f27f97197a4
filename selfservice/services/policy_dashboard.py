"""The policy panels of the HR dashboard, as exportable rows (registered on import)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from selfservice.domain.actor import Actor
from selfservice.i18n import t
from selfservice.services import policies
from selfservice.services.dashboard import Panel, register

POLICY_STATUS, POLICY_UNSIGNED = "policy_status", "policy_unsigned"


def _status(session: Session, actor: Actor, now: datetime, language: str) -> list[list]:
    return [
        [f"{r.title} v{r.number}", r.department, r.signed, r.unsigned, r.overdue]
        for r in policies.status_by_department(session, actor, now)
    ]


def _unsigned(session: Session, actor: Actor, now: datetime, language: str) -> list[list]:
    yes = t(language, "dashboard.yes")
    return [
        [r.employee_no, r.name, r.department, r.policy, r.due, yes if r.overdue else "", r.last_reminded]
        for r in policies.unsigned(session, actor, now, limit=100_000)
    ]


register(
    Panel(
        POLICY_STATUS,
        "dashboard.policy_status",
        60,
        ("policy.col.title", "field.department", "policy.mine.signed", "dashboard.unsigned", "policy.mine.overdue"),
        _status,
    )
)
register(
    Panel(
        POLICY_UNSIGNED,
        "dashboard.policy_unsigned",
        70,
        (
            "field.employee_no",
            "field.name",
            "field.department",
            "policy.col.title",
            "policy.col.deadline",
            "policy.mine.overdue",
            "dashboard.last_reminded",
        ),
        _unsigned,
    )
)
