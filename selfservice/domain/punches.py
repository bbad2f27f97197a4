"""Punches (打卡记录) as they arrive: from a time-clock export, the HTTP API, the WeCom
check-in pull or the clock-in button. What makes one acceptable, and how a file is read.

A time-clock file is validated whole before anything is stored: every bad line is reported
with its column and reason, and a file with any error imports nothing. The same punch twice
(in one file, across files, or sent twice by a device) is stored once: each punch has an
external id unique within its source.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from selfservice.domain.employee_import import FileUnreadable, RowError, read_records

EARLIEST = date(2000, 1, 1)
CLOCK_SKEW = timedelta(minutes=5)  # a device's clock may run a little ahead
MAX_EXTERNAL_ID = 128

# Column headers as time clocks (ZKTeco, Hikvision, Deli) and people write them.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "employee_no": ("工号", "员工编号", "员工工号", "考勤号码", "考勤号", "人员编号", "employee_no", "employee no", "ac-no.", "userid"),
    "datetime": ("打卡时间", "签到时间", "日期时间", "刷卡时间", "datetime", "time stamp", "check time", "punch time"),
    "date": ("日期", "打卡日期", "考勤日期", "date"),
    "time": ("时间", "刷卡时刻", "time"),
    "direction": ("状态", "打卡类型", "方向", "签到/签退", "direction", "state", "type"),
    "device": ("设备", "设备名称", "机器号", "考勤机", "device", "machine"),
}
FIELDS = tuple(HEADER_ALIASES)
DIRECTIONS = {
    "in": "in",
    "out": "out",
    "上班": "in",
    "上班打卡": "in",
    "签到": "in",
    "进": "in",
    "check in": "in",
    "c/in": "in",
    "下班": "out",
    "下班打卡": "out",
    "签退": "out",
    "出": "out",
    "check out": "out",
    "c/out": "out",
}


@dataclass(frozen=True)
class Directory:
    """What validation needs to know of the employees: number → (id, active)."""

    by_number: Mapping[str, tuple[int, bool]]


@dataclass(frozen=True)
class PunchDraft:
    employee_id: int
    at: datetime  # aware
    external_id: str
    direction: str = ""
    location: str = ""
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    raw: str = ""


def time_problem(at: datetime, now: datetime) -> str | None:
    """The reason a punch time cannot be true, or None: in the future, or before 2000."""
    if at > now + CLOCK_SKEW:
        return "punch.future"
    if at.date() < EARLIEST:
        return "punch.too_old"
    return None


def direction_of(value: Any) -> str | None:
    """ "上班"/"签到"/"in" → in; "下班"/"签退"/"out" → out; blank → ""; anything else None."""
    text = str(value or "").strip().lower()
    if not text:
        return ""
    return DIRECTIONS.get(text)


# ---- reading a time-clock file --------------------------------------------------------------


@dataclass
class TableFile:
    """A file's header and its non-blank rows with their 1-based line numbers."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def read_table(filename: str, data: bytes, max_rows: int) -> TableFile:
    try:
        records = iter(read_records(filename, data))
        try:
            header = next(records)
        except StopIteration:
            raise FileUnreadable("import.empty") from None
        table = TableFile([str(h or "").strip() for h in header])
        for line, record in enumerate(records, start=2):
            if not any(str(cell if cell is not None else "").strip() for cell in record):
                continue
            if len(table.rows) >= max_rows:
                raise FileUnreadable("import.too_many_rows", max=max_rows)
            table.rows.append((line, list(record)))
    except csv.Error:
        raise FileUnreadable("import.bad_csv") from None
    if not table.rows:
        raise FileUnreadable("import.empty")
    return table


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Field → header, recognised from the usual names (HR confirms or changes it)."""
    mapping: dict[str, str] = {}
    for name, aliases in HEADER_ALIASES.items():
        for header in headers:
            if header.strip().lower() in aliases and header not in mapping.values():
                mapping[name] = header
                break
    if "datetime" in mapping and "time" in mapping and mapping.get("date"):
        mapping.pop("datetime")  # separate date and time columns win over an ambiguous "打卡时间"
    return mapping


def check_mapping(mapping: Mapping[str, str], headers: list[str]) -> list[RowError]:
    """The mapping names existing columns: the employee number, and a date-time or a date + time."""
    errors = []
    for name, header in mapping.items():
        if name not in FIELDS:
            errors.append(RowError(1, name, "punch.mapping_unknown_field"))
        elif header and header not in headers:
            errors.append(RowError(1, header, "punch.mapping_missing_column"))
    if not mapping.get("employee_no"):
        errors.append(RowError(1, "employee_no", "punch.mapping_needs_employee"))
    if not mapping.get("datetime") and not (mapping.get("date") and mapping.get("time")):
        errors.append(RowError(1, "datetime", "punch.mapping_needs_time"))
    return errors


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M")


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_time(value: Any) -> time | None:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    if isinstance(value, float) and 0 <= value < 1:  # an Excel time stored as a day fraction
        seconds = round(value * 86400)
        return time(seconds // 3600, seconds % 3600 // 60, seconds % 60) if seconds < 86400 else None
    text = str(value or "").strip()
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).time()
        except ValueError:
            continue
    return None


def parse_datetime(value: Any) -> datetime | None:
    """A naive local date-time from a cell: a datetime, or "2026-09-21 09:01[:33]" in the usual forms."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    text = str(value or "").strip().replace("T", " ")
    if " " not in text:
        return None
    day_text, _, time_text = text.partition(" ")
    day, moment = parse_date(day_text), parse_time(time_text.strip())
    return datetime.combine(day, moment) if day and moment else None


def file_external_id(employee_no: str, local: datetime) -> str:
    """The same person at the same second is the same punch, whichever file it came in."""
    return "f:" + hashlib.sha256(f"{employee_no}|{local.isoformat(timespec='seconds')}".encode()).hexdigest()[:40]


@dataclass
class ValidatedFile:
    drafts: list[tuple[int, PunchDraft]]
    errors: list[RowError]
    repeated: list[tuple[int, int]]  # (line, earlier line with the same punch): stored once


def validate_rows(table: TableFile, mapping: Mapping[str, str], directory: Directory, tz: ZoneInfo, now: datetime) -> ValidatedFile:
    """Every row checked against the mapping, the employees and the clock; all errors collected."""
    column = {name: table.headers.index(header) for name, header in mapping.items() if header and header in table.headers}

    def cell(record: list[Any], name: str) -> Any:
        index = column.get(name)
        return record[index] if index is not None and index < len(record) else None

    drafts: list[tuple[int, PunchDraft]] = []
    errors: list[RowError] = []
    repeated: list[tuple[int, int]] = []
    first_line: dict[str, int] = {}
    for line, record in table.rows:
        number = str(cell(record, "employee_no") or "").strip()
        if isinstance(cell(record, "employee_no"), float) and float(number).is_integer():
            number = str(int(float(number)))  # a number column in Excel: 1004.0 → 1004
        found = directory.by_number.get(number)
        if not number:
            errors.append(RowError(line, mapping["employee_no"], "field.required"))
        elif found is None:
            errors.append(RowError(line, mapping["employee_no"], "punch.unknown_employee", {"value": number[:32]}))
        elif not found[1]:
            errors.append(RowError(line, mapping["employee_no"], "punch.inactive_employee", {"value": number[:32]}))
        if mapping.get("datetime"):
            local = parse_datetime(cell(record, "datetime"))
            if local is None:
                errors.append(
                    RowError(line, mapping["datetime"], "punch.bad_datetime", {"value": str(cell(record, "datetime") or "")[:32]})
                )
        else:
            day, moment = parse_date(cell(record, "date")), parse_time(cell(record, "time"))
            local = datetime.combine(day, moment) if day and moment else None
            if day is None:
                errors.append(RowError(line, mapping["date"], "punch.bad_date", {"value": str(cell(record, "date") or "")[:32]}))
            if moment is None:
                errors.append(RowError(line, mapping["time"], "punch.bad_time", {"value": str(cell(record, "time") or "")[:32]}))
        direction = direction_of(cell(record, "direction")) if mapping.get("direction") else ""
        if direction is None:
            errors.append(RowError(line, mapping["direction"], "punch.bad_direction", {"value": str(cell(record, "direction"))[:16]}))
        if local is None or found is None or not found[1] or direction is None:
            continue
        at = local.replace(tzinfo=tz)
        problem = time_problem(at, now)
        if problem:
            column_name = mapping.get("datetime") or mapping["time"]
            errors.append(RowError(line, column_name, problem, {"value": local.isoformat(sep=" ", timespec="minutes")}))
            continue
        external_id = file_external_id(number, local)
        if external_id in first_line:
            repeated.append((line, first_line[external_id]))
            continue
        first_line[external_id] = line
        device = str(cell(record, "device") or "").strip()[:200] if mapping.get("device") else ""
        drafts.append((line, PunchDraft(found[0], at, external_id, direction, device)))
    errors.sort(key=lambda e: (e.line, e.column))
    return ValidatedFile(drafts, errors, repeated)


def chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
