"""Signing a statement (签名确认) and checking a signature later.

``sign`` is the one way an employee signs anything: the typed name must match the record, the
drawing must be a real one, a fresh re-authentication of the same session is used up, and the
stored record (with the SHA-256 of what was signed, of the drawing and of every field, the
signer's name and number as they were) is written with the audit entry in the caller's
transaction. The PDF receipt is made from that record the first time it is asked for and then
kept byte for byte (its hash audited). ``verify`` recomputes every hash from what is stored, for
the page the receipt's QR code opens.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from selfservice.documents import receipts
from selfservice.domain import signatures as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import NotFound, NotPermitted
from selfservice.persistence.models import AuditEntry, Employee, Signature, SignatureReceipt
from selfservice.services import audit, reauth
from selfservice.settings import get_settings

METHOD_TEXT = {
    "totp": ("动态验证码", "authenticator code"),
    "recovery_code": ("恢复码", "recovery code"),
    "password": ("登录密码", "password"),
}


@dataclass(frozen=True)
class Context:
    """Where the signature came from, as the server saw it."""

    ip: str = ""
    user_agent: str = ""


@dataclass(frozen=True)
class Document:
    """What a signature's subject is: its current bytes (for the check) and its names."""

    content: bytes
    title_zh: str
    title_en: str


# subject name -> how to load the signed document by id (registered by the workflows that sign)
SUBJECTS: dict[str, Callable[[Session, int], Document | None]] = {}


def register_subject(name: str, loader: Callable[[Session, int], Document | None]) -> None:
    SUBJECTS[name] = loader


def _fields(row: Signature) -> dict[str, object]:
    return {
        "subject": row.subject,
        "subject_id": row.subject_id,
        "employee_id": row.employee_id,
        "content_sha256": row.content_sha256,
        "statement": row.statement,
        "typed_name": row.typed_name,
        "image_sha256": row.image_sha256,
        "method": row.method,
        "signed_at": row.signed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "session_id": row.session_id,
        "ip": row.ip,
        "user_agent": row.user_agent,
        "signer_name": row.signer_name,
        "employee_no": row.employee_no,
        "heading": [row.heading_zh, row.heading_en],
        "document": [row.document_zh, row.document_en],
        "extra": json.loads(row.extra_json or "[]"),
    }


def verify_url(token: str) -> str:
    return f"{get_settings().public_url}/verify?t={token}"


def sign(
    session: Session,
    actor: Actor,
    *,
    subject: str,
    subject_id: int,
    content_sha256: str,
    statement: str,
    typed_name: str,
    drawing: str,
    context: Context,
    now: datetime,
    heading: tuple[str, str],
    document: tuple[str, str],
    extra: tuple[tuple[str, str], ...] = (),
) -> Signature:
    """Sign ``statement`` about ``subject``/``subject_id`` as ``actor`` (see module doc)."""
    employee = session.get(Employee, actor.employee_id)
    if employee is None or employee.status != "active":
        raise NotPermitted()
    rules.check_typed_name(typed_name, employee.name, employee.name_en)
    image = rules.decode_drawing(drawing)
    method = reauth.consume(session, actor, f"{subject}:{subject_id}", now)
    row = Signature(
        subject=subject,
        subject_id=subject_id,
        employee_id=employee.id,  # type: ignore[arg-type]
        content_sha256=content_sha256,
        statement=statement,
        typed_name=typed_name.strip()[:64],
        image=image,
        image_sha256=hashlib.sha256(image).hexdigest(),
        method=method,
        signed_at=now,
        session_id=actor.session_id,
        ip=context.ip[:64],
        user_agent=context.user_agent[:255],
        signer_name=employee.name,
        employee_no=employee.employee_no,
        heading_zh=heading[0][:64],
        heading_en=heading[1][:64],
        document_zh=document[0][:200],
        document_en=document[1][:200],
        extra_json=json.dumps([list(line) for line in extra], ensure_ascii=False),
        record_sha256="",
        verify_token=secrets.token_urlsafe(16)[:22],
    )
    row.record_sha256 = rules.record_hash(_fields(row))
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        "signature.signed",
        "signature",
        row.id,
        after={**_fields(row), "record_sha256": row.record_sha256},
        at=now,
    )
    return row


def _render(row: Signature) -> bytes:
    method_zh, method_en = METHOD_TEXT.get(row.method, (row.method, row.method))
    return receipts.render(
        receipts.ReceiptData(
            heading_zh=row.heading_zh,
            heading_en=row.heading_en,
            document_zh=row.document_zh,
            document_en=row.document_en,
            content_sha256=row.content_sha256,
            statement=row.statement,
            signer_name=row.signer_name,
            employee_no=row.employee_no,
            typed_name=row.typed_name,
            signature_png=row.image,
            image_sha256=row.image_sha256,
            method_zh=method_zh,
            method_en=method_en,
            signed_at=row.signed_at,
            timezone=get_settings().timezone,
            ip=row.ip,
            user_agent=row.user_agent,
            record_sha256=row.record_sha256,
            verify_url=verify_url(row.verify_token),
            extra=tuple(tuple(line) for line in json.loads(row.extra_json or "[]")),
        )
    )


def receipt(session: Session, viewer: Actor, signature_id: int, now: datetime | None = None) -> tuple[bytes, str]:
    """The PDF receipt, for its signer or HR: made and kept the first time, the same bytes after."""
    row = session.get(Signature, signature_id)
    if row is None:
        raise NotFound()
    if row.employee_id != viewer.employee_id and not viewer.has_role(Role.hr):
        raise NotPermitted()
    stamp = row.signed_at.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y%m%d-%H%M")
    name = f"receipt-{row.subject}-{row.subject_id}-{stamp}.pdf"
    kept = session.exec(select(SignatureReceipt).where(SignatureReceipt.signature_id == signature_id)).first()
    if kept is not None:
        return kept.pdf, name
    pdf = _render(row)
    kept = SignatureReceipt(signature_id=signature_id, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), created_at=now or datetime.now(UTC))
    session.add(kept)
    session.flush()
    audit.append(session, viewer, "signature.receipt_made", "signature", signature_id, after={"sha256": kept.sha256}, at=kept.created_at)
    return pdf, name


@dataclass(frozen=True)
class Check:
    key: str  # i18n key of what was checked
    ok: bool


@dataclass(frozen=True)
class Verification:
    found: bool
    ok: bool = False
    title_zh: str = ""
    title_en: str = ""
    signer: str = ""  # masked: 张*明
    signed_at: str = ""  # company time
    record_sha256: str = ""
    content_sha256: str = ""
    checks: tuple[Check, ...] = ()


def _mask(name: str) -> str:
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def verify(session: Session, token: str) -> Verification:
    """Whether the record behind a receipt's QR code still matches what was signed (public:
    the token is unguessable and the page shows a masked name, no contact details)."""
    if not token or len(token) > 32:
        return Verification(found=False)
    row = session.exec(select(Signature).where(Signature.verify_token == token)).first()
    if row is None:
        return Verification(found=False)
    loader = SUBJECTS.get(row.subject)
    document = loader(session, row.subject_id) if loader else None
    entry = session.exec(
        select(AuditEntry).where(
            AuditEntry.action == "signature.signed", AuditEntry.entity == "signature", AuditEntry.entity_id == str(row.id)
        )
    ).first()
    logged = json.loads(entry.after_json or "{}") if entry is not None else {}
    checks = (
        Check("verify.document", document is not None and hashlib.sha256(document.content).hexdigest() == row.content_sha256),
        Check("verify.record_check", rules.record_hash(_fields(row)) == row.record_sha256),
        Check("verify.image", hashlib.sha256(row.image).hexdigest() == row.image_sha256),
        Check("verify.audit", logged.get("record_sha256") == row.record_sha256),
    )
    kept = session.exec(select(SignatureReceipt).where(SignatureReceipt.signature_id == row.id)).first()
    if kept is not None:
        made = session.exec(
            select(AuditEntry).where(
                AuditEntry.action == "signature.receipt_made", AuditEntry.entity == "signature", AuditEntry.entity_id == str(row.id)
            )
        ).first()
        noted = json.loads(made.after_json or "{}").get("sha256") if made is not None else None
        checks += (Check("verify.receipt", hashlib.sha256(kept.pdf).hexdigest() == kept.sha256 == noted),)
    employee = session.get(Employee, row.employee_id)
    return Verification(
        found=True,
        ok=all(c.ok for c in checks),
        title_zh=document.title_zh if document else "",
        title_en=document.title_en if document else "",
        signer=_mask(employee.name if employee else ""),
        signed_at=row.signed_at.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M:%S"),
        record_sha256=row.record_sha256,
        content_sha256=row.content_sha256,
        checks=checks,
    )


@dataclass(frozen=True)
class SignedRow:
    id: int
    document: str
    signed_at: str
    receipt_url: str
    verify_url: str


def of_employee(session: Session, viewer: Actor, employee_id: int, now: datetime) -> list[SignedRow]:
    """Everything one person signed, newest first, with receipt links (the person and HR)."""
    if employee_id != viewer.employee_id and not viewer.has_role(Role.hr):
        raise NotPermitted()
    from selfservice.services import file_links

    rows = session.exec(select(Signature).where(Signature.employee_id == employee_id).order_by(Signature.id.desc())).all()  # type: ignore[union-attr]
    tz = ZoneInfo(get_settings().timezone)
    return [
        SignedRow(
            id=row.id,  # type: ignore[arg-type]
            document=row.document_en if viewer.language == "en" else row.document_zh,
            signed_at=row.signed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            receipt_url=file_links.link("receipt", row.id, viewer, now),  # type: ignore[arg-type]
            verify_url=f"/verify?t={row.verify_token}",
        )
        for row in rows
    ]
