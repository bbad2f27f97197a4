"""Backups that restore: the database, the file store and the files kept beside them, in one
archive with a manifest of hashes.

``create`` writes ``selfservice-backup-<UTC time>.tar.gz``:

- ``database/selfservice.sqlite`` (SQLite's online backup API: a consistent copy while the app
  runs) or ``database/selfservice.pgdump`` (``pg_dump --format=custom``);
- ``files/<sha256>`` for every file of the store (attachments, photos, recordings, documents,
  evidence bundles);
- ``data/audit-checkpoints.jsonl`` (the checkpoints kept outside the database) and
  ``data/secret_key`` when the key was generated into the data folder (without it the channel
  secrets, TOTP secrets and the company key in the database cannot be decrypted: keep backups
  as safe as the key);
- ``manifest.json`` last: format, time, schema revision, audit head, and the SHA-256 and size of
  every other member.

``restore`` only writes into an empty installation (no tables, no stored files), after every
member's hash has been checked against the manifest; then it checks what was restored: the audit
chain and its checkpoints, and the hash of every document and file the database refers to.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError, NotPermitted
from selfservice.persistence import filestore
from selfservice.persistence.db import engine_for
from selfservice.persistence.models import BackupRun, CaseNotice, PolicyVersion, SeparationCertificate, Signature, SignatureReceipt
from selfservice.settings import get_settings

FORMAT = 1
PREFIX = "selfservice-backup-"
DATA_FILES = ("audit-checkpoints.jsonl", "secret_key")
# (table, bytes column, hash column): documents kept in the database with the hash they had when made
DOCUMENTS = (
    (PolicyVersion, "content", "content_sha256"),
    (Signature, "image", "image_sha256"),
    (SignatureReceipt, "pdf", "sha256"),
    (SeparationCertificate, "pdf", "sha256"),
    (CaseNotice, "pdf", "sha256"),
)

log = logging.getLogger("selfservice.backup")


class BackupInvalid(DomainError):
    """The archive is not a backup of this app, or a member does not match the manifest."""

    key = "backup.invalid"


class NotEmpty(DomainError):
    key = "backup.not_empty"


@dataclass
class Made:
    path: Path
    size: int
    sha256: str
    manifest: dict[str, Any]


@dataclass
class Check:
    """What was verified after a restore (or on demand)."""

    audit_entries: int = 0
    checkpoints: int = 0
    documents: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256_stream(handle: Any) -> str:
    hasher = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        hasher.update(chunk)
    return hasher.hexdigest()


def _sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return _sha256_stream(handle)


def _dialect(db_url: str) -> str:
    return engine_for(db_url).dialect.name


def _sqlite_path(db_url: str) -> Path:
    database = engine_for(db_url).url.database
    if not database or database == ":memory:":
        raise DomainError("backup.no_database_file")
    return Path(database)


def _libpq_url(db_url: str) -> str:
    url = engine_for(db_url).url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise DomainError("backup.tool_missing", tool=name)
    return found


def _dump_database(db_url: str, into: Path) -> str:
    """The database into ``into``; returns its member name."""
    if _dialect(db_url) == "sqlite":
        source = sqlite3.connect(_sqlite_path(db_url))
        target = sqlite3.connect(into)
        try:
            source.backup(target)  # a consistent copy, even while the app writes
        finally:
            target.close()
            source.close()
        return "database/selfservice.sqlite"
    subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={into}", f"--dbname={_libpq_url(db_url)}"],
        check=True,
        capture_output=True,
        timeout=3600,
    )
    return "database/selfservice.pgdump"


def _audit_head(db_url: str) -> dict[str, Any]:
    with engine_for(db_url).connect() as connection:
        row = connection.execute(sa.text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).first()
        revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return {"audit_seq": row[0] if row else 0, "audit_hash": row[1] if row else "", "schema_revision": revision or ""}


def create(out_dir: Path, now: datetime, db_url: str | None = None) -> Made:
    """Write one archive into ``out_dir`` and return where, how big, and its manifest."""
    settings = get_settings()
    db_url = db_url or settings.db_url
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{PREFIX}{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}.tar.gz"
    final = out_dir / name
    members: list[dict[str, Any]] = []
    head = _audit_head(db_url)  # read before the copy: the copy holds at least this much
    with tempfile.TemporaryDirectory(prefix="selfservice-backup-") as work:
        dump = Path(work) / "database"
        member = _dump_database(db_url, dump)
        partial = out_dir / (name + ".part")
        with tarfile.open(partial, "w:gz", compresslevel=6) as archive:

            def add_bytes(arcname: str, data: bytes) -> None:
                info = tarfile.TarInfo(arcname)
                info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
                archive.addfile(info, io.BytesIO(data))
                members.append({"path": arcname, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})

            archive.add(dump, arcname=member)
            members.append({"path": member, "sha256": _sha256_file(dump), "size": dump.stat().st_size})
            store = filestore.store()
            for sha256, _ in sorted(store.listing()):
                add_bytes(f"files/{sha256}", store.get(sha256))
            configured_key = bool(os.environ.get("SELFSERVICE_SECRET_KEY"))
            for data_file in DATA_FILES:
                path = settings.data_dir / data_file
                if path.exists() and not (data_file == "secret_key" and configured_key):
                    add_bytes(f"data/{data_file}", path.read_bytes())
            manifest = {
                "format": FORMAT,
                "app": "selfservice",
                "created_at": now.astimezone(UTC).isoformat(),
                "database": _dialect(db_url),
                **head,
                "members": members,
            }
            add_bytes_manifest = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(add_bytes_manifest), int(now.timestamp()), 0o600
            archive.addfile(info, io.BytesIO(add_bytes_manifest))
        partial.replace(final)
    return Made(final, final.stat().st_size, _sha256_file(final), manifest)


def read_manifest(archive_path: Path) -> dict[str, Any]:
    """The manifest, after every member was read and matched against it (nothing is written)."""
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            seen: dict[str, str] = {}
            manifest: dict[str, Any] | None = None
            for info in archive:
                if not info.isfile():
                    raise BackupInvalid(member=info.name)
                handle = archive.extractfile(info)
                assert handle is not None
                if info.name == "manifest.json":
                    manifest = json.loads(handle.read())
                    continue
                seen[info.name] = _sha256_stream(handle)
    except (tarfile.TarError, OSError, EOFError, ValueError) as error:
        raise BackupInvalid(member=str(error)[:80]) from None
    if not manifest or manifest.get("app") != "selfservice" or manifest.get("format") != FORMAT:
        raise BackupInvalid(member="manifest.json")
    listed = {m["path"]: m["sha256"] for m in manifest["members"]}
    for path in sorted(set(listed) | set(seen)):
        if listed.get(path) != seen.get(path):
            raise BackupInvalid(member=path)
    return manifest


def _is_empty(db_url: str) -> bool:
    tables = set(sa.inspect(engine_for(db_url)).get_table_names()) - {"alembic_version"}
    return not tables and next(iter(filestore.store().listing()), None) is None


def restore(archive_path: Path, db_url: str | None = None) -> Check:
    """Restore ``archive_path`` into this (empty) installation, then check what was restored."""
    settings = get_settings()
    db_url = db_url or settings.db_url
    manifest = read_manifest(archive_path)
    if not _is_empty(db_url):
        raise NotEmpty()
    if manifest["database"] != _dialect(db_url):
        raise BackupInvalid(member=f"database ({manifest['database']} backup, {_dialect(db_url)} installation)")
    store = filestore.store()
    with tempfile.TemporaryDirectory(prefix="selfservice-restore-") as work, tarfile.open(archive_path, "r:gz") as archive:
        for info in archive:
            handle = archive.extractfile(info)
            assert handle is not None
            if info.name.startswith("files/"):
                data = handle.read()
                if store.put(data) != info.name.removeprefix("files/"):
                    raise BackupInvalid(member=info.name)
            elif info.name.startswith("data/") and info.name.removeprefix("data/") in DATA_FILES:
                target = settings.data_dir / info.name.removeprefix("data/")
                if target.name == "secret_key" and os.environ.get("SELFSERVICE_SECRET_KEY"):
                    continue  # the configured key wins (it must be the one the backup was made with)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(handle.read())
                if target.name == "secret_key":
                    target.chmod(0o600)
            elif info.name.startswith("database/"):
                dump = Path(work) / "database"
                with dump.open("wb") as out:
                    shutil.copyfileobj(handle, out)
                _load_database(db_url, dump)
    get_settings.cache_clear()  # the secret key may have been restored
    engine_for(db_url).dispose()
    with Session(engine_for(db_url)) as session:
        return check(session)


def _load_database(db_url: str, dump: Path) -> None:
    if _dialect(db_url) == "sqlite":
        target = _sqlite_path(db_url)
        engine_for(db_url).dispose()
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        source = sqlite3.connect(dump)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return
    subprocess.run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={_libpq_url(db_url)}",
            str(dump),
        ],
        check=True,
        capture_output=True,
        timeout=3600,
    )


def check(session: Session) -> Check:
    """The audit chain and its checkpoints; every document kept in the database against the hash
    it had when made; every stored file a row refers to, present and matching its hash."""
    from selfservice.services import checkpoints

    result = Check()
    report = checkpoints.verify(session)
    result.audit_entries = report.chain.checked
    result.checkpoints = sum(1 for c in report.checks if c.ok)
    if not report.chain.ok:
        result.problems.append(f"audit chain broken at seq {report.chain.first_bad_seq}: {report.chain.reason}")
    result.problems += [f"audit checkpoint at seq {p.checkpoint_seq}: {p.finding.value}" for p in report.problems]
    for table, data_column, hash_column in DOCUMENTS:
        rows = session.execute(sa.select(table.id, getattr(table, data_column), getattr(table, hash_column))).all()
        for row_id, data, expected in rows:
            result.documents += 1
            if hashlib.sha256(data or b"").hexdigest() != expected:
                result.problems.append(f"{table.__tablename__} {row_id}: content does not match its hash")
    store = filestore.store()
    for sha256 in sorted(filestore.referenced(session)):
        result.files += 1
        try:
            store.get(sha256)
        except filestore.FileMissing:
            result.problems.append(f"file {sha256[:16]}… is missing")
        except filestore.FileDamaged:
            result.problems.append(f"file {sha256[:16]}… does not match its hash")
    return result


def prune(out_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives in ``out_dir``; returns what was deleted."""
    archives = sorted(out_dir.glob(f"{PREFIX}*.tar.gz"), reverse=True)  # the names sort by time
    for old in archives[keep:]:
        old.unlink(missing_ok=True)
    return archives[keep:]


_OS_REASONS = {errno.ENOSPC: "backup.disk_full", errno.EACCES: "backup.no_permission", errno.EPERM: "backup.no_permission",
               errno.ENOENT: "backup.path_missing", errno.ENOTDIR: "backup.not_a_folder", errno.EEXIST: "backup.not_a_folder", errno.EROFS: "backup.read_only"}  # fmt: skip


def reason(error: BaseException) -> str:
    """Why a backup failed, as a message key the page shows in the reader's language (the
    exception's own text goes to the server log, not to the screen)."""
    if isinstance(error, DomainError):
        return error.key
    if isinstance(error, OSError) and error.errno in _OS_REASONS:
        return _OS_REASONS[error.errno]
    return "backup.unexpected"


def run(session: Session, trigger: str, now: datetime) -> BackupRun:
    """A backup as the scheduler or an admin starts it: made, old ones pruned, the run recorded
    (also when it failed, with the reason)."""
    settings = get_settings()
    row = BackupRun(started_at=now, trigger=trigger[:16], ok=False)
    try:
        made = create(settings.backup_dir, now)
        removed = prune(settings.backup_dir, settings.backup_keep)
        row.ok, row.path, row.size_bytes, row.sha256 = True, str(made.path), made.size, made.sha256
        row.audit_seq, row.files = (
            int(made.manifest["audit_seq"]),
            sum(1 for m in made.manifest["members"] if m["path"].startswith("files/")),
        )
        row.pruned = len(removed)
    except (DomainError, OSError, subprocess.SubprocessError, sqlite3.Error, sa.exc.SQLAlchemyError) as error:
        row.error = reason(error)
        log.error("backup failed (%s): %s", row.error, error)  # the technical detail for the operator
    row.finished_at = datetime.now(UTC)
    session.add(row)
    session.commit()
    return row


@dataclass(frozen=True)
class Status:
    last_ok: BackupRun | None
    last_run: BackupRun | None
    recent: list[BackupRun]
    folder: str
    keep: int


def status(session: Session, actor: Actor) -> Status:
    if not actor.has_role(Role.admin):
        raise NotPermitted()
    settings = get_settings()
    recent = list(session.exec(select(BackupRun).order_by(BackupRun.id.desc()).limit(14)).all())  # type: ignore[union-attr]
    last_ok = session.exec(select(BackupRun).where(BackupRun.ok == True).order_by(BackupRun.id.desc())).first()  # noqa: E712  # type: ignore[union-attr]
    return Status(last_ok, recent[0] if recent else None, recent, str(settings.backup_dir), settings.backup_keep)


def next_scheduled(now: datetime) -> datetime:
    """When the daily backup runs next (its hour in company time, at :17)."""
    settings = get_settings()
    local = now.astimezone(ZoneInfo(settings.timezone))
    at = local.replace(hour=settings.backup_hour, minute=17, second=0, microsecond=0)
    return (at if at > local else at + timedelta(days=1)).astimezone(UTC)


def run_now(session: Session, actor: Actor, now: datetime) -> BackupRun:
    """The admin's "back up now" (audited like every change that matters)."""
    from selfservice.services import audit

    if not actor.has_role(Role.admin):
        raise NotPermitted()
    row = run(session, "admin", now)
    audit.append(session, actor, "backup.run", "backup_run", row.id, after={"ok": row.ok, "sha256": row.sha256, "error": row.error}, at=now)
    session.commit()
    return row
