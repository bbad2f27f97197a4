"""The outbox: messages and deliveries are written with the change that caused them; reads and
acknowledgements come only from the recipient, once; signed links open only their own message."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from selfservice.domain import notifications as rules
from selfservice.domain.actor import SYSTEM
from selfservice.domain.errors import DomainError, NotPermitted
from selfservice.persistence.models import ChannelSetting, NotificationDelivery, NotificationMessage
from selfservice.services import notifications
from selfservice.settings import get_settings
from tests.helpers import actor_for, audit_count


def send(session, username="E1004", channels=("wecom", "sms"), requires_ack=False, now=None):
    employee_id = actor_for(session, username).employee_id
    return notifications.notify(
        session, SYSTEM, employee_id, "test", "system.test", {"channel": "x"}, channels, now, requires_ack=requires_ack
    )


def enable(session, *channels):
    for channel in channels:
        session.add(ChannelSetting(channel=channel, enabled=True))
    session.flush()


def link_token(session, message_id, channel):
    delivery = session.exec(
        select(NotificationDelivery).where(NotificationDelivery.message_id == message_id, NotificationDelivery.channel == channel)
    ).one()
    return delivery.text_sent.rsplit("?t=", 1)[1], delivery


def test_notify_writes_message_deliveries_and_audit_in_the_callers_transaction(demo, now):
    enable(demo, "wecom", "sms")
    before = audit_count(demo)
    message_id = send(demo, now=now)
    demo.rollback()
    assert demo.get(NotificationMessage, message_id) is None and audit_count(demo) == before
    enable(demo, "wecom", "sms")
    message_id = send(demo, now=now)
    demo.commit()
    deliveries = demo.exec(select(NotificationDelivery).where(NotificationDelivery.message_id == message_id)).all()
    assert {d.channel: d.status for d in deliveries} == {"inapp": "delivered", "wecom": "queued", "sms": "queued"}
    assert all(d.text_sha256 == rules.sha256_text(d.text_sent) for d in deliveries)
    sms = next(d for d in deliveries if d.channel == "sms")
    assert sms.address == "+8613800033757" and "/m?t=" in sms.text_sent
    assert audit_count(demo) == before + 1


def test_unconfigured_channel_is_recorded_not_dropped(demo, now):
    message_id = send(demo, channels=("wecom", "email"), now=now)
    statuses = {
        d.channel: (d.status, d.last_error)
        for d in demo.exec(select(NotificationDelivery).where(NotificationDelivery.message_id == message_id))
    }
    assert statuses["wecom"] == ("not_configured", "channel not configured")
    assert statuses["email"][0] == "not_configured"


def test_text_follows_the_recipients_language(demo, now):
    from selfservice.persistence.models import UserAccount

    account = demo.exec(select(UserAccount).where(UserAccount.username == "E1005")).one()
    account.language = "en"
    demo.add(account)
    message = demo.get(NotificationMessage, send(demo, "E1005", now=now))
    assert message.title == "Test message" and message.language == "en"


def test_unknown_template_and_missing_param_are_refused(demo, now):
    employee_id = actor_for(demo, "E1004").employee_id
    with pytest.raises(DomainError) as unknown:
        notifications.notify(demo, SYSTEM, employee_id, "x", "no.such", {}, (), now)
    assert unknown.value.key == "notify.unknown_template"
    with pytest.raises(DomainError) as missing:
        notifications.notify(demo, SYSTEM, employee_id, "x", "system.test", {}, (), now)
    assert missing.value.key == "notify.missing_param"


def test_inbox_read_is_recorded_once_and_only_by_the_recipient(demo, now):
    message_id = send(demo, now=now)
    me, other, hr = actor_for(demo, "E1004"), actor_for(demo, "E1005"), actor_for(demo, "hr01")
    assert notifications.unread_count(demo, me) == 1
    for intruder in (other, hr):
        with pytest.raises(NotPermitted):
            notifications.open_message(demo, intruder, message_id, now)
    assert demo.get(NotificationMessage, message_id).read_at is None
    notifications.open_message(demo, me, message_id, now + timedelta(minutes=1))
    notifications.open_message(demo, me, message_id, now + timedelta(minutes=9))
    demo.commit()
    message = demo.get(NotificationMessage, message_id)
    assert message.read_at == now + timedelta(minutes=1) and message.read_via == "inapp"
    assert notifications.unread_count(demo, me) == 0


def test_acknowledge_records_once(demo, now):
    message_id = send(demo, requires_ack=True, now=now)
    me = actor_for(demo, "E1004")
    notifications.acknowledge(demo, me, message_id, now + timedelta(minutes=2))
    notifications.acknowledge(demo, me, message_id, now + timedelta(minutes=5))
    demo.commit()
    assert demo.get(NotificationMessage, message_id).acknowledged_at == now + timedelta(minutes=2)
    plain = send(demo, now=now)
    with pytest.raises(DomainError):
        notifications.acknowledge(demo, me, plain, now)


def test_signed_link_records_read_on_its_channel(demo, now):
    enable(demo, "sms")
    message_id = send(demo, now=now)
    token, delivery = link_token(demo, message_id, "sms")
    view = notifications.open_by_link(demo, token, now + timedelta(hours=1))
    demo.commit()
    demo.refresh(delivery)
    assert view.id == message_id and delivery.read_at == now + timedelta(hours=1)
    assert demo.get(NotificationMessage, message_id).read_via == "sms"


def test_link_cannot_open_someone_elses_message_or_be_forged_or_used_after_expiry(demo, now):
    message_id = send(demo, now=now)
    token, _ = link_token(demo, message_id, "wecom")
    with pytest.raises(NotPermitted):
        notifications.open_by_link(demo, token, now, actor=actor_for(demo, "E1005"))
    key, expires, mac = token.split(".")
    other = "1" if key[-1] == "0" else "0"  # a different last character (1 key in 16 ends in "0")
    for forged in (f"{key[:-1]}{other}.{expires}.{mac}", f"{key}.{int(expires) + 999}.{mac}", "1.2.3", "", "x" * 500):
        with pytest.raises(DomainError):
            notifications.open_by_link(demo, forged, now)
    with pytest.raises(DomainError):
        notifications.open_by_link(demo, token, now + rules.LINK_LIFETIME + timedelta(seconds=1))
    assert demo.get(NotificationMessage, message_id).read_at is None


def test_sent_text_and_reads_cannot_be_edited_or_deleted(demo, now):
    message_id = send(demo, now=now)
    notifications.open_message(demo, actor_for(demo, "E1004"), message_id, now)
    demo.commit()
    for statement in (
        f"UPDATE notification_message SET body = 'changed' WHERE id = {message_id}",
        f"UPDATE notification_message SET read_at = NULL WHERE id = {message_id}",
        f"UPDATE notification_delivery SET text_sent = 'changed' WHERE message_id = {message_id}",
        f"DELETE FROM notification_message WHERE id = {message_id}",
        f"DELETE FROM notification_delivery WHERE message_id = {message_id}",
    ):
        with pytest.raises(sa.exc.DatabaseError):
            demo.connection().execute(sa.text(statement))
        demo.rollback()


def test_hr_outbox_filters_and_retry(demo, now):
    message_id = send(demo, channels=("email",), now=now)
    hr, employee = actor_for(demo, "hr01"), actor_for(demo, "E1004")
    rows, total = notifications.outbox(demo, hr, recipient="张伟")
    assert total == 1 and "email:not_configured" in rows[0].statuses
    assert notifications.outbox(demo, hr, status="queued")[1] == 0
    with pytest.raises(NotPermitted):
        notifications.outbox(demo, employee)
    email = next(d for d in notifications.deliveries(demo, hr, message_id) if d.channel == "email")
    with pytest.raises(NotPermitted):
        notifications.retry(demo, employee, email.id, now)
    notifications.retry(demo, hr, email.id, now)
    assert demo.get(NotificationDelivery, email.id).status == "queued"
    inapp = next(d for d in notifications.deliveries(demo, hr, message_id) if d.channel == "inapp")
    with pytest.raises(DomainError):
        notifications.retry(demo, hr, inapp.id, now)


def test_backoff_grows_and_stays_within_cap():
    import random

    rng = random.Random(1)
    delays = [max(rules.backoff_seconds(n, rng=rng) for _ in range(50)) for n in range(12)]
    assert delays[0] <= 5.0 + 1e-9 and delays[5] > 60 and max(delays) <= 3600


def test_secret_key_is_what_signs(demo, now):
    token = rules.sign_link(get_settings().secret_key, "abc123", now + timedelta(days=1))
    assert rules.verify_link(get_settings().secret_key, token, now) == "abc123"
    assert rules.verify_link("another-key", token, now) is None
