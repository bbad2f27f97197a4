"""The company key (公司签名密钥): signs audit checkpoints, evidence PDFs (PAdES) and bundle
manifests.

Generated at install (EC P-256, self-signed certificate), or an X.509 certificate and key that HR
uploads (e.g. issued by a CA the company uses). The private key is stored encrypted like the
channel secrets. Rotating retires the old key but keeps it, so what it signed still verifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from selfservice.auth.secrets import decrypt_secret, encrypt_secret
from selfservice.documents import signing
from selfservice.domain.actor import Actor, Role
from selfservice.domain.checkpoints import PublicKey
from selfservice.domain.errors import DomainError, NotPermitted, ValidationFailed
from selfservice.persistence.models import CompanyKey
from selfservice.services import audit
from selfservice.settings import get_settings

PURPOSE = "company-key"
MAX_UPLOAD = 64 * 1024


def _require_hr(actor: Actor) -> None:
    if not (actor.has_role(Role.hr) or actor.has_role(Role.admin)):
        raise NotPermitted()


def active(session: Session) -> CompanyKey | None:
    return session.exec(select(CompanyKey).where(CompanyKey.retired_at.is_(None)).order_by(CompanyKey.id.desc())).first()  # type: ignore[union-attr]


def _store(session: Session, actor: Actor | None, pair: signing.KeyPair, source: str, now: datetime) -> CompanyKey:
    if session.exec(select(CompanyKey.id).where(CompanyKey.key_id == pair.key_id)).first() is not None:
        raise ValidationFailed("key.already_used", field="certificate")
    for old in session.exec(select(CompanyKey).where(CompanyKey.retired_at.is_(None))).all():  # type: ignore[union-attr]
        old.retired_at = now
        session.add(old)
        audit.append(session, actor, "company_key.retired", "company_key", old.id, after={"key_id": old.key_id}, at=now)
    row = CompanyKey(
        key_id=pair.key_id,
        algorithm=signing.algorithm(pair.private_key),
        certificate_pem=pair.certificate_pem,
        private_key_enc=encrypt_secret(get_settings().secret_key, signing.private_pem(pair.private_key), PURPOSE),
        source=source,
        subject=pair.certificate.subject.rfc4514_string()[:255],
        not_after=pair.certificate.not_valid_after_utc,
        created_at=now,
        created_by=actor.account_id if actor else None,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        f"company_key.{source}",
        "company_key",
        row.id,
        after={"key_id": row.key_id, "algorithm": row.algorithm, "fingerprint": pair.fingerprint, "subject": row.subject},
        at=now,
    )
    return row


def ensure(session: Session, now: datetime) -> CompanyKey:
    """The active key, generated the first time it is needed (at install: ``selfservice demo``
    and the first checkpoint)."""
    row = active(session)
    if row is None:
        row = _store(session, None, signing.generate(get_settings().company_name, now), "generated", now)
    return row


def pair(session: Session, now: datetime) -> signing.KeyPair:
    """The active key with its certificate, ready to sign."""
    row = ensure(session, now)
    pem = decrypt_secret(get_settings().secret_key, row.private_key_enc, PURPOSE)
    if pem is None:
        raise DomainError("key.unreadable")
    return signing.load_pair(row.certificate_pem, pem)


def public_keys(session: Session) -> dict[str, PublicKey]:
    """Every key the company holds or held, by key id (retired ones too)."""
    return {row.key_id: signing.load_certificate(row.certificate_pem).public_key() for row in session.exec(select(CompanyKey)).all()}  # type: ignore[misc]


def certificates(session: Session) -> list[str]:
    """Every certificate (PEM), newest first: what a bundle's reader may be given to trust."""
    return [row.certificate_pem for row in session.exec(select(CompanyKey).order_by(CompanyKey.id.desc())).all()]  # type: ignore[union-attr]


def rotate(session: Session, actor: Actor, now: datetime) -> str:
    """A new generated key replaces the active one; returns its key id."""
    _require_hr(actor)
    return _store(session, actor, signing.generate(get_settings().company_name, now), "generated", now).key_id


def upload(session: Session, actor: Actor, certificate: bytes, private_key: bytes, password: str, now: datetime) -> str:
    """HR's own certificate and key become the company key; returns its key id."""
    _require_hr(actor)
    if not certificate or not private_key or len(certificate) > MAX_UPLOAD or len(private_key) > MAX_UPLOAD:
        raise ValidationFailed("key.bad_certificate", field="certificate")
    try:
        loaded = signing.load_uploaded(certificate, private_key, password, now)
    except signing.BadKeyMaterial as error:
        raise ValidationFailed(error.reason, field="certificate") from None
    return _store(session, actor, loaded, "uploaded", now).key_id


@dataclass(frozen=True)
class KeyRow:
    key_id: str
    algorithm: str
    source: str
    subject: str
    fingerprint: str
    created_at: datetime
    not_after: datetime
    retired_at: datetime | None


def listing(session: Session, actor: Actor) -> list[KeyRow]:
    _require_hr(actor)
    return [
        KeyRow(
            row.key_id,
            row.algorithm,
            row.source,
            row.subject,
            signing.fingerprint(signing.load_certificate(row.certificate_pem)),
            row.created_at,
            row.not_after,
            row.retired_at,
        )
        for row in session.exec(select(CompanyKey).order_by(CompanyKey.id.desc())).all()  # type: ignore[union-attr]
    ]
