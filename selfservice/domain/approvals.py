"""The approval engine (审批): ordered steps resolved from rules, delegation, escalation, and the
state machine that refuses illegal decisions. Generic: leave uses it today; resignation and
other workflows route through it later.

Plain Python: the organisation is given as an :class:`Org` (who manages whom, who heads which
department, who is away), so the rules can be tested without a database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from selfservice.domain.errors import DomainError, NotPermitted


class StepStatus(StrEnum):
    waiting = "waiting"  # an earlier step is still open
    pending = "pending"  # the approver's turn
    approved = "approved"
    rejected = "rejected"
    escalated = "escalated"  # undecided in time; a new step for the approver's manager replaced it
    cancelled = "cancelled"  # the request was withdrawn or decided elsewhere


OPEN = (StepStatus.waiting, StepStatus.pending)


class InstanceStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


class Rule(StrEnum):
    manager = "manager"  # the requester's direct manager
    dept_head = "dept_head"  # the department head, for long requests
    hr = "hr"  # any HR user, for types that need HR
    escalated = "escalated"  # added when a step was not decided in time
    named = "named"  # a person HR named in a configured chain (a termination's approvers)


HR_POOL = "hr"
MAX_CHAIN = 8


@dataclass(frozen=True)
class Org:
    """What routing needs to know about the organisation on the day of submission."""

    manager_of: Callable[[int], int | None]
    dept_head_of: Callable[[int], int | None]
    delegate_of: Callable[[int], int | None]  # an active delegation's delegate, if any
    is_away: Callable[[int], bool]  # on approved leave today
    is_active: Callable[[int], bool]


@dataclass(frozen=True)
class PlannedStep:
    rule: Rule
    approver_id: int | None  # None: the HR pool decides
    acting_id: int | None = None  # the delegate the item is routed to

    @property
    def pool(self) -> str:
        return HR_POOL if self.approver_id is None else ""

    @property
    def decider(self) -> int | None:
        return self.acting_id or self.approver_id


def manager_above(org: Org, employee_id: int, requester_id: int) -> int | None:
    """The first active manager above ``employee_id`` who is not the requester."""
    current: int | None = employee_id
    for _ in range(MAX_CHAIN):
        current = org.manager_of(current) if current is not None else None
        if current is None:
            return None
        if current != requester_id and org.is_active(current):
            return current
    return None


def route(org: Org, requester_id: int, approver_id: int | None) -> tuple[int | None, int | None]:
    """Whom an item for ``approver_id`` really goes to: (approver, acting delegate).

    Nobody approves their own request: the item climbs to the approver's manager. An approver
    who is inactive climbs too. An approver who set a delegate, or is on approved leave, has it
    routed to the delegate (or, away without a delegate, to their own manager). (None, None)
    means the HR pool.
    """
    if approver_id is None:
        return None, None
    approver: int | None = approver_id
    if approver == requester_id or not org.is_active(approver):
        approver = manager_above(org, approver, requester_id)
    if approver is None:
        return None, None
    seen = {approver}
    acting: int | None = None
    current = approver
    for _ in range(MAX_CHAIN):
        delegate = org.delegate_of(current)
        if delegate is None and org.is_away(current):
            delegate = manager_above(org, current, requester_id)
        if delegate is None or delegate in seen or delegate == requester_id or not org.is_active(delegate):
            break
        acting, current = delegate, delegate
        seen.add(delegate)
        if not org.is_away(current) and org.delegate_of(current) is None:
            break
    return approver, acting


def plan(org: Org, requester_id: int, days: Decimal, dept_head_over_days: Decimal | None, hr_must_approve: bool) -> list[PlannedStep]:
    """The ordered steps for a request: direct manager; the department head when the request
    is longer than the policy's threshold; HR when the type needs it. Consecutive steps for
    the same person are merged; a request with no one above it goes to HR."""
    wanted: list[tuple[Rule, int | None]] = [(Rule.manager, org.manager_of(requester_id))]
    if dept_head_over_days is not None and days > dept_head_over_days:
        wanted.append((Rule.dept_head, org.dept_head_of(requester_id)))
    steps: list[PlannedStep] = []
    for rule, candidate in wanted:
        if candidate is None and rule == Rule.manager:
            continue
        approver, acting = route(org, requester_id, candidate)
        if approver is None:
            continue
        if any(s.approver_id == approver for s in steps):
            continue
        steps.append(PlannedStep(rule, approver, acting))
    if hr_must_approve or not steps:
        steps.append(PlannedStep(Rule.hr, None))
    return steps


@dataclass(frozen=True)
class StepView:
    """A step as the state machine sees it."""

    id: int
    position: int
    status: StepStatus
    approver_id: int | None
    acting_id: int | None
    pool: str


def may_decide(step: StepView, requester_id: int, actor_employee_id: int, actor_is_hr: bool) -> bool:
    """Whether the actor may decide this step: its approver, their delegate, or (pool) HR —
    never the requester."""
    if actor_employee_id == requester_id:
        return False
    if step.pool == HR_POOL:
        return actor_is_hr
    return actor_employee_id in (step.approver_id, step.acting_id)


def check_decision(step: StepView, requester_id: int, actor_employee_id: int, actor_is_hr: bool) -> None:
    """Refuse an illegal transition: deciding a step that is not pending, your own request, or
    an item that is not yours to decide."""
    if actor_employee_id == requester_id:
        raise NotPermitted("approval.own_request")
    if step.status != StepStatus.pending:
        raise DomainError("approval.already_decided")
    if not may_decide(step, requester_id, actor_employee_id, actor_is_hr):
        raise NotPermitted("approval.not_your_item")


def next_after(steps: list[StepView], decided_position: int) -> StepView | None:
    """The waiting step that becomes pending after an approval, or None when all are done."""
    later = sorted((s for s in steps if s.status == StepStatus.waiting and s.position > decided_position), key=lambda s: s.position)
    return later[0] if later else None


# ---- time limits -------------------------------------------------------------------------


def add_working_hours(start: datetime, hours: int, is_workday: Callable[[date], bool], tz: ZoneInfo) -> datetime:
    """``start`` plus ``hours`` of working time, where every hour of a workday (in the company's
    time zone) counts and rest days do not: submitted on Friday 10:00 with 24 h → Monday 10:00.
    """
    local = start.astimezone(tz)
    remaining = timedelta(hours=hours)
    for _ in range(3660):
        day_end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        if is_workday(local.date()):
            available = day_end - local
            if remaining <= available:
                return (local + remaining).astimezone(start.tzinfo)
            remaining -= available
        local = day_end
    raise DomainError("approval.no_workdays")


class Overdue(StrEnum):
    none = "none"
    remind = "remind"
    escalate = "escalate"


def overdue_action(now: datetime, due_at: datetime | None, reminded_at: datetime | None, escalate_at: datetime | None) -> Overdue:
    """An item undecided at ``due_at`` is reminded once; still undecided at ``escalate_at``
    (one more period later) it is escalated."""
    if due_at is None or now < due_at:
        return Overdue.none
    if reminded_at is None:
        return Overdue.remind
    if escalate_at is not None and now >= escalate_at:
        return Overdue.escalate
    return Overdue.none
