"""Exactly one scheduler among several processes; a dispatcher killed mid-run loses and
duplicates nothing (counted at the WeCom stand-in)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from selfservice.domain.actor import SYSTEM
from selfservice.persistence.db import session_scope
from selfservice.persistence.models import Employee, NotificationDelivery
from selfservice.services import channel_settings, notifications
from tests.standins import WeComStandIn

ROOT = Path(__file__).resolve().parents[3]


def env_for(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SELFSERVICE_DB_URL": db_url, "SELFSERVICE_DATA_DIR": str(data_dir), **extra}
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def start_scheduler(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "selfservice.cli", "scheduler"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def beats(path: Path) -> list[tuple[int, int]]:
    if not path.exists():
        return []
    return [tuple(map(int, line.split())) for line in path.read_text().splitlines() if line.strip()]  # type: ignore[misc]


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def check_single_leader(db_url: str, tmp_path: Path) -> None:
    heartbeat = tmp_path / "beats.txt"
    env = env_for(
        db_url,
        tmp_path,
        SELFSERVICE_HEARTBEAT_FILE=str(heartbeat),
        SELFSERVICE_LEADER_RETRY_SECONDS="0.5",
        SELFSERVICE_DISPATCH_INTERVAL_SECONDS="60",
    )
    first, second = start_scheduler(env), start_scheduler(env)
    try:
        assert wait_for(lambda: len(beats(heartbeat)) >= 5)
        time.sleep(3)
        pids = Counter(pid for pid, _ in beats(heartbeat))
        assert len(pids) == 1, f"two schedulers ran the job: {pids}"
        per_second = Counter(second_ for _, second_ in beats(heartbeat))
        assert max(per_second.values()) == 1, "a period ran twice"
        leader = first if first.pid in pids else second
        follower = second if leader is first else first
        leader.send_signal(signal.SIGKILL)
        leader.wait(10)
        assert wait_for(lambda: follower.pid in {pid for pid, _ in beats(heartbeat)}, 15), "no takeover after the leader died"
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.terminate()
                process.wait(10)


def test_two_scheduler_processes_on_sqlite_run_each_job_once(db_url, tmp_path):
    check_single_leader(db_url, tmp_path)


@pytest.mark.postgres
def test_two_scheduler_processes_on_postgresql_run_each_job_once(pg_server, tmp_path):
    from selfservice.persistence import migrate
    from tests.pg import fresh_database

    url = fresh_database(pg_server, "leader")
    migrate.upgrade("head", url)
    # on PostgreSQL the advisory lock, not the file lock, keeps the two apart
    check_single_leader(url, tmp_path)


def test_dispatcher_killed_mid_run_loses_and_duplicates_nothing(demo, tmp_path):
    with WeComStandIn(fault_rate=0.3, timeout_seconds=0.4, seed=11) as standin:
        with session_scope() as session:
            channel_settings.save(
                session,
                SYSTEM,
                "wecom",
                True,
                {"corp_id": standin.corp_id, "agent_id": "1000002", "secret": standin.secret, "base_url": standin.url},
                datetime.now(UTC),
            )
            people = session.exec(select(Employee.id)).all()
            now = datetime.now(UTC)
            for i in range(400):
                notifications.notify(
                    session, SYSTEM, people[i % len(people)], "test", "system.test", {"channel": f"crash-{i}"}, ("wecom",), now
                )
        env = env_for(
            os.environ["SELFSERVICE_DB_URL"], tmp_path, SELFSERVICE_DISPATCH_LEASE_SECONDS="2", SELFSERVICE_RETRY_BASE_SECONDS="0.01"
        )
        drain = [sys.executable, "-m", "selfservice.cli", "outbox", "drain", "--batch", "50", "--concurrency", "8"]
        victim = subprocess.Popen(drain, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        assert wait_for(lambda: sum(standin.delivered.values()) >= 120, 60), "dispatcher made no progress"
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)
        at_kill = sum(standin.delivered.values())
        assert at_kill < 400, "killed too late to prove anything"

        def queued() -> int:
            with session_scope() as session:
                return len(session.exec(select(NotificationDelivery.id).where(NotificationDelivery.status == "queued")).all())

        deadline = time.monotonic() + 120
        while queued() and time.monotonic() < deadline:
            time.sleep(2.1)  # let the dead worker's leases run out
            subprocess.run(drain, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
        counts = Counter(standin.delivered.values())
        print(
            f"killed after {at_kill} of 400 deliveries; receiver saw {sum(standin.delivered.values())} distinct messages, counts {dict(counts)}"
        )
    assert len(standin.delivered) == 400 and set(standin.delivered.values()) == {1}
    with session_scope() as session:
        statuses = Counter(session.exec(select(NotificationDelivery.status).where(NotificationDelivery.channel == "wecom")).all())
    assert statuses == {"sent": 400}
