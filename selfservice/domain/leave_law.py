"""Leave as Chinese law counts it: statutory annual leave by working years, the statutory leave
types with their provincial days, and how a type counts its days.

- 职工带薪年休假条例 art. 3: cumulative working years ≥ 1 and < 10 → 5 days, ≥ 10 and < 20 → 10,
  ≥ 20 → 15.
- 企业职工带薪年休假实施办法 art. 5: a new joiner gets the remaining calendar days of the year
  ÷ 365 × the entitlement, fractions of a day dropped. The same rule is applied, segment by
  segment, to the year someone reaches 1, 10 or 20 working years (days before at the old tier,
  days after at the new one), which is how the local labour bureaus answer it.
- Maternity leave (女职工劳动保护特别规定 art. 7): 98 days, + 15 for a difficult birth, + 15 per
  additional baby; each province adds its own days. Provinces also set marriage, paternity and
  childcare leave; the presets below fill them and HR can change every number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from selfservice.domain.errors import ValidationFailed

# (working years at least, days per year), highest first
ANNUAL_TIERS = ((20, 15), (10, 10), (1, 5))
YEAR_DAYS = 365  # the divisor of art. 5, also in leap years


def full_years(since: date, on: date) -> int:
    """Completed years from ``since`` to ``on`` (an anniversary on 29 February falls on 1 March)."""
    years = on.year - since.year
    if (on.month, on.day) < (since.month, since.day):
        years -= 1
    return max(0, years)


def tier(working_years: int) -> int:
    """Art. 3: the days a full year at ``working_years`` gives."""
    return next((days for least, days in ANNUAL_TIERS if working_years >= least), 0)


@dataclass(frozen=True)
class Segment:
    """Days of the year in employment at one tier."""

    first: date
    last: date
    working_years: int
    per_year: int

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class Entitlement:
    """A year's statutory annual leave and how it was computed."""

    year: int
    work_start: date  # 参加工作时间 used (the hire date when it was not entered)
    work_start_entered: bool
    segments: tuple[Segment, ...]
    days: int
    prorated: bool  # False: the whole year at one tier, the tier itself

    @property
    def weighted(self) -> int:
        """Σ calendar days × days per year; ``days`` is this ÷ 365, fractions dropped."""
        return sum(s.days * s.per_year for s in self.segments)


def annual_entitlement(year: int, hire_date: date, work_start: date | None, left_on: date | None = None) -> Entitlement:
    """Art. 3 with the art. 5 pro-rating, for the days of ``year`` in this employment."""
    start = work_start if work_start is not None and work_start <= hire_date else None
    since = start or hire_date
    first = max(date(year, 1, 1), hire_date)
    last = min(date(year, 12, 31), left_on) if left_on else date(year, 12, 31)
    segments: list[Segment] = []
    day = first
    while day <= last:
        years = full_years(since, day)
        # the next anniversary changes the count; the segment runs to the day before it
        anniversary = _anniversary(since, years + 1)
        end = min(last, anniversary - timedelta(days=1))
        per_year = tier(years)
        if segments and segments[-1].per_year == per_year:
            previous = segments.pop()
            segments.append(Segment(previous.first, end, previous.working_years, per_year))
        else:
            segments.append(Segment(day, end, years, per_year))
        day = end + timedelta(days=1)
    kept = tuple(s for s in segments if s.per_year > 0)
    weighted = sum(s.days * s.per_year for s in kept)
    year_length = (date(year, 12, 31) - date(year, 1, 1)).days + 1
    whole = len(kept) == 1 and kept[0].days == year_length
    days = kept[0].per_year if whole else weighted // YEAR_DAYS
    return Entitlement(year, since, start is not None, kept, days, not whole)


def _anniversary(since: date, years: int) -> date:
    try:
        return since.replace(year=since.year + years)
    except ValueError:  # 29 February in a common year
        return date(since.year + years, 3, 1)


def check_work_start(work_start: date | None, hire_date: date, birth_year_floor: int = 1940) -> None:
    """参加工作时间 must lie before the hire date and in a plausible range."""
    if work_start is None:
        return
    if work_start > hire_date:
        raise ValidationFailed("employee.work_start_after_hire", field="work_start_date")
    if work_start.year < birth_year_floor:
        raise ValidationFailed("employee.work_start_too_early", field="work_start_date", year=birth_year_floor)


# ---- statutory leave types ------------------------------------------------------------------


class Kind(StrEnum):
    custom = "custom"
    annual = "annual"  # by working years (art. 3), pro-rated (art. 5)
    sick = "sick"
    personal = "personal"
    marriage = "marriage"  # 婚假, per event
    maternity = "maternity"  # 产假, per birth, calendar days
    paternity = "paternity"  # 陪产假, per birth
    childcare = "childcare"  # 育儿假, days per year per child under 3
    bereavement = "bereavement"  # 丧假, per event
    lieu = "lieu"  # 调休, fed by approved overtime


PER_EVENT = (Kind.marriage, Kind.maternity, Kind.paternity, Kind.bereavement)


class Counting(StrEnum):
    working = "working"  # working days by the company calendar
    calendar = "calendar"  # every calendar day, weekends and holidays included


MATERNITY_BASE = Decimal(98)
MATERNITY_DIFFICULT = Decimal(15)
MATERNITY_PER_EXTRA_BABY = Decimal(15)
CHILDCARE_UNTIL_AGE = 3
LIEU_HOURS_PER_DAY = Decimal(8)


@dataclass(frozen=True)
class ProvinceDays:
    name: str
    name_en: str
    marriage: int  # total, national 3 included
    maternity_extra: int  # added to the national 98
    paternity: int
    childcare_per_child: int
    bereavement: int


# Figures from each province's population and family planning regulation as amended in 2021–2022
# (HR must check them against the regulation in force; every number is editable).
PROVINCES = {
    "shanghai": ProvinceDays("上海", "Shanghai", 10, 60, 10, 5, 3),
    "beijing": ProvinceDays("北京", "Beijing", 10, 60, 15, 5, 3),
    "guangdong": ProvinceDays("广东", "Guangdong", 3, 80, 15, 10, 3),
    "zhejiang": ProvinceDays("浙江", "Zhejiang", 13, 60, 15, 10, 3),
    "jiangsu": ProvinceDays("江苏", "Jiangsu", 13, 60, 15, 10, 3),
}


@dataclass(frozen=True)
class Preset:
    """A statutory leave type as a province's rules fill it."""

    kind: Kind
    code: str
    name: str
    name_en: str
    counting: Counting
    paid: bool
    half_day: bool
    yearly_quota: Decimal | None  # annual: the art. 3 tiers decide; childcare: per child
    per_event_days: Decimal | None
    proof: str
    proof_en: str
    attachment_over_days: Decimal | None
    carry_over_cap: Decimal = Decimal(0)


def presets(province: str) -> list[Preset]:
    """The statutory types with ``province``'s days."""
    p = PROVINCES.get(province)
    if p is None:
        raise ValidationFailed("leave.province_unknown", field="province")
    d = Decimal
    return [
        Preset(Kind.annual, "annual", "年假", "Annual leave", Counting.working, True, True, d(5), None, "", "", None, d(5)),
        Preset(
            Kind.marriage,
            "marriage",
            "婚假",
            "Marriage leave",
            Counting.working,
            True,
            False,
            None,
            d(p.marriage),
            "结婚证",
            "marriage certificate",
            d(0),
        ),
        Preset(
            Kind.maternity,
            "maternity",
            "产假",
            "Maternity leave",
            Counting.calendar,
            True,
            False,
            None,
            MATERNITY_BASE + p.maternity_extra,
            "出生医学证明或医院证明",
            "birth certificate or hospital certificate",
            d(0),
        ),
        Preset(
            Kind.paternity,
            "paternity",
            "陪产假",
            "Paternity leave",
            Counting.working,
            True,
            False,
            None,
            d(p.paternity),
            "子女出生医学证明",
            "the child's birth certificate",
            d(0),
        ),
        Preset(
            Kind.childcare,
            "childcare",
            "育儿假",
            "Childcare leave",
            Counting.working,
            True,
            True,
            d(p.childcare_per_child),
            None,
            "",
            "",
            None,
        ),
        Preset(
            Kind.bereavement,
            "bereavement",
            "丧假",
            "Bereavement leave",
            Counting.working,
            True,
            False,
            None,
            d(p.bereavement),
            "死亡证明及亲属关系证明",
            "death certificate and proof of relationship",
            d(0),
        ),
        Preset(Kind.lieu, "lieu", "调休", "Time off in lieu", Counting.working, True, True, d(0), None, "", "", None, d(0)),
    ]


def event_allowance(kind: str, per_event_days: Decimal | None, difficult_birth: bool, babies: int) -> Decimal | None:
    """The most days one request of a per-event type may take (None: no limit)."""
    if per_event_days is None:
        return None
    if kind == Kind.maternity:
        return per_event_days + (MATERNITY_DIFFICULT if difficult_birth else 0) + MATERNITY_PER_EXTRA_BABY * (max(1, babies) - 1)
    return per_event_days


def check_event(kind: str, per_event_days: Decimal | None, days: Decimal, difficult_birth: bool, babies: int) -> None:
    if kind == Kind.maternity and not 1 <= babies <= 6:
        raise ValidationFailed("leave.babies_range", field="babies")
    allowance = event_allowance(kind, per_event_days, difficult_birth, babies)
    if allowance is not None and days > allowance:
        raise ValidationFailed("leave.over_event", field="end", days=f"{days.normalize():f}", allowance=f"{allowance.normalize():f}")


def children_under_age(births: list[date], year: int, age: int = CHILDCARE_UNTIL_AGE) -> int:
    """Children who are under ``age`` on some day of ``year`` (born by 31 December)."""
    return sum(1 for b in births if b <= date(year, 12, 31) and _anniversary(b, age) > date(year, 1, 1))


def parse_births(text: str) -> list[date]:
    """Children's birth dates as HR enters them: ISO dates separated by commas or spaces."""
    result = []
    for part in text.replace("，", ",").replace(";", ",").replace(" ", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            result.append(date.fromisoformat(part))
        except ValueError:
            raise ValidationFailed("field.date_format", field="child_births", value=part[:20]) from None
    if len(result) > 10:
        raise ValidationFailed("employee.too_many_children", field="child_births")
    return sorted(result)


def lieu_days(hours: Decimal) -> Decimal:
    """Overtime hours as days of time off in lieu (8 hours a day; half hours are exact)."""
    return (hours / LIEU_HOURS_PER_DAY).quantize(Decimal("0.0001"))


def check_overtime(hours: Decimal, work_date: date, today: date, past_limit_days: int, reason: str) -> None:
    if not hours.is_finite() or hours <= 0 or hours > 16 or hours % Decimal("0.5") != 0:
        raise ValidationFailed("overtime.hours_range", field="hours")
    if work_date > today:
        raise ValidationFailed("overtime.future", field="work_date")
    if work_date < today - timedelta(days=past_limit_days):
        raise ValidationFailed("leave.too_far_past", field="work_date", days=past_limit_days)
    if not reason.strip():
        raise ValidationFailed("leave.reason_missing", field="reason")
