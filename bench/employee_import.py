"""Employee import: the full service path (parse, validate every row, insert employees and
accounts, audit) against a baseline of raw `executemany` INSERTs of the same rows into the same
schema, both on fresh SQLite databases migrated in this run.

    python -m bench.employee_import [--rows 10000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime

os.environ.setdefault("SELFSERVICE_SECRET_KEY", "bench-secret")


def _csv(rows: int) -> bytes:
    lines = ["employee_no,name,name_en,department,manager_no,hire_date,phone,email\n"]
    for i in range(rows):
        manager = "E3001" if i % 100 == 0 else f"B{i - i % 100:05d}"
        lines.append(f"B{i:05d},员工{i},Staff {i},OPS,{manager},2025-06-01,+86139{i:08d},s{i}@example.com\n")
    return "".join(lines).encode()


def _fresh_db(folder: str, name: str) -> str:
    from sqlmodel import Session

    from selfservice.demo import load_demo
    from selfservice.persistence import migrate
    from selfservice.persistence.db import engine_for

    url = f"sqlite:///{folder}/{name}.db"
    migrate.upgrade("head", url)
    with Session(engine_for(url)) as session:
        load_demo(session, workflows=False)
        session.commit()
    return url


def run_service(url: str, data: bytes) -> float:
    from sqlmodel import Session, select

    from selfservice.domain.actor import Actor, Role
    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import UserAccount
    from selfservice.services import employees

    with Session(engine_for(url)) as session:
        account = session.exec(select(UserAccount).where(UserAccount.username == "hr01")).one()
        actor = Actor(account.id or 0, account.employee_id, "hr01", Role.hr)
        started = time.perf_counter()
        result = employees.import_file(session, actor, "bench.csv", data, datetime.now(UTC))
        session.commit()
        elapsed = time.perf_counter() - started
    assert result.imported and not result.errors, result.errors[:3]
    return elapsed


def run_baseline(url: str, rows: int) -> float:
    import sqlalchemy as sa

    from selfservice.persistence.db import engine_for

    engine = engine_for(url)
    now = datetime.now(UTC).replace(tzinfo=None)
    started = time.perf_counter()
    with engine.begin() as connection:
        department = connection.execute(sa.text("SELECT id FROM department WHERE code='OPS'")).scalar_one()
        connection.execute(
            sa.text(
                "INSERT INTO employee (employee_no, name, name_en, department_id, position, hire_date, status, phone, email, address,"
                " emergency_contact_name, emergency_contact_phone, created_at, updated_at) VALUES (:no, :name, :en, :d, '', '2025-06-01',"
                " 'active', :phone, :email, '', '', '', :now, :now)"
            ),
            [
                {
                    "no": f"B{i:05d}",
                    "name": f"员工{i}",
                    "en": f"Staff {i}",
                    "d": department,
                    "phone": f"+86139{i:08d}",
                    "email": f"s{i}@example.com",
                    "now": now,
                }
                for i in range(rows)
            ],
        )
        ids = dict(connection.execute(sa.text("SELECT employee_no, id FROM employee")).all())
        connection.execute(
            sa.text(
                "INSERT INTO user_account (employee_id, username, role, language, totp_enabled, recovery_code_hashes, active, created_at) VALUES (:e, :u, 'employee', 'zh-CN', 0, '[]', 1, :now)"
            ),
            [{"e": ids[f"B{i:05d}"], "u": f"B{i:05d}", "now": now} for i in range(rows)],
        )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10000)
    args = parser.parse_args(argv)
    data = _csv(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        service_url, baseline_url = _fresh_db(folder, "service"), _fresh_db(folder, "baseline")
        baseline = run_baseline(baseline_url, args.rows)
        service = run_service(service_url, data)
    print(f"employee import, {args.rows} rows (SQLite)")
    print(f"  baseline raw executemany INSERT : {baseline:6.2f} s  ({args.rows / baseline:8.0f} rows/s)")
    print(f"  import service (validate+insert): {service:6.2f} s  ({args.rows / service:8.0f} rows/s)")
    print(f"  ratio service/baseline throughput: {baseline / service:.2f}")


if __name__ == "__main__":
    main()
