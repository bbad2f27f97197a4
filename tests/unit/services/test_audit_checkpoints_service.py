"""Audit checkpoints in the database and the file beside it: `audit verify` reports a cut-off
tail and a chain rewritten so that it verifies on its own, a forged checkpoint, and keeps old
checkpoints valid across a key rotation. A TSA's timestamp rides along when one is configured."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from selfservice.cli import main
from selfservice.documents import signing
from selfservice.domain import checkpoints as rules
from selfservice.domain.actor import SYSTEM
from selfservice.domain.audit import entry_hash
from selfservice.jobs import cases as case_jobs
from selfservice.persistence.models import AuditCheckpoint, AuditEntry
from selfservice.services import audit, checkpoints, company_key
from selfservice.services.audit import _as_chain
from tests.helpers import actor_for
from tests.standins import TimestampAuthorityStandIn


@pytest.fixture
def chain(demo, now):
    for i in range(10):
        audit.append(demo, SYSTEM, "test.event", "employee", i, after={"n": i}, at=now)
    demo.commit()
    return demo


def verify(capsys) -> tuple[int, str]:
    code = main(["audit", "verify"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def drop_guards(session) -> None:
    from tests.helpers import drop_trigger

    for table in ("audit_log", "audit_checkpoint"):
        for verb in ("update", "delete"):
            drop_trigger(session, table, verb)


def test_a_cut_off_tail_fails_verify_once_a_checkpoint_covers_it(chain, capsys, now):
    assert main(["audit", "checkpoint"]) == 0
    assert "signed with key" in capsys.readouterr().out
    code, out = verify(capsys)
    assert code == 0 and "1 checkpoints hold" in out
    last = chain.exec(select(sa.func.max(AuditEntry.seq))).one()
    drop_guards(chain)
    chain.connection().execute(sa.text(f"DELETE FROM audit_log WHERE seq > {last - 3}"))
    chain.commit()
    code, out = verify(capsys)
    assert code == 1 and "truncated" in out and f"had {last} entries" in out


def test_the_file_copy_still_catches_it_when_the_checkpoint_rows_are_deleted_too(chain, capsys, now):
    with chain.begin_nested():
        checkpoints.take(chain, "manual", now)
    chain.commit()
    drop_guards(chain)
    chain.connection().execute(sa.text("DELETE FROM audit_checkpoint"))
    chain.connection().execute(sa.text("DELETE FROM audit_log WHERE seq > 5"))
    chain.commit()
    assert checkpoints.mirror_path().exists()
    code, out = verify(capsys)
    assert code == 1 and "truncated" in out


def test_a_chain_rewritten_to_verify_on_its_own_is_caught(chain, capsys, now):
    checkpoints.take(chain, "manual", now)
    chain.commit()
    drop_guards(chain)
    rows = chain.exec(select(AuditEntry).order_by(AuditEntry.seq)).all()
    prev = None
    for row in rows:  # change entry 4 and re-link everything after it: the chain alone verifies
        if row.seq == 4:
            row.action = "test.rewritten"
        if prev is not None:
            row.prev_hash = prev
        row.hash = entry_hash(_as_chain(row))
        prev = row.hash
        chain.add(row)
    chain.commit()
    assert audit.verify(chain).ok
    code, out = verify(capsys)
    assert code == 1 and "rewritten" in out


def test_a_checkpoint_signed_by_another_key_is_reported(chain, capsys, now):
    foreign = signing.generate("Someone else", now)
    last = chain.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    forged = rules.sign(foreign.private_key, last.seq, last.hash, now)
    chain.add(
        AuditCheckpoint(
            seq=forged.seq, head_hash=forged.head_hash, at=now, key_id=forged.key_id, signature=forged.signature, reason="manual"
        )
    )
    chain.commit()
    code, out = verify(capsys)
    assert code == 1 and "not signed by a key the company holds" in out


def test_rotation_keeps_old_checkpoints_valid(chain, capsys, now):
    checkpoints.take(chain, "manual", now)
    old = company_key.active(chain).key_id
    new = company_key.rotate(chain, actor_for(chain, "hr01"), now + timedelta(minutes=1))
    checkpoints.take(chain, "manual", now + timedelta(minutes=2))
    chain.commit()
    assert old != new and {r.key_id for r in chain.exec(select(AuditCheckpoint)).all()} == {old, new}
    code, out = verify(capsys)
    assert code == 0 and "2 checkpoints hold" in out


def test_the_daily_job_signs_once_a_day(chain, now, monkeypatch):
    assert case_jobs.checkpoint_tick(now) is True
    assert case_jobs.checkpoint_tick(now + timedelta(hours=5)) is False
    assert case_jobs.checkpoint_tick(now + timedelta(hours=25)) is True


def test_a_configured_tsa_timestamps_the_checkpoint(chain, now, monkeypatch):
    from selfservice.settings import get_settings

    with TimestampAuthorityStandIn() as tsa:
        monkeypatch.setenv("SELFSERVICE_TSA_URL", tsa.tsa_url)
        get_settings.cache_clear()
        row = checkpoints.take(chain, "manual", now)
        assert tsa.requests == 1 and row.tsa_token
        token = base64.b64decode(row.tsa_token)
        payload = rules.payload(row.seq, row.head_hash, row.at, row.key_id)
        assert signing.check_timestamp(token, payload).ok
        assert not signing.check_timestamp(token, payload + b" ").ok
        tsa.failing = True  # an unreachable TSA does not stop the checkpoint
        assert checkpoints.take(chain, "manual", now + timedelta(minutes=1)).tsa_token == ""


def _rsa_pair(now, days: int = 365, password: bytes | None = None):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "示例科技 CA-issued evidence key")])
    start = now - timedelta(days=1) if days > 0 else now - timedelta(days=400)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return (
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption),
    )


def test_hr_uploads_a_certificate_and_key_and_bad_ones_are_refused(chain, capsys, now):
    from selfservice.domain.errors import NotPermitted, ValidationFailed
    from tests.helpers import audit_count

    hr = actor_for(chain, "hr01")
    checkpoints.take(chain, "manual", now)
    chain.commit()
    cert, key = _rsa_pair(now)
    other_cert, _ = _rsa_pair(now)
    expired_cert, expired_key = _rsa_pair(now, days=-1)
    locked_cert, locked_key = _rsa_pair(now, password=b"s3cret")
    before = audit_count(chain)
    for args, reason in (
        ((other_cert, key, ""), "key.mismatch"),
        ((expired_cert, expired_key, ""), "key.expired"),
        ((locked_cert, locked_key, "wrong"), "key.bad_private_key"),
        ((b"not a certificate", key, ""), "key.bad_certificate"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            company_key.upload(chain, hr, *args, now)
        assert refused.value.key == reason
    assert audit_count(chain) == before
    with pytest.raises(NotPermitted):
        company_key.upload(chain, actor_for(chain, "E1004"), cert, key, "", now)
    new_id = company_key.upload(chain, hr, locked_cert, locked_key, "s3cret", now)
    chain.commit()
    assert company_key.active(chain).key_id == new_id and company_key.active(chain).source == "uploaded"
    assert company_key.active(chain).algorithm == "rsa-2048"
    checkpoints.take(chain, "manual", now + timedelta(minutes=1))  # signed with the RSA key now
    chain.commit()
    code, out = verify(capsys)
    assert code == 0 and "2 checkpoints hold" in out  # the generated key's checkpoint still holds
