"""The admin's backups page: only the admin sees it or starts a backup; a run is shown with its outcome."""

from __future__ import annotations

from sqlmodel import select

from selfservice.persistence.db import session_scope
from selfservice.persistence.models import AuditEntry, BackupRun
from selfservice.ui.pages.backups import BackupsState, size_text
from tests.state.conftest import call, substate, token_for


def as_user(username: str) -> BackupsState:
    state = substate(BackupsState)
    state.session_token = token_for(username)
    return state


def test_the_admin_backs_up_now_and_sees_the_run(app_db):
    admin = as_user("admin")
    call(admin, "load")
    assert admin.summary["last"] == "还没有成功的备份。" and admin.runs == []
    call(admin, "run_now")
    [row] = admin.runs
    assert row["result"] == "成功" and row["trigger"] == "管理员手动" and row["detail"].startswith("selfservice-backup-")
    assert admin.summary["last"].startswith("最近一次成功备份：") and admin.summary["failed"] == ""
    with session_scope() as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "backup.run")).first() is not None


def test_no_one_else_may_look_or_start_one(app_db):
    for username in ("hr01", "E1004"):
        state = as_user(username)
        call(state, "load")
        call(state, "run_now")
        assert state.runs == [] and state.summary == {}
    with session_scope() as session:
        assert session.exec(select(BackupRun)).first() is None


def test_sizes_read_like_people_write_them():
    assert [size_text(n) for n in (512, 2048, 5 * 1024 * 1024, 3 * 1024**3)] == ["512 B", "2.0 KB", "5.0 MB", "3.0 GB"]
