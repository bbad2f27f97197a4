"""The work calendar (工作日历): which days are workdays, and how many leave days a range costs.

Monday to Friday are workdays and weekends are rest days, except where the calendar says
otherwise: a statutory holiday (法定节假日) on a weekday is a rest day, a swapped workday
(调休补班) on a weekend is a workday. Leave is counted in half days.
"""

from __future__ import annotations

import re
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


HOLIDAY_NAMES_EN = {
    "元旦": "New Year's Day",
    "春节": "Spring Festival",
    "清明节": "Tomb-sweeping Day",
    "劳动节": "Labour Day",
    "端午节": "Dragon Boat Festival",
    "中秋节": "Mid-autumn Festival",
    "国庆节": "National Day",
}
_SECTION = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]\s*(?P<name>[^：:]{1,20})[：:](?P<rest>.+)$")
_DAY = r"(?:(?P<{p}m>\d{{1,2}})月)?(?P<{p}d>\d{{1,2}})日(?:[（(][^）)]*[）)])?"
_RANGE = re.compile(_DAY.format(p="a") + r"(?:\s*[至到-]\s*" + _DAY.format(p="b") + r")?")
_ISO = re.compile(
    r"^\s*(?P<a>\d{4}-\d{2}-\d{2})(?:\s*(?:~|至|到)\s*(?P<b>\d{4}-\d{2}-\d{2}))?\s+(?P<what>放假|上班|holiday|workday)\s*(?P<name>.*)$"
)


@dataclass(frozen=True)
class NoticeError:
    line: int
    key: str
    text: str


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def parse_notice(text: str, year: int) -> tuple[dict[date, DayException], list[NoticeError]]:
    """A year's holidays and swapped workdays from the State Council's notice as HR pastes it
    ("一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。…2月14日（周六）上班。"), or from
    lines "2027-02-06 ~ 2027-02-13 放假 春节" / "2027-02-14 上班 春节". Holidays falling on a
    weekend are rest days anyway and are not stored; a 上班 day must be a Saturday or Sunday."""
    days: dict[date, DayException] = {}
    errors: list[NoticeError] = []

    def add_holidays(first: date, last: date, name: str, number: int) -> None:
        if last < first or (last - first).days > 20:
            errors.append(NoticeError(number, "calendar.notice_bad_range", f"{first}–{last}"))
            return
        for day in _days(first, last):
            if day.year == year and day.weekday() < 5:
                days[day] = DayException(DayKind.holiday, name, HOLIDAY_NAMES_EN.get(name, name))

    def add_workday(day: date, name: str, number: int) -> None:
        if day.weekday() < 5:
            errors.append(NoticeError(number, "calendar.notice_workday_on_weekday", day.isoformat()))
        elif day.year == year:
            days[day] = DayException(DayKind.swapped_workday, f"{name}调休", f"{HOLIDAY_NAMES_EN.get(name, name)} swapped workday")

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        iso = _ISO.match(line)
        if iso:
            try:
                first = date.fromisoformat(iso["a"])
                last = date.fromisoformat(iso["b"] or iso["a"])
            except ValueError:
                errors.append(NoticeError(number, "calendar.notice_unreadable", line[:60]))
                continue
            name = iso["name"].strip()[:32] or "节假日"
            if iso["what"] in ("放假", "holiday"):
                add_holidays(first, last, name, number)
            else:
                for day in _days(first, last):
                    add_workday(day, name, number)
            continue
        section = _SECTION.match(line)
        if not section:
            errors.append(NoticeError(number, "calendar.notice_unreadable", line[:60]))
            continue
        name = section["name"].strip()
        found = False
        for sentence in re.split(r"[。；;]", section["rest"]):
            if "放假" in sentence:
                match = _RANGE.search(sentence)
                if not match or not match["am"]:
                    continue
                try:
                    first = date(year, int(match["am"]), int(match["ad"]))
                    end_month = int(match["bm"] or match["am"]) if match["bd"] else first.month
                    end_year = year + 1 if end_month < first.month else year
                    last = date(end_year, end_month, int(match["bd"] or match["ad"]))
                except ValueError:
                    errors.append(NoticeError(number, "calendar.notice_unreadable", sentence[:60]))
                    continue
                add_holidays(first, last, name, number)
                found = True
            elif "上班" in sentence:
                for match in re.finditer(r"(\d{1,2})月(\d{1,2})日", sentence):
                    try:
                        add_workday(date(year, int(match[1]), int(match[2])), name, number)
                    except ValueError:
                        errors.append(NoticeError(number, "calendar.notice_unreadable", match[0]))
                found = True
        if not found:
            errors.append(NoticeError(number, "calendar.notice_unreadable", line[:60]))
    if not errors and not any(e.kind == DayKind.holiday for e in days.values()):
        errors.append(NoticeError(0, "calendar.notice_empty", ""))
    return dict(sorted(days.items())), errors
