"""Backups that restore (issue 14): the demo backed up, restored into an empty installation and
compared table by table; a changed byte refuses the restore; retention; failures recorded."""

from __future__ import annotations

import errno
import gzip
import io
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from selfservice.cli import main
from selfservice.persistence import filestore, migrate
from selfservice.persistence.db import engine_for
from selfservice.services import backup
from selfservice.settings import get_settings

NOW = datetime(2026, 12, 1, 18, 17, tzinfo=UTC)


def use(monkeypatch, data_dir: Path, db_url: str) -> None:
    monkeypatch.setenv("SELFSERVICE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SELFSERVICE_DB_URL", db_url)
    monkeypatch.delenv("SELFSERVICE_SECRET_KEY", raising=False)
    get_settings.cache_clear()


def snapshot(db_url: str) -> dict[str, list]:
    """Every row of every table (the order fixed), to compare two installations."""
    engine = engine_for(db_url)
    rows = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            key = [c for c in table.primary_key.columns] or list(table.columns)
            rows[table.name] = [tuple(r) for r in connection.execute(sa.select(table).order_by(*key)).all()]
    return rows


@pytest.fixture
def demo_install(tmp_path, monkeypatch):
    source = tmp_path / "source"
    use(monkeypatch, source, f"sqlite:///{source / 'app.db'}")
    assert main(["demo"]) == 0
    yield source
    get_settings.cache_clear()


def test_the_demo_restores_into_an_empty_installation_exactly(demo_install, tmp_path, monkeypatch, capsys):
    source_url = get_settings().db_url
    made = backup.create(tmp_path / "backups", NOW)
    names = [m["path"] for m in made.manifest["members"]]
    assert "database/selfservice.sqlite" in names and "data/secret_key" in names and "data/audit-checkpoints.jsonl" in names
    stored = {sha for sha, _ in filestore.store().listing()}
    assert stored and {f"files/{sha}" for sha in stored} <= set(names)
    before = snapshot(source_url)

    target = tmp_path / "target"
    target_url = f"sqlite:///{target / 'app.db'}"
    use(monkeypatch, target, target_url)
    capsys.readouterr()
    assert main(["restore", str(made.path)]) == 0
    out = capsys.readouterr().out
    assert "restored:" in out and "PROBLEM" not in out
    assert snapshot(target_url) == before
    assert {sha for sha, _ in filestore.store().listing()} == stored
    assert (target / "secret_key").read_bytes() == (demo_install / "secret_key").read_bytes()
    assert main(["audit", "verify"]) == 0
    with Session(engine_for(target_url)) as session:
        result = backup.check(session)
    assert result.ok and result.audit_entries > 100 and result.documents > 10 and result.files >= 3


def test_one_changed_byte_anywhere_refuses_the_restore_and_writes_nothing(demo_install, tmp_path, monkeypatch):
    made = backup.create(tmp_path / "backups", NOW)
    with tarfile.open(made.path, "r:gz") as archive:
        members = [(info, archive.extractfile(info).read()) for info in archive]
    for victim in ("database/selfservice.sqlite", next(i.name for i, _ in members if i.name.startswith("files/"))):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as changed:
            for info, data in members:
                if info.name == victim:
                    data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
                changed.addfile(info, io.BytesIO(data))
        bad = tmp_path / f"bad-{victim.replace('/', '_')}.tar.gz"
        bad.write_bytes(gzip.compress(buffer.getvalue()))
        with pytest.raises(backup.BackupInvalid) as refused:
            backup.read_manifest(bad)
        assert refused.value.params["member"] == victim
        target = tmp_path / f"target-{victim[:8]}"
        use(monkeypatch, target, f"sqlite:///{target / 'app.db'}")
        with pytest.raises(backup.BackupInvalid):
            backup.restore(bad)
        assert not (target / "attachments").exists() and not sa.inspect(engine_for(get_settings().db_url)).get_table_names()
        assert (target / "secret_key").read_bytes() != (demo_install / "secret_key").read_bytes()  # its own, not the backup's
    with pytest.raises(backup.BackupInvalid):
        backup.read_manifest(tmp_path / "bad-database_selfservice.sqlite.tar.gz")


def test_a_restore_into_an_installation_in_use_is_refused(demo_install, tmp_path):
    made = backup.create(tmp_path / "backups", NOW)
    with pytest.raises(backup.NotEmpty):
        backup.restore(made.path)


def test_scheduled_runs_keep_the_newest_and_record_failures(demo_install, tmp_path, monkeypatch):
    monkeypatch.setenv("SELFSERVICE_BACKUP_DIR", str(tmp_path / "kept"))
    monkeypatch.setenv("SELFSERVICE_BACKUP_KEEP", "2")
    get_settings.cache_clear()
    with Session(engine_for(get_settings().db_url)) as session:
        runs = [backup.run(session, "scheduled", NOW + timedelta(days=d)) for d in range(3)]
        assert all(r.ok for r in runs) and runs[-1].pruned == 1
        assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == [
            "selfservice-backup-20261202T181700Z.tar.gz",
            "selfservice-backup-20261203T181700Z.tar.gz",
        ]
        (tmp_path / "blocked").write_text("a file where the folder should be")
        monkeypatch.setenv("SELFSERVICE_BACKUP_DIR", str(tmp_path / "blocked"))
        get_settings.cache_clear()
        failed = backup.run(session, "scheduled", NOW + timedelta(days=4))
        assert not failed.ok and failed.error == "backup.not_a_folder", "a reason the page can translate, not the exception's text"
        assert backup.reason(OSError(errno.ENOSPC, "No space left on device")) == "backup.disk_full"
        assert backup.reason(sa.exc.OperationalError("SELECT 1", {}, Exception("boom"))) == "backup.unexpected"
        from tests.helpers import actor_for

        status = backup.status(session, actor_for(session, "admin"))
        assert status.last_ok.id == runs[-1].id and status.last_run.id == failed.id
        from selfservice.domain.errors import NotPermitted

        with pytest.raises(NotPermitted):
            backup.status(session, actor_for(session, "hr01"))


@pytest.mark.postgres
def test_postgresql_backs_up_with_pg_dump_and_restores(pg_server, tmp_path, monkeypatch):
    from tests.pg import fresh_database

    source_url = fresh_database(pg_server, "backup_source")
    use(monkeypatch, tmp_path / "pg-source", source_url)
    assert main(["demo"]) == 0
    made = backup.create(tmp_path / "backups", NOW)
    assert any(m["path"] == "database/selfservice.pgdump" for m in made.manifest["members"])
    before = snapshot(source_url)
    target_url = fresh_database(pg_server, "backup_target")
    use(monkeypatch, tmp_path / "pg-target", target_url)
    result = backup.restore(made.path)
    assert result.ok, result.problems
    assert snapshot(target_url) == before
    migrate.upgrade("head", target_url)  # the restored schema is at head already
    get_settings.cache_clear()


def test_an_installation_on_object_storage_backs_up_and_restores_its_files(tmp_path, monkeypatch):
    """The demo with its files in S3 (moto's server): uploads, photos and bundles are objects; the
    backup holds them and a restore puts them into another (empty) bucket."""
    from tests.standins import S3StandIn

    with S3StandIn(bucket="company-a") as source_s3:
        monkeypatch.setenv("SELFSERVICE_FILE_STORE", source_s3.location)
        monkeypatch.setenv("SELFSERVICE_S3_ENDPOINT", source_s3.endpoint)
        use(monkeypatch, tmp_path / "s3-source", f"sqlite:///{tmp_path / 's3-source' / 'app.db'}")
        assert main(["demo"]) == 0
        assert not (tmp_path / "s3-source" / "attachments").exists(), "no file went to local disk"
        objects = sorted(k.rsplit("/", 1)[-1] for k in source_s3.keys())
        assert len(objects) >= 3
        made = backup.create(tmp_path / "backups", NOW)
        before = snapshot(get_settings().db_url)
        source_s3.client.create_bucket(Bucket="company-b")
        monkeypatch.setenv("SELFSERVICE_FILE_STORE", "s3://company-b/restored")
        use(monkeypatch, tmp_path / "s3-target", f"sqlite:///{tmp_path / 's3-target' / 'app.db'}")
        result = backup.restore(made.path)
        assert result.ok, result.problems
        assert snapshot(get_settings().db_url) == before
        listed = source_s3.client.list_objects_v2(Bucket="company-b", Prefix="restored/").get("Contents", [])
        restored = sorted(item["Key"].rsplit("/", 1)[-1] for item in listed)
        assert restored == objects
    get_settings.cache_clear()
