"""The `selfservice` operator command."""

from __future__ import annotations

import sqlalchemy as sa

from selfservice.cli import main


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_db_upgrade_and_downgrade(tmp_path, monkeypatch):
    from selfservice.settings import get_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SELFSERVICE_DB_URL", url)
    get_settings.cache_clear()
    assert main(["db", "upgrade"]) == 0
    assert {"employee", "user_account", "user_session", "audit_log", "department"} <= tables(url)
    assert main(["db", "downgrade", "base"]) == 0  # empty: nothing to protect
    assert tables(url) <= {"alembic_version"}
    get_settings.cache_clear()


def test_a_wrong_setting_stops_with_the_variable_named_not_a_traceback(tmp_path, monkeypatch, capsys):
    from selfservice.settings import get_settings

    monkeypatch.setenv("SELFSERVICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SELFSERVICE_SIGNIN_FREE_ATTEMPTS", "abc")
    monkeypatch.setenv("SELFSERVICE_TIMEZONE", "Mars/Olympus")
    get_settings.cache_clear()
    try:
        assert main(["db", "upgrade"]) == 2
        err = capsys.readouterr().err
        assert "SELFSERVICE_SIGNIN_FREE_ATTEMPTS='abc'" in err and "integer" in err
        assert "SELFSERVICE_TIMEZONE='Mars/Olympus'" in err and "Traceback" not in err
        assert not (tmp_path / "selfservice.db").exists()
    finally:
        get_settings.cache_clear()


def test_the_app_start_refuses_a_wrong_setting(tmp_path):
    """`reflex run` reads rxconfig.py first: a wrong value ends the start there, exit status 2."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "SELFSERVICE_DATA_DIR": str(tmp_path), "SELFSERVICE_SCHEDULER": "sometimes"}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", "import rxconfig"], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "SELFSERVICE_SCHEDULER='sometimes'" in done.stderr and "Traceback" not in done.stderr


def test_a_plain_postgresql_url_means_psycopg_3(monkeypatch, tmp_path):
    from selfservice.settings import get_settings, normalize_db_url

    monkeypatch.setenv("SELFSERVICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SELFSERVICE_DB_URL", "postgresql://hr@db.example/selfservice")
    get_settings.cache_clear()
    try:
        assert get_settings().db_url == "postgresql+psycopg://hr@db.example/selfservice"
        assert normalize_db_url("postgres://x@y/z") == "postgresql+psycopg://x@y/z"
        assert normalize_db_url("sqlite:///a.db") == "sqlite:///a.db"
        import sqlalchemy as sa

        assert sa.create_engine(get_settings().db_url).dialect.driver == "psycopg"  # importable: no ModuleNotFoundError
    finally:
        get_settings.cache_clear()


def test_demo_is_loaded_once(db_url, capsys):
    assert main(["demo"]) == 0
    assert "40 employees added" in capsys.readouterr().out
    assert main(["demo"]) == 0
    assert "nothing added" in capsys.readouterr().out


def test_user_create_reports_bad_input_clearly_and_writes_nothing(demo, capsys):
    code = main(
        ["user", "create", "--username", "N1", "--name", "王五", "--department", "Nowhere", "--phone", "123", "--password", "long-enough-1"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "phone" in err and "Traceback" not in err
    code = main(
        [
            "user",
            "create",
            "--username",
            "N1",
            "--name",
            "王五",
            "--department",
            "HR",
            "--phone",
            "13800000000",
            "--role",
            "hr",
            "--password",
            "long-enough-1",
        ]
    )
    assert code == 0 and "created" in capsys.readouterr().out


def test_reset_totp_makes_the_user_enrol_again(demo, capsys, now):
    from selfservice.demo import DEMO_PASSWORD
    from selfservice.persistence.db import session_scope
    from selfservice.services import auth

    assert main(["user", "reset-totp", "hr01"]) == 0
    with session_scope() as session:
        assert auth.begin_sign_in(session, "hr01", DEMO_PASSWORD, now).stage == "enrol"
    assert main(["user", "reset-totp", "nobody"]) == 2


def test_leave_accrue_is_safe_to_repeat(demo, capsys):
    assert main(["leave", "accrue", "2026"]) == 0
    assert "ledger entries written for 2026" in capsys.readouterr().out
    assert main(["leave", "accrue", "2026"]) == 0
    assert "0 ledger entries" in capsys.readouterr().out


def test_approvals_escalate_runs_the_job_once(db_url, capsys, tmp_path):
    assert main(["demo"]) == 0
    assert main(["approvals", "escalate"]) == 0
    assert "reminded" in capsys.readouterr().out
    assert list((tmp_path / "attachments").rglob("*")), "the demo's sick note is stored in the data directory"
    from sqlmodel import Session, select

    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import ApprovalStep

    with Session(engine_for(db_url)) as session:
        assert session.exec(select(ApprovalStep).where(ApprovalStep.status == "escalated")).all(), "the demo's week-old item"


def test_demo_loads_on_any_day_of_the_year(db_url):
    """The demo's leave dates follow the work calendar, so no start day makes a request invalid."""
    from datetime import date

    from sqlmodel import Session, select

    from selfservice.demo import load_demo
    from selfservice.persistence import migrate
    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import LeaveRequest

    for offset, today in enumerate((date(2026, 10, 8), date(2026, 2, 23), date(2026, 5, 6), date(2026, 11, 30))):
        url = db_url.replace("test.db", f"demo{offset}.db")
        migrate.upgrade("head", url)
        with Session(engine_for(url)) as session:
            load_demo(session, today=today)
            session.commit()
            statuses = {r.status for r in session.exec(select(LeaveRequest)).all()}
        assert {"pending", "approved", "rejected"} <= statuses, (today, statuses)


def test_scan_dry_run_then_scan_then_replay_change_nothing_twice(db_url, capsys):
    from sqlmodel import Session, select

    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import NotificationMessage

    assert main(["demo"]) == 0
    capsys.readouterr()
    with Session(engine_for(db_url)) as session:
        before = len(session.exec(select(NotificationMessage)).all())
    assert main(["scan", "--dry-run"]) == 0
    assert "dry run, nothing written" in capsys.readouterr().out
    assert main(["scan"]) == 0 and main(["scan"]) == 0
    assert "current streaks" in capsys.readouterr().out
    with Session(engine_for(db_url)) as session:
        after = len(session.exec(select(NotificationMessage)).all())
    assert after == before, "the demo's scan already reminded everyone due: running it again sends nothing"
    import pytest

    with pytest.raises(SystemExit) as refused:
        main(["scan", "--date", "2026-02-30"])
    assert refused.value.code == 2 and "is not a date (YYYY-MM-DD)" in capsys.readouterr().err
    assert main(["attendance", "pull"]) == 1, "off until configured"
    assert main(["attendance", "forward"]) == 0
