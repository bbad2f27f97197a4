"""The company work calendar: statutory holidays and swapped workdays, loaded from the
``chinese-calendar`` package for the years it covers and edited by HR for later years."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session, select

from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import NotPermitted, ValidationFailed
from selfservice.domain.work_calendar import DayException, DayKind, Half, WorkCalendar, statutory_exceptions
from selfservice.persistence.models import WorkCalendarDay
from selfservice.persistence.reference import reference_data
from selfservice.services import audit

MIN_YEAR, MAX_YEAR = 2000, 2100


@reference_data
def load(session: Session, start: date, end: date) -> WorkCalendar:
    """The calendar for a date range (for leave counting and attendance)."""
    rows = session.exec(select(WorkCalendarDay).where(WorkCalendarDay.day >= start, WorkCalendarDay.day <= end)).all()
    return WorkCalendar({r.day: DayException(DayKind(r.kind), r.name, r.name_en) for r in rows})


@dataclass(frozen=True)
class CalendarRow:
    day: str
    weekday: int
    kind: str
    name: str
    name_en: str
    source: str


def year_rows(session: Session, actor: Actor, year: int) -> list[CalendarRow]:
    """Every exception of ``year``; any signed-in employee may read the calendar."""
    _check_year(year)
    rows = session.exec(
        select(WorkCalendarDay)
        .where(WorkCalendarDay.day >= date(year, 1, 1), WorkCalendarDay.day <= date(year, 12, 31))
        .order_by(WorkCalendarDay.day)
    ).all()
    return [CalendarRow(r.day.isoformat(), r.day.weekday(), r.kind, r.name, r.name_en, r.source) for r in rows]


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed("calendar.year_range", field="year", min=MIN_YEAR, max=MAX_YEAR)


def _require_hr(actor: Actor) -> None:
    if not actor.has_role(Role.hr):
        raise NotPermitted()


def load_statutory(session: Session, actor: Actor, year: int, now: datetime) -> int:
    """Replace ``year``'s statutory days with the package's; HR's own entries are kept."""
    _require_hr(actor)
    _check_year(year)
    days = statutory_exceptions(year)
    existing = _year_rows(session, year)
    changed = _put_days(session, actor, existing, days, "statutory", now)
    audit.append(session, actor, "calendar.statutory_loaded", "work_calendar", year, after={"days": changed}, at=now)
    return changed


def _year_rows(session: Session, year: int) -> dict[date, WorkCalendarDay]:
    return {
        r.day: r
        for r in session.exec(
            select(WorkCalendarDay).where(WorkCalendarDay.day >= date(year, 1, 1), WorkCalendarDay.day <= date(year, 12, 31))
        ).all()
    }


def _put_days(
    session: Session, actor: Actor, existing: dict[date, WorkCalendarDay], days: dict[date, DayException], source: str, now: datetime
) -> int:
    """Write ``days`` from ``source`` over a year's rows; the days HR set one by one are kept."""
    written = 0
    for day, exception in days.items():
        row = existing.get(day)
        if row is not None and row.source == "hr":
            continue
        row = row or WorkCalendarDay(day=day, kind=exception.kind)
        row.kind, row.name, row.name_en, row.source = exception.kind, exception.name, exception.name_en, source
        row.updated_at, row.updated_by = now, actor.account_id or None
        session.add(row)
        written += 1
    return written


def set_day(session: Session, actor: Actor, day: date, kind: str, name: str, now: datetime) -> None:
    """HR marks a day as a holiday or a swapped workday, or (kind "") back to the weekday rule."""
    _require_hr(actor)
    _check_year(day.year)
    row = session.get(WorkCalendarDay, day)
    before = None if row is None else {"kind": row.kind, "name": row.name, "source": row.source}
    if kind == "":
        if row is not None:
            session.delete(row)
            audit.append(session, actor, "calendar.day_cleared", "work_calendar_day", day.isoformat(), before=before, at=now)
        return
    if kind not in DayKind.__members__:
        raise ValidationFailed("error.invalid", field="kind")
    if kind == DayKind.holiday and day.weekday() >= 5:
        raise ValidationFailed("calendar.holiday_on_weekend", field="day")
    if kind == DayKind.swapped_workday and day.weekday() < 5:
        raise ValidationFailed("calendar.swap_on_weekday", field="day")
    name = name.strip()[:64]
    row = row or WorkCalendarDay(day=day, kind=kind)
    row.kind, row.name, row.name_en, row.source, row.updated_at, row.updated_by = kind, name, name, "hr", now, actor.account_id or None
    session.add(row)
    audit.append(
        session, actor, "calendar.day_set", "work_calendar_day", day.isoformat(), before=before, after={"kind": kind, "name": name}, at=now
    )


def count_leave_days(session: Session, actor: Actor, start: date, start_half: str, end: date, end_half: str) -> Decimal:
    """How many working days a leave takes, with half days (any signed-in employee)."""
    return leave_days(session, start, start_half, end, end_half)


def leave_days(session: Session, start: date, start_half: str, end: date, end_half: str) -> Decimal:
    """The working days from ``start`` (am/pm) to ``end`` (am/pm) by the company calendar."""
    try:
        first, last = Half(start_half), Half(end_half)
    except ValueError:
        raise ValidationFailed("error.invalid", field="start_half") from None
    if (end - start).days > 366:
        raise ValidationFailed("leave.range_too_long", field="end")
    return load(session, start, end).leave_days(start, first, end, last)


def entered_years(session: Session, years: set[int]) -> set[int]:
    """Of ``years``, those whose statutory holidays are in the calendar (at least one holiday)."""
    if not years:
        return set()
    return set(_entered(session, frozenset(years)))


@reference_data
def _entered(session: Session, years: frozenset[int]) -> frozenset[int]:
    rows = session.exec(
        select(WorkCalendarDay.day).where(
            WorkCalendarDay.kind == DayKind.holiday.value,
            WorkCalendarDay.day >= date(min(years), 1, 1),
            WorkCalendarDay.day <= date(max(years), 12, 31),
        )
    ).all()
    return frozenset({d.year for d in rows} & years)


def require_years(session: Session, start: date, end: date, now: datetime) -> None:
    """Refuse to count days in a year whose statutory holidays nobody entered (they would be
    counted as working days without a word), and tell HR once that the year is missing. The
    alert is committed before the refusal so that it is not rolled back with it."""
    from selfservice.domain.errors import DomainError
    from selfservice.persistence.db import insert_ignoring_duplicates
    from selfservice.persistence.models import Employee, OnceKey, UserAccount
    from selfservice.services.notifications import notify_many

    years = set(range(start.year, end.year + 1))
    missing = sorted(years - entered_years(session, years))
    if not missing:
        return
    year = missing[0]
    told = session.execute(
        insert_ignoring_duplicates(session, OnceKey.__table__).returning(OnceKey.__table__.c.key),  # type: ignore[attr-defined]
        [{"key": f"calendar.year_missing:{year}", "created_at": now}],
    ).all()
    if told:
        hr = session.exec(
            select(Employee.id)
            .join(UserAccount, UserAccount.employee_id == Employee.id)
            .where(UserAccount.role.in_(("hr", "admin")), UserAccount.active, Employee.status == "active")  # type: ignore[attr-defined]
        ).all()
        notify_many(session, None, list(hr), "calendar_alert", "calendar.year_missing", {"year": str(year)}, (), now, link_path="/calendar")
        session.commit()
    raise DomainError("leave.calendar_missing", year=year)


@dataclass(frozen=True)
class NoticePreview:
    year: int
    rows: list[CalendarRow]
    errors: list[tuple[int, str, str]]  # (line, i18n key, text)


def preview_notice(session: Session, actor: Actor, year: int, text: str) -> NoticePreview:
    """What a pasted notice would put in the calendar for ``year`` (HR), with every error."""
    from selfservice.domain.work_calendar import parse_notice

    _require_hr(actor)
    _check_year(year)
    if len(text) > 20_000:
        raise ValidationFailed("calendar.notice_too_long", field="notice")
    days, errors = parse_notice(text, year)
    rows = [CalendarRow(d.isoformat(), d.weekday(), e.kind, e.name, e.name_en, "notice") for d, e in days.items()]
    return NoticePreview(year, rows, [(e.line, e.key, e.text) for e in errors])


def save_notice(session: Session, actor: Actor, year: int, text: str, now: datetime) -> int:
    """Enter a whole year from the notice at once: every error refuses the whole text; the year's
    days from earlier loads are replaced, HR's own single-day entries are kept. Returns the days."""
    from selfservice.domain.work_calendar import parse_notice

    _require_hr(actor)
    _check_year(year)
    days, errors = parse_notice(text, year)
    if errors:
        first = errors[0]
        raise ValidationFailed(first.key, field="notice", line=first.line, text=first.text)
    existing = _year_rows(session, year)
    removed = [row for day, row in existing.items() if row.source != "hr" and day not in days]
    for row in removed:
        session.delete(row)
    saved = _put_days(session, actor, existing, days, "notice", now)
    audit.append(
        session,
        actor,
        "calendar.notice_entered",
        "work_calendar",
        year,
        after={"days": saved, "removed": len(removed), "holidays": sum(1 for e in days.values() if e.kind == DayKind.holiday)},
        at=now,
    )
    return saved
