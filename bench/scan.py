"""The daily absence scan at company scale, against the floor: one hand-written SQL window query
that computes the same streaks.

50,000 employees (20 departments) × 90 days of punches (in and out on every working day they
came: about 6.3 million rows), with realistic absences: single missed days, ongoing streaks of
1–8 days, past streaks, approved leave (half days included, some filed after the days), a few
voided punches and weekend overtime. The 90 days include the National Day holiday and its
调休 Saturdays. The scan of the day before is run first (not timed), so the timed scan does a
working day's work: streaks grow, new ones open, people come back, reminders go out.

Each side runs in its own process, so its peak RSS is its own. Printed: both times, the ratio
(target ≤ 1.5×) and the scan's peak RSS (target ≤ 300 MB), on SQLite and PostgreSQL.

    python -m bench.scan [--employees 50000] [--days 90] [--db sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

os.environ.setdefault("SELFSERVICE_SECRET_KEY", "bench-secret")

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCAN_DAY = date(2026, 11, 25)  # a Wednesday; the 90 days before it include 国庆 and its 调休 Saturdays
SEED = 20261125


# ---- the company and its punches ---------------------------------------------------------------


def _calendar():
    from selfservice.domain.work_calendar import WorkCalendar, statutory_exceptions

    return WorkCalendar(statutory_exceptions(2026))


def plan(employees: int, days: int) -> dict:
    """Who is away when (deterministic): the same data on both databases."""
    rng = random.Random(SEED)
    calendar = _calendar()
    last = SCAN_DAY - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    workdays = [d for d in (first + timedelta(days=i) for i in range(days)) if calendar.is_workday(d)]
    away: set[tuple[int, date]] = set()
    leave: list[tuple[int, date, str, date, str]] = []
    for employee in range(1, employees + 1):
        for day in workdays:
            if rng.random() < 0.012:  # a single missed day now and then
                away.add((employee, day))
        roll = rng.random()
        if roll < 0.006:  # an ongoing streak ending yesterday (1–8 working days)
            for day in workdays[-rng.randint(1, 8) :]:
                away.add((employee, day))
        elif roll < 0.03:  # a past streak of 2–5 days
            end = rng.randint(10, len(workdays) - 5)
            for day in workdays[end - rng.randint(2, 5) : end]:
                away.add((employee, day))
        if rng.random() < 0.04:  # approved leave of 1–5 days, half days at the edges sometimes
            start = rng.randint(0, len(workdays) - 6)
            span = rng.randint(1, 5)
            leave.append(
                (employee, workdays[start], rng.choice(["am", "am", "pm"]), workdays[start + span - 1], rng.choice(["pm", "pm", "am"]))
            )
            for day in workdays[start : start + span]:
                away.add((employee, day))
    return {"first": first, "last": last, "workdays": workdays, "away": away, "leave": leave, "employees": employees, "days": days}


def _punch_rows(data: dict):
    """(employee_id, at UTC naive text, work_date, external_id, direction) for every punch."""
    rng = random.Random(SEED + 1)
    calendar = _calendar()
    day = data["first"]
    while day <= data["last"]:
        working = calendar.is_workday(day)
        for employee in range(1, data["employees"] + 1):
            if working and (employee, day) in data["away"]:
                continue
            if not working and rng.random() > 0.005:  # weekend overtime is rare
                continue
            minute_in = rng.randint(0, 50)
            minute_out = rng.randint(0, 70)
            arrive = datetime(day.year, day.month, day.day, 8, 30, tzinfo=SHANGHAI) + timedelta(minutes=minute_in)
            leave = datetime(day.year, day.month, day.day, 18, 0, tzinfo=SHANGHAI) + timedelta(minutes=minute_out)
            for moment, direction in ((arrive, "in"), (leave, "out")):
                utc = moment.astimezone(UTC).replace(tzinfo=None)
                yield (employee, utc.strftime("%Y-%m-%d %H:%M:%S.%f"), day.isoformat(), f"b{employee}-{day:%m%d}-{direction}", direction)
        day += timedelta(days=1)


def build(url: str, data: dict) -> int:
    """Migrate, then write the company, its calendar, leave and punches; returns the punch count."""
    from sqlmodel import Session

    from selfservice.domain.actor import SYSTEM
    from selfservice.persistence import migrate
    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import AttendancePolicy, Department, PunchSource
    from selfservice.services import leave_balances, work_calendar

    migrate.upgrade("head", url)
    now = datetime(2026, 8, 1, tzinfo=UTC)
    with Session(engine_for(url)) as session:
        work_calendar.load_statutory(session, SYSTEM, 2026, now)
        leave_balances.ensure_default_types(session)
        session.add_all([Department(code=f"D{i:02d}", name=f"部门{i:02d}", name_en=f"Dept {i}") for i in range(1, 21)])
        session.add(PunchSource(code="bench", kind="file", name="bench"))
        session.add(AttendancePolicy(id=1, tracked_from=data["first"]))
        session.commit()
    employees = (
        (i, f"B{i:05d}", f"员工{i}", 1 + i % 20, (data["first"] - timedelta(days=200 + i % 300)).isoformat(), "active")
        for i in range(1, data["employees"] + 1)
    )
    leave = [(e, s.isoformat(), sh, en.isoformat(), eh) for e, s, sh, en, eh in data["leave"]]
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        connection.execute("PRAGMA synchronous=OFF")
        connection.executemany(
            "INSERT INTO employee (id, employee_no, name, name_en, department_id, position, hire_date, status, phone, email, address, "
            "emergency_contact_name, emergency_contact_phone, wecom_userid, created_at, updated_at) "
            "VALUES (?, ?, ?, '', ?, '', ?, ?, '', '', '', '', '', '', '2026-08-01 00:00:00.000000', '2026-08-01 00:00:00.000000')",
            employees,
        )
        connection.executemany(
            "INSERT INTO leave_request (employee_id, leave_type, start_date, start_half, end_date, end_half, days, reason, status, created_at, updated_at) "
            "VALUES (?, 'annual', ?, ?, ?, ?, 1, '', 'approved', '2026-08-01 00:00:00.000000', '2026-08-01 00:00:00.000000')",
            leave,
        )
        count = 0
        batch = []
        for row in _punch_rows(data):
            batch.append(row)
            if len(batch) == 100_000:
                connection.executemany(PUNCH_INSERT, batch)
                count += len(batch)
                batch = []
        connection.executemany(PUNCH_INSERT, batch)
        count += len(batch)
        ids = [
            r[0] for r in connection.execute("SELECT id FROM punch WHERE employee_id % 997 = 0 AND direction = 'in' LIMIT 40").fetchall()
        ]
        connection.executemany(
            "INSERT INTO punch_void (punch_id, reason, created_at) VALUES (?, 'bench', '2026-08-01 00:00:00.000000')", [(i,) for i in ids]
        )
        connection.commit()
        connection.execute("ANALYZE")
        connection.close()
        return count
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    connection = psycopg.connect(dsn)
    cursor = connection.cursor()

    def copy(table: str, columns: str, rows) -> int:  # noqa: ANN001
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        count = 0
        for row in rows:
            writer.writerow(row)
            count += 1
            if count % 200_000 == 0:
                _copy_csv(cursor, table, columns, buffer)
                buffer = io.StringIO()
                writer = csv.writer(buffer)
        _copy_csv(cursor, table, columns, buffer)
        return count

    stamp = "2026-08-01 00:00:00"
    copy(
        "employee",
        "id, employee_no, name, name_en, department_id, position, hire_date, status, phone, email, address, emergency_contact_name, "
        "emergency_contact_phone, wecom_userid, created_at, updated_at",
        (
            (i, no, name, "", dept, "", hired, status, "", "", "", "", "", "", stamp, stamp)
            for i, no, name, dept, hired, status in employees
        ),
    )
    cursor.execute("SELECT setval('employee_id_seq', (SELECT max(id) FROM employee))")
    copy(
        "leave_request",
        "employee_id, leave_type, start_date, start_half, end_date, end_half, days, reason, status, created_at, updated_at",
        ((e, "annual", s, sh, en, eh, 1, "", "approved", stamp, stamp) for e, s, sh, en, eh in leave),
    )
    count = copy(
        "punch",
        "employee_id, at, work_date, source_id, external_id, direction, location, raw_json, reason, created_at",
        ((e, at, day, 1, ext, d, "", "", "", stamp) for e, at, day, ext, d in _punch_rows(data)),
    )
    cursor.execute(
        "INSERT INTO punch_void (punch_id, reason, created_at) SELECT id, 'bench', now() FROM punch WHERE employee_id % 997 = 0 AND direction = 'in' LIMIT 40"
    )
    connection.commit()
    cursor.execute("ANALYZE")
    connection.commit()
    connection.close()
    return count


def _copy_csv(cursor, table: str, columns: str, buffer: io.StringIO) -> None:  # noqa: ANN001
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy:
        copy.write(buffer.getvalue())


PUNCH_INSERT = (
    "INSERT INTO punch (employee_id, at, work_date, source_id, external_id, direction, location, raw_json, reason, created_at) "
    "VALUES (?, ?, ?, 1, ?, ?, '', '', '', '2026-08-01 00:00:00.000000')"
)


# ---- the two sides, each in its own process -----------------------------------------------------

FLOOR_SQL = """
WITH cal(day, workday) AS (VALUES {cal}),
emp AS (
  SELECT e.id, e.department_id, {greatest}(e.hire_date, :tracked) AS since
  FROM employee e WHERE e.status = 'active'
),
cand AS (
  SELECT emp.* FROM emp
  WHERE emp.since <= :lastwork
    AND NOT EXISTS (SELECT 1 FROM punch p WHERE p.employee_id = emp.id AND p.work_date = :lastwork
      AND NOT EXISTS (SELECT 1 FROM punch_void v WHERE v.punch_id = p.id))
    AND NOT EXISTS (SELECT 1 FROM punch p WHERE p.employee_id = emp.id AND p.work_date > :lastwork AND p.at <= :asof
      AND NOT EXISTS (SELECT 1 FROM punch_void v WHERE v.punch_id = p.id))
),
lp AS (
  SELECT cand.id, max(p.work_date) AS last_punch FROM cand
  JOIN punch p ON p.employee_id = cand.id AND p.work_date >= cand.since AND p.at <= :asof
  WHERE NOT EXISTS (SELECT 1 FROM punch_void v WHERE v.punch_id = p.id)
  GROUP BY cand.id
),
grid AS (
  SELECT cand.id, cal.day, cal.workday,
    CASE WHEN EXISTS (SELECT 1 FROM leave_request r WHERE r.employee_id = cand.id AND r.status IN ('approved', 'cancel_pending')
      AND (r.start_date < cal.day OR (r.start_date = cal.day AND r.start_half = 'am')) AND r.end_date >= cal.day) THEN 1 ELSE 0 END AS am,
    CASE WHEN EXISTS (SELECT 1 FROM leave_request r WHERE r.employee_id = cand.id AND r.status IN ('approved', 'cancel_pending')
      AND r.start_date <= cal.day AND (r.end_date > cal.day OR (r.end_date = cal.day AND r.end_half = 'pm'))) THEN 1 ELSE 0 END AS pm
  FROM cand JOIN cal ON cal.day >= cand.since
  LEFT JOIN lp ON lp.id = cand.id
  WHERE lp.last_punch IS NULL OR cal.day > lp.last_punch
),
marked AS (
  SELECT grid.*, max(CASE WHEN workday = 1 AND am = 1 AND pm = 1 THEN day END) OVER (PARTITION BY id) AS leave_anchor FROM grid
)
SELECT id, day, am, pm FROM marked WHERE workday = 1 AND (leave_anchor IS NULL OR day > leave_anchor) ORDER BY id, day
"""


def floor_side(url: str, lookback: int) -> dict:
    """The floor: the same streaks from one hand-written statement (best of three)."""
    import sqlalchemy as sa

    calendar = _calendar()
    through = SCAN_DAY - timedelta(days=1)
    start = through - timedelta(days=lookback - 1)
    days = [start + timedelta(days=i) for i in range(lookback)]
    lastwork = max(d for d in days if calendar.is_workday(d))
    postgres = url.startswith("postgresql")
    cast = "::date" if postgres else ""
    values = ", ".join(f"('{d.isoformat()}'{cast}, {int(calendar.is_workday(d))})" for d in days)
    sql = FLOOR_SQL.format(cal=values, greatest="greatest" if postgres else "max")
    as_of = datetime.combine(SCAN_DAY, datetime.min.time().replace(hour=10), tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)
    params = {"tracked": start, "lastwork": lastwork, "asof": as_of}
    if not postgres:
        params = {"tracked": start.isoformat(), "lastwork": lastwork.isoformat(), "asof": as_of.strftime("%Y-%m-%d %H:%M:%S.%f")}
    engine = sa.create_engine(url)
    timings, rows = [], []
    for _ in range(3):
        with engine.connect() as connection:
            began = time.perf_counter()
            rows = connection.execute(sa.text(sql), params).all()
            timings.append(time.perf_counter() - began)
    streaks: dict[int, list[str]] = {}
    for employee, day, _am, _pm in rows:
        streaks.setdefault(employee, []).append(str(day)[:10])
    return {"seconds": min(timings), "streaks": streaks}  # the scan keeps those of 2 days and more


def scan_side(url: str) -> dict:
    """The app's daily scan through the service: yesterday's first (not timed), then today's."""
    from sqlmodel import Session

    from selfservice.domain.actor import SYSTEM
    from selfservice.persistence.db import engine_for
    from selfservice.services import absence_watch
    from selfservice.services.attendance_settings import watch_rules

    engine = engine_for(url)
    with Session(engine, expire_on_commit=False) as session:
        watch = watch_rules(session)
        previous = SCAN_DAY - timedelta(days=1)
        absence_watch.scan(session, SYSTEM, previous, absence_watch.scan_moment(previous, watch))
        session.commit()
    with Session(engine, expire_on_commit=False) as session:
        moment = absence_watch.scan_moment(SCAN_DAY, watch)
        began = time.perf_counter()
        report = absence_watch.scan(session, SYSTEM, SCAN_DAY, moment)
        session.commit()
        seconds = time.perf_counter() - began
        from sqlmodel import select

        from selfservice.persistence.models import AbsenceStreak

        streaks = {
            s.employee_id: json.loads(s.dates_json) for s in session.exec(select(AbsenceStreak).where(AbsenceStreak.status == "open")).all()
        }
    return {
        "seconds": seconds,
        "streaks": {str(k): v for k, v in streaks.items()},
        "report": {
            "streaks": report.streaks,
            "opened": report.opened,
            "closed": report.closed,
            "reminded": len(report.reminded),
            "followups": len(report.followups),
            "anomalies": report.anomalies,
        },
    }


def _peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM: unlike ru_maxrss it starts afresh at exec, so
    the parent's memory at fork does not count)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(side: str, url: str, lookback: int) -> tuple[dict, float]:
    """Run one side in a fresh process; returns its answer and its own peak RSS in MB."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.scan", "--side", side, "--url", url, "--lookback", str(lookback)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "SELFSERVICE_DB_URL": url},
    ).stdout
    answer = json.loads(output.strip().splitlines()[-1])
    return answer, answer.pop("peak_rss_kb") / 1024


def run(url: str, label: str, data: dict) -> None:
    began = time.perf_counter()
    count = build(url, data)
    print(
        f"\n{label}: {data['employees']:,} employees, {count:,} punches over {data['days']} days, {len(data['leave']):,} leave requests (built in {time.perf_counter() - began:.0f} s)"
    )
    lookback = 60
    floor, floor_rss = _child("floor", url, lookback)
    scan, scan_rss = _child("scan", url, lookback)
    everyone = {int(k): v for k, v in floor["streaks"].items()}
    expected = {k: v for k, v in everyone.items() if len(v) >= 2}  # a single missed day is an anomaly, not a kept streak
    got = {int(k): v for k, v in scan["streaks"].items()}
    same = expected == got
    report = scan["report"]
    print(
        f"  floor (one hand-written window query):   {floor['seconds'] * 1000:8.0f} ms   {len(everyone):,} streaks, {len(expected):,} of 2+ days"
    )
    print(
        f"  daily scan (service, committed):         {scan['seconds'] * 1000:8.0f} ms   {report['streaks']:,} streaks of 2+ days kept: "
        f"{report['opened']:,} opened, {report['closed']:,} closed, {report['reminded']:,} reminded, {report['followups']:,} follow-ups, {report['anomalies']:,} missing days"
    )
    print(f"  ratio scan / floor: {scan['seconds'] / floor['seconds']:.2f}x (target <= 1.5x)   same streaks as the floor: {same}")
    print(f"  peak RSS: scan process {scan_rss:.0f} MB (target <= 300 MB), floor process {floor_rss:.0f} MB")
    if not same:
        diff = sorted(set(expected) ^ set(got))[:5] or [k for k in expected if expected[k] != got.get(k)][:5]
        print(f"  DIFFERENT for employees {diff}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--employees", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--side", choices=["floor", "scan"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--lookback", type=int, default=60, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:
        result = floor_side(args.url, args.lookback) if args.side == "floor" else scan_side(args.url)
        result["peak_rss_kb"] = _peak_rss_kb()
        print(json.dumps(result, default=str))
        return
    data = plan(args.employees, args.days)
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            os.environ["SELFSERVICE_DATA_DIR"] = folder
            run(f"sqlite:///{folder}/scan.db", "SQLite", data)
    if args.db in ("postgresql", "both"):
        from tests.pg import fresh_database, postgres_server

        with postgres_server() as server, tempfile.TemporaryDirectory() as folder:
            os.environ["SELFSERVICE_DATA_DIR"] = folder
            run(fresh_database(server, "bench_scan"), "PostgreSQL", data)


if __name__ == "__main__":
    main()
