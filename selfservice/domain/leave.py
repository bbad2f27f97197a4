"""Leave (请假): leave types and their rules, and balances kept as an append-only ledger.

A balance is never an overwritten counter: it is the sum of ledger entries (accrual, usage,
adjustment, expiry, carry-over) for one employee, leave type and year.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from selfservice.domain.errors import ValidationFailed


class LedgerKind(StrEnum):
    accrual = "accrual"  # the year's quota granted
    carry_over = "carry_over"  # unused days brought from last year, capped
    usage = "usage"  # approved leave (negative)
    adjustment = "adjustment"  # HR correction, either sign, with a reason
    expiry = "expiry"  # unused days that lapsed (negative)
    overtime = "overtime"  # approved overtime credited as time off in lieu (调休)
    settlement = "settlement"  # on separation: the year's balance closed, the unused days paid (实施办法 art. 12)


@dataclass(frozen=True)
class LeaveTypeRule:
    """What HR configures for a leave type (假期类型)."""

    code: str
    name: str
    name_en: str
    paid: bool
    half_day: bool  # half days allowed
    yearly_quota: Decimal | None  # None: no balance is kept (e.g. personal leave)
    carry_over_cap: Decimal = Decimal(0)
    attachment_over_days: Decimal | None = None  # attachment required when days exceed this
    hr_must_approve: bool = False
    allow_negative: bool = False
    kind: str = "custom"  # domain.leave_law.Kind
    counting: str = "working"  # domain.leave_law.Counting
    per_event_days: Decimal | None = None
    proof: str = ""
    proof_en: str = ""

    @property
    def has_balance(self) -> bool:
        return self.yearly_quota is not None

    def attachment_required(self, days: Decimal) -> bool:
        return self.attachment_over_days is not None and days > self.attachment_over_days


DEFAULT_TYPES = (
    # 年假 follows the statutory tiers by working years; the quota is the tier of 1–10 years.
    LeaveTypeRule(
        "annual", "年假", "Annual leave", paid=True, half_day=True, yearly_quota=Decimal(5), carry_over_cap=Decimal(5), kind="annual"
    ),
    LeaveTypeRule(
        "sick",
        "病假",
        "Sick leave",
        paid=True,
        half_day=True,
        yearly_quota=None,
        attachment_over_days=Decimal(1),
        kind="sick",
        proof="病假条",
        proof_en="a doctor's note",
    ),
    LeaveTypeRule(
        "personal", "事假", "Personal leave", paid=False, half_day=True, yearly_quota=None, hr_must_approve=False, kind="personal"
    ),
)


def balance(amounts: Iterable[Decimal]) -> Decimal:
    """The balance is the sum of the ledger."""
    return sum(amounts, Decimal(0))


def check_days(rule: LeaveTypeRule, days: Decimal, available: Decimal | None) -> None:
    """Refuse a request the type's rules do not allow (half days, overdraft)."""
    if days <= 0:
        raise ValidationFailed("leave.no_workdays", field="start")
    if not rule.half_day and days % 1 != 0:
        raise ValidationFailed("leave.whole_days_only", field="end_half", type=rule.name)
    if rule.has_balance and available is not None and days > available:
        raise ValidationFailed("leave.over_balance", field="type", days=f"{days.normalize():f}", available=f"{available.normalize():f}")


def carry_over(unused: Decimal, cap: Decimal) -> Decimal:
    """Days carried into the next year: the unused days, at most the cap, never negative."""
    return max(Decimal(0), min(unused, cap))


class RequestStatus(StrEnum):
    pending = "pending"  # waiting for approval; its days are reserved
    approved = "approved"  # usage written to the ledger
    rejected = "rejected"
    withdrawn = "withdrawn"  # by the employee, while pending
    cancel_pending = "cancel_pending"  # an approved leave the employee asked to cancel; back in approval
    cancelled = "cancelled"  # cancellation approved; usage given back


# Requests that hold days (reserve or use them) and block overlapping requests.
HOLDING = (RequestStatus.pending, RequestStatus.approved, RequestStatus.cancel_pending)


def request_problems(
    rule: LeaveTypeRule,
    start: date,
    end: date,
    today: date,
    past_limit_days: int,
    days: Decimal | None,
    available: Decimal | None,
    overlaps: bool,
) -> list[ValidationFailed]:
    """Every rule a new request's dates and days break, in the order of the form's fields (the
    live preview shows them all at once; submitting refuses with the first). ``days`` is None when
    they could not be counted; ``available`` is the balance minus days reserved by pending
    requests, or None for types without a balance."""
    problems = []
    if start < today - timedelta(days=past_limit_days):
        problems.append(ValidationFailed("leave.too_far_past", field="start", days=past_limit_days))
    if (end - start).days > 366:
        problems.append(ValidationFailed("leave.range_too_long", field="end"))
    if overlaps:
        problems.append(ValidationFailed("leave.overlap", field="start"))
    if days is not None:
        try:
            check_days(rule, days, None if rule.allow_negative else available)
        except ValidationFailed as problem:
            problems.append(problem)
    return problems


def check_request(
    rule: LeaveTypeRule,
    start: date,
    end: date,
    today: date,
    past_limit_days: int,
    days: Decimal,
    available: Decimal | None,
    attachments: int,
    overlaps: bool,
    reason: str,
) -> None:
    """Everything a new request must satisfy; the first failure is raised."""
    problems = request_problems(rule, start, end, today, past_limit_days, days, available, overlaps)
    if not reason.strip():  # after the date range's own problems, before overlap and balance
        dates = sum(1 for p in problems if p.key in ("leave.too_far_past", "leave.range_too_long"))
        problems.insert(dates, ValidationFailed("leave.reason_missing", field="reason"))
    if problems:
        raise problems[0]
    if rule.attachment_required(days) and attachments == 0:
        raise ValidationFailed("leave.attachment_required", field="attachments", days=f"{rule.attachment_over_days.normalize():f}")


def calendar_days(start: date, start_half: str, end: date, end_half: str) -> Decimal:
    """Calendar days (weekends and holidays included) from ``start`` (am/pm) to ``end`` (am/pm)."""
    if end < start:
        raise ValidationFailed("leave.end_before_start", field="end")
    if end == start and start_half == "pm" and end_half == "am":
        raise ValidationFailed("leave.half_order", field="end_half")
    days = Decimal((end - start).days + 1)
    if start_half == "pm":
        days -= Decimal("0.5")
    if end_half == "am":
        days -= Decimal("0.5")
    return days


def year_parts(start: date, start_half: str, end: date, end_half: str) -> list[tuple[int, date, str, date, str]]:
    """A range split at year ends (a ledger year is a calendar year): (year, start, half, end, half)."""
    parts = []
    for year in range(start.year, end.year + 1):
        first = start if year == start.year else date(year, 1, 1)
        last = end if year == end.year else date(year, 12, 31)
        parts.append((year, first, start_half if year == start.year else "am", last, end_half if year == end.year else "pm"))
    return parts
