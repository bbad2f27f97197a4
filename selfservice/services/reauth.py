"""Fresh re-authentication (再次验证身份) inside a signed-in session, before signing or
changing a mobile number or email: the TOTP code when the account has one, else the password.

Each proof is good for one use within five minutes, in the session that made it. A wrong code
or password counts towards the name's waits like a failed sign-in (services/throttle.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from selfservice.auth import secrets as sec
from selfservice.domain.actor import Actor
from selfservice.domain.errors import DomainError, NotSignedIn, ValidationFailed
from selfservice.domain.signatures import REAUTH_SECONDS
from selfservice.persistence.models import ReAuthentication, UserAccount
from selfservice.services import audit, throttle
from selfservice.services.auth import _accept_totp, _record_failure


def method_for(session: Session, actor: Actor) -> str:
    """What the account is asked for: ``totp`` or ``password``."""
    account = session.get(UserAccount, actor.account_id)
    return "totp" if account is not None and account.totp_enabled else "password"


def confirm(session: Session, actor: Actor, secret: str, now: datetime, source: str = "") -> datetime:
    """Check the code or password; record a fresh proof; return until when it is good."""
    account = session.get(UserAccount, actor.account_id)
    if account is None or actor.session_id is None:
        raise NotSignedIn()
    if not secret.strip():
        raise ValidationFailed("reauth.required", field="secret")
    throttle.check(session, account.username, source, now)
    if account.totp_enabled:
        method = _accept_totp(session, account, secret, now, source)
    else:
        method = "password"
        if not sec.verify_password(account.password_hash, secret):
            _record_failure(session, account, account.username, source, now, "reauth_password")
            raise DomainError("reauth.bad_password")
    throttle.succeeded(session, account.username, source)
    proof = ReAuthentication(account_id=account.id, session_id=actor.session_id, method=method, at=now)
    session.add(proof)
    session.flush()
    audit.append(session, actor, "auth.reauthenticated", "user_account", account.id, after={"method": method}, at=now)
    session.commit()
    return now + timedelta(seconds=REAUTH_SECONDS)


def consume(session: Session, actor: Actor, purpose: str, now: datetime) -> str:
    """Use the latest unused proof of this session for ``purpose``; returns its method.
    Refused when there is none, it is older than five minutes, or it was used already."""
    latest = session.exec(
        select(ReAuthentication)
        .where(ReAuthentication.account_id == actor.account_id, ReAuthentication.session_id == actor.session_id)
        .order_by(ReAuthentication.id.desc())  # type: ignore[union-attr]
    ).first()
    if latest is None:
        raise DomainError("reauth.required")
    if latest.used_at is not None:
        raise DomainError("reauth.used")
    if latest.at < now - timedelta(seconds=REAUTH_SECONDS) or latest.at > now + timedelta(seconds=5):
        raise DomainError("reauth.stale")
    latest.used_at = now
    latest.used_for = purpose[:40]
    session.add(latest)
    return latest.method
