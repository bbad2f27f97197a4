"""Single sign-on: WeCom inside its app (OAuth ``snsapi_base``) and by QR code on desktop, and any
OpenID Connect provider through Authlib's client (authorization code + PKCE S256, ``state`` and
``nonce``, the ID token checked against the provider's JWKS).

No account is created by signing in: the identity must name an active employee who has an
account. The callback never puts a session token in a URL: it hands the browser a one-time code,
valid for seconds, that the page exchanges for the session (``exchange``). Every sign-in,
refusal and first link is audited. The rules are in :mod:`selfservice.domain.sso`.

Database work is plain (sync) functions run in a worker thread; the provider calls are async.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.auth import secrets as sec
from selfservice.domain import sso as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError, NotPermitted, ValidationFailed
from selfservice.persistence.models import Employee, SignInMethod, SsoAttempt, SsoHandoff, SsoProvider, SsoSettings, UserAccount
from selfservice.services import audit, channel_settings
from selfservice.services.auth import SignInStep, _new_session, _prepare_enrolment, actor_of
from selfservice.settings import get_settings

log = logging.getLogger(__name__)
PURPOSE = "sso-client-secret"
WECOM, WECOM_QR = "wecom", "wecom_qr"


class Refused(DomainError):
    """A sign-in refused; ``key`` is shown on the sign-in page (translated) and audited."""


def _require_admin(actor: Actor) -> None:
    if not actor.has_role(Role.admin):
        raise NotPermitted()


# ---- settings (admin) ---------------------------------------------------------------------------


def settings(session: Session) -> SsoSettings:
    return session.get(SsoSettings, 1) or SsoSettings(id=1)


def save_settings(session: Session, actor: Actor, raw: dict[str, Any], now: datetime) -> None:
    _require_admin(actor)
    row = settings(session)
    before = row.model_dump(exclude={"updated_at", "updated_by"})
    row.wecom_enabled = bool(raw.get("wecom_enabled"))
    row.wecom_qr_enabled = bool(raw.get("wecom_qr_enabled"))
    for name in ("wecom_oauth_url", "wecom_qr_url"):
        value = str(raw.get(name) or getattr(row, name)).strip()  # blank: keep the address in use
        if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")) or len(value) > 255:
            raise ValidationFailed("sso.url_format", field=name)
        setattr(row, name, value)
    roles = [r for r in rules.ROLES if raw.get(f"password_{r}")]
    other_way = row.wecom_enabled or row.wecom_qr_enabled or bool(providers(session))
    if not roles and not other_way:
        raise ValidationFailed("sso.no_way_in", field="password_roles")
    if "admin" not in roles and not other_way:
        raise ValidationFailed("sso.admin_locked_out", field="password_roles")
    row.password_roles = ",".join(roles)
    row.updated_at, row.updated_by = now, actor.account_id
    session.add(row)
    audit.append(
        session, actor, "sso.settings_saved", "sso_settings", 1, before=before, after=row.model_dump(exclude={"updated_at"}), at=now
    )


def providers(session: Session, enabled_only: bool = True) -> list[SsoProvider]:
    query = select(SsoProvider).order_by(SsoProvider.id)  # type: ignore[arg-type]
    if enabled_only:
        query = query.where(SsoProvider.enabled == True)  # noqa: E712
    return list(session.exec(query).all())


def save_provider(session: Session, actor: Actor, provider_id: int | None, raw: dict[str, Any], now: datetime) -> int:
    """The admin adds or edits an OIDC provider; the client secret is stored encrypted (a blank
    secret on an edit keeps the one stored)."""
    _require_admin(actor)
    row = session.get(SsoProvider, provider_id) if provider_id else SsoProvider()
    if row is None:
        raise ValidationFailed("sso.provider_unknown", field="provider")
    name, issuer, client_id = (str(raw.get(k, "")).strip() for k in ("name", "issuer", "client_id"))
    if not name or len(name) > 64:
        raise ValidationFailed("sso.name_required", field="name")
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")) or len(issuer) > 255:
        raise ValidationFailed("sso.url_format", field="issuer")
    if not client_id or len(client_id) > 255:
        raise ValidationFailed("sso.client_id_required", field="client_id")
    claim = str(raw.get("claim", "email"))
    if claim not in rules.CLAIMS:
        raise ValidationFailed("sso.claim_unknown", field="claim")
    custom = str(raw.get("custom_claim", "")).strip()[:64]
    if claim == "custom" and not custom:
        raise ValidationFailed("sso.custom_claim_required", field="custom_claim")
    scopes = " ".join(str(raw.get("scopes", "openid email profile")).split())[:255]
    if "openid" not in scopes.split():
        raise ValidationFailed("sso.openid_scope", field="scopes")
    secret = str(raw.get("client_secret", ""))
    if secret:
        row.client_secret_enc = sec.encrypt_secret(get_settings().secret_key, secret, PURPOSE)
    row.name, row.issuer, row.client_id, row.claim, row.custom_claim, row.scopes = (
        name,
        issuer.rstrip("/"),
        client_id,
        claim,
        custom,
        scopes,
    )
    row.mfa_stands_in = bool(raw.get("mfa_stands_in"))
    row.acr = str(raw.get("acr", "")).strip()[:128]
    row.enabled = bool(raw.get("enabled", True))
    row.updated_at, row.updated_by = now, actor.account_id
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        "sso.provider_saved",
        "sso_provider",
        row.id,
        after={
            "name": name,
            "issuer": row.issuer,
            "client_id": client_id,
            "claim": claim,
            "mfa_stands_in": row.mfa_stands_in,
            "enabled": row.enabled,
        },
        at=now,
    )
    return row.id  # type: ignore[return-value]


# ---- leaving for the provider ---------------------------------------------------------------------


def _attempt(session: Session, provider: str, state: str, nonce: str, verifier: str, next_path: str, now: datetime) -> None:
    session.add(
        SsoAttempt(
            state_hash=sec.hash_token(state),
            provider=provider,
            nonce=nonce,
            code_verifier_enc=sec.encrypt_secret(get_settings().secret_key, verifier, PURPOSE) if verifier else "",
            next_path=rules.safe_next(next_path),
            created_at=now,
        )
    )


def _take_attempt(session: Session, provider: str, state: str, now: datetime) -> SsoAttempt:
    """The attempt a callback's ``state`` names: unknown, another provider's, used, or too old
    is a refusal (a replayed or forged callback)."""
    row = session.exec(select(SsoAttempt).where(SsoAttempt.state_hash == sec.hash_token(state or "-")).with_for_update()).first()
    if row is None or row.provider != provider or row.used_at is not None or now - row.created_at > rules.ATTEMPT_LIFETIME:
        raise Refused("sso.state_invalid")
    row.used_at = now
    session.add(row)
    return row


def _oauth_app(provider: SsoProvider):  # noqa: ANN202
    """Authlib's OpenID Connect client for one provider (its metadata read by discovery)."""
    from authlib.integrations.starlette_client import OAuth

    secret = sec.decrypt_secret(get_settings().secret_key, provider.client_secret_enc, PURPOSE) if provider.client_secret_enc else None
    registry = OAuth()
    return registry.register(
        name=f"p{provider.id}",
        client_id=provider.client_id,
        client_secret=secret,
        server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": provider.scopes, "code_challenge_method": "S256", "timeout": 10},
    )


def oidc_provider(session: Session, provider_id: int) -> SsoProvider:
    row = session.get(SsoProvider, provider_id)
    if row is None or not row.enabled:
        raise Refused("sso.provider_unknown")
    session.expunge(row)
    return row


async def oidc_authorize_url(provider: SsoProvider, redirect_uri: str) -> dict[str, str]:
    """The provider's authorization URL with state, nonce and a PKCE S256 challenge."""
    try:
        return await _oauth_app(provider).create_authorization_url(redirect_uri)
    except (httpx.HTTPError, RuntimeError, ValueError) as error:
        log.warning("OIDC discovery failed for %s: %s", provider.issuer, error)
        raise Refused("sso.provider_error") from None


def remember_attempt(session: Session, provider: str, started: dict[str, str], next_path: str, now: datetime) -> None:
    _attempt(session, provider, started["state"], started.get("nonce", ""), started.get("code_verifier", ""), next_path, now)


def wecom_authorize_url(session: Session, qr: bool, redirect_uri: str, next_path: str, now: datetime) -> str:
    """WeCom's web OAuth (inside the app) or its QR login for a self-built app (desktop)."""
    config_row = settings(session)
    if not (config_row.wecom_qr_enabled if qr else config_row.wecom_enabled):
        raise Refused("sso.disabled")
    _, config = channel_settings.config_for(session, "wecom")
    corp_id, agent_id = config.get("corp_id", ""), config.get("agent_id", "")
    if not corp_id:
        raise Refused("sso.disabled")
    state = secrets.token_urlsafe(24)
    _attempt(session, WECOM_QR if qr else WECOM, state, "", "", next_path, now)
    if qr:
        query = {"login_type": "CorpApp", "appid": corp_id, "agentid": agent_id, "redirect_uri": redirect_uri, "state": state}
        return f"{config_row.wecom_qr_url}?{urlencode(query)}"
    query = {"appid": corp_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": "snsapi_base", "state": state}
    if agent_id:
        query["agentid"] = agent_id
    return f"{config_row.wecom_oauth_url}?{urlencode(query)}#wechat_redirect"


# ---- coming back --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Callback:
    provider: str
    next_path: str
    nonce: str
    code_verifier: str


def begin_callback(session: Session, provider: str, state: str, now: datetime) -> Callback:
    """Use up the attempt ``state`` names (once), and say what the exchange needs."""
    row = _take_attempt(session, provider, state, now)
    verifier = sec.decrypt_secret(get_settings().secret_key, row.code_verifier_enc, PURPOSE) if row.code_verifier_enc else ""
    return Callback(provider, row.next_path, row.nonce, verifier or "")


async def oidc_claims(provider: SsoProvider, code: str, callback: Callback, redirect_uri: str) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) and check the ID token: signature against the
    provider's JWKS (no ``alg: none``), ``iss``, ``aud``, ``exp``/``iat`` within the allowed skew,
    and our ``nonce``. Any failure is one refusal."""
    app = _oauth_app(provider)
    try:
        token = await app.fetch_access_token(redirect_uri=redirect_uri, code=code, code_verifier=callback.code_verifier)
    except Exception as error:  # noqa: BLE001  (the provider refused the code or is down)
        log.warning("OIDC token exchange failed at %s: %s", provider.issuer, error)
        raise Refused("sso.provider_error") from None
    if "id_token" not in token:
        raise Refused("sso.token_invalid")
    try:
        claims = await app.parse_id_token(token, nonce=callback.nonce, leeway=rules.CLOCK_SKEW_SECONDS)
    except Exception as error:  # noqa: BLE001  (signature, alg, iss, aud, exp, nonce: all the same answer)
        log.warning("ID token refused from %s: %s", provider.issuer, error)
        raise Refused("sso.token_invalid") from None
    if claims is None or claims.get("nonce") != callback.nonce or not callback.nonce:
        raise Refused("sso.token_invalid")
    return dict(claims)


async def wecom_userid(session_factory, code: str) -> str:  # noqa: ANN001
    """``GET /cgi-bin/auth/getuserinfo?access_token=…&code=…`` → the member's ``userid`` (an
    ``errcode``, a used code, or an outsider's ``openid`` is a refusal)."""
    from selfservice.channels.wecom import WeComApi

    config = session_factory()
    api = WeComApi(config.get("corp_id", ""), config.get("secret", ""), config.get("base_url") or "https://qyapi.weixin.qq.com")
    try:
        token = await api.access_token()
        response = await api.client.get(f"{api.base_url}/cgi-bin/auth/getuserinfo", params={"access_token": token, "code": code})
        data = response.json()
    except (httpx.HTTPError, RuntimeError, ValueError) as error:
        log.warning("WeCom getuserinfo failed: %s", error)
        raise Refused("sso.provider_error") from None
    finally:
        await api.aclose()
    if data.get("errcode") not in (0, None):
        log.info("WeCom getuserinfo errcode %s: %s", data.get("errcode"), data.get("errmsg"))
        raise Refused("sso.code_invalid")
    userid = data.get("userid") or data.get("UserId") or ""
    if not userid:
        raise Refused("sso.not_a_member")
    return str(userid)


def wecom_config(session: Session) -> dict[str, str]:
    return channel_settings.config_for(session, "wecom")[1]


def _account_for(session: Session, provider: str, value: str, claim: str) -> UserAccount | None:
    if not value:
        return None
    if provider in (WECOM, WECOM_QR):
        employee = (
            session.exec(select(Employee).where(Employee.wecom_userid == value)).first()
            or session.exec(select(Employee).where(Employee.employee_no == value, Employee.wecom_userid == "")).first()
        )
    elif claim == "email":
        # exact, case-insensitive (never LIKE: a claim of "%@example.com" must not match anyone)
        matches = session.exec(select(Employee).where(sa.func.lower(Employee.email) == value.lower()).limit(2)).all()
        employee = matches[0] if len(matches) == 1 else None  # two people with one address: neither
    else:
        employee = session.exec(select(Employee).where(Employee.employee_no == value)).first()
    if employee is None:
        return None
    return session.exec(select(UserAccount).where(UserAccount.employee_id == employee.id)).first()


def refuse(session: Session, provider: str, key: str, subject: str, now: datetime) -> None:
    """Audit a refused sign-in (its own transaction: the refusal must survive)."""
    audit.append(session, None, "sso.refused", "sso", provider, after={"reason": key, "subject": subject[:255]}, at=now)


def finish(session: Session, provider: str, subject: str, claims: dict[str, Any], callback: Callback, now: datetime) -> str:
    """Who the identity is; a one-time handoff code for the browser. Raises Refused."""
    method = provider
    claim, mfa = "", False
    if provider.startswith("oidc:"):
        row = session.get(SsoProvider, int(provider.split(":", 1)[1]))
        if row is None:
            raise Refused("sso.provider_unknown")
        claim = row.claim
        subject = rules.identity(claims, row.claim, row.custom_claim)
        mfa = rules.mfa_satisfied(claims, row.mfa_stands_in, row.acr)
    account = _account_for(session, provider, subject, claim)
    if account is None:
        raise Refused("sso.unknown_identity", subject=subject[:255])
    employee = session.get(Employee, account.employee_id)
    if not account.active or employee is None or employee.status != "active":
        raise Refused("sso.inactive", subject=subject[:255])
    code = secrets.token_urlsafe(32)
    session.add(
        SsoHandoff(
            code_hash=sec.hash_token(code),
            account_id=account.id,  # type: ignore[arg-type]
            method=method,
            second_factor_done=not rules.needs_second_factor(account.role, method, mfa),
            next_path=callback.next_path,
            created_at=now,
            expires_at=now + rules.HANDOFF_LIFETIME,
        )
    )
    known = session.exec(select(SignInMethod).where(SignInMethod.account_id == account.id, SignInMethod.method == method)).first()
    if known is None:
        session.add(SignInMethod(account_id=account.id, method=method, subject=subject[:255], first_used_at=now, last_used_at=now))  # type: ignore[arg-type]
        audit.append(
            session, actor_of(account), "sso.linked", "user_account", account.id, after={"method": method, "subject": subject[:255]}, at=now
        )
    return code


def exchange(session: Session, code: str, now: datetime, user_agent: str = "") -> tuple[SignInStep, str]:
    """The page trades the one-time code for the session (or for the TOTP step HR and admin
    still owe); returns the step and the page to go to."""
    row = session.exec(select(SsoHandoff).where(SsoHandoff.code_hash == sec.hash_token(code or "-")).with_for_update()).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise Refused("sso.handoff_invalid")
    row.used_at = now
    session.add(row)
    account = session.get(UserAccount, row.account_id)
    employee = session.get(Employee, account.employee_id) if account else None
    if account is None or not account.active or employee is None or employee.status != "active":
        raise Refused("sso.inactive")
    method_row = session.exec(select(SignInMethod).where(SignInMethod.account_id == account.id, SignInMethod.method == row.method)).first()
    if method_row is not None:
        method_row.last_used_at = now
        session.add(method_row)
    if row.second_factor_done:
        token = _new_session(session, account, "full", now, user_agent)
        audit.append(session, actor_of(account), "auth.signed_in", "user_account", account.id, after={"method": row.method}, at=now)
        return SignInStep("full", token), row.next_path
    stage = "totp" if account.totp_enabled else "enrol"
    token = _new_session(session, account, stage, now, user_agent)
    step = SignInStep(stage, token) if stage == "totp" else _prepare_enrolment(account, token)
    session.add(account)
    audit.append(session, actor_of(account), "sso.second_factor_due", "user_account", account.id, after={"method": row.method}, at=now)
    return step, row.next_path


def record_password_use(session: Session, account: UserAccount, now: datetime) -> None:
    row = session.exec(select(SignInMethod).where(SignInMethod.account_id == account.id, SignInMethod.method == "password")).first()
    if row is None:
        session.add(SignInMethod(account_id=account.id, method="password", subject=account.username, first_used_at=now, last_used_at=now))  # type: ignore[arg-type]
    else:
        row.last_used_at = now
        session.add(row)


@dataclass(frozen=True)
class MethodRow:
    method: str  # password | wecom | wecom_qr | oidc:<id>
    name: str  # the provider's name for oidc
    available: bool  # may be used now
    last_used_at: datetime | None


def methods(session: Session, actor: Actor) -> list[MethodRow]:
    """The security page: which ways this account can sign in, and when each was last used."""
    account = session.get(UserAccount, actor.account_id)
    if account is None:
        raise NotPermitted()
    used = {m.method: m.last_used_at for m in session.exec(select(SignInMethod).where(SignInMethod.account_id == account.id)).all()}
    config = settings(session)
    rows = [
        MethodRow(
            "password",
            "",
            rules.password_allowed(account.role, config.password_roles) and bool(account.password_hash),
            used.get("password"),
        )
    ]
    if config.wecom_enabled or WECOM in used:
        rows.append(MethodRow(WECOM, "", config.wecom_enabled, used.get(WECOM)))
    if config.wecom_qr_enabled or WECOM_QR in used:
        rows.append(MethodRow(WECOM_QR, "", config.wecom_qr_enabled, used.get(WECOM_QR)))
    for provider in providers(session, enabled_only=False):
        key = f"oidc:{provider.id}"
        if provider.enabled or key in used:
            rows.append(MethodRow(key, provider.name, provider.enabled, used.get(key)))
    return rows


def password_allowed_for(session: Session, account: UserAccount) -> bool:
    return rules.password_allowed(account.role, settings(session).password_roles)
