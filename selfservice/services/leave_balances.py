"""Leave types and balances (假期余额). Balances are sums of the append-only ledger."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain import leave as rules
from selfservice.domain import leave_law as law
from selfservice.domain import separation as sep
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import NotFound, NotPermitted, ValidationFailed
from selfservice.persistence.models import Employee, LeaveLedgerEntry, LeaveType
from selfservice.persistence.reference import reference_data
from selfservice.services import audit


def rule_of(row: LeaveType) -> rules.LeaveTypeRule:
    return rules.LeaveTypeRule(
        row.code,
        row.name,
        row.name_en,
        row.paid,
        row.half_day,
        row.yearly_quota,
        row.carry_over_cap,
        row.attachment_over_days,
        row.hr_must_approve,
        row.allow_negative,
        row.kind,
        row.counting,
        row.per_event_days,
        row.proof,
        row.proof_en,
    )


def ensure_default_types(session: Session) -> int:
    """Create 年假 / 病假 / 事假 when no leave type exists yet; returns how many were added."""
    if session.exec(select(LeaveType).limit(1)).first() is not None:
        return 0
    for rule in rules.DEFAULT_TYPES:
        session.add(
            LeaveType(
                code=rule.code,
                name=rule.name,
                name_en=rule.name_en,
                paid=rule.paid,
                half_day=rule.half_day,
                yearly_quota=rule.yearly_quota,
                carry_over_cap=rule.carry_over_cap,
                attachment_over_days=rule.attachment_over_days,
                hr_must_approve=rule.hr_must_approve,
                kind=rule.kind,
                proof=rule.proof,
                proof_en=rule.proof_en,
            )
        )
    session.flush()
    return len(rules.DEFAULT_TYPES)


def leave_types(session: Session) -> list[rules.LeaveTypeRule]:
    """The active leave types, by code."""
    return list(_active_types(session))


@reference_data
def _active_types(session: Session) -> tuple[rules.LeaveTypeRule, ...]:
    return tuple(rule_of(t) for t in session.exec(select(LeaveType).where(LeaveType.active == True).order_by(LeaveType.code)).all())  # noqa: E712


@reference_data
def type_names(session: Session) -> Mapping[str, tuple[str, str]]:
    """Every leave type's names (inactive ones too: old requests still name them), by code."""
    return MappingProxyType(
        {code: (name, name_en) for code, name, name_en in session.exec(select(LeaveType.code, LeaveType.name, LeaveType.name_en)).all()}
    )


@reference_data
def countings(session: Session) -> Mapping[str, str]:
    """How each leave type counts its days (working or calendar), inactive types too."""
    return MappingProxyType(dict(session.exec(select(LeaveType.code, LeaveType.counting)).all()))


def balance_of(session: Session, employee_id: int, leave_type: str, year: int) -> Decimal:
    total = session.exec(
        select(sa.func.coalesce(sa.func.sum(LeaveLedgerEntry.days), 0)).where(
            LeaveLedgerEntry.employee_id == employee_id, LeaveLedgerEntry.leave_type == leave_type, LeaveLedgerEntry.year == year
        )
    ).one()
    return Decimal(str(total))


def entitled(leave_type: LeaveType, employee: Employee, year: int) -> Decimal:
    """The days ``employee`` is granted of ``leave_type`` for ``year``: the statutory annual leave
    from their working years (pro-rated), childcare leave per child under 3, else the flat quota."""
    if leave_type.kind == law.Kind.annual:
        return Decimal(law.annual_entitlement(year, employee.hire_date, employee.work_start_date).days)
    if leave_type.kind == law.Kind.childcare:
        return (leave_type.yearly_quota or Decimal(0)) * law.children_under_age(_births(employee), year)
    return leave_type.yearly_quota or Decimal(0)


def _births(employee: Employee) -> list:
    try:
        return law.parse_births(employee.child_births)
    except ValidationFailed:
        return []


# Entitlements that follow the employee's record are recomputed when it changes.
_FOLLOWS_RECORD = (law.Kind.annual, law.Kind.childcare)


def accrue_year(session: Session, actor: Actor, year: int, now: datetime, employee_ids: list[int] | None = None) -> int:
    """Grant ``year``'s days to every active employee (or to ``employee_ids``), carrying over last
    year's unused days up to the cap and letting the rest expire. Idempotent: it runs every night
    so that new joiners get their pro-rated days; statutory annual and childcare leave are topped
    up (or reduced) when the record they are computed from changed. Returns the entries written."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    rows: list[LeaveLedgerEntry] = []
    quota_types = [t for t in session.exec(select(LeaveType).where(LeaveType.active == True, LeaveType.yearly_quota.is_not(None))).all()]  # type: ignore[union-attr]  # noqa: E712
    query = select(Employee).where(Employee.status == "active")
    if employee_ids is not None:
        query = query.where(Employee.id.in_(employee_ids))  # type: ignore[union-attr]
    people = session.exec(query).all()
    for leave_type in quota_types:
        granted: dict[int, Decimal] = {}
        for employee_id, days in session.exec(
            select(LeaveLedgerEntry.employee_id, LeaveLedgerEntry.days).where(
                LeaveLedgerEntry.leave_type == leave_type.code,
                LeaveLedgerEntry.year == year,
                LeaveLedgerEntry.kind == rules.LedgerKind.accrual,
            )
        ).all():
            granted[employee_id] = granted.get(employee_id, Decimal(0)) + Decimal(days)
        carried = set(
            session.exec(
                select(LeaveLedgerEntry.employee_id).where(
                    LeaveLedgerEntry.leave_type == leave_type.code,
                    LeaveLedgerEntry.year == year - 1,
                    LeaveLedgerEntry.kind.in_([rules.LedgerKind.carry_over, rules.LedgerKind.expiry]),  # type: ignore[attr-defined]
                    LeaveLedgerEntry.note.in_([f"to {year}", f"lapsed at the start of {year}"]),  # type: ignore[attr-defined]
                )
            ).all()
        )
        last_year = {  # every employee's balance of last year, in one query
            employee_id: Decimal(str(total))
            for employee_id, total in session.exec(
                select(LeaveLedgerEntry.employee_id, sa.func.sum(LeaveLedgerEntry.days))
                .where(LeaveLedgerEntry.leave_type == leave_type.code, LeaveLedgerEntry.year == year - 1)
                .group_by(LeaveLedgerEntry.employee_id)
            ).all()
        }
        for employee in people:
            employee_id = employee.id
            assert employee_id is not None
            entries = []
            target = entitled(leave_type, employee, year)
            so_far = granted.get(employee_id)
            if so_far is None or (leave_type.kind in _FOLLOWS_RECORD and so_far != target):
                if so_far is None and target == 0:
                    pass  # nothing to grant yet (under a year of work, no child under 3)
                else:
                    entries.append(
                        LeaveLedgerEntry(
                            employee_id=employee_id,
                            leave_type=leave_type.code,
                            year=year,
                            kind=rules.LedgerKind.accrual,
                            days=target - (so_far or 0),
                            note=f"{year} quota"
                            if so_far is None
                            else f"{year} recomputed: {so_far.normalize():f} → {target.normalize():f}",
                            created_at=now,
                            created_by=actor.account_id or None,
                        )
                    )  # type: ignore[arg-type]
            if employee_id in last_year and employee_id not in carried:
                unused = last_year[employee_id]
                kept = rules.carry_over(unused, leave_type.carry_over_cap)
                if kept:  # a transfer: out of last year, into this one
                    for entry_year, amount, note in ((year - 1, -kept, f"to {year}"), (year, kept, f"from {year - 1}")):
                        entries.append(
                            LeaveLedgerEntry(
                                employee_id=employee_id,
                                leave_type=leave_type.code,
                                year=entry_year,
                                kind=rules.LedgerKind.carry_over,
                                days=amount,
                                note=note,
                                created_at=now,
                                created_by=actor.account_id or None,
                            )
                        )
                if unused - kept > 0:
                    entries.append(
                        LeaveLedgerEntry(
                            employee_id=employee_id,
                            leave_type=leave_type.code,
                            year=year - 1,
                            kind=rules.LedgerKind.expiry,
                            days=-(unused - kept),
                            note=f"lapsed at the start of {year}",
                            created_at=now,
                            created_by=actor.account_id or None,
                        )
                    )  # type: ignore[arg-type]
            rows.extend(entries)
    if rows:  # Core INSERT: building thousands of ORM objects costs more than the statement
        session.execute(
            sa.insert(LeaveLedgerEntry.__table__),  # type: ignore[attr-defined]
            [e.model_dump(exclude={"id"}) for e in rows],
        )
    written = len(rows)
    session.flush()
    if written:
        audit.append(session, actor, "leave.accrued", "leave_ledger", year, after={"entries": written}, at=now)
    return written


def adjust(session: Session, actor: Actor, employee_id: int, leave_type: str, year: int, days: str, note: str, now: datetime) -> None:
    """HR corrects a balance with a new ledger entry and a reason (nothing is overwritten)."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    if session.get(Employee, employee_id) is None or session.get(LeaveType, leave_type) is None:
        raise NotFound()
    try:
        amount = Decimal(days)
    except InvalidOperation:
        raise ValidationFailed("leave.days_format", field="days") from None
    if amount == 0 or amount % Decimal("0.5") != 0 or abs(amount) > 365:
        raise ValidationFailed("leave.days_format", field="days")
    if not note.strip():
        raise ValidationFailed("leave.reason_required", field="note")
    entry = LeaveLedgerEntry(
        employee_id=employee_id,
        leave_type=leave_type,
        year=year,
        kind=rules.LedgerKind.adjustment,
        days=amount,
        note=note.strip()[:200],
        created_at=now,
        created_by=actor.account_id or None,
    )
    session.add(entry)
    session.flush()
    audit.append(
        session,
        actor,
        "leave.adjusted",
        "leave_ledger_entry",
        entry.id,
        after={"employee_id": employee_id, "type": leave_type, "year": year, "days": str(amount), "note": entry.note},
        at=now,
    )


@dataclass(frozen=True)
class BalanceRow:
    code: str
    name: str
    name_en: str
    granted: str
    used: str
    balance: str


def _visible(session: Session, actor: Actor, employee_id: int) -> Employee:
    """The employee whose leave ``actor`` may read: themself, their direct manager, or HR."""
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound()
    if not (
        actor.has_role(Role.hr)
        or employee_id == actor.employee_id
        or (actor.role == Role.manager and employee.manager_id == actor.employee_id)
    ):
        raise NotPermitted()
    return employee


def balances(session: Session, actor: Actor, employee_id: int, year: int) -> list[BalanceRow]:
    """An employee's balances for ``year``: the employee, their direct manager, or HR."""
    _visible(session, actor, employee_id)
    ledger: dict[str, list[tuple[str, Decimal]]] = {}
    for code, kind, days in session.exec(  # every type's entries in one query
        select(LeaveLedgerEntry.leave_type, LeaveLedgerEntry.kind, LeaveLedgerEntry.days).where(
            LeaveLedgerEntry.employee_id == employee_id, LeaveLedgerEntry.year == year
        )
    ).all():
        ledger.setdefault(code, []).append((kind, days))
    rows = []
    for rule in leave_types(session):
        if not rule.has_balance:
            continue
        entries = ledger.get(rule.code, [])
        if rule.kind == law.Kind.childcare and not entries:
            continue  # no child under 3: nothing to show
        granted = rules.balance(d for k, d in entries if d > 0)
        used = -rules.balance(d for k, d in entries if k == rules.LedgerKind.usage)
        rows.append(
            BalanceRow(
                rule.code,
                rule.name,
                rule.name_en,
                f"{granted.normalize():f}",
                f"{used.normalize():f}",
                f"{rules.balance(d for _, d in entries).normalize():f}",
            )
        )
    return rows


@dataclass(frozen=True)
class TypeSettings:
    code: str
    name: str
    name_en: str
    paid: bool
    half_day: bool
    yearly_quota: str  # "" when no balance is kept
    carry_over_cap: str
    attachment_over_days: str  # "" when never required
    hr_must_approve: bool
    allow_negative: bool
    active: bool
    kind: str = law.Kind.custom
    counting: str = law.Counting.working
    per_event_days: str = ""  # "" when a request is not limited per event
    proof: str = ""
    proof_en: str = ""


def _text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def type_settings(session: Session, actor: Actor) -> list[TypeSettings]:
    """Every leave type, active or not (HR)."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    return [
        TypeSettings(
            t.code,
            t.name,
            t.name_en,
            t.paid,
            t.half_day,
            _text(t.yearly_quota),
            _text(t.carry_over_cap),
            _text(t.attachment_over_days),
            t.hr_must_approve,
            t.allow_negative,
            t.active,
            t.kind,
            t.counting,
            _text(t.per_event_days),
            t.proof,
            t.proof_en,
        )
        for t in session.exec(select(LeaveType).order_by(LeaveType.code)).all()
    ]


def _days_field(text: str, field: str, optional: bool) -> Decimal | None:
    text = text.strip()
    if not text:
        if optional:
            return None
        raise ValidationFailed("leave.days_format", field=field)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed("leave.days_format", field=field) from None
    if not value.is_finite() or value < 0 or value > 365 or value % Decimal("0.5") != 0:
        raise ValidationFailed("leave.days_format", field=field)
    return value


def save_type(session: Session, actor: Actor, settings: TypeSettings, now: datetime) -> None:
    """HR creates or changes a leave type; the change is audited with before and after."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    code = settings.code.strip().lower()
    if not (2 <= len(code) <= 16 and code.replace("_", "").isascii() and code.replace("_", "").isalnum()):
        raise ValidationFailed("leave.type_code", field="code")
    if not settings.name.strip() or not settings.name_en.strip():
        raise ValidationFailed("leave.type_name", field="name")
    quota = _days_field(settings.yearly_quota, "yearly_quota", optional=True)
    cap = _days_field(settings.carry_over_cap or "0", "carry_over_cap", optional=False)
    attachment = _days_field(settings.attachment_over_days, "attachment_over_days", optional=True)
    per_event = _days_field(settings.per_event_days, "per_event_days", optional=True)
    if settings.kind not in set(law.Kind):
        raise ValidationFailed("error.invalid", field="kind")
    if settings.counting not in set(law.Counting):
        raise ValidationFailed("error.invalid", field="counting")
    if len(settings.proof) > 100 or len(settings.proof_en) > 200:
        raise ValidationFailed("field.too_long", field="proof", max=100)
    row = session.get(LeaveType, code)
    before = None if row is None else asdict_type(row)
    row = row or LeaveType(code=code, name="", name_en="")
    row.name, row.name_en = settings.name.strip()[:32], settings.name_en.strip()[:64]
    row.paid, row.half_day, row.hr_must_approve, row.allow_negative, row.active = (
        settings.paid,
        settings.half_day,
        settings.hr_must_approve,
        settings.allow_negative,
        settings.active,
    )
    row.yearly_quota, row.carry_over_cap, row.attachment_over_days = quota, cap, attachment  # type: ignore[assignment]
    row.kind, row.counting, row.per_event_days = settings.kind, settings.counting, per_event  # type: ignore[assignment]
    row.proof, row.proof_en = settings.proof.strip(), settings.proof_en.strip()
    session.add(row)
    session.flush()
    audit.append(session, actor, "leave.type_saved", "leave_type", code, before=before, after=asdict_type(row), at=now)


def asdict_type(row: LeaveType) -> dict[str, object]:
    return {
        "name": row.name,
        "name_en": row.name_en,
        "paid": row.paid,
        "half_day": row.half_day,
        "yearly_quota": _text(row.yearly_quota),
        "carry_over_cap": _text(row.carry_over_cap),
        "attachment_over_days": _text(row.attachment_over_days),
        "hr_must_approve": row.hr_must_approve,
        "allow_negative": row.allow_negative,
        "active": row.active,
        "kind": row.kind,
        "counting": row.counting,
        "per_event_days": _text(row.per_event_days),
        "proof": row.proof,
        "proof_en": row.proof_en,
    }


def employee_by_no(session: Session, actor: Actor, employee_no: str) -> int:
    """The employee id behind an employee number (HR, for adjustments)."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    found = session.exec(select(Employee.id).where(Employee.employee_no == employee_no.strip())).first()
    if found is None:
        raise ValidationFailed("leave.employee_unknown", field="employee_no", value=employee_no.strip()[:32])
    return found


# ---- statutory types and how an employee's annual leave was computed ------------------------


def apply_presets(session: Session, actor: Actor, province: str, kinds: list[str], now: datetime) -> list[str]:
    """HR switches on statutory leave types with ``province``'s days (婚假, 产假, 陪产假, 育儿假,
    丧假, 调休; 年假 follows the working-years tiers). Existing types of the same code take the
    preset's numbers; every number stays editable afterwards. Returns the codes written."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    chosen = [p for p in law.presets(province) if p.kind in kinds]
    if not chosen:
        raise ValidationFailed("leave.presets_none", field="kinds")
    written = []
    for preset in chosen:
        row = session.get(LeaveType, preset.code)
        before = None if row is None else asdict_type(row)
        if row is None:
            row = LeaveType(code=preset.code, name=preset.name, name_en=preset.name_en, carry_over_cap=preset.carry_over_cap)
        row.kind, row.counting, row.paid, row.half_day, row.active = preset.kind, preset.counting, preset.paid, preset.half_day, True
        if preset.kind != law.Kind.annual:  # 年假 keeps HR's cap and quota; its days come from the tiers
            row.yearly_quota, row.per_event_days = preset.yearly_quota, preset.per_event_days
            row.attachment_over_days, row.proof, row.proof_en = preset.attachment_over_days, preset.proof, preset.proof_en
            if preset.kind == law.Kind.lieu:
                row.carry_over_cap = Decimal(365)  # time off in lieu does not lapse at the year end unless HR says so
        session.add(row)
        session.flush()
        audit.append(
            session,
            actor,
            "leave.type_preset",
            "leave_type",
            row.code,
            before=before,
            after=asdict_type(row) | {"province": province},
            at=now,
        )
        written.append(row.code)
    return written


@dataclass(frozen=True)
class AnnualExplanation:
    hire_date: str
    work_start: str  # "" when not entered (the hire date is used)
    entitlement: law.Entitlement


def annual_explanation(session: Session, actor: Actor, employee_id: int, year: int) -> AnnualExplanation | None:
    """How the employee's statutory annual leave for ``year`` was computed (None when 年假 does
    not follow the statutory tiers)."""
    employee = _visible(session, actor, employee_id)
    if not any(rule.kind == law.Kind.annual for rule in leave_types(session)):
        return None
    return AnnualExplanation(
        employee.hire_date.isoformat(),
        employee.work_start_date.isoformat() if employee.work_start_date else "",
        law.annual_entitlement(year, employee.hire_date, employee.work_start_date),
    )


def settlement(session: Session, actor: Actor, employee_id: int, last_day: date) -> sep.Settlement:
    """Unused statutory annual leave on separation (实施办法 art. 12), from the record and the
    days of annual leave the ledger shows taken this year (usage, less cancellations). HR or the
    employee themself."""
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound()
    if not (actor.has_role(Role.hr) or employee_id == actor.employee_id):
        raise NotPermitted()
    annual = session.exec(select(LeaveType.code).where(LeaveType.kind == law.Kind.annual)).all()
    used = session.exec(
        select(sa.func.coalesce(sa.func.sum(LeaveLedgerEntry.days), 0)).where(
            LeaveLedgerEntry.employee_id == employee_id,
            LeaveLedgerEntry.leave_type.in_(annual),  # type: ignore[attr-defined]
            LeaveLedgerEntry.year == last_day.year,
            LeaveLedgerEntry.kind == rules.LedgerKind.usage,
        )
    ).one()
    return sep.settlement(employee.hire_date, employee.work_start_date, last_day, -Decimal(str(used)))
