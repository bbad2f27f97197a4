"""Admin channel settings never send a secret to the browser; inbox handlers act for the recipient."""

from __future__ import annotations

from sqlmodel import select

from selfservice.persistence.db import session_scope
from selfservice.persistence.models import AuditEntry, ChannelSetting, NotificationDelivery, NotificationMessage
from selfservice.ui.pages.channels import ChannelsState
from selfservice.ui.pages.inbox import InboxState
from tests.state.conftest import call, substate, token_for

WECOM = {
    "channel": "wecom",
    "enabled": "on",
    "corp_id": "ww-corp",
    "agent_id": "1000002",
    "secret": "TOP-SECRET-VALUE",
    "base_url": "http://127.0.0.1:9",
}


def test_channel_secret_is_stored_encrypted_and_never_reaches_the_browser(app_db):
    state = substate(ChannelsState)
    state.session_token = token_for("admin")
    call(state, "load")
    call(state, "save", WECOM)
    assert state.enabled["wecom"] is True and state.secrets_set["wecom"]["secret"] is True
    assert "TOP-SECRET-VALUE" not in str(state.dict())
    with session_scope() as session:
        row = session.get(ChannelSetting, "wecom")
        audit_text = " ".join(a.after_json or "" for a in session.exec(select(AuditEntry)).all())
    assert "TOP-SECRET-VALUE" not in row.config_enc and "TOP-SECRET-VALUE" not in audit_text
    call(state, "save", {**WECOM, "secret": "", "corp_id": "ww-corp-2"})  # empty secret keeps the stored one
    from selfservice.services.channel_settings import config_for

    with session_scope() as session:
        _, config = config_for(session, "wecom")
    assert config["secret"] == "TOP-SECRET-VALUE" and config["corp_id"] == "ww-corp-2"


def test_enabling_without_required_fields_is_refused(app_db):
    state = substate(ChannelsState)
    state.session_token = token_for("admin")
    result = call(state, "save", {"channel": "sms", "enabled": "on"})
    assert "access_key_id" in str(result)
    with session_scope() as session:
        assert session.get(ChannelSetting, "sms") is None


def test_hr_cannot_configure_channels(app_db):
    state = substate(ChannelsState)
    state.session_token = token_for("hr01")
    assert "error.not_permitted" in str(call(state, "save", WECOM))


def test_send_test_message_queues_to_the_admin_over_the_channel(app_db):
    state = substate(ChannelsState)
    state.session_token = token_for("admin")
    call(state, "save", WECOM)
    call(state, "send_test", "wecom")
    with session_scope() as session:
        channels = session.exec(select(NotificationDelivery.channel, NotificationDelivery.status)).all()
    assert ("wecom", "queued") in channels


def test_someone_elses_message_cannot_be_opened_or_acknowledged(app_db):
    from datetime import UTC, datetime

    from selfservice.domain.actor import SYSTEM
    from selfservice.services import notifications
    from tests.helpers import actor_for

    with session_scope() as session:
        owner = actor_for(session, "E1004")
        message_id = notifications.notify(
            session, SYSTEM, owner.employee_id, "t", "system.test", {"channel": "x"}, (), datetime.now(UTC), requires_ack=True
        )
    state = substate(InboxState)
    state.session_token = token_for("E1005")
    assert "error.not_permitted" in str(call(state, "acknowledge", message_id))
    with session_scope() as session:
        message = session.get(NotificationMessage, message_id)
    assert message.read_at is None and message.acknowledged_at is None
