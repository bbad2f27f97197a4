"""Policies (制度) and acknowledgement (确认函): drafts HR edits, versions frozen on publishing,
who is asked to sign, signing, reminders, and what the HR dashboard shows.

Publishing freezes the exact bytes of the body and their SHA-256 in an append-only row; an edit
afterwards is a draft until it is published as the next version, which asks the audience to
sign again. Anyone who joins an audience later (a new hire, a move to another department) is
asked to sign the current version by :func:`sync_audiences`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain import policies as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError, NotFound, NotPermitted, ValidationFailed
from selfservice.domain.notifications import ChannelName
from selfservice.persistence.models import Department, Employee, Policy, PolicyAssignment, PolicyVersion, Signature
from selfservice.services import audit, file_links, signatures
from selfservice.services.absence_streaks import local_today
from selfservice.services.attendance import local_text
from selfservice.services.notifications import configured_channels, notify_each
from selfservice.settings import get_settings

MAX_PDF_BYTES = 20 * 1024 * 1024
REMIND_FROM, REMIND_UNTIL = 9, 20  # local hours in which reminders go out
SUBJECT = "policy_version"


def _require_hr(actor: Actor) -> None:
    if not actor.has_role(Role.hr):
        raise NotPermitted()


def _channels(session: Session) -> list[str]:
    """Reminders go in-app and to WeCom and email when configured (SMS is kept for codes)."""
    enabled = configured_channels(session)
    return [c for c in (ChannelName.wecom.value, ChannelName.email.value) if c in enabled]


# ---- the signed document, for the verification page -----------------------------------------


def _document(session: Session, version_id: int) -> signatures.Document | None:
    version = session.get(PolicyVersion, version_id)
    if version is None:
        return None
    return signatures.Document(
        version.content, f"《{version.title_zh}》 版本 {version.number}", f"“{version.title_en}” version {version.number}"
    )


signatures.register_subject(SUBJECT, _document)


# ---- HR: drafts, versions, publishing -------------------------------------------------------


@dataclass(frozen=True)
class PolicyRow:
    id: int
    title: str
    version: int  # 0: never published
    changed: bool  # a draft differs from the published version
    requires_ack: bool
    deadline: str
    assigned: int
    signed: int


def _title(policy: Policy | PolicyVersion, language: str) -> str:
    return policy.title_en if language == "en" and policy.title_en else policy.title_zh


def _draft_content(policy: Policy) -> bytes:
    if policy.body_kind == rules.BodyKind.pdf:
        return policy.body_pdf or b""
    return policy.body_markdown.encode()


def _differs(policy: Policy, version: PolicyVersion | None) -> bool:
    if version is None:
        return True
    return rules.content_hash(_draft_content(policy)) != version.content_sha256 or (
        policy.title_zh,
        policy.title_en,
        policy.requires_ack,
        policy.deadline,
    ) != (version.title_zh, version.title_en, version.requires_ack, version.deadline)


def list_policies(session: Session, actor: Actor) -> list[PolicyRow]:
    _require_hr(actor)
    policies = session.exec(select(Policy).order_by(Policy.id)).all()
    versions = {
        v.id: v
        for v in session.exec(
            select(PolicyVersion).where(PolicyVersion.id.in_([p.current_version_id for p in policies if p.current_version_id]))
        ).all()
    }  # type: ignore[union-attr]
    counts = {
        v: (n, signed)
        for v, n, signed in session.exec(
            select(PolicyAssignment.version_id, sa.func.count(), sa.func.count(PolicyAssignment.signature_id)).group_by(
                PolicyAssignment.version_id
            )
        ).all()
    }
    rows = []
    for policy in policies:
        version = versions.get(policy.current_version_id)
        assigned, signed = counts.get(policy.current_version_id, (0, 0))
        rows.append(
            PolicyRow(
                id=policy.id,  # type: ignore[arg-type]
                title=_title(policy, actor.language),
                version=version.number if version else 0,
                changed=version is not None and _differs(policy, version),
                requires_ack=policy.requires_ack,
                deadline=policy.deadline.isoformat() if policy.deadline else "",
                assigned=assigned,
                signed=signed,
            )
        )
    return rows


@dataclass(frozen=True)
class VersionRow:
    id: int
    number: int
    published_at: str
    sha256: str
    kind: str


@dataclass(frozen=True)
class EditorView:
    id: int
    title_zh: str
    title_en: str
    body_kind: str
    body_markdown: str
    pdf_name: str
    audience: str
    audience_ids: list[int]
    requires_ack: bool
    deadline: str
    reminder_days: int
    versions: list[VersionRow]
    changed: bool
    diff: list[rules.DiffRow]


def editor(session: Session, actor: Actor, policy_id: int) -> EditorView:
    _require_hr(actor)
    policy = session.get(Policy, policy_id)
    if policy is None:
        raise NotFound()
    versions = session.exec(select(PolicyVersion).where(PolicyVersion.policy_id == policy_id).order_by(PolicyVersion.number.desc())).all()  # type: ignore[attr-defined]
    current = versions[0] if versions else None
    diff: list[rules.DiffRow] = []
    if current is not None and current.body_kind == rules.BodyKind.markdown and policy.body_kind == rules.BodyKind.markdown:
        old = current.content.decode()
        if old != policy.body_markdown:
            diff = rules.side_by_side(old, policy.body_markdown)
    return EditorView(
        id=policy_id,
        title_zh=policy.title_zh,
        title_en=policy.title_en,
        body_kind=policy.body_kind,
        body_markdown=policy.body_markdown,
        pdf_name=policy.body_pdf_name if policy.body_pdf else "",
        audience=policy.audience_kind,
        audience_ids=json.loads(policy.audience_json or "[]"),
        requires_ack=policy.requires_ack,
        deadline=policy.deadline.isoformat() if policy.deadline else "",
        reminder_days=policy.reminder_days,
        versions=[VersionRow(v.id, v.number, local_text(v.published_at), v.content_sha256, v.body_kind) for v in versions],  # type: ignore[arg-type]
        changed=_differs(policy, current),
        diff=diff,
    )


def _draft_of(raw: Mapping[str, Any]) -> rules.Draft:
    def text(key: str) -> str:
        return str(raw.get(key) or "")

    try:
        kind = rules.BodyKind(text("body_kind") or "markdown")
        audience = rules.Audience(text("audience") or "everyone")
    except ValueError:
        raise ValidationFailed("error.invalid") from None
    ids = raw.get("audience_ids") or []
    if not isinstance(ids, list | tuple) or not all(isinstance(i, int) for i in ids):
        raise ValidationFailed("error.invalid", field="audience")
    deadline = None
    if text("deadline"):
        try:
            deadline = date.fromisoformat(text("deadline"))
        except ValueError:
            raise ValidationFailed("field.date_format", field="deadline", value=text("deadline")[:20]) from None
    try:
        reminder_days = int(raw.get("reminder_days") or 3)
    except (TypeError, ValueError):
        raise ValidationFailed("policy.reminder_days_range", field="reminder_days") from None
    return rules.Draft(
        title_zh=text("title_zh").strip(),
        title_en=text("title_en").strip(),
        body_kind=kind,
        body_markdown=text("body_markdown").replace("\r\n", "\n"),
        audience=audience,
        audience_ids=tuple(dict.fromkeys(ids)),
        requires_ack=bool(raw.get("requires_ack", True)),
        deadline=deadline,
        reminder_days=reminder_days,
    )


def _check_audience_ids(session: Session, draft: rules.Draft) -> None:
    if draft.audience == rules.Audience.everyone or not draft.audience_ids:
        return
    model = Department if draft.audience == rules.Audience.departments else Employee
    found = session.exec(select(sa.func.count()).select_from(model).where(model.id.in_(draft.audience_ids))).one()  # type: ignore[attr-defined]
    if found != len(draft.audience_ids):
        raise ValidationFailed("policy.audience_unknown", field="audience")


def save_draft(session: Session, actor: Actor, policy_id: int | None, raw: Mapping[str, Any], now: datetime) -> int:
    """Create or change a draft. Everything is checked as for publishing except that the body may
    still be empty; a body with raw HTML or an unsafe link is never stored."""
    _require_hr(actor)
    draft = _draft_of(raw)
    policy = Policy(created_by=actor.employee_id or None, created_at=now) if policy_id is None else session.get(Policy, policy_id)
    if policy is None:
        raise NotFound()
    has_pdf = policy.body_pdf is not None
    try:
        rules.check_draft(draft, local_today(now), has_pdf=has_pdf)
    except ValidationFailed as error:
        if error.key not in ("policy.body_required", "policy.pdf_required"):
            raise
    _check_audience_ids(session, draft)
    before = {"title_zh": policy.title_zh, "audience": policy.audience_kind} if policy_id else None
    policy.title_zh, policy.title_en = draft.title_zh, draft.title_en
    policy.body_kind, policy.body_markdown = draft.body_kind.value, draft.body_markdown
    policy.audience_kind, policy.audience_json = draft.audience.value, json.dumps(list(draft.audience_ids))
    policy.requires_ack, policy.deadline, policy.reminder_days = draft.requires_ack, draft.deadline, draft.reminder_days
    policy.updated_at = now
    session.add(policy)
    session.flush()
    audit.append(
        session,
        actor,
        "policy.draft_saved",
        "policy",
        policy.id,
        before=before,
        after={
            "title_zh": policy.title_zh,
            "body_kind": policy.body_kind,
            "audience": policy.audience_kind,
            "ids": list(draft.audience_ids),
        },
        at=now,
    )
    return policy.id  # type: ignore[return-value]


def attach_pdf(session: Session, actor: Actor, policy_id: int, data: bytes, name: str, now: datetime) -> None:
    """Use an uploaded PDF as the draft's body (checked by its bytes, not its name)."""
    _require_hr(actor)
    policy = session.get(Policy, policy_id)
    if policy is None:
        raise NotFound()
    if len(data) > MAX_PDF_BYTES:
        raise ValidationFailed("attachment.too_large", field="body", name=name[:120], max_mb=MAX_PDF_BYTES // (1024 * 1024))
    rules.check_pdf(data)
    policy.body_pdf, policy.body_pdf_name, policy.body_kind, policy.updated_at = data, name.rsplit("/", 1)[-1][:120], "pdf", now
    session.add(policy)
    audit.append(
        session,
        actor,
        "policy.pdf_attached",
        "policy",
        policy_id,
        after={"name": policy.body_pdf_name, "sha256": rules.content_hash(data)},
        at=now,
    )


def audience_of(session: Session, policy: Policy) -> list[Employee]:
    """The active employees a policy is for, now."""
    query = select(Employee).where(Employee.status == "active")
    ids = json.loads(policy.audience_json or "[]")
    if policy.audience_kind == rules.Audience.departments:
        query = query.where(Employee.department_id.in_(ids))  # type: ignore[attr-defined]
    elif policy.audience_kind == rules.Audience.people:
        query = query.where(Employee.id.in_(ids))  # type: ignore[union-attr]
    return list(session.exec(query.order_by(Employee.id)).all())


def _due_text(due: date | None) -> tuple[str, str]:
    return (f"（请于{due.isoformat()}前完成）", f" by {due.isoformat()}") if due else ("", "")


def _assign(session: Session, actor: Actor | None, version: PolicyVersion, people: list[Employee], now: datetime) -> int:
    """Ask ``people`` to read (and sign) ``version``; one message each, in their language."""
    if not people:
        return 0
    due = rules.due_date(version.deadline, local_today(now))
    session.execute(  # one statement for the whole audience (thousands of ORM objects cost seconds)
        sa.insert(PolicyAssignment.__table__),  # type: ignore[attr-defined]
        [{"version_id": version.id, "employee_id": e.id, "assigned_at": now, "due_date": due, "last_reminded_at": now} for e in people],
    )
    due_zh, due_en = _due_text(due)
    params = {  # one dict for everyone: the message is rendered once per language
        "title_zh": version.title_zh,
        "title_en": version.title_en or version.title_zh,
        "number": str(version.number),
        "due_zh": due_zh,
        "due_en": due_en,
    }
    items = [(e.id, params, f"/policies/read?v={version.id}") for e in people]
    template = "policy.published" if version.requires_ack else "policy.published_fyi"
    notify_each(session, actor, items, "policy", template, _channels(session), now, requires_ack=False)  # type: ignore[arg-type]
    return len(people)


def publish(session: Session, actor: Actor, policy_id: int, now: datetime) -> int:
    """Freeze the draft as the next version and ask its audience to sign; returns its number."""
    _require_hr(actor)
    policy = session.get(Policy, policy_id)
    if policy is None:
        raise NotFound()
    draft = rules.Draft(
        title_zh=policy.title_zh,
        title_en=policy.title_en,
        body_kind=rules.BodyKind(policy.body_kind),
        body_markdown=policy.body_markdown,
        audience=rules.Audience(policy.audience_kind),
        audience_ids=tuple(json.loads(policy.audience_json or "[]")),
        requires_ack=policy.requires_ack,
        deadline=policy.deadline,
        reminder_days=policy.reminder_days,
    )
    rules.check_draft(draft, local_today(now), has_pdf=policy.body_pdf is not None)
    current = session.get(PolicyVersion, policy.current_version_id) if policy.current_version_id else None
    if current is not None and not _differs(policy, current):
        raise DomainError("policy.nothing_changed")
    people = audience_of(session, policy)
    if not people:
        raise ValidationFailed("policy.audience_empty", field="audience")
    content = _draft_content(policy)
    version = PolicyVersion(
        policy_id=policy_id,
        number=(current.number if current else 0) + 1,
        title_zh=policy.title_zh,
        title_en=policy.title_en,
        body_kind=policy.body_kind,
        content=content,
        content_sha256=rules.content_hash(content),
        file_name=policy.body_pdf_name if policy.body_kind == rules.BodyKind.pdf else "",
        requires_ack=policy.requires_ack,
        deadline=policy.deadline,
        published_at=now,
        published_by=actor.employee_id or None,
    )
    session.add(version)
    session.flush()
    policy.current_version_id = version.id
    session.add(policy)
    audit.append(
        session,
        actor,
        "policy.published",
        "policy_version",
        version.id,
        after={"policy_id": policy_id, "number": version.number, "sha256": version.content_sha256, "audience": len(people)},
        at=now,
    )
    _assign(session, actor, version, people, now)
    return version.number


def sync_audiences(session: Session, now: datetime) -> int:
    """Ask everyone who has joined a policy's audience since it was published (a new hire, a
    move) to sign the current version; returns how many were asked."""
    asked = 0
    for policy in session.exec(select(Policy).where(Policy.current_version_id.is_not(None))).all():  # type: ignore[union-attr]
        version = session.get(PolicyVersion, policy.current_version_id)
        if version is None:
            continue
        have = set(session.exec(select(PolicyAssignment.employee_id).where(PolicyAssignment.version_id == version.id)).all())
        missing = [e for e in audience_of(session, policy) if e.id not in have]
        if missing:
            asked += _assign(session, None, version, missing, now)
            audit.append(
                session, None, "policy.audience_joined", "policy_version", version.id, after={"employees": [e.id for e in missing]}, at=now
            )
    return asked


# ---- employees: what to read and sign, reading, signing ---------------------------------------


@dataclass(frozen=True)
class MineRow:
    version_id: int
    title: str
    number: int
    published: str
    due: str
    overdue: bool
    requires_ack: bool
    signed_at: str  # "" while unsigned
    signature_id: int


def _current_assignments(session: Session, employee_id: int) -> list[tuple[PolicyAssignment, PolicyVersion]]:
    return list(
        session.exec(
            select(PolicyAssignment, PolicyVersion)
            .join(PolicyVersion, PolicyVersion.id == PolicyAssignment.version_id)
            .join(Policy, Policy.current_version_id == PolicyVersion.id)
            .where(PolicyAssignment.employee_id == employee_id)
            .order_by(PolicyVersion.published_at.desc())  # type: ignore[attr-defined]
        ).all()
    )


def mine(session: Session, actor: Actor, now: datetime) -> list[MineRow]:
    """The current versions the actor is asked to read: unsigned first."""
    today = local_today(now)
    signed_at = {
        s.id: s.signed_at
        for s in session.exec(select(Signature).where(Signature.employee_id == actor.employee_id, Signature.subject == SUBJECT)).all()
    }
    rows = []
    for assignment, version in _current_assignments(session, actor.employee_id):
        rows.append(
            MineRow(
                version_id=version.id,  # type: ignore[arg-type]
                title=_title(version, actor.language),
                number=version.number,
                published=local_text(version.published_at)[:10],
                due=assignment.due_date.isoformat() if assignment.due_date else "",
                overdue=bool(
                    assignment.signature_id is None and version.requires_ack and assignment.due_date and assignment.due_date < today
                ),
                requires_ack=version.requires_ack,
                signed_at=local_text(signed_at.get(assignment.signature_id)) if assignment.signature_id else "",
                signature_id=assignment.signature_id or 0,
            )
        )
    return sorted(rows, key=lambda r: (not (r.requires_ack and not r.signed_at), not r.overdue))


def to_sign_count(session: Session, actor: Actor) -> int:
    return session.exec(
        select(sa.func.count())
        .select_from(PolicyAssignment)
        .join(PolicyVersion, PolicyVersion.id == PolicyAssignment.version_id)
        .join(Policy, Policy.current_version_id == PolicyVersion.id)
        .where(PolicyAssignment.employee_id == actor.employee_id, PolicyAssignment.signature_id.is_(None), PolicyVersion.requires_ack)  # type: ignore[union-attr]
    ).one()


@dataclass(frozen=True)
class ReadingView:
    version_id: int
    title: str
    number: int
    published: str
    kind: str
    html: str  # safe HTML of a Markdown body
    pdf_url: str  # signed link to a PDF body
    sha256: str
    statement: str
    requires_ack: bool
    latest: bool
    latest_id: int
    signed_at: str
    receipt_url: str
    verify_url: str
    due: str


def _assignment(session: Session, version_id: int, employee_id: int) -> PolicyAssignment | None:
    return session.exec(
        select(PolicyAssignment).where(PolicyAssignment.version_id == version_id, PolicyAssignment.employee_id == employee_id)
    ).first()


def _statement(version: PolicyVersion) -> str:
    return rules.statement(version.title_zh, version.title_en, version.number, local_today(version.published_at))


def reading(session: Session, actor: Actor, version_id: int, now: datetime) -> ReadingView:
    """Exactly the frozen version, for someone asked to read it (or HR)."""
    version = session.get(PolicyVersion, version_id)
    if version is None:
        raise NotFound()
    assignment = _assignment(session, version_id, actor.employee_id)
    if assignment is None and not actor.has_role(Role.hr):
        raise NotPermitted()
    policy = session.get(Policy, version.policy_id)
    signature = session.get(Signature, assignment.signature_id) if assignment and assignment.signature_id else None
    is_md = version.body_kind == rules.BodyKind.markdown
    return ReadingView(
        version_id=version_id,
        title=_title(version, actor.language),
        number=version.number,
        published=local_text(version.published_at)[:10],
        kind=version.body_kind,
        html=rules.render_markdown(version.content.decode()) if is_md else "",
        pdf_url="" if is_md else file_links.link("policy", version_id, actor, now),
        sha256=version.content_sha256,
        statement=_statement(version),
        requires_ack=version.requires_ack and assignment is not None,
        latest=policy is not None and policy.current_version_id == version_id,
        latest_id=(policy.current_version_id or 0) if policy else 0,
        signed_at=local_text(signature.signed_at) if signature else "",
        receipt_url=file_links.link("receipt", signature.id, actor, now) if signature else "",  # type: ignore[arg-type]
        verify_url=f"/verify?t={signature.verify_token}" if signature else "",
        due=assignment.due_date.isoformat() if assignment and assignment.due_date else "",
    )


def version_file(session: Session, viewer: Actor, version_id: int) -> tuple[bytes, str, str]:
    """A PDF body's bytes for the file route (same rule as :func:`reading`)."""
    version = session.get(PolicyVersion, version_id)
    if version is None or version.body_kind != rules.BodyKind.pdf:
        raise NotFound()
    if _assignment(session, version_id, viewer.employee_id) is None and not viewer.has_role(Role.hr):
        raise NotPermitted()
    return version.content, "application/pdf", version.file_name or f"policy-{version.policy_id}-v{version.number}.pdf"


def sign(session: Session, actor: Actor, version_id: int, typed_name: str, drawing: str, context: signatures.Context, now: datetime) -> int:
    """Sign the latest version of a policy one is asked to sign; returns the signature id."""
    version = session.get(PolicyVersion, version_id)
    if version is None:
        raise NotFound()
    assignment = _assignment(session, version_id, actor.employee_id)
    if assignment is None:
        raise NotPermitted("policy.not_in_audience")
    policy = session.get(Policy, version.policy_id)
    if policy is None or policy.current_version_id != version_id:
        raise DomainError("policy.not_latest")
    if not version.requires_ack:
        raise DomainError("policy.no_ack_needed")
    if assignment.signature_id is not None:
        raise DomainError("policy.already_signed")
    signature = signatures.sign(
        session,
        actor,
        subject=SUBJECT,
        subject_id=version_id,
        content_sha256=version.content_sha256,
        statement=_statement(version),
        typed_name=typed_name,
        drawing=drawing,
        context=context,
        now=now,
        heading=("制度确认回执", "Policy acknowledgement receipt"),
        document=(f"《{version.title_zh}》 版本 {version.number}", f"“{version.title_en or version.title_zh}” version {version.number}"),
    )
    assignment.signature_id = signature.id
    session.add(assignment)
    audit.append(
        session,
        actor,
        "policy.signed",
        "policy_version",
        version_id,
        after={"signature_id": signature.id, "sha256": version.content_sha256},
        at=now,
    )
    return signature.id  # type: ignore[return-value]


# ---- reminders -----------------------------------------------------------------------------


def _open_assignments(
    session: Session, version_ids: list[int] | None = None
) -> list[tuple[PolicyAssignment, PolicyVersion, Policy, Employee]]:
    query = (
        select(PolicyAssignment, PolicyVersion, Policy, Employee)
        .join(PolicyVersion, PolicyVersion.id == PolicyAssignment.version_id)
        .join(Policy, Policy.current_version_id == PolicyVersion.id)
        .join(Employee, Employee.id == PolicyAssignment.employee_id)
        .where(PolicyAssignment.signature_id.is_(None), PolicyVersion.requires_ack, Employee.status == "active")  # type: ignore[union-attr]
    )
    if version_ids is not None:
        query = query.where(PolicyVersion.id.in_(version_ids))  # type: ignore[union-attr]
    return list(session.exec(query.order_by(PolicyAssignment.id)).all())


def _params(version: PolicyVersion, due: date | None) -> dict[str, str]:
    due_zh, due_en = _due_text(due)
    return {
        "title_zh": version.title_zh,
        "title_en": version.title_en or version.title_zh,
        "number": str(version.number),
        "due_zh": due_zh,
        "due_en": due_en,
    }


def remind_due(session: Session, now: datetime) -> dict[str, int]:
    """Every N days (the policy's setting) until signed, and once on the deadline to the
    employee and their manager. Run by the scheduler; each message is in the outbox."""
    today = local_today(now)
    if not REMIND_FROM <= now.astimezone(ZoneInfo(get_settings().timezone)).hour < REMIND_UNTIL:
        return {"reminded": 0, "overdue": 0, "managers": 0}  # nobody is woken at night: the next run in the day sends them
    reminders, overdue, managers = [], [], []
    for assignment, version, policy, employee in _open_assignments(session):
        last = assignment.last_reminded_at or assignment.assigned_at
        if assignment.due_date is not None and assignment.due_date < today and assignment.deadline_notice_at is None:
            due_zh, due_en = assignment.due_date.isoformat(), assignment.due_date.isoformat()
            params = {**_params(version, None), "due_zh": due_zh, "due_en": due_en}
            overdue.append((employee.id, params, f"/policies/read?v={version.id}"))
            if employee.manager_id:
                managers.append((employee.manager_id, {**params, "name": employee.name, "employee_no": employee.employee_no}, ""))
            assignment.deadline_notice_at = now
            assignment.last_reminded_at = now
            session.add(assignment)
        elif last <= now - timedelta(days=policy.reminder_days):
            reminders.append((employee.id, _params(version, assignment.due_date), f"/policies/read?v={version.id}"))
            assignment.last_reminded_at = now
            session.add(assignment)
    channels = _channels(session)
    active_managers = (
        set(session.exec(select(Employee.id).where(Employee.id.in_([m for m, _, _ in managers]), Employee.status == "active")).all())
        if managers
        else set()
    )  # type: ignore[union-attr]
    managers = [m for m in managers if m[0] in active_managers]
    notify_each(session, None, reminders, "policy", "policy.reminder", channels, now)
    notify_each(session, None, overdue, "policy", "policy.overdue", channels, now)
    notify_each(session, None, managers, "policy", "policy.overdue_manager", channels, now)
    entries = [("policy.reminded", "employee", r[0], {"overdue": False}) for r in reminders] + [
        ("policy.overdue_notified", "employee", r[0], {"managers": len(managers)}) for r in overdue
    ]
    audit.append_many(session, None, entries, at=now)
    return {"reminded": len(reminders), "overdue": len(overdue), "managers": len(managers)}


def remind_now(session: Session, actor: Actor, version_id: int, employee_ids: list[int], now: datetime) -> int:
    """HR's "remind now" on the dashboard, for unsigned people of one version (audited)."""
    _require_hr(actor)
    open_rows = [row for row in _open_assignments(session, [version_id]) if not employee_ids or row[3].id in set(employee_ids)]
    items = []
    for assignment, version, _policy, employee in open_rows:
        items.append((employee.id, _params(version, assignment.due_date), f"/policies/read?v={version.id}"))
        assignment.last_reminded_at = now
        session.add(assignment)
    notify_each(session, actor, items, "policy", "policy.reminder", _channels(session), now)  # type: ignore[arg-type]
    audit.append(session, actor, "policy.reminded_by_hr", "policy_version", version_id, after={"employees": [i[0] for i in items]}, at=now)
    return len(items)


# ---- the HR dashboard ------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusRow:
    version_id: int
    title: str
    number: int
    department: str
    signed: int
    unsigned: int
    overdue: int


def status_by_department(session: Session, actor: Actor, now: datetime) -> list[StatusRow]:
    """Per current version that needs signing, per department: signed / unsigned / overdue."""
    _require_hr(actor)
    today = local_today(now)
    overdue = sa.and_(PolicyAssignment.signature_id.is_(None), PolicyAssignment.due_date < today)  # type: ignore[union-attr, operator]
    rows = session.exec(
        select(
            PolicyVersion.id,
            PolicyVersion.title_zh,
            PolicyVersion.title_en,
            PolicyVersion.number,
            Department.name,
            Department.name_en,
            sa.func.count(PolicyAssignment.signature_id),
            sa.func.sum(sa.case((PolicyAssignment.signature_id.is_(None), 1), else_=0)),  # type: ignore[union-attr]
            sa.func.sum(sa.case((overdue, 1), else_=0)),
        )
        .join(Policy, Policy.current_version_id == PolicyVersion.id)
        .join(PolicyAssignment, PolicyAssignment.version_id == PolicyVersion.id)
        .join(Employee, Employee.id == PolicyAssignment.employee_id)
        .join(Department, Department.id == Employee.department_id)
        .where(PolicyVersion.requires_ack, Employee.status == "active")
        .group_by(
            PolicyVersion.id, PolicyVersion.title_zh, PolicyVersion.title_en, PolicyVersion.number, Department.name, Department.name_en
        )
        .order_by(PolicyVersion.id, Department.name)
    ).all()
    en = actor.language == "en"
    return [
        StatusRow(vid, (te or tz) if en else tz, n, (de or dz) if en else dz, int(s or 0), int(u or 0), int(o or 0))
        for vid, tz, te, n, dz, de, s, u, o in rows
    ]


@dataclass(frozen=True)
class UnsignedRow:
    version_id: int
    employee_id: int
    employee_no: str
    name: str
    department: str
    policy: str
    due: str
    overdue: bool
    last_reminded: str


def unsigned(session: Session, actor: Actor, now: datetime, limit: int = 500) -> list[UnsignedRow]:
    """Who has not signed a current version, overdue first."""
    _require_hr(actor)
    today = local_today(now)
    departments = {d.id: d for d in session.exec(select(Department)).all()}
    en = actor.language == "en"
    rows = []
    for assignment, version, _policy, employee in _open_assignments(session):
        department = departments.get(employee.department_id)
        rows.append(
            UnsignedRow(
                version_id=version.id,  # type: ignore[arg-type]
                employee_id=employee.id,  # type: ignore[arg-type]
                employee_no=employee.employee_no,
                name=employee.name,
                department=((department.name_en or department.name) if en else department.name) if department else "",
                policy=f"{_title(version, actor.language)} v{version.number}",
                due=assignment.due_date.isoformat() if assignment.due_date else "",
                overdue=bool(assignment.due_date and assignment.due_date < today),
                last_reminded=local_text(assignment.last_reminded_at),
            )
        )
    rows.sort(key=lambda r: (not r.overdue, r.due or "9999", r.department, r.employee_no))
    return rows[:limit]
