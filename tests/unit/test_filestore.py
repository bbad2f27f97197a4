"""The file store contract, on the local folder and on S3-compatible storage (moto's server on
127.0.0.1): content-addressed, checked on every read, listed and pruned the same way."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from selfservice.persistence import filestore
from selfservice.settings import get_settings
from tests.standins import S3StandIn


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, monkeypatch):
    monkeypatch.setenv("SELFSERVICE_DATA_DIR", str(tmp_path))
    if request.param == "local":
        monkeypatch.delenv("SELFSERVICE_FILE_STORE", raising=False)
        get_settings.cache_clear()
        yield filestore.store()
        get_settings.cache_clear()
        return
    with S3StandIn() as s3:
        monkeypatch.setenv("SELFSERVICE_FILE_STORE", s3.location)
        monkeypatch.setenv("SELFSERVICE_S3_ENDPOINT", s3.endpoint)
        get_settings.cache_clear()
        chosen = filestore.store()
        assert isinstance(chosen, filestore.S3Store)
        chosen.standin = s3
        yield chosen
    get_settings.cache_clear()


def test_put_get_list_delete(store):
    data = "病假条".encode() * 1000
    sha = store.put(data)
    assert sha == hashlib.sha256(data).hexdigest() and store.put(data) == sha  # the same bytes: one object
    assert store.exists(sha) and store.get(sha) == data
    listed = dict(store.listing())
    assert set(listed) == {sha} and abs(listed[sha] - datetime.now(UTC).timestamp()) < 120
    store.delete(sha)
    assert not store.exists(sha) and dict(store.listing()) == {}
    with pytest.raises(filestore.FileMissing):
        store.get(sha)
    with pytest.raises(filestore.FileMissing):
        store.get("../../etc/passwd")


def test_a_swapped_file_is_never_served_as_the_original(store):
    sha = store.put(b"the original")
    if isinstance(store, filestore.S3Store):
        store.client.put_object(Bucket=store.bucket, Key=store._key(sha), Body=b"something else")  # noqa: SLF001
        assert store.standin.keys() == [f"files/{sha[:2]}/{sha}"]
    else:
        store._path(sha).write_bytes(b"something else")  # noqa: SLF001
    with pytest.raises(filestore.FileDamaged):
        store.get(sha)
