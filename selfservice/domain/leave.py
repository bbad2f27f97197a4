"""Leave (请假): leave types and their rules, and balances kept as an append-only ledger.

A balance is never an overwritten counter: it is the sum of ledger entries (accrual, usage,
adjustment, expiry, carry-over) for one employee, leave type and year.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from selfservice.domain.errors import ValidationFailed


class LedgerKind(StrEnum):
    accrual = "accrual"  # the year's quota granted
    carry_over = "carry_over"  # unused days brought from last year, capped
    usage = "usage"  # approved leave (negative)
    adjustment = "adjustment"  # HR correction, either sign, with a reason
    expiry = "expiry"  # unused days that lapsed (negative)


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

    @property
    def has_balance(self) -> bool:
        return self.yearly_quota is not None

    def attachment_required(self, days: Decimal) -> bool:
        return self.attachment_over_days is not None and days > self.attachment_over_days


DEFAULT_TYPES = (
    LeaveTypeRule("annual", "年假", "Annual leave", paid=True, half_day=True, yearly_quota=Decimal(5), carry_over_cap=Decimal(5)),
    LeaveTypeRule("sick", "病假", "Sick leave", paid=True, half_day=True, yearly_quota=None, attachment_over_days=Decimal(1)),
    LeaveTypeRule("personal", "事假", "Personal leave", paid=False, half_day=True, yearly_quota=None, hr_must_approve=False),
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
