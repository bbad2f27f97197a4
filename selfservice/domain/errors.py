"""Domain errors carry an i18n message key and parameters, never a formatted sentence.

The UI, CLI and HTTP layers translate them into the user's language (zh-CN or en).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule was broken; ``key`` names the message in the i18n catalogues."""

    key = "error.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(f"{self.key} {params}" if params else self.key)


class NotPermitted(DomainError):
    """The actor may not do this, or may not touch this record (所有越权访问)."""

    key = "error.not_permitted"


class NotSignedIn(DomainError):
    """No valid session: signed out, expired, revoked or deactivated."""

    key = "error.not_signed_in"


class NotFound(DomainError):
    key = "error.not_found"


class ValidationFailed(DomainError):
    """Input failed validation; ``field`` names the offending field when known."""

    key = "error.invalid"

    def __init__(self, key: str | None = None, field: str | None = None, **params: Any) -> None:
        super().__init__(key, **params)
        self.field = field


class SignInFailed(DomainError):
    key = "auth.bad_credentials"
