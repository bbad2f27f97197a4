"""Environment-driven configuration: the one place settings are read.

Every setting comes from an environment variable prefixed ``SELFSERVICE_`` and has a default that
suits the embedded mode (one SQLite file under ``data/``).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SELFSERVICE_DATA_DIR", PROJECT_ROOT / "data"))


def _env(name: str, default: str) -> str:
    return os.environ.get(f"SELFSERVICE_{name}", default)


def _secret_key() -> str:
    """The key that encrypts secrets at rest; generated once per install if not configured."""
    configured = os.environ.get("SELFSERVICE_SECRET_KEY")
    if configured:
        return configured
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


@dataclass(frozen=True)
class Settings:
    """All settings of one running installation."""

    db_url: str
    data_dir: Path
    secret_key: str
    timezone: str
    totp_required_roles: frozenset[str]
    lockout_attempts: int
    lockout_minutes: int
    session_hours: int
    pending_signin_minutes: int
    totp_issuer: str
    default_language: str
    phone_region: str
    import_max_rows: int
    import_max_bytes: int
    attachment_max_bytes: int
    leave_past_limit_days: int
    public_url: str
    dispatch_lease_seconds: int
    retry_base_seconds: float
    scheduler_mode: str
    leader_retry_seconds: float
    dispatch_interval_seconds: float
    contact_reconfirm_days: int
    contact_stale_days: int
    company_name: str
    tsa_url: str


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings from the environment (cached; call ``get_settings.cache_clear()`` in tests)."""
    return Settings(
        db_url=_env("DB_URL", f"sqlite:///{DATA_DIR / 'selfservice.db'}"),
        data_dir=Path(_env("DATA_DIR", str(DATA_DIR))),
        secret_key=_secret_key(),
        timezone=_env("TIMEZONE", "Asia/Shanghai"),
        totp_required_roles=frozenset(r.strip() for r in _env("TOTP_REQUIRED_ROLES", "hr,admin").split(",") if r.strip()),
        lockout_attempts=int(_env("LOCKOUT_ATTEMPTS", "5")),
        lockout_minutes=int(_env("LOCKOUT_MINUTES", "15")),
        session_hours=int(_env("SESSION_HOURS", "12")),
        pending_signin_minutes=int(_env("PENDING_SIGNIN_MINUTES", "10")),
        totp_issuer=_env("TOTP_ISSUER", "selfservice"),
        default_language=_env("DEFAULT_LANGUAGE", "zh-CN"),
        phone_region=_env("PHONE_REGION", "CN"),
        import_max_rows=int(_env("IMPORT_MAX_ROWS", "20000")),
        import_max_bytes=int(_env("IMPORT_MAX_BYTES", str(10 * 1024 * 1024))),
        attachment_max_bytes=int(_env("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
        leave_past_limit_days=int(_env("LEAVE_PAST_LIMIT_DAYS", "30")),
        public_url=_env("PUBLIC_URL", "http://localhost:3000").rstrip("/"),
        dispatch_lease_seconds=int(_env("DISPATCH_LEASE_SECONDS", "120")),
        retry_base_seconds=float(_env("RETRY_BASE_SECONDS", "5")),
        scheduler_mode=_env("SCHEDULER", "embedded"),  # embedded | off (run `selfservice scheduler` instead)
        leader_retry_seconds=float(_env("LEADER_RETRY_SECONDS", "15")),
        dispatch_interval_seconds=float(_env("DISPATCH_INTERVAL_SECONDS", "2")),
        contact_reconfirm_days=int(_env("CONTACT_RECONFIRM_DAYS", "91")),  # everyone asked each quarter
        contact_stale_days=int(_env("CONTACT_STALE_DAYS", "183")),  # unconfirmed this long: "stale contacts"
        company_name=_env("COMPANY_NAME", "示例科技有限公司"),  # the employer named on certificates
        tsa_url=_env("TSA_URL", ""),  # an RFC 3161 timestamp authority for evidence and checkpoints (blank: none)
    )
