"""The outbox (发件箱): every workflow sends through ``notify``; the inbox and signed links
record reads; HR sees and retries deliveries.

``notify`` writes the message, one delivery per channel and the audit entry in the caller's
transaction, so a message exists exactly when the change that caused it was committed. Read and
acknowledged times are set only by the recipient's own action, once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain import notifications as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError, NotFound, NotPermitted
from selfservice.domain.notifications import ChannelName, DeliveryStatus
from selfservice.persistence.models import ChannelSetting, DeliveryAttempt, Employee, NotificationDelivery, NotificationMessage, UserAccount
from selfservice.services import audit
from selfservice.settings import get_settings

PAGE_SIZE = 20
PRIVATE_KINDS = ("contact_code",)  # sent to an address only (a one-time code): never in the in-app inbox


def configured_channels(session: Session) -> set[str]:
    rows = session.exec(select(ChannelSetting.channel).where(ChannelSetting.enabled == True)).all()  # noqa: E712
    return {ChannelName.inapp.value, *rows}


def _address(channel: str, employee: Employee, account: UserAccount | None) -> str:
    if channel == ChannelName.inapp:
        return f"account:{account.id}" if account else ""
    if channel == ChannelName.wecom:
        return employee.wecom_userid or employee.employee_no  # the WeCom account HR entered, else the employee number
    if channel == ChannelName.sms:
        return employee.phone
    return employee.email


def notify(
    session: Session,
    actor: Actor | None,
    recipient_id: int,
    kind: str,
    template: str,
    params: dict[str, str],
    channels: tuple[str, ...] | list[str],
    now: datetime,
    requires_ack: bool = False,
    link_path: str = "",
) -> int:
    """Queue a message to one employee over in-app plus ``channels``; returns the message id.
    ``link_path`` is a page of the app the message leads to (e.g. a prefilled leave form)."""
    return notify_many(session, actor, [recipient_id], kind, template, params, channels, now, requires_ack, link_path)[0]


def notify_many(
    session: Session,
    actor: Actor | None,
    recipient_ids: list[int],
    kind: str,
    template: str,
    params: dict[str, str],
    channels: tuple[str, ...] | list[str],
    now: datetime,
    requires_ack: bool = False,
    link_path: str = "",
) -> list[int]:
    """The same message to several employees (each in their own language, each with its own
    deliveries and audit entry), written with a few statements instead of a few per recipient."""
    return notify_each(session, actor, [(r, params, link_path) for r in recipient_ids], kind, template, channels, now, requires_ack)


def notify_each(
    session: Session,
    actor: Actor | None,
    items: list[tuple[int, dict[str, str], str]],
    kind: str,
    template: str,
    channels: tuple[str, ...] | list[str],
    now: datetime,
    requires_ack: bool = False,
    addresses: dict[str, str] | None = None,
) -> list[int]:
    """One message of a template to each (recipient, params, link) — e.g. a reminder naming each
    person's own dates — with the same few statements as :func:`notify_many`.

    ``addresses`` sends to the given address per channel instead of the one on file, and then
    only there (no in-app copy): a one-time code for a new mobile number or email address."""
    if not items:
        return []
    recipient_ids = [r for r, _, _ in items]
    people, accounts = {}, {}
    for start in range(0, len(recipient_ids), 5000):
        part = recipient_ids[start : start + 5000]
        people.update({e.id: e for e in session.exec(select(Employee).where(Employee.id.in_(part))).all()})  # type: ignore[union-attr]
        accounts.update({a.employee_id: a for a in session.exec(select(UserAccount).where(UserAccount.employee_id.in_(part))).all()})  # type: ignore[attr-defined]
    if any(people.get(r) is None or people[r].status != "active" for r in recipient_ids):
        raise DomainError("notify.no_recipient")
    if any(link and (not link.startswith("/") or link.startswith("//") or len(link) > 255) for _, _, link in items):
        raise DomainError("error.invalid")
    wanted = [ChannelName.inapp.value, *(c for c in dict.fromkeys(channels) if c != ChannelName.inapp)]
    if addresses is not None:
        wanted = [c for c in wanted if c in addresses and c != ChannelName.inapp]
    if any(channel not in ChannelName.__members__ for channel in wanted):
        raise DomainError("error.invalid")
    settings = get_settings()
    enabled = configured_channels(session)
    rendered_by_language: dict[tuple[str, int], rules.Rendered] = {}
    messages, rendered_of = [], []
    created_by = actor.account_id if actor else None
    for recipient_id, params, link_path in items:
        account = accounts.get(recipient_id)
        language = account.language if account else settings.default_language
        key = (language, id(params))  # one rendering per language of each distinct params
        if key not in rendered_by_language:
            rendered_by_language[key] = rules.render(template, language, params)
        rendered = rendered_by_language[key]
        rendered_of.append(rendered)
        messages.append(
            {
                "recipient_id": recipient_id,
                "kind": kind[:32],
                "template": template,
                "params_json": json.dumps(params, ensure_ascii=False, sort_keys=True),
                "language": language,
                "title": rendered.title,
                "body": rendered.body,
                "link_path": link_path,
                "requires_ack": requires_ack,
                "created_at": now,
                "created_by": created_by,
                "read_at": None,
                "read_via": "",
                "acknowledged_at": None,
            }
        )
    # Core statements, not ORM objects: a policy published to thousands costs a few statements,
    # not seconds of object bookkeeping. Whatever the caller changed before is written first.
    session.flush()
    message_table, delivery_table = NotificationMessage.__table__, NotificationDelivery.__table__  # type: ignore[attr-defined]
    message_ids: list[int] = []
    for start in range(0, len(messages), 2000):
        chunk = messages[start : start + 2000]
        message_ids += (
            session.execute(sa.insert(message_table).returning(message_table.c.id, sort_by_parameter_order=True), chunk).scalars().all()
        )
    deliveries: list[dict] = []
    for message_id, message, rendered in zip(message_ids, messages, rendered_of, strict=True):
        employee, account = people[message["recipient_id"]], accounts.get(message["recipient_id"])
        for channel in wanted:
            key = uuid.uuid4().hex
            token = rules.sign_link(settings.secret_key, key, now + rules.LINK_LIFETIME)
            text = rules.channel_text(channel, rendered, f"{settings.public_url}/m?t={token}")
            address = addresses[channel] if addresses is not None else _address(channel, employee, account)
            status, last_error, sent_at = DeliveryStatus.queued.value, "", None
            if channel == ChannelName.inapp:
                status, sent_at = DeliveryStatus.delivered.value, now
            elif not address:
                status, last_error = DeliveryStatus.failed.value, "no address on file"
            elif channel not in enabled:
                status, last_error = DeliveryStatus.not_configured.value, "channel not configured"
            deliveries.append(
                {
                    "message_id": message_id,
                    "channel": channel,
                    "address": address,
                    "status": status,
                    "text_sent": text,
                    "text_sha256": rules.sha256_text(text),
                    "idempotency_key": key,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "claimed_until": None,
                    "claimed_by": "",
                    "provider_message_id": "",
                    "last_error": last_error,
                    "created_at": now,
                    "sent_at": sent_at,
                    "delivered_at": sent_at,
                    "read_at": None,
                }
            )
    delivery_ids: list[int] = []
    for start in range(0, len(deliveries), 2000):
        chunk = deliveries[start : start + 2000]
        delivery_ids += (
            session.execute(sa.insert(delivery_table).returning(delivery_table.c.id, sort_by_parameter_order=True), chunk).scalars().all()
        )
    per_message: dict[int, list[dict]] = {}
    for delivery_id, delivery in zip(delivery_ids, deliveries, strict=True):
        per_message.setdefault(delivery["message_id"], []).append(
            {"id": delivery_id, "channel": delivery["channel"], "status": delivery["status"], "sha256": delivery["text_sha256"]}
        )
    audit.append_many(
        session,
        actor,
        [
            (
                "notification.created",
                "notification_message",
                message_id,
                {
                    "recipient_id": message["recipient_id"],
                    "kind": message["kind"],
                    "template": template,
                    "requires_ack": requires_ack,
                    "deliveries": per_message.get(message_id, []),
                },
            )
            for message_id, message in zip(message_ids, messages, strict=True)
        ],
        at=now,
    )
    return list(message_ids)


@dataclass(frozen=True)
class InboxRow:
    id: int
    kind: str
    title: str
    created_at: str
    read: bool
    requires_ack: bool
    acknowledged: bool


@dataclass(frozen=True)
class MessageView:
    id: int
    title: str
    body: str
    created_at: str
    read_at: str
    requires_ack: bool
    acknowledged_at: str
    kind: str = ""
    link_path: str = ""


def _iso(moment: datetime | None) -> str:
    """A stored UTC time as the company's local time, to the second."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M:%S")


def _view(message: NotificationMessage) -> MessageView:
    return MessageView(
        message.id or 0,
        message.title,
        message.body,
        _iso(message.created_at),
        _iso(message.read_at),
        message.requires_ack,
        _iso(message.acknowledged_at),
        message.kind,
        message.link_path,
    )


def unread_count(session: Session, actor: Actor) -> int:
    return session.exec(
        select(sa.func.count())
        .select_from(NotificationMessage)
        .where(
            NotificationMessage.recipient_id == actor.employee_id,
            NotificationMessage.read_at.is_(None),  # type: ignore[union-attr]
            NotificationMessage.kind.not_in(PRIVATE_KINDS),  # type: ignore[attr-defined]
        )
    ).one()


def inbox(session: Session, actor: Actor, page: int = 1) -> list[InboxRow]:
    """The actor's own messages: unread first, newest first."""
    rows = session.exec(
        select(NotificationMessage)
        .where(NotificationMessage.recipient_id == actor.employee_id, NotificationMessage.kind.not_in(PRIVATE_KINDS))  # type: ignore[attr-defined]
        .order_by(NotificationMessage.read_at.is_not(None), NotificationMessage.id.desc())  # type: ignore[union-attr]
        .offset((max(1, page) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return [
        InboxRow(m.id or 0, m.kind, m.title, _iso(m.created_at), m.read_at is not None, m.requires_ack, m.acknowledged_at is not None)
        for m in rows
    ]


def _own_message(session: Session, actor: Actor, message_id: int) -> NotificationMessage:
    message = session.get(NotificationMessage, message_id)
    if message is None or message.kind in PRIVATE_KINDS:
        raise NotFound()
    if message.recipient_id != actor.employee_id:
        raise NotPermitted()
    return message


def _mark_read(session: Session, actor: Actor | None, message: NotificationMessage, delivery: NotificationDelivery, now: datetime) -> None:
    """Record the first read of the message and of this delivery; later opens change nothing."""
    first_message_read = message.read_at is None
    if first_message_read:
        message.read_at, message.read_via = now, delivery.channel
        session.add(message)
    if delivery.read_at is None:
        delivery.read_at = now
        session.add(delivery)
        audit.append(
            session,
            actor,
            "notification.read",
            "notification_delivery",
            delivery.id,
            after={"message_id": message.id, "channel": delivery.channel, "first_read_of_message": first_message_read},
            at=now,
        )


def _inapp_delivery(session: Session, message_id: int) -> NotificationDelivery:
    return session.exec(
        select(NotificationDelivery).where(NotificationDelivery.message_id == message_id, NotificationDelivery.channel == ChannelName.inapp)
    ).one()


def open_message(session: Session, actor: Actor, message_id: int, now: datetime) -> MessageView:
    """The recipient opens a message in the app."""
    message = _own_message(session, actor, message_id)
    _mark_read(session, actor, message, _inapp_delivery(session, message_id), now)
    session.flush()
    return _view(message)


def acknowledge(session: Session, actor: Actor, message_id: int, now: datetime) -> MessageView:
    """The recipient confirms receipt (我已收到); recorded once."""
    message = _own_message(session, actor, message_id)
    if not message.requires_ack:
        raise DomainError("notify.not_ack")
    _mark_read(session, actor, message, _inapp_delivery(session, message_id), now)
    if message.acknowledged_at is None:
        message.acknowledged_at = now
        session.add(message)
        audit.append(session, actor, "notification.acknowledged", "notification_message", message.id, at=now)
    session.flush()
    return _view(message)


def open_by_link(session: Session, token: str, now: datetime, actor: Actor | None = None) -> MessageView:
    """Open a message through the signed link sent on one channel; records the read on it."""
    key = rules.verify_link(get_settings().secret_key, token, now)
    delivery = session.exec(select(NotificationDelivery).where(NotificationDelivery.idempotency_key == key)).first() if key else None
    if delivery is None:
        raise DomainError("notify.link_invalid")
    message = session.get(NotificationMessage, delivery.message_id)
    assert message is not None
    if actor is not None and actor.employee_id != message.recipient_id:
        raise NotPermitted()
    _mark_read(session, actor, message, delivery, now)
    session.flush()
    return _view(message)


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    channel: str
    address: str
    status: str
    attempts: int
    provider_message_id: str
    last_error: str
    sent_at: str
    delivered_at: str
    read_at: str
    text_sha256: str


@dataclass(frozen=True)
class OutboxRow:
    id: int
    recipient: str
    kind: str
    title: str
    created_at: str
    read_at: str
    acknowledged_at: str
    statuses: str


def outbox(
    session: Session, actor: Actor, recipient: str = "", kind: str = "", status: str = "", page: int = 1
) -> tuple[list[OutboxRow], int]:
    """HR's view of every message, filterable by recipient (name or number), kind and status."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    stmt = select(NotificationMessage, Employee).join(Employee, Employee.id == NotificationMessage.recipient_id)  # type: ignore[arg-type]
    if recipient.strip():
        like = f"%{recipient.strip()[:64].lower()}%"
        stmt = stmt.where(sa.or_(sa.func.lower(Employee.name).like(like), sa.func.lower(Employee.employee_no).like(like)))
    if kind.strip():
        stmt = stmt.where(NotificationMessage.kind == kind.strip()[:32])
    if status.strip():
        stmt = stmt.where(
            NotificationMessage.id.in_(select(NotificationDelivery.message_id).where(NotificationDelivery.status == status.strip()[:16]))  # type: ignore[union-attr]
        )
    total = session.exec(select(sa.func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(NotificationMessage.id.desc()).offset((max(1, page) - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()  # type: ignore[union-attr]
    ids = [m.id for m, _ in rows]
    by_message: dict[int, list[str]] = {}
    for message_id, channel, delivery_status in session.exec(
        select(NotificationDelivery.message_id, NotificationDelivery.channel, NotificationDelivery.status).where(
            NotificationDelivery.message_id.in_(ids)
        )  # type: ignore[union-attr]
    ).all():
        by_message.setdefault(message_id, []).append(f"{channel}:{delivery_status}")
    return [
        OutboxRow(
            m.id or 0,
            f"{e.name} ({e.employee_no})",
            m.kind,
            m.title,
            _iso(m.created_at),
            _iso(m.read_at),
            _iso(m.acknowledged_at),
            " ".join(sorted(by_message.get(m.id or 0, []))),
        )
        for m, e in rows
    ], total


def deliveries(session: Session, actor: Actor, message_id: int) -> list[DeliveryRow]:
    """Per-channel delivery and read records of one message (HR only)."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    rows = session.exec(
        select(NotificationDelivery).where(NotificationDelivery.message_id == message_id).order_by(NotificationDelivery.id)
    ).all()
    return [
        DeliveryRow(
            d.id or 0,
            d.channel,
            d.address,
            d.status,
            d.attempts,
            d.provider_message_id,
            d.last_error,
            _iso(d.sent_at),
            _iso(d.delivered_at),
            _iso(d.read_at),
            d.text_sha256,
        )
        for d in rows
    ]


@dataclass(frozen=True)
class AttemptRow:
    channel: str
    at: str
    outcome: str
    http_status: str
    response: str
    error: str


def attempts(session: Session, actor: Actor, message_id: int) -> list[AttemptRow]:
    """Every send attempt and provider report of one message, with the raw answers (HR only)."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    rows = session.exec(
        select(DeliveryAttempt, NotificationDelivery.channel)
        .join(NotificationDelivery, NotificationDelivery.id == DeliveryAttempt.delivery_id)  # type: ignore[arg-type]
        .where(NotificationDelivery.message_id == message_id)
        .order_by(DeliveryAttempt.id)
    ).all()
    return [AttemptRow(channel, _iso(a.at), a.outcome, str(a.http_status or ""), a.response[:300], a.error) for a, channel in rows]


def retry(session: Session, actor: Actor, delivery_id: int, now: datetime) -> None:
    """HR puts a failed delivery back in the queue (same idempotency key, audited)."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    delivery = session.get(NotificationDelivery, delivery_id)
    if delivery is None:
        raise NotFound()
    if delivery.status not in (DeliveryStatus.failed, DeliveryStatus.not_configured):
        raise DomainError("notify.not_failed")
    before = {"status": delivery.status, "attempts": delivery.attempts}
    delivery.status, delivery.next_attempt_at, delivery.claimed_until, delivery.attempts = DeliveryStatus.queued, now, None, 0
    session.add(delivery)
    audit.append(
        session, actor, "notification.retry", "notification_delivery", delivery_id, before=before, after={"status": "queued"}, at=now
    )
