"""Sign-in (password, then TOTP or recovery code), TOTP enrolment, sessions and sign-out.

Failed attempts are counted per name, per source address and per both, for names that exist
and names that do not; guessers wait longer and longer (services/throttle.py), nobody is locked
out. Every failure is audited. A TOTP code is accepted once: a code from a time step already
used is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.auth import secrets as sec
from selfservice.auth import session_cache
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError, NotPermitted, NotSignedIn, SignInFailed, ValidationFailed
from selfservice.persistence.models import Employee, UserAccount, UserSession
from selfservice.services import audit, throttle
from selfservice.settings import get_settings


@dataclass(frozen=True)
class SignInStep:
    """What the sign-in page shows next: ``full`` (signed in), ``totp`` or ``enrol``."""

    stage: str
    token: str
    qr_data_url: str = ""
    secret: str = ""
    recovery_codes: list[str] = field(default_factory=list)


def actor_of(account: UserAccount, session_id: int | None = None) -> Actor:
    return Actor(
        account_id=account.id or 0,
        employee_id=account.employee_id,
        username=account.username,
        role=Role(account.role),
        session_id=session_id,
        language=account.language,
    )


def _account_by_username(session: Session, username: str) -> UserAccount | None:
    return session.exec(select(UserAccount).where(sa.func.lower(UserAccount.username) == username.strip().lower())).first()


def _new_session(session: Session, account: UserAccount, stage: str, now: datetime, user_agent: str) -> str:
    settings = get_settings()
    token = sec.new_session_token()
    lifetime = timedelta(hours=settings.session_hours) if stage == "full" else timedelta(minutes=settings.pending_signin_minutes)
    session.add(
        UserSession(
            account_id=account.id,  # type: ignore[arg-type]
            token_hash=sec.hash_token(token),
            stage=stage,
            created_at=now,
            expires_at=now + lifetime,
            user_agent=user_agent[:255],
        )
    )
    return token


def _record_failure(session: Session, account: UserAccount | None, name: str, source: str, now: datetime, reason: str) -> None:
    """Count a failed proof and audit it (also for a name no account has), and commit so that
    both survive the error the caller raises next."""
    throttle.failed(session, name, source, now)
    after = {"reason": reason, "username": name.strip()[:64], "source": source[:64]}
    audit.append(
        session,
        actor_of(account) if account else None,
        "auth.sign_in_failed",
        "user_account",
        account.id if account else 0,
        after=after,
        at=now,
    )
    session.commit()


def _employee_active(session: Session, account: UserAccount) -> bool:
    employee = session.get(Employee, account.employee_id)
    return bool(account.active and employee and employee.status == "active")


def begin_sign_in(session: Session, username: str, password: str, now: datetime, user_agent: str = "", source: str = "") -> SignInStep:
    """Check the password; return a full session, or a pending one awaiting TOTP / enrolment.
    ``source`` is the client's address (the proxy-checked one): it has its own counter."""
    if not username.strip() or not password:
        raise ValidationFailed("auth.fill_both")
    throttle.check(session, username, source, now)  # before any hashing, the same for every name
    account = _account_by_username(session, username)
    if account is None:
        sec.verify_password(None, password)  # same work as a real check
        _record_failure(session, None, username, source, now, "unknown_name")
        raise SignInFailed()
    if not sec.verify_password(account.password_hash, password):
        _record_failure(session, account, username, source, now, "password")
        raise SignInFailed()
    if not _employee_active(session, account):
        raise DomainError("auth.inactive")
    from selfservice.services import sso

    if not sso.password_allowed_for(session, account):
        audit.append(session, actor_of(account), "auth.password_refused", "user_account", account.id, after={"reason": "role"}, at=now)
        session.commit()
        raise DomainError("sso.password_disabled")
    sso.record_password_use(session, account, now)
    settings = get_settings()
    if account.totp_enabled:
        stage = "totp"
    elif account.role in settings.totp_required_roles:
        stage = "enrol"
    else:
        throttle.succeeded(session, account.username, source)
        token = _new_session(session, account, "full", now, user_agent)
        audit.append(session, actor_of(account), "auth.signed_in", "user_account", account.id, after={"method": "password"}, at=now)
        session.add(account)
        session.commit()
        return SignInStep("full", token)
    token = _new_session(session, account, stage, now, user_agent)
    step = SignInStep(stage, token)
    if stage == "enrol":
        step = _prepare_enrolment(account, token)
    session.add(account)
    session.commit()
    return step


def _prepare_enrolment(account: UserAccount, token: str) -> SignInStep:
    settings = get_settings()
    secret = sec.new_totp_secret()
    account.totp_secret_enc = sec.encrypt_secret(settings.secret_key, secret)
    uri = sec.provisioning_uri(secret, account.username, settings.totp_issuer)
    return SignInStep("enrol", token, qr_data_url=sec.qr_svg_data_url(uri), secret=secret)


def _pending(session: Session, token: str, stage: str, now: datetime) -> tuple[UserSession, UserAccount]:
    row = session.exec(select(UserSession).where(UserSession.token_hash == sec.hash_token(token or ""))).first()
    if row is None or row.stage != stage or row.revoked_at is not None or row.expires_at <= now:
        raise DomainError("auth.pending_expired")
    account = session.get(UserAccount, row.account_id)
    if account is None or not _employee_active(session, account):
        raise DomainError("auth.inactive")
    return row, account


def _accept_totp(session: Session, account: UserAccount, code: str, now: datetime, source: str = "") -> str:
    """Verify a TOTP or recovery code for ``account``; returns the method used or raises."""
    settings = get_settings()
    secret = sec.decrypt_secret(settings.secret_key, account.totp_secret_enc or "")
    cleaned = code.strip().lower()
    if "-" in cleaned:
        hashes = json.loads(account.recovery_code_hashes or "[]")
        digest = sec.hash_code(cleaned)
        if digest in hashes:
            hashes.remove(digest)
            account.recovery_code_hashes = json.dumps(hashes)
            return "recovery_code"
        _record_failure(session, account, account.username, source, now, "recovery_code")
        raise DomainError("auth.bad_code")
    step = sec.totp_matching_step(secret or "", cleaned, now) if secret else None
    if step is None:
        _record_failure(session, account, account.username, source, now, "totp")
        raise DomainError("auth.bad_code")
    if account.totp_last_step is not None and step <= account.totp_last_step:
        _record_failure(session, account, account.username, source, now, "totp_reused")
        raise DomainError("auth.code_reused")
    account.totp_last_step = step
    return "totp"


def complete_totp(session: Session, pending_token: str, code: str, now: datetime, user_agent: str = "", source: str = "") -> SignInStep:
    """Second step: a TOTP code (or a recovery code) turns the pending session into a new full one."""
    row, account = _pending(session, pending_token, "totp", now)
    throttle.check(session, account.username, source, now)
    method = _accept_totp(session, account, code, now, source)
    row.revoked_at = now
    throttle.succeeded(session, account.username, source)
    token = _new_session(session, account, "full", now, user_agent)
    audit.append(session, actor_of(account), "auth.signed_in", "user_account", account.id, after={"method": f"password+{method}"}, at=now)
    session.add_all([row, account])
    session.commit()
    return SignInStep("full", token)


def _enable_totp(session: Session, account: UserAccount, code: str, now: datetime) -> list[str]:
    secret = sec.decrypt_secret(get_settings().secret_key, account.totp_secret_enc or "")
    step = sec.totp_matching_step(secret or "", code, now) if secret else None
    if step is None:
        raise DomainError("auth.bad_code")
    codes = sec.new_recovery_codes()
    account.totp_enabled = True
    account.totp_last_step = step
    account.recovery_code_hashes = json.dumps([sec.hash_code(c) for c in codes])
    audit.append(session, actor_of(account), "auth.totp_enabled", "user_account", account.id, at=now)
    return codes


def complete_enrolment(session: Session, pending_token: str, code: str, now: datetime, user_agent: str = "") -> SignInStep:
    """First sign-in of a role that requires TOTP: the code proves the app was set up."""
    row, account = _pending(session, pending_token, "enrol", now)
    codes = _enable_totp(session, account, code, now)
    row.revoked_at = now
    token = _new_session(session, account, "full", now, user_agent)
    audit.append(
        session, actor_of(account), "auth.signed_in", "user_account", account.id, after={"method": "password+totp_enrolment"}, at=now
    )
    session.add_all([row, account])
    session.commit()
    return SignInStep("full", token, recovery_codes=codes)


def resolve(session: Session, token: str, now: datetime) -> Actor | None:
    """The actor behind a full session token, or None if it is unknown, expired or revoked.
    The answer is remembered (auth/session_cache.py) until anything it depends on changes."""
    if not token or len(token) > 128:
        return None
    seen = session_cache.epoch()  # before reading: a change after this makes the entry stale
    row = session.exec(select(UserSession).where(UserSession.token_hash == sec.hash_token(token))).first()
    if row is None or row.stage != "full" or row.revoked_at is not None or row.expires_at <= now:
        return None
    account = session.get(UserAccount, row.account_id)
    if account is None or not _employee_active(session, account):
        return None
    actor = actor_of(account, row.id)
    session_cache.put(token, actor, row.expires_at, seen)
    return actor


def require(session: Session, token: str, now: datetime) -> Actor:
    actor = resolve(session, token, now)
    if actor is None:
        raise NotSignedIn()
    return actor


def sign_out(session: Session, token: str, now: datetime) -> None:
    row = session.exec(select(UserSession).where(UserSession.token_hash == sec.hash_token(token or ""))).first()
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = now
    session.add(row)
    account = session.get(UserAccount, row.account_id)
    if account is not None:
        audit.append(session, actor_of(account), "auth.signed_out", "user_account", account.id, at=now)


def revoke_all(session: Session, account_id: int, now: datetime) -> int:
    """End every open session of an account (sign-out everywhere, deactivation)."""
    rows = session.exec(select(UserSession).where(UserSession.account_id == account_id, UserSession.revoked_at.is_(None))).all()  # type: ignore[union-attr]
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)


def sign_out_everywhere(session: Session, actor: Actor, now: datetime) -> int:
    count = revoke_all(session, actor.account_id, now)
    audit.append(session, actor, "auth.signed_out_everywhere", "user_account", actor.account_id, after={"sessions": count}, at=now)
    return count


@dataclass(frozen=True)
class SecurityView:
    totp_enabled: bool
    recovery_codes_left: int


def security_view(session: Session, actor: Actor) -> SecurityView:
    account = session.get(UserAccount, actor.account_id)
    assert account is not None
    return SecurityView(
        totp_enabled=account.totp_enabled,
        recovery_codes_left=len(json.loads(account.recovery_code_hashes or "[]")),
    )


def start_enrolment(session: Session, actor: Actor, now: datetime) -> SignInStep:
    """Self-service enrolment: a fresh secret, shown as a QR code, not active until confirmed."""
    account = session.get(UserAccount, actor.account_id)
    if account is None:
        raise NotSignedIn()
    if account.totp_enabled:
        raise DomainError("auth.totp_already")
    step = _prepare_enrolment(account, "")
    session.add(account)
    return step


def confirm_enrolment(session: Session, actor: Actor, code: str, now: datetime) -> list[str]:
    account = session.get(UserAccount, actor.account_id)
    if account is None:
        raise NotSignedIn()
    if account.totp_enabled:
        raise DomainError("auth.totp_already")
    codes = _enable_totp(session, account, code, now)
    session.add(account)
    return codes


def regenerate_recovery_codes(session: Session, actor: Actor, code: str, now: datetime) -> list[str]:
    """New recovery codes replace the old ones; a current TOTP code is required."""
    account = session.get(UserAccount, actor.account_id)
    if account is None or not account.totp_enabled:
        raise DomainError("auth.totp_not_enabled")
    throttle.check(session, account.username, "", now)
    if _accept_totp(session, account, code, now) != "totp":
        raise DomainError("auth.bad_code")
    codes = sec.new_recovery_codes()
    account.recovery_code_hashes = json.dumps([sec.hash_code(c) for c in codes])
    session.add(account)
    audit.append(session, actor, "auth.recovery_codes_regenerated", "user_account", account.id, at=now)
    return codes


def reset_totp(session: Session, actor: Actor, username: str, now: datetime) -> None:
    """Admin/HR (or the CLI) clears a user's TOTP so they enrol again at next sign-in."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    account = _account_by_username(session, username)
    if account is None:
        raise DomainError("error.not_found")
    account.totp_enabled = False
    account.totp_secret_enc = None
    account.totp_last_step = None
    account.recovery_code_hashes = "[]"
    session.add(account)
    revoke_all(session, account.id or 0, now)
    audit.append(session, actor, "auth.totp_reset", "user_account", account.id, at=now)


def set_password(session: Session, actor: Actor, account_id: int, password: str, now: datetime) -> None:
    """HR sets a (temporary) password; the account's sessions end."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    if len(password) < sec.MIN_PASSWORD or len(password) > 128:
        raise ValidationFailed("auth.password_length", field="password", min=sec.MIN_PASSWORD)
    account = session.get(UserAccount, account_id)
    if account is None:
        raise DomainError("error.not_found")
    if account.role == Role.admin and not actor.has_role(Role.admin):
        raise NotPermitted()
    account.password_hash = sec.hash_password(password)
    throttle.forget_name(session, account.username)
    session.add(account)
    revoke_all(session, account_id, now)
    audit.append(session, actor, "auth.password_set", "user_account", account_id, at=now)


def set_language(session: Session, actor: Actor, language: str) -> None:
    if language not in ("zh-CN", "en"):
        raise ValidationFailed("error.invalid", field="language")
    account = session.get(UserAccount, actor.account_id)
    if account is not None and account.language != language:
        account.language = language
        session.add(account)
