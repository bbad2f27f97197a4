"""What the header of every page and the employee's home page show, each read in one unit of
work (one transaction, one worker thread) instead of one per fact: the home page's load used to
open eight; the rows each fact needs are read once and shared through the session's identity map.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from selfservice.domain.actor import Actor
from selfservice.persistence.models import Department, Employee, UserAccount
from selfservice.services import approvals, attendance, auth, contacts, employees, leave_balances, notifications, policies


@dataclass(frozen=True)
class Shell:
    """The header's facts: name, unread and to-sign badges, whether the approvals menu applies,
    and whether the recovery codes ran out."""

    profile: employees.ProfileView
    unread: int
    to_sign: int
    approver: bool
    no_recovery_codes: bool


def shell(session: Session, actor: Actor) -> Shell:
    account = session.get(UserAccount, actor.account_id)  # held for the profile's lookup of it  # noqa: F841
    security = auth.security_view(session, actor)
    return Shell(
        employees.profile(session, actor, actor.employee_id),
        notifications.unread_count(session, actor),
        policies.to_sign_count(session, actor),
        approvals.approves_anything(session, actor),
        security.totp_enabled and security.recovery_codes_left == 0,
    )


@dataclass(frozen=True)
class HomeView:
    shell: Shell
    contacts_due: bool
    balances: list[leave_balances.BalanceRow]
    annual: leave_balances.AnnualExplanation | None
    to_approve: int
    today: attendance.TodayView


def view(session: Session, actor: Actor, now: datetime) -> HomeView:
    """The employee's home page: profile, whether contacts need confirming, this year's balances
    and how the annual leave was computed, decisions waiting, and today's clock-in card."""
    year = approvals.local_today(now).year
    # Held while the facts are read: the identity map keeps rows only weakly, and each fact that
    # looks up the employee or their department by key then finds them there instead of querying.
    me = session.get(Employee, actor.employee_id)
    department = session.get(Department, me.department_id) if me is not None else None
    view = HomeView(
        shell(session, actor),
        contacts.due_for(session, actor),
        leave_balances.balances(session, actor, actor.employee_id, year),
        leave_balances.annual_explanation(session, actor, actor.employee_id, year),
        approvals.pending_count(session, actor),
        attendance.today(session, actor, now),
    )
    del me, department
    return view
