"""P1, event cost: WebSocket round trips of this app's events against a blank Reflex app's, in
the same run, on one worker each (the embedded default: no Redis).

    python -m bench.events [--clients 10,50,200] [--rounds 20] [--cluster]

Both back-ends are started here (``reflex run --env prod --backend-only``; no front-end build is
needed to measure events). Each simulated client is one tab (bench/reflex_client.py) that sends
an event, waits for its state update, and sends the next. Printed per client count: p50 and p95
of the blank app's counter event, then for this app
- a guarded no-op (``SessionState.ping``: the session check and nothing else),
- the leave form's preview (``LeaveState.set_field`` of the start date: balances and day count),
- the employee home page's ``load`` (profile, balances, today's punches, the header's badges),
each with its p95 as a ratio of the blank one. Targets (issue 14): no-op ≤ 1.5×, preview and
load ≤ 3×. Then the server CPU per event of each. The blank app's "page-sized set" (a dozen
fields and an 8-row table set, no database) shows what Reflex itself charges for an update the
size of a page's, apart from this app's own work.

``--cluster`` instead starts the scale-out topology (selfservice cluster) and prints events per
second of the guarded no-op and the home load with the most clients, first against one app process
directly, then against both behind nginx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench import blank as blank_app
from bench.harness import ROOT, VENV_BIN, Server
from bench.reflex_client import Tab, process_cpu_seconds

BLANK_STATE = blank_app.STATE


def _demo_people(db: Path) -> list[str]:
    """Demo accounts that sign in with the password alone (no TOTP) and are still employed."""
    import sqlite3

    connection = sqlite3.connect(db)
    try:
        rows = connection.execute(
            "SELECT a.username FROM user_account a JOIN employee e ON e.id = a.employee_id "
            "WHERE a.role IN ('employee', 'manager') AND a.active AND e.status = 'active' AND a.password_hash IS NOT NULL "
            "AND NOT a.totp_enabled ORDER BY a.username"
        ).fetchall()
    finally:
        connection.close()
    return [r[0] for r in rows]


def _next_working_day() -> str:
    day = datetime.now(UTC).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.isoformat()


async def _open_tabs(url: str, count: int) -> list[Tab]:
    return list(await asyncio.gather(*(Tab(url).__aenter__() for _ in range(count))))


async def _measure(tabs: list[Tab], rounds: int, send) -> list[float]:  # noqa: ANN001
    """Every tab sends ``rounds`` events one after another, all tabs at once; the latencies."""
    latencies: list[float] = []

    async def client(tab: Tab) -> None:
        for _ in range(rounds):
            latencies.append(await send(tab))

    await asyncio.gather(*(client(tab) for tab in tabs))
    return latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


async def run(args: argparse.Namespace) -> None:
    from selfservice.demo import DEMO_PASSWORD
    from selfservice.ui.pages.home import HomeState
    from selfservice.ui.pages.leave import LeaveState
    from selfservice.ui.pages.login import LoginState
    from selfservice.ui.session import SessionState

    counts = [int(c) for c in args.clients.split(",")]
    top = max(counts)
    work = Path(tempfile.mkdtemp(prefix="bench-events-"))
    blank_app.write(work / "blank")
    data = work / "data"
    env = {
        "SELFSERVICE_DATA_DIR": str(data),
        "SELFSERVICE_DB_URL": f"sqlite:///{data / 'app.db'}",
        "SELFSERVICE_SCHEDULER": "off",
        # the bench signs in its clients up front; the sign-in gate would (rightly) slow 200 of them
        "SELFSERVICE_SIGNIN_PER_SECOND": "10000",
        "SELFSERVICE_SIGNIN_QUEUE": "10000",
        "SELFSERVICE_ALLOWED_ORIGINS": "*",
    }
    subprocess.run([str(VENV_BIN / "selfservice"), "demo"], env={**os.environ, **env}, cwd=ROOT, check=True, capture_output=True)
    blank = Server(work / "blank", {}, work / "blank.log")
    app = Server(ROOT, env, work / "app.log")
    print(f"event round trips, one worker each, {args.rounds} events per client (logs in {work})")
    try:
        app_tabs = await _open_tabs(app.url, top)
        people = _demo_people(data / "app.db")
        employees = [people[i % len(people)] for i in range(top)]  # one tab each, people shared round-robin
        for tab, username in zip(app_tabs, employees, strict=True):
            await tab.call(LoginState, "sign_in", {"form": {"username": username, "password": DEMO_PASSWORD}}, path="/login")
            await tab.call(LeaveState, "load", path="/leave")
        blank_tabs = await _open_tabs(blank.url, top)
        print(f"{top} tabs signed in; {top} blank tabs open", flush=True)
        start = _next_working_day()
        day = [date.fromisoformat(start)]

        def bump(tab: Tab):  # noqa: ANN202
            return tab.timed(BLANK_STATE, "bump", path="/")

        def fill(tab: Tab):  # noqa: ANN202
            return tab.timed(BLANK_STATE, "fill", path="/")

        def ping(tab: Tab):  # noqa: ANN202
            return tab.timed(SessionState, "ping", path="/")

        def preview(tab: Tab):  # noqa: ANN202
            day[0] = day[0] + timedelta(days=1) if day[0].weekday() < 4 else day[0] - timedelta(days=3)
            return tab.timed(LeaveState, "set_field", {"field": "start", "value": day[0].isoformat()}, path="/leave")

        def home(tab: Tab):  # noqa: ANN202
            return tab.timed(HomeState, "load", path="/")

        cases = (("blank app: counter", blank, blank_tabs, bump), ("blank: page-sized set", blank, blank_tabs, fill),
                 ("guarded no-op", app, app_tabs, ping),
                 ("leave preview", app, app_tabs, preview), ("home load", app, app_tabs, home))  # fmt: skip
        for count in counts:
            base_p95 = 0.0
            print(f"\n{count} clients")
            for name, server, tabs, send in cases:
                await _measure(tabs[:count], 2, send)  # warm up
                cpu_before = process_cpu_seconds(server.process.pid)
                latencies = await _measure(tabs[:count], args.rounds, send)
                cpu = (process_cpu_seconds(server.process.pid) - cpu_before) / len(latencies)
                high = p95(latencies)
                base_p95 = base_p95 or high
                ratio = f"  {high / base_p95:5.2f}× the blank p95" if high != base_p95 else ""
                print(
                    f"  {name:20s} p50 {statistics.median(latencies) * 1000:7.1f} ms  p95 {high * 1000:7.1f} ms"
                    f"  CPU {cpu * 1000:5.2f} ms/event{ratio}"
                )
        for tab in [*blank_tabs, *app_tabs]:
            await tab.close()
    finally:
        app.stop()
        blank.stop()


async def cluster_scaling(args: argparse.Namespace) -> None:
    """Events per second on the scale-out topology: one app process reached directly, then both
    behind nginx (state in Redis, data in PostgreSQL), the same clients and events."""
    import sqlalchemy as sa

    from selfservice.cluster import Cluster, Ports
    from selfservice.demo import DEMO_PASSWORD
    from selfservice.ui.pages.home import HomeState
    from selfservice.ui.pages.leave import LeaveState
    from selfservice.ui.pages.login import LoginState
    from selfservice.ui.session import SessionState

    clients = max(int(c) for c in args.clients.split(","))
    work = Path(tempfile.mkdtemp(prefix="bench-events-cluster-"))
    os.environ.update({"SELFSERVICE_SIGNIN_PER_SECOND": "10000", "SELFSERVICE_SIGNIN_QUEUE": "10000"})
    cluster = Cluster(work, Ports.free()).up()
    print(f"cluster up (logs in {work / 'logs'}); {clients} clients, {args.rounds} events each")
    try:
        engine = sa.create_engine(cluster.db_url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as connection:
            people = [
                r[0]
                for r in connection.execute(
                    sa.text(
                        "SELECT a.username FROM user_account a JOIN employee e ON e.id = a.employee_id WHERE a.role IN "
                        "('employee', 'manager') AND a.active AND e.status = 'active' AND a.password_hash IS NOT NULL "
                        "AND NOT a.totp_enabled ORDER BY a.username"
                    )
                )
            ]
        engine.dispose()
        targets = (("1 app process (direct)", f"http://127.0.0.1:{cluster.ports.apps[0]}"), ("2 app processes (nginx)", cluster.url))
        for name, url in targets:
            tabs = list(await asyncio.gather(*(Tab(url, origin=cluster.url).__aenter__() for _ in range(clients))))
            for index, tab in enumerate(tabs):
                form = {"username": people[index % len(people)], "password": DEMO_PASSWORD}
                await tab.call(LoginState, "sign_in", {"form": form}, path="/login")
                await tab.call(LeaveState, "load", path="/leave")

            def ping(tab: Tab):  # noqa: ANN202
                return tab.timed(SessionState, "ping", path="/")

            def home(tab: Tab):  # noqa: ANN202
                return tab.timed(HomeState, "load", path="/")

            print(f"\n{name}")
            for label, send in (("guarded no-op", ping), ("home load", home)):
                await _measure(tabs, 2, send)
                started = time.perf_counter()
                latencies = await _measure(tabs, args.rounds, send)
                elapsed = time.perf_counter() - started
                print(
                    f"  {label:20s} {len(latencies) / elapsed:7.1f} events/s  p50 {statistics.median(latencies) * 1000:7.1f} ms  p95 {p95(latencies) * 1000:7.1f} ms"
                )
            for tab in tabs:
                await tab.close()
    finally:
        cluster.down()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="10,50,200")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cluster", action="store_true", help="events/s on the scale-out topology: 1 app process, then 2 behind nginx")
    args = parser.parse_args(argv)
    asyncio.run(cluster_scaling(args) if args.cluster else run(args))


if __name__ == "__main__":
    main(sys.argv[1:])
