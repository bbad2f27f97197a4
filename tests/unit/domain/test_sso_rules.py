"""Single sign-on rules: where the browser may be sent back to (never off the site), who an
identity is, and when a provider's MFA may stand in for TOTP."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from selfservice.domain import sso as rules


@given(st.text(max_size=80))
def test_next_is_always_a_path_of_this_app(text):
    result = rules.safe_next(text)
    assert result in ("", text)
    if result:
        assert result.startswith("/") and not result.startswith("//") and "\\\\" not in result
        assert not any(ord(c) < 32 for c in result) and not result.startswith(("/login", "/sso/"))


def test_next_examples():
    assert rules.safe_next("/leave?tab=mine") == "/leave?tab=mine"
    for bad in (
        "//evil.example",
        "https://evil.example/",
        "/\\\\evil.example",
        "javascript:alert(1)",
        "/sso/finish?c=x",
        "/ok\\r\\nSet-Cookie: x",
        "",
    ):
        assert rules.safe_next(bad) == "", bad


def test_identity_by_claim():
    claims = {"email": "Wei.Zhang@Example.com", "employee_no": "E1004", "staff_id": 77}
    assert rules.identity(claims, "email") == "wei.zhang@example.com"
    assert rules.identity({**claims, "email_verified": False}, "email") == ""
    assert rules.identity(claims, "employee_no") == "E1004"
    assert rules.identity(claims, "custom", "staff_id") == "77"
    assert rules.identity(claims, "custom", "") == ""
    assert rules.identity({"email": ["a@b"]}, "email") == ""


def test_second_factor():
    assert rules.mfa_satisfied({"amr": ["pwd", "otp"]}, accepted=True)
    assert not rules.mfa_satisfied({"amr": ["pwd", "otp"]}, accepted=False)
    assert not rules.mfa_satisfied({"amr": ["pwd"]}, accepted=True)
    assert rules.mfa_satisfied({"acr": "gold"}, accepted=True, acr="gold")
    assert not rules.mfa_satisfied({"acr": "silver"}, accepted=True, acr="gold")
    assert rules.needs_second_factor("hr", "wecom", True)  # WeCom never replaces TOTP for HR
    assert rules.needs_second_factor("admin", "oidc:1", False)
    assert not rules.needs_second_factor("admin", "oidc:1", True)
    assert not rules.needs_second_factor("employee", "wecom", False)
    assert rules.password_allowed("hr", "hr,admin") and not rules.password_allowed("employee", "hr,admin")
