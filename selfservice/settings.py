"""Environment-driven configuration: the one place settings are read.

Every setting comes from an environment variable prefixed ``SELFSERVICE_`` and has a default that
suits the embedded mode (one SQLite file under ``data/``). Values are read and checked by
pydantic-settings: a wrong one (``SELFSERVICE_SIGNIN_FREE_ATTEMPTS=abc``) stops the start with one
line per problem naming the variable (:func:`load_or_exit`), never a traceback.
"""

from __future__ import annotations

import os
import secrets
import sys
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SELFSERVICE_DATA_DIR", PROJECT_ROOT / "data"))
ENV_PREFIX = "SELFSERVICE_"

Positive = Annotated[int, Field(gt=0)]
Seconds = Annotated[float, Field(gt=0)]


class SettingsError(Exception):
    """The environment holds a value the app cannot start with; the message names each variable."""


def _secret_key(data_dir: Path) -> str:
    """The key that encrypts secrets at rest; generated once per install if not configured."""
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def normalize_db_url(url: str) -> str:
    """A plain ``postgresql://`` (or ``postgres://``) URL means psycopg 3, the driver installed."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


class Settings(BaseSettings):
    """All settings of one running installation."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    db_url: str = ""  # blank: the embedded SQLite file under data_dir
    data_dir: Path = DATA_DIR
    secret_key: str = ""  # blank: generated once into data_dir/secret_key
    timezone: str = "Asia/Shanghai"
    totp_required_roles: Annotated[frozenset[str], NoDecode] = frozenset({"hr", "admin"})
    signin_free_attempts: Positive = 5  # per name and source, before waits begin (domain/throttle.py)
    signin_max_wait_seconds: Positive = 900
    signin_per_second: Positive = 8  # password checks per second per app process, all clients together
    signin_hash_workers: Positive = 1  # threads that hash passwords (their own pool, apart from the database's)
    signin_queue: Positive = 16  # sign-ins waiting for a hashing thread before "busy, try again"
    session_hours: Positive = 12
    pending_signin_minutes: Positive = 10
    totp_issuer: str = "selfservice"
    default_language: Literal["zh-CN", "en"] = "zh-CN"
    phone_region: str = Field(default="CN", pattern=r"^[A-Z]{2}$")
    import_max_rows: Positive = 20000
    import_max_bytes: Positive = 10 * 1024 * 1024
    attachment_max_bytes: Positive = 10 * 1024 * 1024
    leave_past_limit_days: Positive = 30
    public_url: str = Field(default="http://localhost:3000", pattern=r"^https?://[^\s/]+(/\S*)?$")
    dispatch_lease_seconds: Annotated[int, Field(ge=0)] = 120
    retry_base_seconds: Seconds = 5
    scheduler_mode: Literal["embedded", "off"] = Field(default="embedded", validation_alias=f"{ENV_PREFIX}SCHEDULER")
    leader_retry_seconds: Seconds = 15
    dispatch_interval_seconds: Seconds = 2
    contact_reconfirm_days: Positive = 91  # everyone asked each quarter
    contact_stale_days: Positive = 183  # unconfirmed this long: "stale contacts"
    company_name: str = "示例科技有限公司"  # the employer named on certificates
    file_store: str = Field(default="", pattern=r"^(s3://[a-z0-9][a-z0-9.\-]{1,62}(/\S*)?|[^:]*)$")  # blank: data_dir/attachments
    s3_endpoint: str = Field(default="", pattern=r"^(https?://\S+)?$")  # an S3-compatible service's URL (blank: AWS)
    s3_region: str = ""
    backup_dir: Path | None = None  # blank: data_dir/backups (put it on another disk in production)
    backup_keep: Positive = 14  # archives kept; older ones are deleted after each backup
    backup_hour: Annotated[int, Field(ge=0, le=23)] = 2  # the daily backup's hour, company time
    trusted_proxy_hops: Annotated[int, Field(ge=0, le=5)] = 0  # reverse proxies in front (nginx: 1); 0 ignores X-Forwarded-For
    tsa_url: str = Field(default="", pattern=r"^(https?://\S+)?$")  # RFC 3161 timestamp authority (blank: none)

    @field_validator("totp_required_roles", mode="before")
    @classmethod
    def _roles(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(r.strip() for r in value.split(",") if r.strip())
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from exc
        return value

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("db_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return normalize_db_url(value)

    @model_validator(mode="after")
    def _defaults_from_data_dir(self) -> Settings:
        if not self.db_url:
            object.__setattr__(self, "db_url", f"sqlite:///{self.data_dir / 'selfservice.db'}")
        if self.backup_dir is None:
            object.__setattr__(self, "backup_dir", self.data_dir / "backups")
        if not self.secret_key:
            object.__setattr__(self, "secret_key", _secret_key(self.data_dir))
        return self


def _explain(error: pydantic.ValidationError) -> str:
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        name = ENV_PREFIX + ("SCHEDULER" if field in ("scheduler_mode", f"{ENV_PREFIX}SCHEDULER") else field.upper())
        value = os.environ.get(name, "")
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{name}={value!r}: {message}")
    return "selfservice cannot start, a setting is wrong:\n  " + "\n  ".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings from the environment (cached; call ``get_settings.cache_clear()`` in tests).

    Raises SettingsError naming each wrong variable."""
    try:
        return Settings()
    except pydantic.ValidationError as exc:
        raise SettingsError(_explain(exc)) from None


def load_or_exit() -> Settings:
    """For entry points: the settings, or the explanation on stderr and exit status 2."""
    try:
        return get_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
