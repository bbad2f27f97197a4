"""Employee import (员工导入) from CSV or XLSX: all rows are validated before any is stored.

Column headers may be given in English or Chinese. CSV files may be UTF-8 (with or without BOM)
or GBK/GB18030, which is what Excel on a Chinese Windows saves.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from selfservice.domain.employees import (
    IMPORTABLE_ROLES,
    REQUIRED,
    EmployeeDraft,
    find_manager_cycle,
    validate_employee,
)

HEADER_ALIASES = {
    "employee_no": ("employee_no", "工号", "员工编号", "employee number"),
    "name": ("name", "姓名", "中文名"),
    "name_en": ("name_en", "英文名", "english name"),
    "department": ("department", "部门", "部门编码"),
    "manager_no": ("manager_no", "直属领导工号", "直属领导", "manager"),
    "hire_date": ("hire_date", "入职日期", "hire date"),
    "phone": ("phone", "手机", "手机号", "mobile"),
    "email": ("email", "邮箱", "电子邮箱"),
    "position": ("position", "职位", "岗位", "title"),
    "role": ("role", "角色"),
    "wecom_userid": ("wecom_userid", "企业微信账号", "企业微信", "wecom"),
    "work_start_date": ("work_start_date", "参加工作时间", "参加工作日期", "首次参加工作时间", "work start date"),
    "child_births": ("child_births", "子女出生日期", "children's birth dates"),
    "probation_end": ("probation_end", "试用期至", "试用期截止日期", "试用期结束日期", "probation end"),
}
_ALIAS_TO_FIELD = {alias.lower(): key for key, aliases in HEADER_ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class RowError:
    """A bad cell: 1-based line number in the file (header is line 1), column and reason."""

    line: int
    column: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedFile:
    rows: list[tuple[int, dict[str, Any]]]
    errors: list[RowError]


class FileUnreadable(Exception):
    """The file as a whole cannot be read (encoding, format, size)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 first (BOM tolerated), then GB18030 (a superset of GBK); otherwise unreadable."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        raise FileUnreadable("import.encoding")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise FileUnreadable("import.encoding")
        return text
    raise FileUnreadable("import.encoding")


def _map_headers(headers: Iterable[Any]) -> tuple[dict[int, str], list[RowError]]:
    mapping: dict[int, str] = {}
    errors: list[RowError] = []
    for index, header in enumerate(headers):
        name = str(header or "").strip().lower()
        if name in _ALIAS_TO_FIELD:
            key = _ALIAS_TO_FIELD[name]
            if key in mapping.values():
                errors.append(RowError(1, str(header), "import.duplicate_column"))
            mapping[index] = key
    for required in REQUIRED:
        if required not in mapping.values():
            errors.append(RowError(1, required, "import.missing_column"))
    return mapping, errors


def _rows(records: Iterable[list[Any]], max_rows: int) -> ParsedFile:
    iterator = iter(records)
    try:
        header = next(iterator)
    except StopIteration:
        raise FileUnreadable("import.empty") from None
    mapping, errors = _map_headers(header)
    if errors:
        return ParsedFile([], errors)
    rows: list[tuple[int, dict[str, Any]]] = []
    for line, record in enumerate(iterator, start=2):
        if not any(str(cell or "").strip() for cell in record):
            continue
        if len(rows) >= max_rows:
            raise FileUnreadable("import.too_many_rows", max=max_rows)
        rows.append((line, {key: record[i] if i < len(record) else None for i, key in mapping.items()}))
    if not rows:
        raise FileUnreadable("import.empty")
    return ParsedFile(rows, [])


def read_records(filename: str, data: bytes) -> Iterable[list[Any]]:
    """The rows of a CSV (UTF-8 or GBK) or XLSX (first sheet) file, header first. A damaged
    CSV raises ``csv.Error`` while it is read."""
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise FileUnreadable("import.bad_xlsx") from None
        sheet = workbook.worksheets[0]
        return ([cell for cell in row] for row in sheet.iter_rows(values_only=True))
    if lower.endswith(".csv"):
        return csv.reader(io.StringIO(decode_csv_bytes(data), newline=""))
    raise FileUnreadable("import.unsupported_type")


def parse_file(filename: str, data: bytes, max_rows: int = 20000) -> ParsedFile:
    """Read a CSV or XLSX file into (line, fields) rows keyed by field name."""
    try:
        return _rows(read_records(filename, data), max_rows)
    except csv.Error:
        raise FileUnreadable("import.bad_csv") from None


@dataclass(frozen=True)
class Directory:
    """What the import needs to know of the existing records."""

    department_ids: Mapping[str, int]  # code and both names, lower-cased → id
    employee_ids: Mapping[str, int]  # employee_no → id (existing)
    manager_of: Mapping[str, str]  # existing employee_no → manager employee_no


def validate_rows(
    rows: list[tuple[int, dict[str, Any]]], directory: Directory, phone_region: str = "CN"
) -> tuple[list[tuple[int, EmployeeDraft]], list[RowError]]:
    """Validate every row against the file and the existing records; collect every error."""
    drafts: list[tuple[int, EmployeeDraft]] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for line, raw in rows:
        draft, field_errors = validate_employee(raw, phone_region=phone_region, allowed_roles=IMPORTABLE_ROLES)
        errors.extend(RowError(line, e.field, e.key, e.params) for e in field_errors)
        if draft is None:
            continue
        if draft.employee_no in first_line:
            errors.append(RowError(line, "employee_no", "import.duplicate_in_file", {"other": first_line[draft.employee_no]}))
            continue
        first_line[draft.employee_no] = line
        if draft.employee_no in directory.employee_ids:
            errors.append(RowError(line, "employee_no", "import.already_exists", {"value": draft.employee_no}))
        if draft.department.lower() not in directory.department_ids:
            errors.append(RowError(line, "department", "import.unknown_department", {"value": draft.department[:40]}))
        drafts.append((line, draft))
    in_file = {draft.employee_no for _, draft in drafts}
    for line, draft in drafts:
        if draft.manager_no and draft.manager_no not in in_file and draft.manager_no not in directory.employee_ids:
            errors.append(RowError(line, "manager_no", "import.unknown_manager", {"value": draft.manager_no[:32]}))
    if not errors:
        relation = dict(directory.manager_of)
        relation.update({draft.employee_no: draft.manager_no for _, draft in drafts if draft.manager_no})
        cycle = find_manager_cycle(relation)
        if cycle:
            line_of = {draft.employee_no: line for line, draft in drafts}
            first = min((line_of[no] for no in cycle if no in line_of), default=1)
            errors.append(RowError(first, "manager_no", "import.manager_cycle", {"cycle": " → ".join(cycle)}))
    errors.sort(key=lambda e: (e.line, e.column))
    return drafts, errors
