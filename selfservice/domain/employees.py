"""Employee records (员工档案): field rules shared by the edit form, the import and the CLI."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from selfservice.domain.actor import Role
from selfservice.domain.text import clean as clean_text

EMPLOYEE_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
MAX_NAME = 64


class EmployeeStatus(StrEnum):
    active = "active"
    inactive = "inactive"


@dataclass(frozen=True)
class FieldError:
    """One invalid field: the i18n key of the reason and its parameters."""

    field: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class EmployeeDraft:
    """A validated employee record, ready to be stored. Phone numbers are E.164."""

    employee_no: str
    name: str
    department: str
    hire_date: date
    phone: str
    name_en: str = ""
    manager_no: str = ""
    email: str = ""
    position: str = ""
    role: Role = Role.employee
    wecom_userid: str = ""  # 企业微信账号, when it is not the employee number
    work_start_date: date | None = None  # 参加工作时间: decides the statutory annual leave
    child_births: str = ""  # children's birth dates, ISO, comma separated (育儿假)
    probation_end: date | None = None  # 试用期至: a resignation needs 3 days' notice until then


def normalize_phone(raw: str, region: str = "CN") -> str | None:
    """The E.164 form of a valid phone number, or None (uses Google's libphonenumber rules)."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str | None:
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def parse_date(raw: Any) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return clean_text(str(raw)).strip()


REQUIRED = ("employee_no", "name", "department", "hire_date", "phone")
WECOM_USERID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")  # what WeCom accepts as a member's account
IMPORTABLE_ROLES = (Role.employee, Role.manager)


def validate_employee(
    raw: Mapping[str, Any], *, phone_region: str = "CN", allowed_roles=tuple(Role)
) -> tuple[EmployeeDraft | None, list[FieldError]]:
    """Check one employee's fields; return the draft or every field error found."""
    errors: list[FieldError] = []
    values = {key: _text(raw.get(key)) for key in (*REQUIRED, "name_en", "manager_no", "email", "position", "role", "wecom_userid")}
    for key in REQUIRED:
        if not values[key] and not (key == "hire_date" and raw.get(key)):
            errors.append(FieldError(key, "field.required"))
    if values["employee_no"] and not EMPLOYEE_NO.match(values["employee_no"]):
        errors.append(FieldError("employee_no", "field.employee_no_format"))
    for key in ("name", "name_en", "position"):
        if len(values[key]) > MAX_NAME:
            errors.append(FieldError(key, "field.too_long", {"max": MAX_NAME}))
        if any(ord(ch) < 32 for ch in values[key]):
            errors.append(FieldError(key, "field.control_chars"))
    hire = parse_date(raw.get("hire_date"))
    if values["hire_date"] and hire is None:
        errors.append(FieldError("hire_date", "field.date_format", {"value": values["hire_date"][:20]}))
    phone = normalize_phone(values["phone"], phone_region) if values["phone"] else None
    if values["phone"] and phone is None:
        errors.append(FieldError("phone", "field.phone_invalid", {"value": values["phone"][:20]}))
    email = ""
    if values["email"]:
        email = normalize_email(values["email"]) or ""
        if not email:
            errors.append(FieldError("email", "field.email_invalid", {"value": values["email"][:64]}))
    role = Role.employee
    if values["role"]:
        try:
            role = Role(values["role"].lower())
        except ValueError:
            role = None  # type: ignore[assignment]
        if role is None or role not in allowed_roles:
            errors.append(FieldError("role", "field.role_invalid", {"value": values["role"][:20]}))
    if values["wecom_userid"] and not WECOM_USERID.match(values["wecom_userid"]):
        errors.append(FieldError("wecom_userid", "field.wecom_userid_format"))
    if values["manager_no"] and values["manager_no"] == values["employee_no"]:
        errors.append(FieldError("manager_no", "field.manager_self"))
    work_start, births = _leave_facts(raw, hire, errors)
    probation_text = _text(raw.get("probation_end"))
    probation = parse_date(raw.get("probation_end")) if probation_text else None
    if probation_text and probation is None:
        errors.append(FieldError("probation_end", "field.date_format", {"value": probation_text[:20]}))
    elif probation is not None and hire is not None and not hire <= probation <= hire + timedelta(days=183):
        errors.append(FieldError("probation_end", "field.probation_range"))
    if errors:
        return None, errors
    return (
        EmployeeDraft(
            employee_no=values["employee_no"],
            name=values["name"],
            name_en=values["name_en"],
            department=values["department"],
            manager_no=values["manager_no"],
            hire_date=hire,  # type: ignore[arg-type]
            phone=phone,  # type: ignore[arg-type]
            email=email,
            position=values["position"],
            role=role,
            wecom_userid=values["wecom_userid"],
            work_start_date=work_start,
            child_births=births,
            probation_end=probation,
        ),
        [],
    )


def _leave_facts(raw: Mapping[str, Any], hire: date | None, errors: list[FieldError]) -> tuple[date | None, str]:
    """参加工作时间 and the children's birth dates (both optional); errors are appended."""
    from selfservice.domain import leave_law
    from selfservice.domain.errors import ValidationFailed

    text = _text(raw.get("work_start_date"))
    work_start = parse_date(raw.get("work_start_date")) if text else None
    if text and work_start is None:
        errors.append(FieldError("work_start_date", "field.date_format", {"value": text[:20]}))
    elif work_start is not None and hire is not None:
        try:
            leave_law.check_work_start(work_start, hire)
        except ValidationFailed as error:
            errors.append(FieldError("work_start_date", error.key, error.params))
    births = _text(raw.get("child_births"))
    try:
        dates = leave_law.parse_births(births)
    except ValidationFailed as error:
        errors.append(FieldError("child_births", error.key, error.params))
        return work_start, ""
    return work_start, ",".join(d.isoformat() for d in dates)


def find_manager_cycle(manager_of: Mapping[str, str]) -> list[str] | None:
    """Return one cycle in the employee → manager relation, or None if it is a forest."""
    state: dict[str, int] = {}
    for start in manager_of:
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node, 0) == 0:
            state[node] = 1
            path.append(node)
            node = manager_of.get(node) or None
        if node is not None and state.get(node) == 1:
            return path[path.index(node) :]
        for visited in path:
            state[visited] = 2
    return None
