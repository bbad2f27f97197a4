"""Password hashing (argon2id), TOTP (RFC 6238 via pyotp), secrets encrypted at rest (Fernet)."""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from datetime import datetime

import pyotp
import qrcode
import qrcode.image.svg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

_hasher = PasswordHasher()
# A real hash to verify against when the user is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("selfservice-timing-equaliser")

TOTP_INTERVAL = 30
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant-effort check; an account without a password never matches."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _fernet(secret_key: str, purpose: str = "totp") -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"{purpose}:{secret_key}".encode()).digest()))


def encrypt_secret(secret_key: str, plain: str, purpose: str = "totp") -> str:
    return _fernet(secret_key, purpose).encrypt(plain.encode()).decode()


def decrypt_secret(secret_key: str, token: str, purpose: str = "totp") -> str | None:
    try:
        return _fernet(secret_key, purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_matching_step(secret: str, code: str, now: datetime, window: int = 1) -> int | None:
    """The time step whose code equals ``code`` within ±window steps, or None."""
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_INTERVAL)
    current = int(now.timestamp()) // TOTP_INTERVAL
    for step in range(current - window, current + window + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, interval=TOTP_INTERVAL).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg_data_url(text: str) -> str:
    """A QR code as an inline SVG data URL (no external request, no image files)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def new_recovery_codes(count: int = 10) -> list[str]:
    """Codes like ``k7rq-m2xw-9tfa``: 60 bits each, shown once, stored only as hashes."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return ["-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3)) for _ in range(count)]


def hash_code(code: str) -> str:
    """Recovery codes and session tokens are high-entropy, so a plain SHA-256 is enough."""
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()


def new_session_token() -> str:
    """256 random bits."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
