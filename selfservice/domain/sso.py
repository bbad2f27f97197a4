"""Single sign-on rules (单点登录): who an identity from WeCom or an OpenID Connect provider is,
whether the provider's multi-factor claim may stand in for TOTP, where the browser may be sent
back to, and how long each one-time value lives. Plain Python; the flows are in ``services/sso``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

ATTEMPT_LIFETIME = timedelta(minutes=10)  # from leaving for the provider to its callback
HANDOFF_LIFETIME = timedelta(seconds=30)  # from the callback to the page exchanging the code
CLOCK_SKEW_SECONDS = 60  # leeway for iat/exp of an ID token
MFA_AMR = frozenset({"mfa", "otp", "hwk"})
CLAIMS = ("email", "employee_no", "custom")
ROLES = ("employee", "manager", "hr", "admin")
STRONG_ROLES = ("hr", "admin")  # keep a second factor


def safe_next(path: str | None) -> str:
    """Only a path of this app, never another site (no open redirect): ``/leave?tab=mine`` yes,
    ``//evil.example``, ``https://…``, ``/\\evil`` or control characters no."""
    if not isinstance(path, str) or not path or len(path) > 300:
        return ""
    if not path.startswith("/") or path.startswith("//") or path.startswith("/\\"):
        return ""
    if any(ord(c) < 32 or c == "\\" for c in path):
        return ""
    if path.startswith(("/login", "/sso/")):
        return ""
    return path


def identity(claims: Mapping[str, Any], claim: str, custom_claim: str = "") -> str:
    """The value that names the employee: their email, their employee number, or a custom claim
    (an unverified email is not an identity)."""
    if claim == "email":
        value = claims.get("email")
        if claims.get("email_verified") is False:
            return ""
        return str(value).strip().lower() if isinstance(value, str) else ""
    if claim == "employee_no":
        value = claims.get("employee_no") or claims.get("employee_number")
        return str(value).strip() if isinstance(value, str | int) else ""
    if claim == "custom" and custom_claim:
        value = claims.get(custom_claim)
        return str(value).strip() if isinstance(value, str | int) else ""
    return ""


def mfa_satisfied(claims: Mapping[str, Any], accepted: bool, acr: str = "") -> bool:
    """Whether the provider says it used a second factor, and the admin lets that count."""
    if not accepted:
        return False
    amr = claims.get("amr")
    if isinstance(amr, list) and any(isinstance(a, str) and a.lower() in MFA_AMR for a in amr):
        return True
    return bool(acr) and claims.get("acr") == acr


def needs_second_factor(role: str, method: str, mfa_by_provider: bool) -> bool:
    """HR and admin keep TOTP: WeCom never replaces it; an OIDC provider only when it reports
    MFA and the admin allowed that."""
    if role not in STRONG_ROLES:
        return False
    return not (method.startswith("oidc:") and mfa_by_provider)


def password_allowed(role: str, allowed_roles: str) -> bool:
    return role in {r.strip() for r in allowed_roles.split(",") if r.strip()}
