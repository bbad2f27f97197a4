"""Leave through the approval engine: N requests submitted and approved by their managers via the
services (calendar count, balance, overlap check, routing, audit, notifications, ledger), one
transaction per action as in the app, against a baseline of raw INSERTs of the same request rows
and ledger entries, each committed on its own, on fresh SQLite databases migrated in this run.
Also the approvals inbox of a manager with M pending items against one SELECT of those rows.

    python -m bench.leave [--requests 400] [--pending 100]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, date, datetime

os.environ.setdefault("SELFSERVICE_SECRET_KEY", "bench-secret")

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _fresh_db(folder: str, name: str) -> str:
    from sqlmodel import Session

    from selfservice.demo import load_demo
    from selfservice.domain.actor import SYSTEM
    from selfservice.persistence import migrate
    from selfservice.persistence.db import engine_for
    from selfservice.services import leave_balances

    url = f"sqlite:///{folder}/{name}.db"
    migrate.upgrade("head", url)
    with Session(engine_for(url)) as session:
        load_demo(session, today=date(2026, 3, 1), workflows=False)
        leave_balances.ensure_default_types(session)
        leave_balances.accrue_year(session, SYSTEM, 2026, NOW)
        session.commit()
    return url


def _plan(count: int) -> list[tuple[str, date]]:
    """Employees with a manager, each taking distinct single working days (personal leave)."""
    from selfservice.demo import PEOPLE
    from selfservice.domain.work_calendar import WorkCalendar, statutory_exceptions

    staff = [p[0] for p in PEOPLE if p[6] == "employee" and p[4]]
    calendar = WorkCalendar(statutory_exceptions(2026))
    workdays = calendar.workdays(date(2026, 3, 2), date(2026, 12, 31))
    return [(staff[i % len(staff)], workdays[i // len(staff)]) for i in range(count)]


def run_service(url: str, plan: list[tuple[str, date]]) -> float:
    from sqlmodel import Session, select

    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import UserAccount
    from selfservice.services import approvals, leave_requests
    from selfservice.services.auth import actor_of

    engine = engine_for(url)
    with Session(engine) as session:
        actors = {a.username: actor_of(a) for a in session.exec(select(UserAccount)).all()}
        by_employee = {a.employee_id: a for a in actors.values()}
    started = time.perf_counter()
    for username, day in plan:
        with Session(engine) as session:
            leave_requests.submit(session, actors[username], "personal", day, "am", day, "pm", "bench", [], NOW)
            session.commit()
    with Session(engine) as session:
        managers = {by_employee[s.approver_id].username for s in _pending(session)}
    for manager in sorted(managers):
        with Session(engine) as session:
            items = approvals.pending_for(session, actors[manager])
        for item in items:
            with Session(engine) as session:
                approvals.decide(session, actors[manager], item.step_id, True, "", NOW)
                session.commit()
    elapsed = time.perf_counter() - started
    with Session(engine) as session:
        assert not _pending(session), "every request decided"
    return elapsed


def _pending(session):  # noqa: ANN001, ANN202
    from sqlmodel import select

    from selfservice.persistence.models import ApprovalStep

    return session.exec(select(ApprovalStep).where(ApprovalStep.status == "pending")).all()


def run_baseline(url: str, plan: list[tuple[str, date]]) -> float:
    import sqlalchemy as sa

    from selfservice.persistence.db import engine_for

    engine = engine_for(url)
    with engine.connect() as connection:
        ids = dict(connection.execute(sa.text("SELECT employee_no, id FROM employee")).all())
    started = time.perf_counter()
    for username, day in plan:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO leave_request (employee_id, leave_type, start_date, start_half, end_date, end_half, days, reason, status,"
                    " created_at, updated_at) VALUES (:e, 'personal', :d, 'am', :d, 'pm', 1, 'bench', 'pending', :t, :t)"
                ),
                {"e": ids[username], "d": day, "t": NOW.replace(tzinfo=None)},
            )
    for username, day in plan:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE leave_request SET status = 'approved' WHERE employee_id = :e AND start_date = :d"),
                {"e": ids[username], "d": day},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO leave_ledger_entry (employee_id, leave_type, year, kind, days, note, created_at)"
                    " VALUES (:e, 'personal', 2026, 'usage', -1, 'bench', :t)"
                ),
                {"e": ids[username], "t": NOW.replace(tzinfo=None)},
            )
    return time.perf_counter() - started


def inbox_times(url: str, pending: int) -> tuple[float, float]:
    """A manager with ``pending`` items: the inbox service vs one SELECT of those requests."""
    import sqlalchemy as sa
    from sqlmodel import Session, select

    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import UserAccount
    from selfservice.services import leave_requests
    from selfservice.services.auth import actor_of

    engine = engine_for(url)
    team = ["E1004", "E1005", "E1006", "E1011"]
    from selfservice.domain.work_calendar import WorkCalendar, statutory_exceptions

    workdays = WorkCalendar(statutory_exceptions(2026)).workdays(date(2026, 4, 1), date(2026, 12, 31))
    with Session(engine) as session:
        actors = {a.username: actor_of(a) for a in session.exec(select(UserAccount)).all()}
        for i in range(pending):
            day = workdays[i // len(team)]
            leave_requests.submit(session, actors[team[i % len(team)]], "personal", day, "am", day, "pm", "bench", [], NOW)
        session.commit()
    with Session(engine) as session:
        started = time.perf_counter()
        items = leave_requests.inbox(session, actors["E1002"], NOW)
        service = time.perf_counter() - started
    assert len(items) == pending, len(items)
    with engine.connect() as connection:
        started = time.perf_counter()
        rows = connection.execute(
            sa.text(
                "SELECT r.*, e.name FROM approval_step s JOIN approval_instance i ON i.id = s.instance_id"
                " JOIN leave_request r ON r.id = i.subject_id JOIN employee e ON e.id = r.employee_id"
                " WHERE s.status = 'pending' AND s.approver_id = (SELECT employee_id FROM user_account WHERE username = 'E1002')"
            )
        ).all()
        baseline = time.perf_counter() - started
    assert len(rows) == pending
    return service, baseline


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--pending", type=int, default=100)
    args = parser.parse_args(argv)
    plan = _plan(args.requests)
    with tempfile.TemporaryDirectory() as folder:
        baseline = run_baseline(_fresh_db(folder, "baseline"), plan)
        service = run_service(_fresh_db(folder, "service"), plan)
        inbox, select_only = inbox_times(_fresh_db(folder, "inbox"), args.pending)
    print(f"leave: {args.requests} requests submitted + approved, one transaction per action (SQLite)")
    print(f"  baseline raw INSERT/UPDATE: {baseline:.2f} s ({args.requests / baseline:.0f}/s)")
    print(f"  services (rules, routing, audit, notify, ledger): {service:.2f} s ({args.requests / service:.0f}/s)")
    print(f"  ratio service/baseline throughput: {baseline / service:.2f}")
    print(f"leave inbox: {args.pending} pending items for one manager")
    print(f"  one SELECT: {select_only * 1000:.1f} ms; inbox service: {inbox * 1000:.0f} ms; ratio {select_only / inbox:.3f}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
