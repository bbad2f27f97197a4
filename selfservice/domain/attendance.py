"""Attendance (考勤) and the absence watch: schedules, what each day was, and absence streaks.

The rules, in the words HR uses:

- A **schedule** (排班) says which days are working days. The standard one is Monday to Friday
  with the statutory calendar (holidays off, 调休 Saturdays on); HR may give people a weekly
  roster or a cycle such as 4 on / 2 off.
- A working day is **present** with any valid punch, **leave** when approved leave covers it
  (half days count: a morning off needs a punch in the afternoon), otherwise **missing**
  (whole or half). A day is judged only once it is over for the employee's schedule.
- The **absence streak** (连续未到岗) is the run of missing working days up to the last judged
  day. Rest days and holidays neither break nor extend it; any punch (even on a rest day) or a
  working day fully on approved leave breaks it.
- A working day in a year whose statutory holidays nobody has entered is **unconfirmed**: it
  is recorded, but nobody is reminded for it.

Plain Python: the same rules serve the set-based scan (whose SQL must agree with
:func:`streak_of` on any data, a property test checks it), the employee's own month view
and HR's drill-down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from selfservice.domain.errors import ValidationFailed
from selfservice.domain.work_calendar import DayKind, WorkCalendar

WEEKDAYS = "1111100"  # Monday first


class ScheduleKind(StrEnum):
    weekly = "weekly"  # a 7-day roster, Monday first
    cycle = "cycle"  # a repeating run of on/off days from an anchor date


class Day(StrEnum):
    """What kind of day it is for one schedule."""

    workday = "workday"
    rest = "rest"
    holiday = "holiday"  # a statutory holiday that would otherwise be worked
    swapped_workday = "swapped_workday"  # 调休上班: a weekend day worked by the calendar


class Outcome(StrEnum):
    """What the employee's record says about a day."""

    present = "present"
    leave = "leave"
    half_leave = "half_leave"  # half on leave, present the other half
    missing = "missing"
    half_missing = "half_missing"  # half on leave, missing the other half
    rest = "rest"
    pending = "pending"  # not over yet (today, future)
    not_tracked = "not_tracked"  # before hire, before the company started tracking


MISSING = (Outcome.missing, Outcome.half_missing)


def parse_hhmm(text: str, field_name: str = "time") -> time:
    """``"09:30"`` → 09:30; anything else is a validation error naming the field."""
    text = (text or "").strip()
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 2 for p in parts):
        raise ValidationFailed("attendance.time_format", field=field_name, value=text[:8])
    hour, minute = int(parts[0]), int(parts[1])
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValidationFailed("attendance.time_format", field=field_name, value=text[:8])
    return time(hour, minute)


@dataclass(frozen=True)
class Schedule:
    """Which days someone works and the hours of a working day."""

    calendar: WorkCalendar
    kind: ScheduleKind = ScheduleKind.weekly
    days: str = WEEKDAYS
    anchor: date | None = None
    follows_calendar: bool = True
    start: time = time(9)
    end: time = time(18)
    pattern_id: int = 0  # 0: the standard schedule

    def _pattern_works(self, day: date) -> bool:
        if self.kind == ScheduleKind.weekly:
            return self.days[day.weekday()] == "1"
        offset = (day - (self.anchor or day)).days % len(self.days)
        return self.days[offset] == "1"

    def day_kind(self, day: date) -> Day:
        exception = self.calendar.exceptions.get(day) if self.follows_calendar else None
        works = self._pattern_works(day)
        if exception is not None and exception.kind == DayKind.holiday:
            return Day.holiday if works else Day.rest
        if exception is not None and exception.kind == DayKind.swapped_workday and self.kind == ScheduleKind.weekly:
            return Day.swapped_workday
        return Day.workday if works else Day.rest

    def is_workday(self, day: date) -> bool:
        return self.day_kind(day) in (Day.workday, Day.swapped_workday)

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    @property
    def split(self) -> time:
        """Morning and afternoon meet halfway through the working day (for half days)."""
        start = datetime.combine(date(2000, 1, 1), self.start)
        end = datetime.combine(date(2000, 1, 2 if self.overnight else 1), self.end)
        return (start + (end - start) / 2).time()

    def day_over_at(self, day: date, tz: ZoneInfo) -> datetime:
        """When ``day``'s shift ends (the next day for an overnight shift)."""
        return datetime.combine(day + timedelta(days=1 if self.overnight else 0), self.end, tzinfo=tz)

    def judged_through(self, moment: datetime, tz: ZoneInfo) -> date:
        """The last day that is over at ``moment``: a 10:00 scan judges up to yesterday."""
        local = moment.astimezone(tz)
        day = local.date()
        while self.day_over_at(day, tz) > local:
            day -= timedelta(days=1)
        return day


def standard_schedule(calendar: WorkCalendar, start: time = time(9), end: time = time(18)) -> Schedule:
    return Schedule(calendar, ScheduleKind.weekly, WEEKDAYS, None, True, start, end, 0)


def check_pattern(kind: str, days: str, anchor: date | None) -> None:
    """A weekly roster has 7 days; a cycle 2 to 31; both work at least one day."""
    if kind not in ScheduleKind.__members__:
        raise ValidationFailed("error.invalid", field="kind")
    if not days or any(c not in "01" for c in days) or "1" not in days:
        raise ValidationFailed("attendance.pattern_days", field="days")
    if kind == ScheduleKind.weekly and len(days) != 7:
        raise ValidationFailed("attendance.pattern_weekly_length", field="days")
    if kind == ScheduleKind.cycle and not 2 <= len(days) <= 31:
        raise ValidationFailed("attendance.pattern_cycle_length", field="days")
    if kind == ScheduleKind.cycle and anchor is None:
        raise ValidationFailed("attendance.pattern_anchor", field="anchor")


# ---- leave as attendance sees it ----------------------------------------------------------


@dataclass(frozen=True)
class LeaveSpan:
    """An approved leave: from ``start`` (am/pm) to ``end`` (am/pm)."""

    start: date
    start_half: str
    end: date
    end_half: str

    def halves(self, day: date) -> frozenset[str]:
        if day < self.start or day > self.end:
            return frozenset()
        first = "pm" if day == self.start and self.start_half == "pm" else "am"
        last = "am" if day == self.end and self.end_half == "am" else "pm"
        if first == "pm" and last == "am":
            return frozenset()
        return frozenset({first, last})


def leave_halves(spans: Iterable[LeaveSpan], day: date) -> frozenset[str]:
    covered: frozenset[str] = frozenset()
    for span in spans:
        covered |= span.halves(day)
    return covered


# ---- one day, and the streak --------------------------------------------------------------


@dataclass(frozen=True)
class DayRecord:
    day: date
    kind: Day
    outcome: Outcome
    missing: Decimal
    leave: frozenset[str]  # halves on approved leave
    punches: tuple[datetime, ...]  # local times
    unconfirmed: bool = False

    @property
    def is_workday(self) -> bool:
        return self.kind in (Day.workday, Day.swapped_workday)

    @property
    def breaks_streak(self) -> bool:
        """Any punch shows the person was there; a working day fully on leave is accounted for."""
        return bool(self.punches) or (self.is_workday and self.leave == {"am", "pm"})


def day_record(
    day: date,
    schedule: Schedule,
    punches: Sequence[datetime],
    leave: frozenset[str],
    tracked_from: date,
    judged_through: date,
    unconfirmed_years: frozenset[int] = frozenset(),
) -> DayRecord:
    """What ``day`` was for someone, from their punches (local times) and approved leave halves."""
    kind = schedule.day_kind(day)
    workday = kind in (Day.workday, Day.swapped_workday)
    punches = tuple(sorted(punches))
    unconfirmed = workday and day.year in unconfirmed_years
    if day < tracked_from:
        return DayRecord(day, kind, Outcome.not_tracked, Decimal(0), leave, punches, unconfirmed)
    if not workday:
        return DayRecord(day, kind, Outcome.present if punches else Outcome.rest, Decimal(0), leave, punches, unconfirmed)
    if leave == {"am", "pm"}:
        return DayRecord(day, kind, Outcome.leave, Decimal(0), leave, punches, unconfirmed)
    if day > judged_through:
        outcome = Outcome.present if punches else Outcome.pending
        return DayRecord(day, kind, outcome, Decimal(0), leave, punches, unconfirmed)
    if leave:
        split = schedule.split
        other_half_punched = any((p.time() >= split) if "am" in leave else (p.time() < split) for p in punches)
        if other_half_punched:
            return DayRecord(day, kind, Outcome.half_leave, Decimal(0), leave, punches, unconfirmed)
        return DayRecord(day, kind, Outcome.half_missing, Decimal("0.5"), leave, punches, unconfirmed)
    if punches:
        return DayRecord(day, kind, Outcome.present, Decimal(0), leave, punches, unconfirmed)
    return DayRecord(day, kind, Outcome.missing, Decimal(1), leave, punches, unconfirmed)


@dataclass(frozen=True)
class Streak:
    """The current run of missing working days as of the last judged day."""

    days: tuple[date, ...]  # the missing working days, oldest first
    missing: Decimal  # in days, half days counted as 0.5
    unconfirmed: bool  # some day falls in a year whose holidays nobody entered
    capped: bool = False  # the run reaches back to the start of the scan's window

    @property
    def start(self) -> date:
        return self.days[0]

    @property
    def last(self) -> date:
        return self.days[-1]

    def __len__(self) -> int:
        return len(self.days)


def missing_amount(leave: frozenset[str]) -> Decimal:
    return Decimal(1) - Decimal(len(leave & {"am", "pm"})) / 2


def streak_of(records: Sequence[DayRecord], judged_through: date, window_start: date | None = None) -> Streak | None:
    """The reference definition, day by day: walk back from the last judged day collecting
    missing working days until a day breaks the run (a punch, a working day on leave) or
    tracking began. A punch after the last judged day (this morning) means there is no streak.
    ``records`` may run past ``judged_through``. The set-based scan must give the same answer."""
    if any(r.punches for r in records if r.day > judged_through):
        return None  # seen since the last judged day (e.g. clocked in this morning): back
    by_day = {r.day: r for r in records}
    days: list[date] = []
    missing = Decimal(0)
    unconfirmed = False
    day = judged_through
    capped = False
    while day in by_day:
        record = by_day[day]
        if record.outcome == Outcome.not_tracked or record.breaks_streak:
            break
        if record.is_workday:
            days.append(day)
            missing += missing_amount(record.leave)
            unconfirmed = unconfirmed or record.unconfirmed
        if window_start is not None and day <= window_start:
            capped = True
            break
        day -= timedelta(days=1)
    if not days:
        return None
    return Streak(tuple(reversed(days)), missing, unconfirmed, capped)


def month_records(
    first: date,
    last: date,
    schedule_for: Callable[[date], Schedule],
    punches: Iterable[datetime],
    leave: Sequence[LeaveSpan],
    tracked_from: date,
    judged_through: Callable[[Schedule], date],
    unconfirmed_years: frozenset[int] = frozenset(),
) -> list[DayRecord]:
    """Day records for ``first``..``last`` (one employee; punches in local time)."""
    by_day: dict[date, list[datetime]] = {}
    for punch in punches:
        by_day.setdefault(punch.date(), []).append(punch)
    records = []
    day = first
    while day <= last:
        schedule = schedule_for(day)
        records.append(
            day_record(
                day,
                schedule,
                by_day.get(day, []),
                leave_halves(leave, day),
                tracked_from,
                judged_through(schedule),
                unconfirmed_years,
            )
        )
        day += timedelta(days=1)
    return records


def missing_runs(records: Sequence[DayRecord]) -> list[tuple[date, date]]:
    """Runs of missing working days (rest days inside a run do not split it), for the
    "request leave for these days" shortcut."""
    runs: list[tuple[date, date]] = []
    start: date | None = None
    end: date | None = None
    for record in records:
        if record.outcome in MISSING:
            start, end = start or record.day, record.day
        elif record.breaks_streak or record.outcome in (Outcome.pending, Outcome.not_tracked):
            if start and end:
                runs.append((start, end))
            start = end = None
    if start and end:
        runs.append((start, end))
    return runs


# ---- working hours (for "unread after 4 working hours") -----------------------------------


def add_office_hours(
    start: datetime, hours: float, is_workday: Callable[[date], bool], tz: ZoneInfo, office_start: time, office_end: time
) -> datetime:
    """``start`` plus ``hours`` counted only inside office hours of working days: a reminder
    sent at 10:00 with 4 hours is due at 14:00; sent at 17:00, at 12:00 the next working day."""
    remaining = timedelta(hours=hours)
    local = start.astimezone(tz)
    for _ in range(3660):
        day = local.date()
        opens = datetime.combine(day, office_start, tzinfo=tz)
        closes = datetime.combine(day, office_end, tzinfo=tz)
        if is_workday(day) and local < closes:
            begin = max(local, opens)
            available = closes - begin
            if remaining <= available:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
        local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    raise ValidationFailed("attendance.no_office_hours")


# ---- the rules HR sets -----------------------------------------------------------------------


CHANNEL_CHOICES = ("wecom", "sms", "email")


@dataclass(frozen=True)
class WatchRules:
    """Every number of the absence watch, with the article's defaults."""

    scan_time: time = time(10)
    remind_after_days: int = 2
    forward_after_hours: int = 4
    case_threshold: int = 3
    office_start: time = time(9)
    office_end: time = time(18)
    late_grace_minutes: int = 60
    lookback_days: int = 60
    reminder_channels: tuple[str, ...] = ("wecom", "sms")
    geolocation: bool = False
    tracked_from: date | None = None


def _int(raw: dict[str, str], name: str, low: int, high: int) -> int:
    text = str(raw.get(name, "")).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValidationFailed("attendance.number_range", field=name, min=low, max=high)
    return int(text)


def parse_rules(raw: dict[str, str]) -> WatchRules:
    """HR's settings form → rules; the first bad field is refused with its reason."""
    office_start = parse_hhmm(raw.get("office_start", ""), "office_start")
    office_end = parse_hhmm(raw.get("office_end", ""), "office_end")
    if office_end <= office_start:
        raise ValidationFailed("attendance.office_hours_order", field="office_end")
    channels = tuple(c for c in str(raw.get("reminder_channels", "")).split(",") if c.strip())
    if any(c not in CHANNEL_CHOICES for c in channels):
        raise ValidationFailed("error.invalid", field="reminder_channels")
    tracked = str(raw.get("tracked_from", "")).strip()
    try:
        tracked_from = date.fromisoformat(tracked) if tracked else None
    except ValueError:
        raise ValidationFailed("field.date_format", field="tracked_from", value=tracked[:10]) from None
    remind = _int(raw, "remind_after_days", 1, 30)
    threshold = _int(raw, "case_threshold", 1, 60)
    return WatchRules(
        scan_time=parse_hhmm(raw.get("scan_time", ""), "scan_time"),
        remind_after_days=remind,
        forward_after_hours=_int(raw, "forward_after_hours", 1, 72),
        case_threshold=threshold,
        office_start=office_start,
        office_end=office_end,
        late_grace_minutes=_int(raw, "late_grace_minutes", 0, 600),
        lookback_days=_int(raw, "lookback_days", 14, 366),
        reminder_channels=channels,
        geolocation=str(raw.get("geolocation", "")) in ("1", "true", "on"),
        tracked_from=tracked_from,
    )


# ---- texts -----------------------------------------------------------------------------------

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_LISTED_DATES = 6


def dates_zh(days: Sequence[date]) -> str:
    """9月21日、9月22日 (the first few, then 等N天)."""
    shown = "、".join(f"{d.month}月{d.day}日" for d in days[:MAX_LISTED_DATES])
    return shown + (f"等{len(days)}天" if len(days) > MAX_LISTED_DATES else "")


def dates_en(days: Sequence[date]) -> str:
    shown = ", ".join(f"{d.day} {MONTHS_EN[d.month - 1]}" for d in days[:MAX_LISTED_DATES])
    return shown + (f" and {len(days) - MAX_LISTED_DATES} more" if len(days) > MAX_LISTED_DATES else "")
