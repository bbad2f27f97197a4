"""What the handover checklist adds to every visit of the approvals inbox: the open items a person
confirms (``separations.my_items``), for someone who holds nothing, a manager, a named owner
(IT) and HR, in a company of N people with M separations in progress (17 items each, at
different stages), against a baseline measured in the same run: the engine's own
``approvals.pending_for`` for the same person, which every inbox visit already pays.

    python -m bench.handover [--people 2000] [--separations 200]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

os.environ.setdefault("SELFSERVICE_SECRET_KEY", "bench-secret")

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
ROUNDS = 20


def _company(url: str, people: int, departures: int) -> dict[str, int]:
    import sqlalchemy as sa
    from sqlmodel import Session, select

    from selfservice.domain.actor import Actor, Role
    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import ChecklistItem, Department, Employee, UserAccount
    from selfservice.services import separations

    with Session(engine_for(url)) as session:
        department = Department(code="ALL", name="全公司", name_en="Company")
        session.add(department)
        session.flush()
        session.execute(
            sa.insert(Employee.__table__),  # type: ignore[attr-defined]
            [
                {
                    "employee_no": f"B{i:05d}",
                    "name": f"员工{i}",
                    "name_en": "",
                    "department_id": department.id,
                    "manager_id": None if i < 20 else 1 + i % 20,  # 20 managers
                    "position": "",
                    "hire_date": date(2015, 1, 1) + timedelta(days=(i * 37) % 3000),
                    "status": "active",
                    "phone": "",
                    "email": "",
                    "address": "",
                    "emergency_contact_name": "",
                    "emergency_contact_phone": "",
                    "emergency_contact_relation": "",
                    "wecom_userid": "",
                    "child_births": "",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(people)
            ],
        )
        roles = {1: Role.manager, people: Role.hr, people - 1: Role.admin}
        session.execute(
            sa.insert(UserAccount.__table__),  # type: ignore[attr-defined]
            [
                {
                    "employee_id": i,
                    "username": f"b{i}",
                    "role": roles.get(i, Role.employee),
                    "language": "zh-CN",
                    "recovery_code_hashes": "[]",
                    "active": True,
                    "totp_enabled": False,
                    "created_at": NOW,
                }
                for i in range(1, people + 1)
            ],
        )
        hr = Actor(people, people, f"b{people}", Role.hr)
        separations.set_owners(session, hr, "it", f"B{people - 2:05d}", NOW)
        separations.set_owners(session, hr, "admin", f"B{people - 3:05d}", NOW)
        for n in range(departures):
            separations.record(
                session,
                hr,
                employee_no=f"B{100 + n * 3:05d}",
                kind="mutual",
                last_day=date(2026, 12, 31),
                contract_start=None,
                contract_end=None,
                note="",
                now=NOW,
            )
        # spread them over the stages: stage k done for every k below a separation's own stage
        items = session.exec(select(ChecklistItem).order_by(ChecklistItem.separation_id, ChecklistItem.stage)).all()
        for item in items:
            if item.stage < 1 + item.separation_id % 5:
                item.status = "done"
            elif item.stage == 1 + item.separation_id % 5:
                item.status, item.opened_at, item.due_at = "open", NOW, NOW + timedelta(days=1)
            else:
                item.status = "waiting"
            session.add(item)
        session.commit()
    return {"nobody": 500, "manager": 1, "it": people - 2, "hr": people}


def run(people: int, departures: int) -> dict[str, tuple[float, float, int]]:
    from sqlmodel import Session, select

    from selfservice.persistence import migrate
    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import UserAccount
    from selfservice.services import approvals, separations
    from selfservice.services.auth import actor_of

    result = {}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/handover.db"
        migrate.upgrade("head", url)
        who = _company(url, people, departures)
        engine = engine_for(url)
        for label, employee_id in who.items():
            with Session(engine) as session:
                actor = actor_of(session.exec(select(UserAccount).where(UserAccount.employee_id == employee_id)).one())
                found = len(separations.my_items(session, actor, NOW))
                started = time.perf_counter()
                for _ in range(ROUNDS):
                    separations.my_items(session, actor, NOW)
                mine = (time.perf_counter() - started) / ROUNDS
                started = time.perf_counter()
                for _ in range(ROUNDS):
                    approvals.pending_for(session, actor)
                baseline = (time.perf_counter() - started) / ROUNDS
            result[label] = (mine, baseline, found)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--separations", type=int, default=200)
    args = parser.parse_args(argv)
    rows = run(args.people, args.separations)
    print(f"handover items in the inbox: {args.people} people, {args.separations} separations in progress, {ROUNDS} rounds each")
    for label, (mine, baseline, found) in rows.items():
        print(
            f"  {label:8} {found:5d} items  my_items {mine * 1000:7.2f} ms   pending_for (baseline) {baseline * 1000:6.2f} ms   ratio {mine / baseline:5.2f}x"
        )


if __name__ == "__main__":
    main()
