"""The work calendar (工作日历): which days are workdays, and how many leave days a range costs.

Monday to Friday are workdays and weekends are rest days, except where the calendar says
otherwise: a statutory holiday (法定节假日) on a weekday is a rest day, a swapped workday
(调休补班) on a weekend is a workday. Leave is counted in half days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from selfservice.domain.errors import ValidationFailed


class DayKind(StrEnum):
    holiday = "holiday"  # a rest day that would otherwise be a workday
    swapped_workday = "swapped_workday"  # a workday that would otherwise be a weekend day


class Half(StrEnum):
    am = "am"
    pm = "pm"


@dataclass(frozen=True)
class DayException:
    kind: DayKind
    name: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class WorkCalendar:
    exceptions: Mapping[date, DayException]

    def is_workday(self, day: date) -> bool:
        exception = self.exceptions.get(day)
        if exception is not None:
            return exception.kind == DayKind.swapped_workday
        return day.weekday() < 5

    def workdays(self, start: date, end: date) -> list[date]:
        return [start + timedelta(days=i) for i in range((end - start).days + 1) if self.is_workday(start + timedelta(days=i))]

    def leave_days(self, start: date, start_half: Half, end: date, end_half: Half) -> Decimal:
        """Working days a leave from ``start`` (am/pm) to ``end`` (am/pm) takes, in halves.

        Starting in the afternoon skips the first morning; ending in the morning skips the last
        afternoon. Rest days inside the range cost nothing.
        """
        if end < start:
            raise ValidationFailed("leave.end_before_start", field="end")
        if end == start and start_half == Half.pm and end_half == Half.am:
            raise ValidationFailed("leave.half_order", field="end_half")
        days = Decimal(len(self.workdays(start, end)))
        if start_half == Half.pm and self.is_workday(start):
            days -= Decimal("0.5")
        if end_half == Half.am and self.is_workday(end):
            days -= Decimal("0.5")
        if days <= 0:
            raise ValidationFailed("leave.no_workdays", field="start")
        return days


def statutory_exceptions(year: int) -> dict[date, DayException]:
    """Holidays on weekdays and swapped weekend workdays of ``year``, from ``chinese-calendar``.

    Raises ValidationFailed when the package does not cover the year (HR enters those by hand).
    """
    import chinese_calendar

    first, last = date(year, 1, 1), date(year, 12, 31)
    covered = min(chinese_calendar.holidays) <= first and last <= max(chinese_calendar.holidays) + timedelta(days=90)
    if not covered or not any(d.year == year for d in chinese_calendar.holidays):
        raise ValidationFailed("calendar.year_not_covered", field="year", year=year)
    chinese = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}
    result: dict[date, DayException] = {}
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        name = str(name or "")
        if day.weekday() < 5 and on_holiday and name:
            result[day] = DayException(DayKind.holiday, chinese.get(name, name), name)
        elif day.weekday() >= 5 and not on_holiday:
            result[day] = DayException(
                DayKind.swapped_workday, chinese.get(name, name) + "调休" if name else "调休", f"{name} swapped workday".strip()
            )
    return result
