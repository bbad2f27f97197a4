"""The nightly leave accrual for a company of N people: the first run of a year (statutory annual
leave from each person's working years, pro-rated, childcare per child, carry-over and expiry of
last year's days) and a quiet night after it (nothing changed: nothing written), against a
baseline of one Core INSERT of the same number of ledger rows, on a fresh SQLite database
migrated in this run.

    python -m bench.accrual [--people 5000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

os.environ.setdefault("SELFSERVICE_SECRET_KEY", "bench-secret")

NOW = datetime(2027, 1, 1, 0, 10, tzinfo=UTC)


def _company(url: str, people: int) -> None:
    import sqlalchemy as sa
    from sqlmodel import Session

    from selfservice.domain.actor import SYSTEM
    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import Department, Employee
    from selfservice.services import leave_balances

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
                    "position": "",
                    "hire_date": date(2015, 1, 1) + timedelta(days=(i * 37) % 4000),
                    "work_start_date": date(1995, 1, 1) + timedelta(days=(i * 53) % 9000),
                    "child_births": "2025-06-01" if i % 9 == 0 else "",
                    "status": "active",
                    "phone": "",
                    "email": "",
                    "address": "",
                    "emergency_contact_name": "",
                    "emergency_contact_phone": "",
                    "emergency_contact_relation": "",
                    "wecom_userid": "",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(people)
            ],
        )
        leave_balances.ensure_default_types(session)
        leave_balances.apply_presets(session, SYSTEM, "shanghai", ["childcare", "lieu"], NOW)
        leave_balances.accrue_year(session, SYSTEM, 2026, NOW - timedelta(days=365))
        session.commit()


def run(people: int) -> dict[str, float]:
    import sqlalchemy as sa
    from sqlmodel import Session

    from selfservice.domain.actor import SYSTEM
    from selfservice.persistence import migrate
    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import LeaveLedgerEntry
    from selfservice.services import leave_balances

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/accrual.db"
        migrate.upgrade("head", url)
        _company(url, people)
        engine = engine_for(url)
        with Session(engine) as session:
            started = time.perf_counter()
            written = leave_balances.accrue_year(session, SYSTEM, 2027, NOW)
            session.commit()
            first = time.perf_counter() - started
        with Session(engine) as session:
            started = time.perf_counter()
            again = leave_balances.accrue_year(session, SYSTEM, 2027, NOW + timedelta(days=1))
            session.commit()
            quiet = time.perf_counter() - started
        assert again == 0, "a quiet night writes nothing"
        with Session(engine) as session:
            started = time.perf_counter()
            session.execute(
                sa.insert(LeaveLedgerEntry.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "employee_id": 1 + i % people,
                        "leave_type": "annual",
                        "year": 2028,
                        "kind": "accrual",
                        "days": 5,
                        "note": "bench",
                        "created_at": NOW,
                    }
                    for i in range(written)
                ],
            )
            session.commit()
            baseline = time.perf_counter() - started
    return {"entries": written, "first": first, "quiet": quiet, "baseline": baseline}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    args = parser.parse_args(argv)
    r = run(args.people)
    print(f"accrual, {args.people} people, {r['entries']} ledger entries (SQLite):")
    print(f"  1 January run       {r['first']:.2f} s   baseline INSERT {r['baseline']:.2f} s   ratio {r['first'] / r['baseline']:.1f}x")
    print(f"  a quiet night       {r['quiet']:.2f} s   ratio to the baseline {r['quiet'] / r['baseline']:.1f}x")


if __name__ == "__main__":
    main()
