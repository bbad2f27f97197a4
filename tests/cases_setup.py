"""A company ready for a disappearance case: the handbook signed, the address for service
confirmed, a streak of missing days on record, and the case settings (approvers, union)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from selfservice.demo import _demo_sign, demo_signature
from selfservice.persistence.models import AbsenceStreak, Employee, Policy, ReAuthentication, UserAccount
from selfservice.services import cases, contacts, policies, signatures
from selfservice.services.auth import _new_session, resolve
from tests.helpers import actor_for

RULE = "连续旷工 3 个工作日及以上的，视为严重违反公司规章制度，公司可解除劳动合同。"


def employee(session: Session, number: str) -> Employee:
    return session.exec(select(Employee).where(Employee.employee_no == number)).one()


def handbook(session: Session, now: datetime, signers: list[str]) -> int:
    hr = actor_for(session, "hr01")
    policy_id = policies.save_draft(
        session,
        hr,
        None,
        {
            "title_zh": "员工手册",
            "title_en": "Employee handbook",
            "body_markdown": f"# 员工手册\n\n第二十条 {RULE}",
            "audience": "everyone",
        },
        now - timedelta(days=90),
    )
    policies.publish(session, hr, policy_id, now - timedelta(days=90))
    session.flush()
    version_id = session.get(Policy, policy_id).current_version_id
    for number in signers:
        _demo_sign(session, employee(session, number), version_id, now - timedelta(days=80))
    session.commit()
    return policy_id


def confirm_contacts(session: Session, number: str, channels: list[str], moment: datetime) -> None:
    person = employee(session, number)
    account = session.exec(select(UserAccount).where(UserAccount.employee_id == person.id)).one()
    actor = resolve(session, _new_session(session, account, "full", moment, "pytest"), moment)
    session.add(ReAuthentication(account_id=account.id, session_id=actor.session_id, method="password", at=moment - timedelta(seconds=30)))
    context = signatures.Context(ip="10.0.8.23", user_agent="pytest-phone")
    contacts.confirm_service(session, actor, channels, person.name, demo_signature(number), context, moment)
    session.commit()


def streak(session: Session, number: str, days: list[date], now: datetime) -> int:
    row = AbsenceStreak(
        employee_id=employee(session, number).id,
        start_date=days[0],
        last_date=days[-1],
        days=len(days),
        missing=len(days),
        dates_json=json.dumps([d.isoformat() for d in days]),
        opened_at=now,
        updated_at=now,
    )
    session.add(row)
    session.commit()
    return row.id


def configure(session: Session, policy_id: int | None, now: datetime, approvers: str = "E1001,E2001", union_no: str = "E4005") -> None:
    cases.save_settings(
        session,
        actor_for(session, "hr01"),
        {
            "streak_days": "3",
            "return_days": "3",
            "approvers": approvers,
            "union_no": union_no,
            "union_name": "示例科技有限公司工会",
            "policy_id": str(policy_id or ""),
            "rule_text": RULE,
        },
        now,
    )
    session.commit()
