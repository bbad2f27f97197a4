"""Admin configuration of the outbound channels. Secrets are encrypted at rest and never
returned: the settings view only says whether each one is set."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from selfservice.auth.secrets import decrypt_secret, encrypt_secret
from selfservice.channels.base import Channel
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import NotPermitted, ValidationFailed
from selfservice.persistence.models import ChannelSetting
from selfservice.services import audit
from selfservice.settings import get_settings

# channel → (field, is_secret, required)
FIELDS: dict[str, tuple[tuple[str, bool, bool], ...]] = {
    "wecom": (("corp_id", False, True), ("agent_id", False, True), ("secret", True, True), ("base_url", False, False)),
    "sms": (
        ("access_key_id", False, True),
        ("access_key_secret", True, True),
        ("sign_name", False, True),
        ("template_code", False, True),
        ("report_secret", True, True),
        ("base_url", False, False),
    ),
    "email": (
        ("host", False, True),
        ("port", False, True),
        ("sender", False, True),
        ("username", False, False),
        ("password", True, False),
        ("starttls", False, False),
    ),
}


def _config(row: ChannelSetting | None) -> dict[str, str]:
    if row is None or not row.config_enc:
        return {}
    return json.loads(decrypt_secret(get_settings().secret_key, row.config_enc, "channel") or "{}")


def config_for(session: Session, channel: str) -> tuple[bool, dict[str, str]]:
    """Internal: the enabled flag and decrypted config (for the dispatcher, never the UI)."""
    row = session.get(ChannelSetting, channel)
    return (bool(row and row.enabled), _config(row))


@dataclass(frozen=True)
class ChannelView:
    channel: str
    enabled: bool
    values: dict[str, str]  # non-secret fields
    secrets_set: dict[str, bool]


def views(session: Session, actor: Actor) -> list[ChannelView]:
    if not actor.has_role(Role.admin):
        raise NotPermitted()
    result = []
    for channel, fields in FIELDS.items():
        row = session.get(ChannelSetting, channel)
        config = _config(row)
        result.append(
            ChannelView(
                channel,
                bool(row and row.enabled),
                {name: config.get(name, "") for name, secret, _ in fields if not secret},
                {name: bool(config.get(name)) for name, secret, _ in fields if secret},
            )
        )
    return result


def save(session: Session, actor: Actor, channel: str, enabled: bool, values: dict[str, str], now: datetime) -> None:
    """Store a channel's settings; an empty secret field keeps the stored secret."""
    if not actor.has_role(Role.admin):
        raise NotPermitted()
    if channel not in FIELDS:
        raise ValidationFailed("error.invalid", field="channel")
    row = session.get(ChannelSetting, channel) or ChannelSetting(channel=channel)
    config = _config(row)
    changed = []
    for name, secret, required in FIELDS[channel]:
        value = str(values.get(name, "")).strip()[:500]
        if secret and not value:
            value = config.get(name, "")
        if enabled and required and not value:
            raise ValidationFailed("channel.required", field=name, name=name)
        if value != config.get(name, ""):
            changed.append(name)
        config[name] = value
    if channel == "email" and config.get("port") and not config["port"].isdigit():
        raise ValidationFailed("channel.port", field="port")
    row.enabled, row.updated_at, row.updated_by = enabled, now, actor.account_id
    row.config_enc = encrypt_secret(get_settings().secret_key, json.dumps(config), "channel")
    session.add(row)
    audit.append(
        session, actor, "channel.configured", "channel_setting", channel, after={"enabled": enabled, "changed_fields": changed}, at=now
    )


def build(channel: str, config: dict[str, str]) -> Channel:
    """A live client for one configured channel."""
    if channel == "wecom":
        from selfservice.channels.wecom import WeComChannel

        return WeComChannel(
            config["corp_id"], config["agent_id"], config["secret"], config.get("base_url") or "https://qyapi.weixin.qq.com"
        )
    if channel == "sms":
        from selfservice.channels.sms_aliyun import AliyunSmsChannel

        return AliyunSmsChannel(
            config["access_key_id"],
            config["access_key_secret"],
            config["sign_name"],
            config["template_code"],
            config.get("base_url") or "https://dysmsapi.aliyuncs.com",
        )
    if channel == "email":
        from selfservice.channels.email_smtp import SmtpChannel

        return SmtpChannel(
            config["host"],
            int(config["port"]),
            config["sender"],
            config.get("username", ""),
            config.get("password", ""),
            config.get("starttls") in ("1", "true", "yes"),
        )
    raise ValueError(channel)


def load_channels(session: Session) -> dict[str, Channel]:
    """Clients for every enabled channel."""
    channels = {}
    for channel in FIELDS:
        enabled, config = config_for(session, channel)
        if enabled:
            channels[channel] = build(channel, config)
    return channels
