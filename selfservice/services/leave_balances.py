"""Leave types and balances (假期余额). Balances are sums of the append-only ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain import leave as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import NotFound, NotPermitted, ValidationFailed
from selfservice.persistence.models import Employee, LeaveLedgerEntry, LeaveType
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
            )
        )
    session.flush()
    return len(rules.DEFAULT_TYPES)


def leave_types(session: Session) -> list[rules.LeaveTypeRule]:
    return [rule_of(t) for t in session.exec(select(LeaveType).where(LeaveType.active == True).order_by(LeaveType.code)).all()]  # noqa: E712


def balance_of(session: Session, employee_id: int, leave_type: str, year: int) -> Decimal:
    total = session.exec(
        select(sa.func.coalesce(sa.func.sum(LeaveLedgerEntry.days), 0)).where(
            LeaveLedgerEntry.employee_id == employee_id, LeaveLedgerEntry.leave_type == leave_type, LeaveLedgerEntry.year == year
        )
    ).one()
    return Decimal(str(total))


def accrue_year(session: Session, actor: Actor, year: int, now: datetime) -> int:
    """Grant ``year``'s quota to every active employee (once), carrying over last year's unused
    days up to the cap and letting the rest expire. Returns the number of entries written."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    written = 0
    quota_types = [t for t in session.exec(select(LeaveType).where(LeaveType.active == True, LeaveType.yearly_quota.is_not(None))).all()]  # type: ignore[union-attr]  # noqa: E712
    people = session.exec(select(Employee.id).where(Employee.status == "active")).all()
    for leave_type in quota_types:
        accrued = set(
            session.exec(
                select(LeaveLedgerEntry.employee_id).where(
                    LeaveLedgerEntry.leave_type == leave_type.code,
                    LeaveLedgerEntry.year == year,
                    LeaveLedgerEntry.kind == rules.LedgerKind.accrual,
                )
            ).all()
        )
        had_last_year = set(
            session.exec(
                select(LeaveLedgerEntry.employee_id).where(
                    LeaveLedgerEntry.leave_type == leave_type.code, LeaveLedgerEntry.year == year - 1
                )
            ).all()
        )
        for employee_id in people:
            if employee_id in accrued:
                continue
            entries = [
                LeaveLedgerEntry(
                    employee_id=employee_id,
                    leave_type=leave_type.code,
                    year=year,
                    kind=rules.LedgerKind.accrual,
                    days=leave_type.yearly_quota,
                    note=f"{year} quota",
                    created_at=now,
                    created_by=actor.account_id or None,
                )
            ]  # type: ignore[arg-type]
            if employee_id in had_last_year:
                unused = balance_of(session, employee_id, leave_type.code, year - 1)
                carried = rules.carry_over(unused, leave_type.carry_over_cap)
                if carried:  # a transfer: out of last year, into this one
                    for entry_year, amount, note in ((year - 1, -carried, f"to {year}"), (year, carried, f"from {year - 1}")):
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
                if unused - carried > 0:
                    entries.append(
                        LeaveLedgerEntry(
                            employee_id=employee_id,
                            leave_type=leave_type.code,
                            year=year - 1,
                            kind=rules.LedgerKind.expiry,
                            days=-(unused - carried),
                            note=f"lapsed at the start of {year}",
                            created_at=now,
                            created_by=actor.account_id or None,
                        )
                    )  # type: ignore[arg-type]
            session.add_all(entries)
            written += len(entries)
    session.flush()
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


def balances(session: Session, actor: Actor, employee_id: int, year: int) -> list[BalanceRow]:
    """An employee's balances for ``year``: the employee, their direct manager, or HR."""
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound()
    if not (
        actor.has_role(Role.hr)
        or employee_id == actor.employee_id
        or (actor.role == Role.manager and employee.manager_id == actor.employee_id)
    ):
        raise NotPermitted()
    rows = []
    for rule in leave_types(session):
        if not rule.has_balance:
            continue
        entries = session.exec(
            select(LeaveLedgerEntry.kind, LeaveLedgerEntry.days).where(
                LeaveLedgerEntry.employee_id == employee_id, LeaveLedgerEntry.leave_type == rule.code, LeaveLedgerEntry.year == year
            )
        ).all()
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
    }


def employee_by_no(session: Session, actor: Actor, employee_no: str) -> int:
    """The employee id behind an employee number (HR, for adjustments)."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    found = session.exec(select(Employee.id).where(Employee.employee_no == employee_no.strip())).first()
    if found is None:
        raise ValidationFailed("leave.employee_unknown", field="employee_no", value=employee_no.strip()[:32])
    return found
