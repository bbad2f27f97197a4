"""People: profiles, the HR directory, create/edit/deactivate and file import.

Scope rules (checked here, for every caller): an employee reads only their own record, a
manager their direct reports too, HR and admin everyone. Only HR and admin change records.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.auth import secrets as sec
from selfservice.domain.actor import Actor, Role
from selfservice.domain.contacts import display_phone
from selfservice.domain.employee_import import Directory, FileUnreadable, RowError, parse_file, validate_rows
from selfservice.domain.employees import EmployeeDraft, FieldError, find_manager_cycle, validate_employee
from selfservice.domain.errors import DomainError, NotFound, NotPermitted, ValidationFailed
from selfservice.persistence.models import Department, Employee, UserAccount
from selfservice.services import audit
from selfservice.services.auth import revoke_all
from selfservice.settings import get_settings

PAGE_SIZE = 20


@dataclass(frozen=True)
class ProfileView:
    id: int
    employee_no: str
    name: str
    name_en: str
    department: str
    department_en: str
    manager: str
    position: str
    hire_date: str
    work_start_date: str
    status: str
    phone: str
    email: str
    address: str
    emergency_contact_name: str
    emergency_contact_phone: str
    username: str
    role: str


@dataclass(frozen=True)
class DirectoryRow:
    id: int
    employee_no: str
    name: str
    name_en: str
    department: str
    department_en: str
    manager: str
    status: str
    role: str


@dataclass(frozen=True)
class DirectoryPage:
    rows: list[DirectoryRow]
    total: int
    page: int
    pages: int


def _may_read(session: Session, actor: Actor, employee: Employee) -> bool:
    if actor.has_role(Role.hr) or employee.id == actor.employee_id:
        return True
    return actor.role == Role.manager and employee.manager_id == actor.employee_id


def profile(session: Session, actor: Actor, employee_id: int) -> ProfileView:
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound()
    if not _may_read(session, actor, employee):
        raise NotPermitted()
    department = session.get(Department, employee.department_id)
    manager = session.get(Employee, employee.manager_id) if employee.manager_id else None
    account = session.exec(select(UserAccount).where(UserAccount.employee_id == employee.id)).first()
    return ProfileView(
        id=employee.id or 0,
        employee_no=employee.employee_no,
        name=employee.name,
        name_en=employee.name_en,
        department=department.name if department else "",
        department_en=(department.name_en or department.name) if department else "",
        manager=f"{manager.name} ({manager.employee_no})" if manager else "",
        position=employee.position,
        hire_date=employee.hire_date.isoformat(),
        work_start_date=employee.work_start_date.isoformat() if employee.work_start_date else "",
        status=employee.status,
        phone=employee.phone,
        email=employee.email,
        address=employee.address,
        emergency_contact_name=employee.emergency_contact_name,
        emergency_contact_phone=employee.emergency_contact_phone,
        username=account.username if account else "",
        role=account.role if account else "",
    )


def search(session: Session, actor: Actor, query: str = "", department_id: int | None = None, page: int = 1) -> DirectoryPage:
    """The directory: HR sees everyone, a manager their reports; search by name, number, department."""
    if not actor.has_role(Role.manager):
        raise NotPermitted()
    manager = sa.orm.aliased(Employee)
    stmt = (
        select(Employee, Department, manager, UserAccount.role)
        .join(Department, Department.id == Employee.department_id)  # type: ignore[arg-type]
        .join(manager, manager.id == Employee.manager_id, isouter=True)  # type: ignore[arg-type]
        .join(UserAccount, UserAccount.employee_id == Employee.id, isouter=True)  # type: ignore[arg-type]
    )
    if not actor.has_role(Role.hr):
        stmt = stmt.where(Employee.manager_id == actor.employee_id)
    text = query.strip()[:64]
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(Employee.name).like(like),
                sa.func.lower(Employee.name_en).like(like),
                sa.func.lower(Employee.employee_no).like(like),
                sa.func.lower(Department.name).like(like),
                sa.func.lower(Department.name_en).like(like),
                sa.func.lower(Department.code).like(like),
            )
        )
    if department_id:
        stmt = stmt.where(Employee.department_id == department_id)
    total = session.exec(select(sa.func.count()).select_from(stmt.subquery())).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    result = session.exec(stmt.order_by(Employee.employee_no).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    rows = [
        DirectoryRow(
            id=e.id or 0,
            employee_no=e.employee_no,
            name=e.name,
            name_en=e.name_en,
            department=d.name,
            department_en=d.name_en or d.name,
            manager=m.name if m else "",
            status=e.status,
            role=role or "",
        )
        for e, d, m, role in result
    ]
    return DirectoryPage(rows, total, page, pages)


@dataclass(frozen=True)
class DepartmentOption:
    id: int
    code: str
    name: str
    name_en: str


def departments(session: Session, actor: Actor) -> list[DepartmentOption]:
    if not actor.has_role(Role.manager):
        raise NotPermitted()
    return [
        DepartmentOption(d.id or 0, d.code, d.name, d.name_en) for d in session.exec(select(Department).order_by(Department.code)).all()
    ]


def _department_index(session: Session) -> dict[str, int]:
    index: dict[str, int] = {}
    for d in session.exec(select(Department)).all():
        for key in (d.code, d.name, d.name_en):
            if key:
                index[key.lower()] = d.id or 0
    return index


def _snapshot(employee: Employee) -> dict[str, Any]:
    data = employee.model_dump(exclude={"created_at", "updated_at"})
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


def _require_hr(actor: Actor) -> None:
    if not actor.has_role(Role.hr):
        raise NotPermitted()


class InvalidEmployee(ValidationFailed):
    """One or more fields are invalid; ``errors`` lists each."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("employee.invalid", field=errors[0].field if errors else None)
        self.errors = errors


def _resolve_links(session: Session, draft: EmployeeDraft, employee_id: int | None) -> tuple[int, int | None]:
    department_id = _department_index(session).get(draft.department.lower())
    if department_id is None:
        raise InvalidEmployee([FieldError("department", "import.unknown_department", {"value": draft.department[:40]})])
    manager_id = None
    if draft.manager_no:
        manager = session.exec(select(Employee).where(Employee.employee_no == draft.manager_no)).first()
        if manager is None:
            raise InvalidEmployee([FieldError("manager_no", "import.unknown_manager", {"value": draft.manager_no[:32]})])
        manager_id = manager.id
        if employee_id is not None:
            relation = _manager_relation(session)
            own_no = session.get(Employee, employee_id).employee_no  # type: ignore[union-attr]
            relation[own_no] = draft.manager_no
            if find_manager_cycle(relation):
                raise InvalidEmployee([FieldError("manager_no", "import.manager_cycle", {"cycle": draft.manager_no})])
    return department_id, manager_id


def _manager_relation(session: Session) -> dict[str, str]:
    manager = sa.orm.aliased(Employee)
    rows = session.exec(
        select(Employee.employee_no, manager.employee_no).join(manager, manager.id == Employee.manager_id)  # type: ignore[arg-type]
    ).all()
    return {no: mgr for no, mgr in rows}


def create(session: Session, actor: Actor, raw: Mapping[str, Any], password: str = "", now: datetime | None = None) -> int:
    """Add an employee and their account (username = employee number)."""
    _require_hr(actor)
    allowed = tuple(Role) if actor.has_role(Role.admin) else (Role.employee, Role.manager, Role.hr)
    draft, errors = validate_employee(raw, phone_region=get_settings().phone_region, allowed_roles=allowed)
    if draft is None:
        raise InvalidEmployee(errors)
    if session.exec(select(Employee).where(Employee.employee_no == draft.employee_no)).first():
        raise InvalidEmployee([FieldError("employee_no", "import.already_exists", {"value": draft.employee_no})])
    if password and not (sec.MIN_PASSWORD <= len(password) <= 128):
        raise InvalidEmployee([FieldError("password", "auth.password_length", {"min": sec.MIN_PASSWORD})])
    department_id, manager_id = _resolve_links(session, draft, None)
    employee = Employee(
        employee_no=draft.employee_no,
        name=draft.name,
        name_en=draft.name_en,
        department_id=department_id,
        manager_id=manager_id,
        position=draft.position,
        hire_date=draft.hire_date,
        work_start_date=draft.work_start_date,
        child_births=draft.child_births,
        probation_end=draft.probation_end,
        phone=draft.phone,
        email=draft.email,
        wecom_userid=draft.wecom_userid,
    )
    session.add(employee)
    session.flush()
    account = UserAccount(
        employee_id=employee.id,  # type: ignore[arg-type]
        username=draft.employee_no,
        role=draft.role.value,
        password_hash=sec.hash_password(password) if password else None,
    )
    session.add(account)
    session.flush()
    audit.append(session, actor, "employee.created", "employee", employee.id, after=_snapshot(employee) | {"role": account.role}, at=now)
    from selfservice.services import contacts

    contacts.record_initial(session, actor, [_snapshot(employee)], contacts.HOW_HR, now or datetime.now().astimezone())
    _grant_leave(session, actor, employee.id, now)  # type: ignore[arg-type]
    return employee.id  # type: ignore[return-value]


def _grant_leave(session: Session, actor: Actor, employee_id: int, now: datetime | None) -> None:
    """The year's leave follows the record at once (the nightly accrual would do it tomorrow)."""
    from selfservice.services import approvals, leave_balances

    moment = now or datetime.now().astimezone()
    leave_balances.accrue_year(session, actor, approvals.local_today(moment).year, moment, [employee_id])


@dataclass(frozen=True)
class EditView:
    """The fields the HR edit form shows (raw values, as the form submits them)."""

    id: int
    values: dict[str, str]
    account_id: int
    active: bool


def edit_view(session: Session, actor: Actor, employee_id: int) -> EditView:
    _require_hr(actor)
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound()
    department = session.get(Department, employee.department_id)
    manager = session.get(Employee, employee.manager_id) if employee.manager_id else None
    account = session.exec(select(UserAccount).where(UserAccount.employee_id == employee.id)).first()
    values = {
        "employee_no": employee.employee_no,
        "name": employee.name,
        "name_en": employee.name_en,
        "department": department.code if department else "",
        "manager_no": manager.employee_no if manager else "",
        "position": employee.position,
        "hire_date": employee.hire_date.isoformat(),
        "work_start_date": employee.work_start_date.isoformat() if employee.work_start_date else "",
        "child_births": employee.child_births,
        "probation_end": employee.probation_end.isoformat() if employee.probation_end else "",
        "phone": display_phone(employee.phone, get_settings().phone_region),  # as people write it; stored E.164
        "email": employee.email,
        "role": account.role if account else "employee",
        "wecom_userid": employee.wecom_userid,
    }
    return EditView(employee.id or 0, values, account.id if account and account.id else 0, employee.status == "active")


def update(session: Session, actor: Actor, employee_id: int, raw: Mapping[str, Any], now: datetime | None = None) -> None:
    """Change an employee's record; the employee number is fixed once created."""
    _require_hr(actor)
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound()
    account = session.exec(select(UserAccount).where(UserAccount.employee_id == employee.id)).first()
    allowed = tuple(Role) if actor.has_role(Role.admin) else (Role.employee, Role.manager, Role.hr)
    if account and Role(account.role) not in allowed:
        raise NotPermitted()
    draft, errors = validate_employee(
        {**raw, "employee_no": employee.employee_no}, phone_region=get_settings().phone_region, allowed_roles=allowed
    )
    if draft is None:
        raise InvalidEmployee(errors)
    department_id, manager_id = _resolve_links(session, draft, employee.id)
    before = _snapshot(employee) | {"role": account.role if account else None}
    employee.name, employee.name_en, employee.position = draft.name, draft.name_en, draft.position
    employee.department_id, employee.manager_id = department_id, manager_id
    employee.hire_date = draft.hire_date
    employee.work_start_date, employee.child_births = draft.work_start_date, draft.child_births
    employee.probation_end = draft.probation_end
    employee.updated_at = now or datetime.now().astimezone()
    from selfservice.services import contacts  # the contact history: field, before, after, by HR

    contacts.record_changes(
        session,
        actor,
        employee,
        {"phone": draft.phone, "email": draft.email, "wecom_userid": draft.wecom_userid},
        contacts.HOW_HR,
        employee.updated_at,
    )
    if account is not None:
        account.role = draft.role.value
        session.add(account)
    session.add(employee)
    session.flush()
    after = _snapshot(employee) | {"role": account.role if account else None}
    if after != before:
        audit.append(session, actor, "employee.updated", "employee", employee.id, before=before, after=after, at=now)
    if employee.status == "active" and any(before.get(k) != after.get(k) for k in ("hire_date", "work_start_date", "child_births")):
        _grant_leave(session, actor, employee.id, now)  # type: ignore[arg-type]


def set_active(session: Session, actor: Actor, employee_id: int, active: bool, now: datetime) -> None:
    """Deactivate (ending every session of the person at once) or reactivate an employee."""
    _require_hr(actor)
    if employee_id == actor.employee_id:
        raise DomainError("employee.not_self")
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound()
    account = session.exec(select(UserAccount).where(UserAccount.employee_id == employee.id)).first()
    if account and account.role == Role.admin and not actor.has_role(Role.admin):
        raise NotPermitted()
    status = "active" if active else "inactive"
    if employee.status == status:
        return
    before = {"status": employee.status}
    employee.status = status
    employee.updated_at = now
    session.add(employee)
    ended = 0
    if account is not None:
        account.active = active
        session.add(account)
        if not active:
            ended = revoke_all(session, account.id or 0, now)
    audit.append(
        session,
        actor,
        "employee.activated" if active else "employee.deactivated",
        "employee",
        employee.id,
        before=before,
        after={"status": status, "sessions_ended": ended},
        at=now,
    )


class ImportProgress:
    """Thread-safe progress of a running import, polled by the UI."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.phase = "reading"
        self.done = 0
        self.total = 0

    def update(self, phase: str, done: int, total: int) -> None:
        with self._lock:
            self.phase, self.done, self.total = phase, done, total

    def fraction(self) -> float:
        with self._lock:
            return 0.0 if not self.total else self.done / self.total


@dataclass(frozen=True)
class ImportResult:
    imported: int
    errors: list[RowError]
    file_error: str = ""
    file_error_params: dict[str, Any] | None = None


def import_file(
    session: Session, actor: Actor, filename: str, data: bytes, now: datetime, progress: ImportProgress | None = None
) -> ImportResult:
    """Validate the whole file; import every row in one transaction, or none if any row is bad."""
    _require_hr(actor)
    from selfservice.services import contacts  # every imported contact value starts its history

    settings = get_settings()
    progress = progress or ImportProgress()
    if len(data) > settings.import_max_bytes:
        return ImportResult(0, [], "import.too_large", {"max_mb": settings.import_max_bytes // (1024 * 1024)})
    try:
        parsed = parse_file(filename, data, settings.import_max_rows)
    except FileUnreadable as error:
        return ImportResult(0, [], error.key, error.params)
    if parsed.errors:
        return ImportResult(0, parsed.errors)
    progress.update("validating", 0, len(parsed.rows))
    existing = {no: id_ for no, id_ in session.exec(select(Employee.employee_no, Employee.id)).all()}
    directory = Directory(_department_index(session), existing, _manager_relation(session))
    drafts, errors = validate_rows(parsed.rows, directory, settings.phone_region)
    progress.update("validating", len(parsed.rows), len(parsed.rows))
    if errors:
        return ImportResult(0, errors)
    total = len(drafts)
    # Core bulk statements: building 20,000 ORM objects costs ~10x the INSERTs themselves.
    employee_table, account_table = Employee.__table__, UserAccount.__table__  # type: ignore[attr-defined]
    chunk = 1000
    ids: dict[str, int] = dict(existing)
    for start in range(0, total, chunk):
        batch = [draft for _, draft in drafts[start : start + chunk]]
        inserted = session.execute(
            sa.insert(employee_table).returning(employee_table.c.id, employee_table.c.employee_no, sort_by_parameter_order=True),
            [
                {
                    "employee_no": d.employee_no,
                    "name": d.name,
                    "name_en": d.name_en,
                    "department_id": directory.department_ids[d.department.lower()],
                    "manager_id": None,
                    "position": d.position,
                    "hire_date": d.hire_date,
                    "work_start_date": d.work_start_date,
                    "child_births": d.child_births,
                    "probation_end": d.probation_end,
                    "status": "active",
                    "phone": d.phone,
                    "email": d.email,
                    "address": "",
                    "emergency_contact_name": "",
                    "emergency_contact_phone": "",
                    "wecom_userid": d.wecom_userid,
                    "created_at": now,
                    "updated_at": now,
                }
                for d in batch
            ],
        ).all()
        ids.update({no: id_ for id_, no in inserted})
        new_ids = {no: id_ for id_, no in inserted}
        contacts.record_initial(
            session,
            actor,
            [{"id": new_ids[d.employee_no], "phone": d.phone, "email": d.email, "wecom_userid": d.wecom_userid} for d in batch],
            contacts.HOW_IMPORT,
            now,
        )
        session.execute(
            sa.insert(account_table),
            [
                {
                    "employee_id": ids[d.employee_no],
                    "username": d.employee_no,
                    "role": d.role.value,
                    "language": settings.default_language,
                    "totp_enabled": False,
                    "recovery_code_hashes": "[]",
                    "active": True,
                    "created_at": now,
                }
                for d in batch
            ],
        )
        progress.update("importing", start + len(batch), total)
    links = [{"eid": ids[d.employee_no], "mid": ids[d.manager_no]} for _, d in drafts if d.manager_no]
    if links:
        session.execute(
            sa.update(employee_table).where(employee_table.c.id == sa.bindparam("eid")).values(manager_id=sa.bindparam("mid")),
            links,
        )
    employee_nos = sorted(d.employee_no for _, d in drafts)
    audit.append(
        session,
        actor,
        "employee.imported",
        "employee_import",
        filename[:64],
        after={"rows": total, "employee_nos": employee_nos},
        at=now,
    )
    progress.update("done", total, total)
    return ImportResult(total, [])
