"""Contact details (联系方式): the employee's own page, the history of every change, one-time
codes for a new mobile number or email, the signed address-for-service confirmation
(送达地址确认书), the quarterly reconfirmation and the HR dashboard's stale-contacts list.

Every change of a contact field, whoever makes it (the employee, HR, an import), is written as a
:class:`ContactChange` (field, before, after, who, how, when) with its audit entry in the same
transaction. Formal notices go only to the channels of the latest confirmation
(:func:`formal_channels`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain import contacts as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError, NotFound, NotPermitted, ValidationFailed
from selfservice.persistence.models import ContactChange, ContactCode, Employee, ServiceConfirmation, Signature
from selfservice.services import audit, file_links, reauth, signatures
from selfservice.services.attendance import local_text
from selfservice.services.notifications import configured_channels, notify_each
from selfservice.settings import get_settings

SUBJECT = "service_address"
HOW_SELF, HOW_HR, HOW_IMPORT = "self", "hr", "import"


class InvalidContacts(ValidationFailed):
    def __init__(self, errors: list[rules.FieldError]) -> None:
        super().__init__("contact.invalid", field=errors[0].field if errors else None)
        self.errors = errors


def _document(session: Session, confirmation_id: int) -> signatures.Document | None:
    row = session.get(ServiceConfirmation, confirmation_id)
    if row is None:
        return None
    return signatures.Document(
        row.snapshot_json.encode(), f"送达地址确认书 第 {row.number} 版", f"Address-for-service confirmation no. {row.number}"
    )


signatures.register_subject(SUBJECT, _document)


# ---- history -------------------------------------------------------------------------------


def record_changes(
    session: Session, actor: Actor | None, employee: Employee, values: Mapping[str, str], how: str, now: datetime
) -> list[str]:
    """Apply every contact field of ``values`` that differs, keeping its before and after."""
    changed = [key for key in rules.FIELDS if key in values and (getattr(employee, key) or "") != values[key]]
    if not changed:
        return []
    before = {key: getattr(employee, key) or "" for key in changed}
    for key in changed:
        session.add(
            ContactChange(
                employee_id=employee.id,  # type: ignore[arg-type]
                field=key,
                before=before[key],
                after=values[key],
                how=how,
                actor_id=(actor.employee_id or None) if actor else None,
                at=now,
            )
        )
        setattr(employee, key, values[key])
    employee.updated_at = now
    session.add(employee)
    session.flush()
    audit.append(
        session,
        actor,
        "contact.changed",
        "employee",
        employee.id,
        before=before,
        after={**{k: values[k] for k in changed}, "how": how},
        at=now,
    )
    return changed


def record_initial(session: Session, actor: Actor | None, rows: list[dict[str, Any]], how: str, now: datetime) -> None:
    """The first values of new employees (created by HR or imported), as history, in bulk."""
    table = ContactChange.__table__  # type: ignore[attr-defined]
    by = (actor.employee_id or None) if actor else None
    entries = [
        {"employee_id": row["id"], "field": key, "before": "", "after": row[key], "how": how, "actor_id": by, "at": now}
        for row in rows
        for key in rules.FIELDS
        if row.get(key)
    ]
    for start in range(0, len(entries), 5000):
        session.execute(sa.insert(table), entries[start : start + 5000])


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: str
    after: str
    how: str
    by: str
    at: str


def _may_see(session: Session, actor: Actor, employee: Employee) -> bool:
    return employee.id == actor.employee_id or actor.has_role(Role.hr)


def history(session: Session, actor: Actor, employee_id: int, limit: int = 200) -> list[ChangeRow]:
    """Every change of one person's contact details, newest first (the person and HR)."""
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound()
    if not _may_see(session, actor, employee):
        raise NotPermitted()
    rows = session.exec(
        select(ContactChange).where(ContactChange.employee_id == employee_id).order_by(ContactChange.id.desc()).limit(limit)  # type: ignore[union-attr]
    ).all()
    names = (
        dict(session.exec(select(Employee.id, Employee.name).where(Employee.id.in_({r.actor_id for r in rows if r.actor_id}))).all())
        if rows
        else {}
    )  # type: ignore[union-attr]
    region = get_settings().phone_region
    show = lambda f, v: rules.display_phone(v, region) if f in ("phone", "emergency_contact_phone") else v  # noqa: E731
    return [
        ChangeRow(
            r.field,
            show(r.field, r.before),
            show(r.field, r.after),
            r.how,
            names.get(r.actor_id, "") if r.actor_id else "",
            local_text(r.at),
        )
        for r in rows
    ]


# ---- the employee's page ---------------------------------------------------------------------


@dataclass(frozen=True)
class ContactView:
    values: dict[str, str]  # as stored (E.164 numbers)
    display: dict[str, str]  # numbers in the national format
    confirmed_number: int
    confirmed_at: str
    confirmed_channels: list[str]
    needs_confirmation: bool  # never confirmed, or something changed since
    receipt_url: str
    verify_url: str
    pending_field: str  # a code was sent for this field and is still valid
    pending_value: str


def _latest_confirmation(session: Session, employee_id: int) -> ServiceConfirmation | None:
    return session.exec(
        select(ServiceConfirmation).where(ServiceConfirmation.employee_id == employee_id).order_by(ServiceConfirmation.number.desc())  # type: ignore[attr-defined]
    ).first()


def _signature_of(session: Session, confirmation: ServiceConfirmation | None) -> Signature | None:
    if confirmation is None:
        return None
    return session.exec(select(Signature).where(Signature.subject == SUBJECT, Signature.subject_id == confirmation.id)).first()


def _values(employee: Employee) -> dict[str, str]:
    return {key: getattr(employee, key) or "" for key in rules.FIELDS}


def needs_confirmation(session: Session, employee: Employee, latest: ServiceConfirmation | None = None) -> bool:
    latest = latest or _latest_confirmation(session, employee.id)  # type: ignore[arg-type]
    if latest is None:
        return True
    return json.loads(latest.snapshot_json)["contacts"] != _values(employee)


def view(session: Session, actor: Actor, now: datetime) -> ContactView:
    employee = session.get(Employee, actor.employee_id)
    if employee is None:
        raise NotFound()
    latest = _latest_confirmation(session, employee.id)  # type: ignore[arg-type]
    values = _values(employee)
    region = get_settings().phone_region
    pending = session.exec(
        select(ContactCode)
        .where(ContactCode.employee_id == employee.id, ContactCode.used_at.is_(None), ContactCode.expires_at > now)  # type: ignore[union-attr]
        .order_by(ContactCode.id.desc())  # type: ignore[union-attr]
    ).first()
    signature = _signature_of(session, latest)
    return ContactView(
        values=values,
        display={
            **values,
            "phone": rules.display_phone(values["phone"], region),
            "emergency_contact_phone": rules.display_phone(values["emergency_contact_phone"], region),
        },
        confirmed_number=latest.number if latest else 0,
        confirmed_at=local_text(latest.confirmed_at) if latest else "",
        confirmed_channels=latest.channels.split(",") if latest else [],
        needs_confirmation=needs_confirmation(session, employee, latest),
        receipt_url=file_links.link("receipt", signature.id, actor, now) if signature else "",  # type: ignore[arg-type]
        verify_url=f"/verify?t={signature.verify_token}" if signature else "",
        pending_field=pending.field if pending else "",
        pending_value=(rules.display_phone(pending.new_value, region) if pending and pending.field == "phone" else pending.new_value)
        if pending
        else "",
    )


def save(session: Session, actor: Actor, raw: Mapping[str, Any], now: datetime) -> list[str]:
    """Save the fields that need no code (address, WeCom id, emergency contact); the mobile and
    email on file are kept as they are (they change through :func:`request_code`)."""
    employee = session.get(Employee, actor.employee_id)
    if employee is None or employee.status != "active":
        raise NotPermitted()
    merged = {**{k: str(raw.get(k) or "") for k in rules.FIELDS}, "phone": employee.phone, "email": employee.email}
    values, errors = rules.validate(merged, get_settings().phone_region)
    if errors:
        raise InvalidContacts(errors)
    free = {k: v for k, v in values.items() if k not in rules.VERIFIED}
    return record_changes(session, actor, employee, free, HOW_SELF, now)


def request_code(session: Session, actor: Actor, field: str, new_value: str, now: datetime) -> int:
    """Send a one-time code to a new mobile number (SMS) or email address, after a fresh
    re-authentication; returns the message id (its delivery is on record)."""
    if field not in rules.VERIFIED:
        raise ValidationFailed("error.invalid", field="field")
    employee = session.get(Employee, actor.employee_id)
    if employee is None or employee.status != "active":
        raise NotPermitted()
    region = get_settings().phone_region
    value = (
        rules.normalize_mobile(new_value, region)
        if field == "phone"
        else rules.normalize_email(new_value.strip())
        if new_value.strip()
        else None
    )
    if value is None:
        key = (
            ("contact.mobile_foreign" if rules.is_foreign(new_value, region) else "contact.mobile_invalid")
            if field == "phone"
            else "field.email_invalid"
        )
        raise ValidationFailed(key, field=field, value=new_value[:40])
    if value == getattr(employee, field):
        raise ValidationFailed("contact.unchanged", field=field)
    if field == "phone":
        taken = session.exec(
            select(Employee.id).where(Employee.phone == value, Employee.id != employee.id, Employee.status == "active")
        ).first()
        if taken is not None:
            raise ValidationFailed("contact.phone_taken", field=field)
    channel = "sms" if field == "phone" else "email"
    if channel not in configured_channels(session):
        raise DomainError("contact.channel_unavailable", channel=channel)  # a code nobody can receive proves nothing
    reauth.consume(session, actor, f"contact:{field}", now)
    code = rules.new_code()
    row = ContactCode(
        employee_id=employee.id,  # type: ignore[arg-type]
        field=field,
        new_value=value,
        code_hash=rules.code_hash(get_settings().secret_key, code),
        created_at=now,
        expires_at=now + timedelta(minutes=rules.CODE_MINUTES),
    )
    session.add(row)
    session.flush()
    shown = rules.display_phone(value, region) if field == "phone" else value
    params = {
        "code": code,
        "value": shown,
        "minutes": str(rules.CODE_MINUTES),
        "field_zh": "手机号" if field == "phone" else "邮箱",
        "field_en": "mobile number" if field == "phone" else "email address",
    }
    [message_id] = notify_each(
        session, actor, [(employee.id, params, "")], "contact_code", "contact.code", [channel], now, addresses={channel: value}
    )  # type: ignore[list-item]
    row.message_id = message_id
    session.add(row)
    audit.append(
        session, actor, "contact.code_sent", "employee", employee.id, after={"field": field, "to": value, "message_id": message_id}, at=now
    )
    return message_id


def confirm_code(session: Session, actor: Actor, code: str, now: datetime) -> str:
    """The code from the new address: the change is made (with its history); returns the field."""
    employee = session.get(Employee, actor.employee_id)
    if employee is None or employee.status != "active":
        raise NotPermitted()
    row = session.exec(
        select(ContactCode).where(ContactCode.employee_id == employee.id, ContactCode.used_at.is_(None)).order_by(ContactCode.id.desc())  # type: ignore[union-attr]
    ).first()
    if row is None or row.expires_at <= now:
        raise DomainError("contact.code_expired")
    if row.attempts >= rules.CODE_ATTEMPTS:
        raise DomainError("contact.code_locked")
    if rules.code_hash(get_settings().secret_key, code) != row.code_hash:
        row.attempts += 1
        session.add(row)
        session.commit()  # the count survives the refusal
        raise DomainError("contact.code_wrong", left=rules.CODE_ATTEMPTS - row.attempts)
    row.used_at = now
    session.add(row)
    record_changes(session, actor, employee, {row.field: row.new_value}, HOW_SELF, now)
    return row.field


# ---- the address-for-service confirmation ------------------------------------------------------


def confirm_service(
    session: Session, actor: Actor, channels: list[str], typed_name: str, drawing: str, context: signatures.Context, now: datetime
) -> int:
    """Sign the 送达地址确认书 for the contact details on file and the chosen channels; returns
    its number (1, 2, …)."""
    employee = session.get(Employee, actor.employee_id)
    if employee is None or employee.status != "active":
        raise NotPermitted()
    picked = rules.check_channels(channels)
    values = _values(employee)
    _, errors = rules.validate(values, get_settings().phone_region)
    if errors:
        raise InvalidContacts(errors)
    missing = [
        c
        for c in picked
        if (c == "sms" and not values["phone"]) or (c == "email" and not values["email"]) or (c == "post" and not values["address"])
    ]
    if missing:
        raise ValidationFailed("contact.channel_without_address", field="channels")
    latest = _latest_confirmation(session, employee.id)  # type: ignore[arg-type]
    number = (latest.number if latest else 0) + 1
    snapshot = rules.snapshot(values, picked)
    region = get_settings().phone_region
    labels = {
        "inapp": ("站内消息", "in-app"),
        "wecom": ("企业微信", "WeCom"),
        "sms": ("短信", "SMS"),
        "email": ("邮件", "email"),
        "post": ("邮寄", "post"),
    }
    extra = (
        ("手机 / Mobile", rules.display_phone(values["phone"], region)),
        ("邮箱 / Email", values["email"] or "—"),
        ("送达地址 / Address for service", values["address"]),
        ("企业微信 / WeCom", values["wecom_userid"] or employee.employee_no),
        (
            "紧急联系人 / Emergency contact",
            f"{values['emergency_contact_name']}（{values['emergency_contact_relation'] or '—'}） {rules.display_phone(values['emergency_contact_phone'], region)}",
        ),
        (
            "同意接收正式通知的方式 / Channels for formal notices",
            "、".join(labels[c][0] for c in picked) + " / " + ", ".join(labels[c][1] for c in picked),
        ),
    )
    row = ServiceConfirmation(employee_id=employee.id, number=number, channels=",".join(picked), snapshot_json=snapshot, confirmed_at=now)  # type: ignore[arg-type]
    session.add(row)
    session.flush()
    signature = signatures.sign(
        session,
        actor,
        subject=SUBJECT,
        subject_id=row.id,  # type: ignore[arg-type]
        content_sha256=hashlib.sha256(snapshot.encode()).hexdigest(),
        statement=rules.SERVICE_STATEMENT,
        typed_name=typed_name,
        drawing=drawing,
        context=context,
        now=now,
        heading=("送达地址确认书", "Address-for-service confirmation"),
        document=(f"送达地址确认书 第 {number} 版", f"Address-for-service confirmation no. {number}"),
        extra=extra,
    )
    audit.append(
        session,
        actor,
        "contact.service_confirmed",
        "employee",
        employee.id,
        after={"number": number, "channels": picked, "signature_id": signature.id},
        at=now,
    )
    return number


def formal_channels(session: Session, employee_id: int) -> list[str]:
    """The channels formal notices may use for this person: those of their latest signed
    confirmation, and only while the details on file are still the ones confirmed."""
    employee = session.get(Employee, employee_id)
    latest = _latest_confirmation(session, employee_id)
    if employee is None or latest is None or needs_confirmation(session, employee, latest):
        return []
    return latest.channels.split(",")


# ---- reconfirmation and stale contacts ------------------------------------------------------------


def _last_confirmed(session: Session) -> dict[int, datetime]:
    return dict(
        session.exec(
            select(ServiceConfirmation.employee_id, sa.func.max(ServiceConfirmation.confirmed_at)).group_by(ServiceConfirmation.employee_id)
        ).all()  # type: ignore[arg-type]
    )


def reconfirm_due(session: Session, now: datetime) -> dict[str, int]:
    """Each quarter (the setting) everyone is asked to confirm or update; whoever stays
    unconfirmed past the stale limit is told to their manager, once per lapse. Run by the
    scheduler, in the day only."""
    from selfservice.persistence.db import insert_ignoring_duplicates
    from selfservice.persistence.models import OnceKey

    settings = get_settings()
    hour = now.astimezone(ZoneInfo(settings.timezone)).hour
    if not 9 <= hour < 20:
        return {"asked": 0, "stale_told": 0}
    last = _last_confirmed(session)
    ask_before = now - timedelta(days=settings.contact_reconfirm_days)
    stale_before = now - timedelta(days=settings.contact_stale_days)
    asked, managers = [], []
    people = session.exec(select(Employee).where(Employee.status == "active").order_by(Employee.id)).all()
    for employee in people:
        confirmed = last.get(employee.id)  # type: ignore[arg-type]
        if (confirmed is None or confirmed < ask_before) and (
            employee.contacts_asked_at is None or employee.contacts_asked_at < ask_before
        ):
            asked.append((employee.id, {}, "/profile/contact"))
            employee.contacts_asked_at = now
            session.add(employee)
        since = confirmed or employee.created_at
        if since < stale_before and employee.manager_id:
            key = f"contact-stale:{employee.id}:{(confirmed or employee.created_at).isoformat()}"[:80]
            told = session.execute(
                insert_ignoring_duplicates(session, OnceKey.__table__).values(key=key, created_at=now).returning(OnceKey.key)
            ).first()  # type: ignore[attr-defined]
            if told is not None:
                params = {"name": employee.name, "employee_no": employee.employee_no, "months": str(settings.contact_stale_days // 30)}
                managers.append((employee.manager_id, params, ""))
    active = set(session.exec(select(Employee.id).where(Employee.status == "active")).all())
    managers = [m for m in managers if m[0] in active]
    notify_each(
        session, None, asked, "contact", "contact.reconfirm", [c for c in ("wecom", "email") if c in configured_channels(session)], now
    )  # type: ignore[arg-type]
    notify_each(
        session,
        None,
        managers,
        "contact",
        "contact.stale_manager",
        [c for c in ("wecom", "email") if c in configured_channels(session)],
        now,
    )  # type: ignore[arg-type]
    audit.append_many(
        session,
        None,
        [("contact.reconfirm_asked", "employee", e, {}) for e, _, _ in asked]
        + [("contact.stale_told", "employee", m, p) for m, p, _ in managers],
        at=now,
    )
    return {"asked": len(asked), "stale_told": len(managers)}


@dataclass(frozen=True)
class StaleRow:
    employee_id: int
    employee_no: str
    name: str
    department: str
    manager: str
    confirmed_at: str  # "" never
    asked_at: str


def stale(session: Session, actor: Actor, now: datetime, limit: int = 500) -> list[StaleRow]:
    """Active people whose contact details nobody confirmed within the stale limit (HR)."""
    from selfservice.persistence.models import Department

    if not actor.has_role(Role.hr):
        raise NotPermitted()
    limit_at = now - timedelta(days=get_settings().contact_stale_days)
    last = _last_confirmed(session)
    departments = {d.id: d for d in session.exec(select(Department)).all()}
    people = session.exec(select(Employee).where(Employee.status == "active").order_by(Employee.employee_no)).all()
    names = {e.id: e.name for e in people}
    en = actor.language == "en"
    rows = []
    for employee in people:
        confirmed = last.get(employee.id)  # type: ignore[arg-type]
        if (confirmed or employee.created_at) >= limit_at:
            continue
        department = departments.get(employee.department_id)
        rows.append(
            StaleRow(
                employee_id=employee.id,  # type: ignore[arg-type]
                employee_no=employee.employee_no,
                name=employee.name,
                department=((department.name_en or department.name) if en else department.name) if department else "",
                manager=names.get(employee.manager_id, "") if employee.manager_id else "",
                confirmed_at=local_text(confirmed) if confirmed else "",
                asked_at=local_text(employee.contacts_asked_at),
            )
        )
    return rows[:limit]


def due_for(session: Session, actor: Actor) -> bool:
    """Whether the signed-in person still has to confirm their details (home page, sign-in)."""
    employee = session.get(Employee, actor.employee_id)
    return employee is not None and needs_confirmation(session, employee)
