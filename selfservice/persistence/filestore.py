"""Where uploaded and generated files live: content-addressed by SHA-256, never changed in place.

Attachments, photos, recordings, separation documents and evidence bundles are stored under
their hash; rows refer to them by that hash (PDFs the app prints are kept in the database
itself). Reading a file checks its hash, so a damaged or swapped file is never served as the
original. The embedded default is a folder under the data directory; ``put`` writes to a
temporary name and renames, so a half-written file never has a hash's name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from sqlmodel import Session, select

from selfservice.settings import get_settings

HASH = re.compile(r"^[0-9a-f]{64}$")


class FileMissing(LookupError):
    pass


class FileDamaged(ValueError):
    """The bytes under a hash's name do not have that hash."""


class FileStore(Protocol):
    def put(self, data: bytes) -> str: ...
    def get(self, sha256: str) -> bytes: ...
    def exists(self, sha256: str) -> bool: ...
    def listing(self) -> Iterator[tuple[str, float]]: ...  # (hash, modified time as a POSIX timestamp)
    def delete(self, sha256: str) -> None: ...


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _checked(sha256: str) -> str:
    if not HASH.match(sha256 or ""):
        raise FileMissing(sha256)
    return sha256


class LocalStore:
    """Files in ``root/ab/abcdef…`` (the first two hex digits fan the folder out)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        sha256 = digest(data)
        path = self._path(sha256)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(path)
        return sha256

    def get(self, sha256: str) -> bytes:
        path = self._path(_checked(sha256))
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FileMissing(sha256) from None
        if digest(data) != sha256:
            raise FileDamaged(sha256)
        return data

    def exists(self, sha256: str) -> bool:
        return bool(HASH.match(sha256 or "")) and self._path(sha256).exists()

    def listing(self) -> Iterator[tuple[str, float]]:
        if not self.root.exists():
            return
        for path in self.root.glob("??/*"):
            if HASH.match(path.name):
                yield path.name, path.stat().st_mtime

    def delete(self, sha256: str) -> None:
        self._path(_checked(sha256)).unlink(missing_ok=True)


def store() -> FileStore:
    """The installation's file store (the folder ``data_dir/attachments`` by default)."""
    return LocalStore(get_settings().data_dir / "attachments")


def referenced(session: Session) -> set[str]:
    """Every hash a row points at: files that must be kept, and that a backup must hold."""
    from selfservice.persistence.models import CaseEvent, ChecklistItem, EvidenceExport, LeaveAttachment, SeparationDocument

    kept = set(session.exec(select(LeaveAttachment.sha256)).all())
    kept |= set(session.exec(select(ChecklistItem.photo_sha256).where(ChecklistItem.photo_sha256 != "")).all())
    kept |= set(session.exec(select(SeparationDocument.sha256)).all())
    kept |= set(session.exec(select(CaseEvent.file_sha256).where(CaseEvent.file_sha256 != "")).all())
    kept |= set(session.exec(select(EvidenceExport.sha256)).all())
    return kept
