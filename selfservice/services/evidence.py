"""Exporting a case's evidence bundle (证据包): gather everything an arbitrator needs, sign it,
keep it, and hand it out to HR. The bundle's format and its offline check are in
:mod:`selfservice.documents.evidence`.

Every export takes an audit checkpoint first (its signed head goes into the manifest), writes the
bundle once into the file store and records it in the append-only ``evidence_export`` table.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.documents import evidence as bundle_format
from selfservice.documents import signing
from selfservice.documents import timeline as timeline_pdf
from selfservice.domain import cases as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import NotFound, NotPermitted, ValidationFailed
from selfservice.i18n import t
from selfservice.persistence.models import (
    AbsenceAction,
    AbsenceCase,
    AbsenceNote,
    AbsenceStreak,
    AuditEntry,
    CaseEvent,
    CaseNotice,
    DeliveryAttempt,
    Department,
    Employee,
    EvidenceExport,
    NotificationDelivery,
    NotificationMessage,
    PolicyVersion,
    ServiceConfirmation,
    Signature,
)
from selfservice.services import (
    attendance,
    audit,
    case_timeline,
    cases,
    checkpoints,
    company_key,
    contacts,
    dashboard,
    leave_requests,
    signatures,
)
from selfservice.settings import get_settings

LANGUAGES = ("zh-CN", "en")


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _messages(session: Session, message_ids: list[int]) -> list[dict]:
    """Each message with every channel's exact text, hash, provider id, delivery report, read
    time, and the providers' raw answers attempt by attempt."""
    if not message_ids:
        return []
    deliveries = session.exec(select(NotificationDelivery).where(NotificationDelivery.message_id.in_(message_ids))).all()  # type: ignore[attr-defined]
    attempts: dict[int, list[dict]] = {}
    delivery_ids = [d.id for d in deliveries]
    if delivery_ids:
        for a in session.exec(
            select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(delivery_ids)).order_by(DeliveryAttempt.id)
        ).all():  # type: ignore[attr-defined,arg-type]
            attempts.setdefault(a.delivery_id, []).append(
                {"at": _iso(a.at), "outcome": a.outcome, "http_status": a.http_status, "provider_response": a.response, "error": a.error}
            )
    by_message: dict[int, list[dict]] = {}
    for d in deliveries:
        by_message.setdefault(d.message_id, []).append(
            {
                "channel": d.channel,
                "address": d.address,
                "status": d.status,
                "text_sent": d.text_sent,
                "text_sha256": d.text_sha256,
                "provider_message_id": d.provider_message_id,
                "sent_at": _iso(d.sent_at),
                "delivered_at": _iso(d.delivered_at),
                "read_at": _iso(d.read_at),
                "last_error": d.last_error,
                "attempts": attempts.get(d.id, []),  # type: ignore[arg-type]
            }
        )
    return [
        {
            "message_id": m.id,
            "kind": m.kind,
            "title": m.title,
            "body": m.body,
            "language": m.language,
            "created_at": _iso(m.created_at),
            "read_at": _iso(m.read_at),
            "read_via": m.read_via,
            "acknowledged_at": _iso(m.acknowledged_at),
            "deliveries": by_message.get(m.id, []),  # type: ignore[arg-type]
        }
        for m in session.exec(
            select(NotificationMessage).where(NotificationMessage.id.in_(message_ids)).order_by(NotificationMessage.id)
        ).all()  # type: ignore[attr-defined,arg-type]
    ]


def _attendance_xlsx(session: Session, actor: Actor, row: AbsenceCase, lang: str, now: datetime) -> bytes:
    """The attendance table for the period, written like every export (people's text that looks
    like a formula stays text)."""
    first = row.first_missing - timedelta(days=30)
    last = min(cases.approvals.local_today(now), row.first_missing + timedelta(days=90))
    view = attendance.month(session, actor, row.employee_id, first, last, now)
    headers = (
        ["日期", "日别", "结果", "缺勤", "请假", "打卡"] if lang == "zh-CN" else ["Date", "Day", "Outcome", "Missing", "Leave", "Punches"]
    )
    rows = [
        [
            day.day.isoformat(),
            t(lang, f"attendance.kind.{day.kind}"),
            t(lang, f"attendance.outcome.{day.outcome}"),
            day.missing,
            day.leave_type,
            "  ".join(f"{p.time}{' ×' if p.voided else ''} {p.source}" for p in day.punches),
        ]
        for day in view.days
    ]
    footer = f"{view.name} ({view.employee_no}) {view.department} · {first} — {last}"
    return dashboard.xlsx("考勤" if lang == "zh-CN" else "Attendance", headers, rows, footer)


def _audit_entries(session: Session, wanted: set[tuple[str, str]]) -> bytes:
    """The case's audit entries as stored (each with its hash and the hash before it), one JSON
    object per line."""
    lines = []
    by_entity: dict[str, set[str]] = {}
    for entity, entity_id in wanted:
        by_entity.setdefault(entity, set()).add(entity_id)
    clauses = [sa.and_(AuditEntry.entity == entity, AuditEntry.entity_id.in_(ids)) for entity, ids in by_entity.items()]  # type: ignore[attr-defined]
    if clauses:
        for e in session.exec(select(AuditEntry).where(sa.or_(*clauses)).order_by(AuditEntry.seq)).all():  # type: ignore[arg-type]
            lines.append(
                json.dumps(
                    {
                        "seq": e.seq,
                        "at": _iso(e.at),
                        "actor": e.actor,
                        "action": e.action,
                        "entity": e.entity,
                        "entity_id": e.entity_id,
                        "before": e.before_json,
                        "after": e.after_json,
                        "prev_hash": e.prev_hash,
                        "hash": e.hash,
                    },
                    ensure_ascii=False,
                    sort_keys=True,
                )
            )
    return ("\n".join(lines) + "\n").encode()


FILE_NOTES = {
    "01-timeline": ("本目录（时间线、案件概要）", "this index (timeline, case summary)"),
    "02-notices": (
        "通知书，与发送时逐字节一致，另加公司电子签名",
        "the notices, byte for byte as sent, with the company's signature added",
    ),
    "03-deliveries.json": (
        "每条消息在每个渠道的原文、哈希、回执编号、送达与阅读时间、服务商原始回复",
        "each message's text, hash, provider id, delivery and read times and raw provider answers per channel",
    ),
    "04-handbook": ("员工签收的规章制度版本及签收回执", "the handbook version the employee signed and the signature receipt"),
    "05-address-for-service": (
        "送达地址确认书回执与联系方式变更记录",
        "the address-for-service confirmation receipt and the contact change history",
    ),
    "06-attendance.xlsx": ("期间考勤表", "the attendance table for the period"),
    "07-reminders.json": ("缺勤提醒、转交与跟进记录", "absence reminders, forwards and follow-ups"),
    "08-audit.jsonl": ("本案相关的审计日志条目（含哈希链）", "the case's audit log entries (with the hash chain)"),
    "09-files": ("通话录音、邮寄回执照片、工会文件等附件", "call recordings, posting receipts, union letters"),
}


def _note(path: str, lang: str) -> str:
    for prefix, (zh, en) in FILE_NOTES.items():
        if path.startswith(prefix):
            return zh if lang == "zh-CN" else en
    return ""


def export(session: Session, actor: Actor, case_id: int, now: datetime, english: bool = False) -> int:
    """Build, sign and keep the case's bundle; returns the export's id."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    row = cases.visible(session, actor, case_id)
    settings = get_settings()
    checkpoint = checkpoints.take(session, "export", now)  # first: it signs what is committed
    pair = company_key.pair(session, now)
    employee = session.get(Employee, row.employee_id)
    assert employee is not None
    department = session.get(Department, employee.department_id)
    builder = bundle_format.Builder(row.number, now)
    wanted: set[tuple[str, str]] = {("absence_case", str(row.id)), ("employee", str(employee.id))}

    notices = list(session.exec(select(CaseNotice).where(CaseNotice.case_id == row.id).order_by(CaseNotice.id)).all())  # type: ignore[arg-type]
    for notice in notices:
        builder.add(
            f"02-notices/{notice.number}.pdf", signing.sign_pdf(notice.pdf, pair, f"{row.number} {notice.number}", settings.tsa_url)
        )
    streak = session.get(AbsenceStreak, row.streak_id) if row.streak_id else None
    actions = list(session.exec(select(AbsenceAction).where(AbsenceAction.streak_id == streak.id)).all()) if streak else []  # type: ignore[union-attr]
    events = list(session.exec(select(CaseEvent).where(CaseEvent.case_id == row.id).order_by(CaseEvent.id)).all())  # type: ignore[arg-type]
    message_ids = [m for a in actions for m in json.loads(a.message_ids or "[]")] + [n.message_id for n in notices if n.message_id]
    message_ids += [int(json.loads(e.details_json).get("message_id")) for e in events if json.loads(e.details_json).get("message_id")]
    builder.add("03-deliveries.json", _json({"case": row.number, "messages": _messages(session, message_ids)}))
    wanted |= {("notification_message", str(m)) for m in message_ids}

    rule, version_id = cases.cited_rule(session, row.employee_id)
    if version_id is not None:
        version = session.get(PolicyVersion, version_id)
        assert version is not None
        extension = "pdf" if version.body_kind == "pdf" else "md"
        builder.add(f"04-handbook/{version.title_zh}-v{version.number}.{extension}", version.content)
        wanted.add(("policy_version", str(version.id)))
        signed = session.exec(
            select(Signature).where(
                Signature.subject == "policy_version", Signature.subject_id == version.id, Signature.employee_id == employee.id
            )
        ).first()
        if signed is not None:
            receipt, _ = signatures.receipt(session, actor, signed.id, now)  # type: ignore[arg-type]
            builder.add("04-handbook/signature-receipt.pdf", receipt)
            wanted.add(("signature", str(signed.id)))
    confirmation = session.exec(
        select(ServiceConfirmation).where(ServiceConfirmation.employee_id == employee.id).order_by(ServiceConfirmation.number.desc())  # type: ignore[attr-defined]
    ).first()
    if confirmation is not None:
        signed = session.exec(
            select(Signature).where(Signature.subject == "service_address", Signature.subject_id == confirmation.id)
        ).first()
        if signed is not None:
            receipt, _ = signatures.receipt(session, actor, signed.id, now)  # type: ignore[arg-type]
            builder.add("05-address-for-service/confirmation-receipt.pdf", receipt)
            wanted.add(("signature", str(signed.id)))
        builder.add(
            "05-address-for-service/confirmation.json",
            _json(
                {
                    "number": confirmation.number,
                    "channels": confirmation.channels.split(","),
                    "confirmed_at": _iso(confirmation.confirmed_at),
                    "details": json.loads(confirmation.snapshot_json),
                }
            ),
        )
    builder.add(
        "05-address-for-service/contact-history.json", _json([dataclasses.asdict(c) for c in contacts.history(session, actor, employee.id)])
    )  # type: ignore[arg-type]
    builder.add("06-attendance.xlsx", _attendance_xlsx(session, actor, row, "zh-CN", now))
    if streak is not None:
        notes = session.exec(select(AbsenceNote).where(AbsenceNote.streak_id == streak.id).order_by(AbsenceNote.id)).all()  # type: ignore[arg-type]
        builder.add(
            "07-reminders.json",
            _json(
                {
                    "streak": {
                        "start": streak.start_date,
                        "last": streak.last_date,
                        "days": streak.days,
                        "dates": json.loads(streak.dates_json),
                        "status": streak.status,
                    },
                    "actions": [
                        {
                            "rule": a.rule,
                            "created_at": _iso(a.created_at),
                            "channels": a.channels,
                            "message_ids": json.loads(a.message_ids),
                            "status": a.status,
                            "due_at": _iso(a.due_at),
                            "resolved_at": _iso(a.resolved_at),
                        }
                        for a in actions
                    ],
                    "notes": [{"kind": n.kind, "text": n.text, "author_id": n.author_id, "at": _iso(n.created_at)} for n in notes],
                }
            ),
        )
        wanted.add(("absence_streak", str(streak.id)))
    for event in events:
        if event.file_sha256:
            name = (event.file_name or event.file_sha256[:12]).replace("/", "_")
            builder.add(f"09-files/{event.id}-{name}", leave_requests.stored_bytes(event.file_sha256))
    if row.approval_id:
        wanted.add(("approval_instance", str(row.approval_id)))
    if row.separation_id:
        wanted.add(("separation", str(row.separation_id)))
    audit.append(session, actor, "case.evidence_exported", "absence_case", row.id, after={"checkpoint_seq": checkpoint.seq}, at=now)
    builder.add("08-audit.jsonl", _audit_entries(session, wanted))

    zone = case_timeline.tz()
    all_entries = case_timeline.entries(session, row)
    for lang in ("zh-CN", "en") if english else ("zh-CN",):
        files = [(p, _note(p, lang)) for p in sorted([*builder.files, f"01-timeline/timeline-{lang}.pdf"])]
        summary = _summary(session, row, employee, department, lang, now)
        lines = [timeline_pdf.Line(e.at, *case_timeline.describe(e, lang), whole_day=e.kind == "missing") for e in all_entries]
        employee_line = (
            f"{employee.name}（工号 {employee.employee_no}，{department.name if department else ''}）"
            if lang == "zh-CN"
            else f"{employee.name_en or employee.name} (No. {employee.employee_no}, {(department.name_en or department.name) if department else ''})"
        )
        pdf = timeline_pdf.render(
            timeline_pdf.TimelineData(
                lang, settings.company_name, row.number, employee_line, summary, lines, files, now, pair.fingerprint, zone
            )
        )
        builder.add(f"01-timeline/timeline-{lang}.pdf", signing.sign_pdf(pdf, pair, row.number, settings.tsa_url))
    data = builder.seal(pair, checkpoints.as_json(checkpoint), settings.tsa_url)
    digest = leave_requests.store_raw(data)
    name = f"{row.number}-evidence-{now.astimezone(zone):%Y%m%d-%H%M}.zip"
    kept = EvidenceExport(
        case_id=row.id,  # type: ignore[arg-type]
        sha256=digest,
        size=len(data),
        file_name=name,
        languages="zh-CN,en" if english else "zh-CN",
        checkpoint_id=checkpoint.id,
        created_at=now,
        created_by=actor.employee_id,
    )
    session.add(kept)
    session.flush()
    audit.append(
        session,
        actor,
        "evidence.stored",
        "evidence_export",
        kept.id,
        after={"case_id": row.id, "sha256": digest, "size": len(data)},
        at=now,
    )
    return kept.id  # type: ignore[return-value]


def _summary(
    session: Session, row: AbsenceCase, employee: Employee, department: Department | None, lang: str, now: datetime
) -> list[tuple[str, str]]:
    zone = case_timeline.tz()
    rule, _ = cases.cited_rule(session, row.employee_id)
    days = cases.missing_days(session, row)
    zh = lang == "zh-CN"
    items = [
        ("案件编号" if zh else "Case", row.number),
        (
            "员工" if zh else "Employee",
            f"{employee.name} · {employee.employee_no} · {department.name if department else ''} · {employee.position}",
        ),
        ("当前阶段" if zh else "Stage", t(lang, f"case.stage.{row.stage}")),
        ("缺勤工作日" if zh else "Working days absent", f"{len(days)}: " + ", ".join(d.isoformat() for d in days)),
        ("立案时间" if zh else "Opened", f"{row.opened_at.astimezone(zone):%Y-%m-%d %H:%M}"),
        ("返岗期限" if zh else "Return deadline", rules.deadline_text(row.deadline_at, zone) if row.deadline_at else "—"),
        (
            "引用的规章制度" if zh else "Rule cited",
            (
                f"《{rule.title}》v{rule.version} SHA-256 {rule.sha256}\n"
                + (
                    f"{'签收' if zh else 'signed'} {rule.signed_at.astimezone(zone):%Y-%m-%d %H:%M}"
                    if rule.signed_at
                    else ("未签收" if zh else "not signed")
                )
                + (f"\n“{rule.text}”" if rule.text else "")
            )
            if rule
            else "—",
        ),
        ("结果" if zh else "Outcome", case_timeline.outcome_text(row.outcome, lang) or "—"),
    ]
    return items


@dataclasses.dataclass(frozen=True)
class ExportRow:
    id: int
    file_name: str
    size: int
    sha256: str
    created_at: datetime


def exports(session: Session, actor: Actor, case_id: int) -> list[ExportRow]:
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    cases.visible(session, actor, case_id)
    return [
        ExportRow(e.id, e.file_name, e.size, e.sha256, e.created_at)  # type: ignore[arg-type]
        for e in session.exec(select(EvidenceExport).where(EvidenceExport.case_id == case_id).order_by(EvidenceExport.id.desc())).all()  # type: ignore[union-attr]
    ]


def bundle_file(session: Session, viewer: Actor, export_id: int) -> tuple[bytes, str, str]:
    """A kept bundle for the file route: HR only."""
    if not viewer.has_role(Role.hr):
        raise NotPermitted()
    kept = session.get(EvidenceExport, export_id)
    if kept is None:
        raise NotFound()
    return leave_requests.stored_bytes(kept.sha256), "application/zip", kept.file_name


def by_number(session: Session, number: str) -> AbsenceCase:
    row = session.exec(select(AbsenceCase).where(AbsenceCase.number == number.strip())).first()
    if row is None:
        raise ValidationFailed("case.unknown", field="case")
    return row


def verify(data: bytes, trusted_pems: list[bytes] | None = None) -> bundle_format.Report:
    trusted = [signing.load_certificate(p) for p in trusted_pems] if trusted_pems else None
    return bundle_format.verify(data, trusted)
