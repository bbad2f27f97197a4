"""The policy and contact-details panels of the HR dashboard, as exportable rows (registered on import)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from selfservice.domain.actor import Actor
from selfservice.i18n import t
from selfservice.services import contacts, policies
from selfservice.services.dashboard import Panel, register

POLICY_STATUS, POLICY_UNSIGNED, STALE_CONTACTS = "policy_status", "policy_unsigned", "stale_contacts"


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


def _stale(session: Session, actor: Actor, now: datetime, language: str) -> list[list]:
    never = t(language, "dashboard.never")
    return [
        [r.employee_no, r.name, r.department, r.manager, r.confirmed_at or never, r.asked_at]
        for r in contacts.stale(session, actor, now, limit=100_000)
    ]


register(
    Panel(
        STALE_CONTACTS,
        "dashboard.stale_contacts",
        80,
        ("field.employee_no", "field.name", "field.department", "field.manager", "dashboard.confirmed_at", "dashboard.asked_at"),
        _stale,
    )
)
