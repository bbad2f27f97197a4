"""Where uploaded and generated files live: content-addressed by SHA-256, never changed in place.

Attachments, photos, recordings, separation documents and evidence bundles are stored under
their hash; rows refer to them by that hash (PDFs the app prints are kept in the database
itself). Reading a file checks its hash, so a damaged or swapped file is never served as the
original. The embedded default is a folder under the data directory; ``put`` writes to a
temporary name and renames, so a half-written file never has a hash's name. With
``SELFSERVICE_FILE_STORE=s3://bucket/prefix`` files go to S3-compatible object storage instead
(``SELFSERVICE_S3_ENDPOINT`` for a non-AWS service; credentials from the usual ``AWS_*``
variables), which every app host then shares.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import lru_cache
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


class S3Store:
    """Objects ``prefix/ab/abcdef…`` in one bucket of an S3-compatible service (boto3)."""

    def __init__(self, bucket: str, prefix: str, endpoint: str = "", region: str = "") -> None:
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint or None,
            region_name=region or None,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60),
        )

    def _key(self, sha256: str) -> str:
        return f"{self.prefix}/{sha256[:2]}/{sha256}" if self.prefix else f"{sha256[:2]}/{sha256}"

    def _missing(self, error: Exception) -> bool:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
        return code in ("404", "NoSuchKey", "NotFound")

    def put(self, data: bytes) -> str:
        sha256 = digest(data)
        if not self.exists(sha256):  # same bytes, same name: never written twice
            self.client.put_object(Bucket=self.bucket, Key=self._key(sha256), Body=data, ContentLength=len(data))
        return sha256

    def get(self, sha256: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            data = self.client.get_object(Bucket=self.bucket, Key=self._key(_checked(sha256)))["Body"].read()
        except ClientError as error:
            if self._missing(error):
                raise FileMissing(sha256) from None
            raise
        if digest(data) != sha256:
            raise FileDamaged(sha256)
        return data

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        if not HASH.match(sha256 or ""):
            return False
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError as error:
            if self._missing(error):
                return False
            raise
        return True

    def listing(self) -> Iterator[tuple[str, float]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else "")
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if HASH.match(name):
                    yield name, item["LastModified"].timestamp()

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(_checked(sha256)))


@lru_cache(maxsize=4)
def _store_for(location: str, endpoint: str, region: str, data_dir: str) -> FileStore:
    if location.startswith("s3://"):
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        return S3Store(bucket, prefix, endpoint, region)
    return LocalStore(Path(location) if location else Path(data_dir) / "attachments")


def store() -> FileStore:
    """The installation's file store: ``SELFSERVICE_FILE_STORE`` (a folder or ``s3://bucket/prefix``),
    by default the folder ``data_dir/attachments``."""
    settings = get_settings()
    return _store_for(settings.file_store, settings.s3_endpoint, settings.s3_region, str(settings.data_dir))


def referenced(session: Session) -> set[str]:
    """Every hash a row points at: files that must be kept, and that a backup must hold."""
    from selfservice.persistence.models import CaseEvent, ChecklistItem, EvidenceExport, LeaveAttachment, SeparationDocument

    kept = set(session.exec(select(LeaveAttachment.sha256)).all())
    kept |= set(session.exec(select(ChecklistItem.photo_sha256).where(ChecklistItem.photo_sha256 != "")).all())
    kept |= set(session.exec(select(SeparationDocument.sha256)).all())
    kept |= set(session.exec(select(CaseEvent.file_sha256).where(CaseEvent.file_sha256 != "")).all())
    kept |= set(session.exec(select(EvidenceExport.sha256)).all())
    return kept
