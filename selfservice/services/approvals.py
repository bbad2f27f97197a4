"""The approval engine over the database: instances, steps, decisions, delegation, escalation.

A workflow (leave, leave cancellation, later resignation) registers a :class:`Workflow` that
describes its subject and applies the outcome; this module owns everything else. The rules
themselves are in :mod:`selfservice.domain.approvals`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain import approvals as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError, NotFound, NotPermitted, ValidationFailed
from selfservice.persistence.models import (
    ApprovalDelegation,
    ApprovalInstance,
    ApprovalPolicy,
    ApprovalStep,
    Department,
    Employee,
    HandoverOwner,
    LeaveRequest,
    NotificationMessage,
    UserAccount,
)
from selfservice.services import audit, work_calendar
from selfservice.services.notifications import notify, notify_many
from selfservice.settings import get_settings

MAX_COMMENT = 500
NOTIFY_CHANNELS = ("wecom",)


@dataclass(frozen=True)
class Workflow:
    """What the engine needs from a workflow."""

    name: str
    policy: str  # whose routing rules apply (leave cancellation follows leave's)
    describe: Callable[[Session, int], dict[str, str]]  # what_zh, what_en, summary for messages and the inbox
    on_finished: Callable[[Session, Actor, int, rules.InstanceStatus, datetime], None]
    requester_link: str = "/leave?tab=mine"  # where the requester's messages lead (no dead ends)
    may_reject: bool = True  # False: the step is an acknowledgement (a lawful resignation cannot be refused)


_WORKFLOWS: dict[str, Workflow] = {}


def register(workflow: Workflow) -> None:
    _WORKFLOWS[workflow.name] = workflow


def workflow(name: str) -> Workflow:
    if name not in _WORKFLOWS:
        raise NotFound()
    return _WORKFLOWS[name]


# ---- policy -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyView:
    dept_head_over_days: Decimal | None
    escalate_after_hours: int


def policy(session: Session, name: str) -> PolicyView:
    row = session.get(ApprovalPolicy, name)
    if row is None:
        return PolicyView(Decimal(3), 24)
    return PolicyView(row.dept_head_over_days, row.escalate_after_hours)


def save_policy(session: Session, actor: Actor, name: str, dept_head_over_days: str, escalate_after_hours: str, now: datetime) -> None:
    """HR sets a workflow's routing: department head above N days (blank: never), escalation time."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    if name not in _WORKFLOWS:
        raise NotFound()
    threshold: Decimal | None = None
    if dept_head_over_days.strip():
        try:
            threshold = Decimal(dept_head_over_days.strip())
        except ArithmeticError:
            raise ValidationFailed("leave.days_format", field="dept_head_over_days") from None
        if not threshold.is_finite() or threshold < 0 or threshold > 365 or threshold % Decimal("0.5") != 0:
            raise ValidationFailed("leave.days_format", field="dept_head_over_days")
    if not escalate_after_hours.strip().isdigit() or not 1 <= int(escalate_after_hours) <= 720:
        raise ValidationFailed("approval.hours_range", field="escalate_after_hours", min=1, max=720)
    row = session.get(ApprovalPolicy, name)
    before = (
        None if row is None else {"dept_head_over_days": str(row.dept_head_over_days), "escalate_after_hours": row.escalate_after_hours}
    )
    row = row or ApprovalPolicy(workflow=name)
    row.dept_head_over_days, row.escalate_after_hours = threshold, int(escalate_after_hours)
    row.updated_at, row.updated_by = now, actor.account_id or None
    session.add(row)
    audit.append(
        session,
        actor,
        "approval.policy_saved",
        "approval_policy",
        name,
        before=before,
        after={"dept_head_over_days": str(threshold), "escalate_after_hours": row.escalate_after_hours},
        at=now,
    )


# ---- the organisation as routing sees it ----------------------------------------------------


def local_today(now: datetime) -> date:
    return now.astimezone(ZoneInfo(get_settings().timezone)).date()


def org(session: Session, today: date) -> rules.Org:
    people = {row.id: row for row in session.exec(select(Employee)).all()}
    heads = {row.id: row.head_employee_id for row in session.exec(select(Department)).all()}
    delegations = {
        row.employee_id: row.delegate_id
        for row in session.exec(
            select(ApprovalDelegation).where(
                ApprovalDelegation.revoked_at.is_(None),  # type: ignore[union-attr]
                ApprovalDelegation.starts_on <= today,
                ApprovalDelegation.ends_on >= today,
            )
        ).all()
    }
    away = set(
        session.exec(
            select(LeaveRequest.employee_id).where(
                LeaveRequest.status.in_(("approved", "cancel_pending")),  # type: ignore[attr-defined]
                LeaveRequest.start_date <= today,
                LeaveRequest.end_date >= today,
            )
        ).all()
    )

    def manager_of(employee_id: int) -> int | None:
        person = people.get(employee_id)
        return person.manager_id if person else None

    def dept_head_of(employee_id: int) -> int | None:
        person = people.get(employee_id)
        return heads.get(person.department_id) if person else None

    def is_active(employee_id: int) -> bool:
        person = people.get(employee_id)
        return person is not None and person.status == "active"

    return rules.Org(manager_of, dept_head_of, delegations.get, away.__contains__, is_active)


def due_after(session: Session, start: datetime, hours: int) -> datetime:
    """``hours`` working hours after ``start`` on the work calendar (what every time limit uses)."""
    return _due(session, start, hours)


def _due(session: Session, start: datetime, hours: int) -> datetime:
    tz = ZoneInfo(get_settings().timezone)
    first = start.astimezone(tz).date()
    calendar = work_calendar.load(session, first, first + timedelta(days=120))
    return rules.add_working_hours(start, hours, calendar.is_workday, tz)


# ---- starting and deciding ----------------------------------------------------------------


def start(
    session: Session,
    actor: Actor,
    name: str,
    subject_id: int,
    requester_id: int,
    days: Decimal,
    hr_must_approve: bool,
    now: datetime,
    named: list[int] | None = None,
) -> ApprovalInstance:
    """Open an approval for a subject: steps resolved from the rules now, the first one pending.
    ``named``: a chain HR configured (e.g. HR manager → legal → general manager) instead of the
    manager rules, each step still routed through delegation and absence."""
    flow = workflow(name)
    rule_set = policy(session, flow.policy)
    the_org = org(session, local_today(now))
    if named:
        planned = []
        for approver_id in named:
            approver, acting = rules.route(the_org, requester_id, approver_id)
            if approver is not None and all(s.approver_id != approver for s in planned):
                planned.append(rules.PlannedStep(rules.Rule.named, approver, acting))
        planned = planned or [rules.PlannedStep(rules.Rule.hr, None)]
    else:
        planned = rules.plan(the_org, requester_id, days, rule_set.dept_head_over_days, hr_must_approve)
    instance = ApprovalInstance(workflow=name, subject_id=subject_id, requester_id=requester_id, created_at=now)
    session.add(instance)
    session.flush()
    steps = []
    for position, step in enumerate(planned):
        row = ApprovalStep(
            instance_id=instance.id,  # type: ignore[arg-type]
            position=position,
            rule=step.rule,
            approver_id=step.approver_id,
            acting_id=step.acting_id,
            pool=step.pool,
            status=rules.StepStatus.waiting,
        )
        steps.append(row)
    session.add_all(steps)
    session.flush()
    audit.append(
        session,
        actor,
        "approval.started",
        "approval_instance",
        instance.id,
        after={
            "workflow": name,
            "subject_id": subject_id,
            "steps": [{"rule": s.rule, "approver": s.approver_id, "acting": s.acting_id, "pool": s.pool} for s in steps],
        },
        at=now,
    )
    _activate(session, actor, instance, steps[0], now)
    return instance


def _deciders(session: Session, step: ApprovalStep) -> list[int]:
    if step.pool == rules.HR_POOL:
        return list(
            session.exec(
                select(Employee.id)
                .join(UserAccount, UserAccount.employee_id == Employee.id)
                .where(UserAccount.role.in_([Role.hr, Role.admin]), UserAccount.active == True, Employee.status == "active")  # type: ignore[union-attr]  # noqa: E712
            ).all()
        )
    decider = step.acting_id or step.approver_id
    return [decider] if decider else []


def _name(session: Session, employee_id: int | None) -> str:
    person = session.get(Employee, employee_id) if employee_id else None
    return person.name if person else "HR"


def _activate(
    session: Session, actor: Actor, instance: ApprovalInstance, step: ApprovalStep, now: datetime, template: str = "approval.requested"
) -> None:
    flow = workflow(instance.workflow)
    step.status = rules.StepStatus.pending
    step.activated_at = now
    step.due_at = _due(session, now, policy(session, flow.policy).escalate_after_hours)
    session.add(step)
    session.flush()
    params = {**flow.describe(session, instance.subject_id), "requester": _name(session, instance.requester_id)}
    if template == "approval.escalated":
        params["original"] = _name(session, _original_of(session, step))
    recipients = [r for r in _deciders(session, step) if r != instance.requester_id]
    notify_many(session, actor, recipients, "approval", template, params, NOTIFY_CHANNELS, now, link_path=_inbox_link(instance))


def _inbox_link(instance: ApprovalInstance) -> str:
    return f"/approvals?i={instance.id}"


def _mark_seen(session: Session, actor: Actor, instance: ApprovalInstance, now: datetime) -> None:
    """The decider read the request on the approvals screen: their message asking for it is read
    there (an unread item they already decided would be a dead end in the inbox)."""
    session.execute(
        sa.update(NotificationMessage)
        .where(
            NotificationMessage.recipient_id == actor.employee_id,  # type: ignore[arg-type]
            NotificationMessage.kind == "approval",  # type: ignore[arg-type]
            NotificationMessage.link_path == _inbox_link(instance),  # type: ignore[arg-type]
            NotificationMessage.read_at.is_(None),  # type: ignore[union-attr]
        )
        .values(read_at=now, read_via="approvals")
    )


def _original_of(session: Session, step: ApprovalStep) -> int | None:
    earlier = session.exec(
        select(ApprovalStep)
        .where(ApprovalStep.instance_id == step.instance_id, ApprovalStep.position == step.position, ApprovalStep.status == "escalated")
        .order_by(ApprovalStep.id.desc())  # type: ignore[union-attr]
    ).first()
    return (earlier.acting_id or earlier.approver_id) if earlier else None


def _view(step: ApprovalStep) -> rules.StepView:
    return rules.StepView(step.id or 0, step.position, rules.StepStatus(step.status), step.approver_id, step.acting_id, step.pool)


def _steps(session: Session, instance_id: int) -> list[ApprovalStep]:
    return list(
        session.exec(
            select(ApprovalStep).where(ApprovalStep.instance_id == instance_id).order_by(ApprovalStep.position, ApprovalStep.id)
        ).all()
    )


def decide(session: Session, actor: Actor, step_id: int, approve: bool, comment: str, now: datetime) -> rules.InstanceStatus:
    """Approve or reject one pending step (a reject needs a comment). Returns the instance's status."""
    step = session.exec(select(ApprovalStep).where(ApprovalStep.id == step_id).with_for_update()).first()
    if step is None:
        raise NotFound()
    instance = session.get(ApprovalInstance, step.instance_id)
    assert instance is not None
    rules.check_decision(_view(step), instance.requester_id, actor.employee_id, actor.has_role(Role.hr))
    if not approve and not workflow(instance.workflow).may_reject:
        raise DomainError("approval.cannot_reject")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed("approval.comment_too_long", field="comment", max=MAX_COMMENT)
    if not approve and not comment:
        raise ValidationFailed("approval.comment_required", field="comment")
    # Claim the step only if it is still pending when the write happens: of two approvers (an
    # approver and their delegate) deciding at once, the second gets a clear refusal.
    claimed = session.execute(
        sa.update(ApprovalStep)
        .where(ApprovalStep.id == step.id, ApprovalStep.status == rules.StepStatus.pending)  # type: ignore[arg-type]
        .values(
            status=rules.StepStatus.approved if approve else rules.StepStatus.rejected,
            decided_at=now,
            decided_by=actor.employee_id,
            comment=comment,
        )
    ).rowcount  # type: ignore[attr-defined]
    if claimed != 1:
        raise DomainError("approval.already_decided")
    on_behalf_of = step.approver_id if step.approver_id not in (None, actor.employee_id) else None
    audit.append(
        session,
        actor,
        "approval.approved" if approve else "approval.rejected",
        "approval_step",
        step.id,
        after={"instance": instance.id, "workflow": instance.workflow, "comment": comment, "on_behalf_of": on_behalf_of},
        at=now,
    )
    flow = workflow(instance.workflow)
    params = {
        **flow.describe(session, instance.subject_id),
        "decider": _name(session, actor.employee_id),
        "comment": comment or "-",
    }
    steps = _steps(session, instance.id)  # type: ignore[arg-type]
    following = rules.next_after([_view(s) for s in steps], step.position) if approve else None
    while following is not None and following.pool != rules.HR_POOL and (following.acting_id or following.approver_id) == actor.employee_id:
        # The same person is next (e.g. after an escalation): one decision covers both steps.
        same = next(s for s in steps if s.id == following.id)
        same.status, same.activated_at, same.decided_at, same.decided_by, same.comment = "approved", now, now, actor.employee_id, comment
        session.add(same)
        audit.append(
            session,
            actor,
            "approval.approved",
            "approval_step",
            same.id,
            after={"instance": instance.id, "same_approver_as": step.id},
            at=now,
        )
        following = rules.next_after([_view(s) for s in steps], same.position)
    _mark_seen(session, actor, instance, now)
    if following is not None:
        notify(
            session,
            actor,
            instance.requester_id,
            "approval",
            "approval.step_approved",
            params,
            NOTIFY_CHANNELS,
            now,
            link_path=flow.requester_link,
        )
        nxt = next(s for s in steps if s.id == following.id)
        _activate(session, actor, instance, nxt, now)
        return rules.InstanceStatus.pending
    outcome = rules.InstanceStatus.approved if approve else rules.InstanceStatus.rejected
    _finish(session, actor, instance, steps, outcome, now)
    notify(
        session,
        actor,
        instance.requester_id,
        "approval",
        "approval.approved" if approve else "approval.rejected",
        params,
        NOTIFY_CHANNELS,
        now,
        link_path=flow.requester_link,
    )
    return outcome


def _finish(
    session: Session, actor: Actor, instance: ApprovalInstance, steps: list[ApprovalStep], outcome: rules.InstanceStatus, now: datetime
) -> None:
    for other in steps:
        if other.status in rules.OPEN:
            other.status = rules.StepStatus.cancelled
            other.decided_at = now
            session.add(other)
    instance.status, instance.finished_at = outcome, now
    session.add(instance)
    session.flush()
    audit.append(session, actor, "approval.finished", "approval_instance", instance.id, after={"status": outcome}, at=now)
    workflow(instance.workflow).on_finished(session, actor, instance.subject_id, outcome, now)


def withdraw(session: Session, actor: Actor, instance_id: int, now: datetime) -> None:
    """The requester takes back a pending approval; open steps are cancelled."""
    instance = session.get(ApprovalInstance, instance_id)
    if instance is None:
        raise NotFound()
    if instance.requester_id != actor.employee_id:
        raise NotPermitted()
    if instance.status != rules.InstanceStatus.pending:
        raise ValidationFailed("approval.not_pending", field="status")
    steps = _steps(session, instance_id)
    pending = [s for s in steps if s.status == rules.StepStatus.pending]
    _finish(session, actor, instance, steps, rules.InstanceStatus.withdrawn, now)
    params = {**workflow(instance.workflow).describe(session, instance.subject_id), "requester": _name(session, instance.requester_id)}
    for step in pending:
        notify_many(session, actor, _deciders(session, step), "approval", "approval.withdrawn", params, (), now, link_path="/approvals")


def cancel(session: Session, actor: Actor, instance_id: int, now: datetime) -> None:
    """HR ends a pending approval whose subject was closed another way (a case resolved while its
    termination was being decided); the deciders are told."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    instance = session.get(ApprovalInstance, instance_id)
    if instance is None:
        raise NotFound()
    if instance.status != rules.InstanceStatus.pending:
        raise ValidationFailed("approval.not_pending", field="status")
    steps = _steps(session, instance_id)
    pending = [s for s in steps if s.status == rules.StepStatus.pending]
    _finish(session, actor, instance, steps, rules.InstanceStatus.withdrawn, now)
    params = {**workflow(instance.workflow).describe(session, instance.subject_id), "requester": _name(session, instance.requester_id)}
    for step in pending:
        notify_many(session, actor, _deciders(session, step), "approval", "approval.withdrawn", params, (), now, link_path="/approvals")


# ---- what an approver sees ----------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    step_id: int
    instance_id: int
    workflow: str
    subject_id: int
    requester_id: int
    requester: str
    rule: str
    status: str
    approver: str  # whom the rules named
    acting: bool  # routed to the viewer as a delegate
    activated_at: datetime | None
    due_at: datetime | None
    decided_at: datetime | None
    decided_by: str
    on_behalf_of: str  # the named approver, when someone else (a delegate) decided
    comment: str


def _mine_clause(actor: Actor):  # noqa: ANN202
    me = actor.employee_id
    clause = sa.or_(ApprovalStep.acting_id == me, ApprovalStep.approver_id == me)  # type: ignore[arg-type]
    if actor.has_role(Role.hr):
        clause = sa.or_(clause, ApprovalStep.pool == rules.HR_POOL)  # type: ignore[arg-type]
    return clause


def _names(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    """Names of several employees with one query (the identity map keeps objects only weakly)."""
    wanted = [i for i in ids if i]
    rows = session.exec(select(Employee.id, Employee.name).where(Employee.id.in_(wanted))).all() if wanted else []  # type: ignore[union-attr]
    return {None: "HR", **dict(rows)}


def _items(session: Session, actor: Actor, rows: list[tuple[ApprovalStep, ApprovalInstance]]) -> list[Item]:
    names = _names(session, {i.requester_id for _, i in rows} | {s.approver_id for s, _ in rows} | {s.decided_by for s, _ in rows})
    return [
        Item(
            step.id or 0,
            instance.id or 0,
            instance.workflow,
            instance.subject_id,
            instance.requester_id,
            names.get(instance.requester_id, ""),
            step.rule,
            step.status,
            names.get(step.approver_id, "HR"),
            step.acting_id == actor.employee_id and step.approver_id != actor.employee_id,
            step.activated_at,
            step.due_at,
            step.decided_at,
            names.get(step.decided_by, "") if step.decided_by else "",
            names.get(step.approver_id, "") if step.decided_by and step.approver_id and step.decided_by != step.approver_id else "",
            step.comment,
        )
        for step, instance in rows
    ]


def approves_anything(session: Session, actor: Actor) -> bool:
    """Whether the approvals screen means anything to this person: HR and managers, anyone with
    direct reports, a delegate, or anyone who has ever been asked to decide."""
    if actor.has_role(Role.manager):
        return True
    me = actor.employee_id
    reasons = session.exec(  # one round trip: has reports, was ever asked, owns handover items, is a delegate
        select(
            sa.exists().where(Employee.manager_id == me),
            sa.exists().where(sa.or_(ApprovalStep.approver_id == me, ApprovalStep.acting_id == me)),  # type: ignore[arg-type]
            sa.exists().where(HandoverOwner.employee_id == me),
            sa.exists().where(ApprovalDelegation.delegate_id == me),
        )
    ).one()
    return any(reasons)


def pending_for(session: Session, actor: Actor) -> list[Item]:
    """Steps waiting for the actor's decision, oldest first (never the actor's own requests)."""
    rows = session.exec(
        select(ApprovalStep, ApprovalInstance)
        .join(ApprovalInstance, ApprovalInstance.id == ApprovalStep.instance_id)
        .where(ApprovalStep.status == rules.StepStatus.pending, ApprovalInstance.requester_id != actor.employee_id, _mine_clause(actor))
        .order_by(ApprovalStep.activated_at, ApprovalStep.id)
    ).all()
    return _items(session, actor, list(rows))


def pending_count(session: Session, actor: Actor) -> int:
    """How many steps wait for the actor's decision (the home page's badge)."""
    return session.exec(
        select(sa.func.count())
        .select_from(ApprovalStep)
        .join(ApprovalInstance, ApprovalInstance.id == ApprovalStep.instance_id)
        .where(ApprovalStep.status == rules.StepStatus.pending, ApprovalInstance.requester_id != actor.employee_id, _mine_clause(actor))
    ).one()


def history_for(session: Session, actor: Actor, limit: int = 100) -> list[Item]:
    """Steps the actor decided, or that were decided for them by a delegate, newest first."""
    me = actor.employee_id
    rows = session.exec(
        select(ApprovalStep, ApprovalInstance)
        .join(ApprovalInstance, ApprovalInstance.id == ApprovalStep.instance_id)
        .where(
            ApprovalStep.status.in_((rules.StepStatus.approved, rules.StepStatus.rejected, rules.StepStatus.escalated)),  # type: ignore[attr-defined]
            sa.or_(ApprovalStep.decided_by == me, ApprovalStep.approver_id == me, ApprovalStep.acting_id == me),  # type: ignore[arg-type]
        )
        .order_by(ApprovalStep.decided_at.desc(), ApprovalStep.id.desc())  # type: ignore[union-attr]
        .limit(limit)
    ).all()
    return _items(session, actor, list(rows))


def summaries(session: Session, items: list[Item]) -> dict[int, dict[str, str]]:
    """What each item is about (its workflow's description), by step id: the history names the
    request, not only the person."""
    result = {}
    for item in items:
        try:
            result[item.step_id] = workflow(item.workflow).describe(session, item.subject_id)
        except (NotFound, AssertionError):
            result[item.step_id] = {}
    return result


def is_involved(session: Session, actor: Actor, workflows: tuple[str, ...], subject_id: int) -> bool:
    """Whether the actor is (or was) an approver of any approval of this subject."""
    me = actor.employee_id
    clause = sa.or_(ApprovalStep.approver_id == me, ApprovalStep.acting_id == me, ApprovalStep.decided_by == me)  # type: ignore[arg-type]
    found = session.exec(
        select(ApprovalStep.id)
        .join(ApprovalInstance, ApprovalInstance.id == ApprovalStep.instance_id)
        .where(ApprovalInstance.workflow.in_(workflows), ApprovalInstance.subject_id == subject_id, clause)  # type: ignore[attr-defined]
        .limit(1)
    ).first()
    return found is not None


@dataclass(frozen=True)
class TrailStep:
    position: int
    rule: str
    status: str
    approver: str
    decided_by: str
    on_behalf_of: str  # set when someone other than the named approver decided
    comment: str
    decided_at: datetime | None


def trail(session: Session, workflows: tuple[str, ...], subject_id: int) -> list[TrailStep]:
    """Every step of every approval of a subject, in order: who decided, for whom, and why."""
    return trails(session, workflows, [subject_id]).get(subject_id, [])


def trails(session: Session, workflows: tuple[str, ...], subject_ids: list[int]) -> dict[int, list[TrailStep]]:
    """The trails of several subjects with one query (for lists and the inbox)."""
    rows = session.exec(
        select(ApprovalStep, ApprovalInstance.subject_id)
        .join(ApprovalInstance, ApprovalInstance.id == ApprovalStep.instance_id)
        .where(ApprovalInstance.workflow.in_(workflows), ApprovalInstance.subject_id.in_(subject_ids))  # type: ignore[attr-defined]
        .order_by(ApprovalInstance.id, ApprovalStep.position, ApprovalStep.id)
    ).all()
    result: dict[int, list[TrailStep]] = {}
    names = _names(session, {i for s, _ in rows for i in (s.approver_id, s.decided_by, s.acting_id)})
    for step, subject_id in rows:
        named = names.get(step.approver_id, "") if step.approver_id else "HR"
        decider = names.get(step.decided_by, "") if step.decided_by else ""
        behalf = named if step.decided_by and step.approver_id and step.decided_by != step.approver_id else ""
        current = names.get(step.acting_id, "") if step.acting_id and not step.decided_by else named
        result.setdefault(subject_id, []).append(
            TrailStep(step.position, step.rule, step.status, current, decider, behalf, step.comment, step.decided_at)
        )
    return result


# ---- delegation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DelegationView:
    id: int
    delegate: str
    starts_on: date
    ends_on: date


def delegations(session: Session, actor: Actor, now: datetime) -> list[DelegationView]:
    """The actor's current and future delegations."""
    rows = session.exec(
        select(ApprovalDelegation)
        .where(
            ApprovalDelegation.employee_id == actor.employee_id,
            ApprovalDelegation.revoked_at.is_(None),  # type: ignore[union-attr]
            ApprovalDelegation.ends_on >= local_today(now),
        )
        .order_by(ApprovalDelegation.starts_on)
    ).all()
    return [DelegationView(r.id or 0, _name(session, r.delegate_id), r.starts_on, r.ends_on) for r in rows]


def delegate(session: Session, actor: Actor, delegate_no: str, starts_on: date, ends_on: date, now: datetime) -> int:
    """The actor names a colleague (by employee number) to decide their new items for a period."""
    person = session.exec(select(Employee).where(Employee.employee_no == delegate_no.strip())).first()
    if person is None or person.status != "active":
        raise ValidationFailed("approval.delegate_unknown", field="delegate", value=delegate_no.strip()[:32])
    if person.id == actor.employee_id:
        raise ValidationFailed("approval.delegate_self", field="delegate")
    if ends_on < starts_on:
        raise ValidationFailed("leave.end_before_start", field="ends_on")
    if starts_on < local_today(now) or (ends_on - starts_on).days > 366:
        raise ValidationFailed("approval.delegation_range", field="starts_on")
    overlapping = session.exec(
        select(ApprovalDelegation.id).where(
            ApprovalDelegation.employee_id == actor.employee_id,
            ApprovalDelegation.revoked_at.is_(None),  # type: ignore[union-attr]
            ApprovalDelegation.starts_on <= ends_on,
            ApprovalDelegation.ends_on >= starts_on,
        )
    ).first()
    if overlapping is not None:
        raise ValidationFailed("approval.delegation_overlap", field="starts_on")
    row = ApprovalDelegation(employee_id=actor.employee_id, delegate_id=person.id, starts_on=starts_on, ends_on=ends_on, created_at=now)  # type: ignore[arg-type]
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        "approval.delegated",
        "approval_delegation",
        row.id,
        after={"delegate": person.id, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
        at=now,
    )
    return row.id  # type: ignore[return-value]


def revoke_delegation(session: Session, actor: Actor, delegation_id: int, now: datetime) -> None:
    row = session.get(ApprovalDelegation, delegation_id)
    if row is None:
        raise NotFound()
    if row.employee_id != actor.employee_id:
        raise NotPermitted()
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        audit.append(session, actor, "approval.delegation_revoked", "approval_delegation", row.id, at=now)


# ---- escalation (a scheduled job) ---------------------------------------------------------


def escalate_due(session: Session, actor: Actor, now: datetime) -> tuple[int, int]:
    """Remind approvers of items past their time once; escalate items still undecided one more
    period later to the approver's manager (or HR). Returns (reminded, escalated)."""
    reminded = escalated = 0
    due = session.exec(
        select(ApprovalStep).where(ApprovalStep.status == rules.StepStatus.pending, ApprovalStep.due_at <= now).order_by(ApprovalStep.id)  # type: ignore[operator]
    ).all()
    for step in due:
        instance = session.get(ApprovalInstance, step.instance_id)
        assert instance is not None and step.due_at is not None and step.activated_at is not None
        flow = workflow(instance.workflow)
        hours = policy(session, flow.policy).escalate_after_hours
        escalate_at = _due(session, step.due_at, hours)
        action = rules.overdue_action(now, step.due_at, step.reminded_at, escalate_at)
        if action == rules.Overdue.remind:
            step.reminded_at = now
            session.add(step)
            params = {**flow.describe(session, instance.subject_id), "requester": _name(session, instance.requester_id)}
            notify_many(session, actor, _deciders(session, step), "approval", "approval.reminder", params, NOTIFY_CHANNELS, now)
            audit.append(session, actor, "approval.reminded", "approval_step", step.id, at=now)
            reminded += 1
        elif action == rules.Overdue.escalate and step.pool != rules.HR_POOL:
            _escalate(session, actor, instance, step, now)
            escalated += 1
    return reminded, escalated


def reroute_from(session: Session, actor: Actor, employee_id: int, now: datetime) -> int:
    """Someone leaves: every step waiting for them moves to the manager above them (or HR),
    as an escalation does. Returns how many moved."""
    held = session.exec(
        select(ApprovalStep)
        .where(
            ApprovalStep.status == rules.StepStatus.pending,
            sa.or_(
                ApprovalStep.acting_id == employee_id, sa.and_(ApprovalStep.approver_id == employee_id, ApprovalStep.acting_id.is_(None))
            ),  # type: ignore[union-attr,arg-type]
        )
        .order_by(ApprovalStep.id)  # type: ignore[arg-type]
    ).all()
    for step in held:
        instance = session.get(ApprovalInstance, step.instance_id)
        assert instance is not None
        _escalate(session, actor, instance, step, now)
    return len(held)


def _escalate(session: Session, actor: Actor, instance: ApprovalInstance, step: ApprovalStep, now: datetime) -> None:
    today_org = org(session, local_today(now))
    holder = step.acting_id or step.approver_id
    above = rules.manager_above(today_org, holder, instance.requester_id) if holder else None
    approver, acting = rules.route(today_org, instance.requester_id, above)
    step.status, step.decided_at = rules.StepStatus.escalated, now
    session.add(step)
    replacement = ApprovalStep(
        instance_id=instance.id,  # type: ignore[arg-type]
        position=step.position,
        rule=rules.Rule.escalated,
        approver_id=approver,
        acting_id=acting,
        pool="" if approver else rules.HR_POOL,
        status=rules.StepStatus.waiting,
    )
    session.add(replacement)
    session.flush()
    audit.append(
        session,
        actor,
        "approval.escalated",
        "approval_step",
        step.id,
        after={"to_step": replacement.id, "approver": approver, "acting": acting, "pool": replacement.pool},
        at=now,
    )
    _activate(session, actor, instance, replacement, now, template="approval.escalated")
