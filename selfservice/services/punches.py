"""Punches in (打卡): the clock-in button, HR's corrections, time-clock files, the HTTP API and
the WeCom check-in pull. Every way in ends in :func:`_store`, which stores each punch once
(unique per source and external id), writes the audit entry in the same transaction, and tells
the absence watch so that a streak closes the moment its employee is seen again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.auth.secrets import decrypt_secret, encrypt_secret
from selfservice.domain import punches as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.employee_import import FileUnreadable, RowError
from selfservice.domain.errors import DomainError, NotFound, NotPermitted, ValidationFailed
from selfservice.persistence.db import insert_ignoring_duplicates
from selfservice.persistence.models import Employee, Punch, PunchSource, PunchVoid
from selfservice.services import audit, channel_settings
from selfservice.settings import get_settings

APP, CORRECTION, WECOM = "app", "correction", "wecom"
BUILTIN = {APP: ("app", "员工自助打卡"), CORRECTION: ("correction", "HR 补录"), WECOM: ("wecom", "企业微信打卡")}
MAX_API_BATCH = 1000
MAX_FILE_ROWS = 200_000
INSERT_CHUNK = 2000


def tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _require_hr(actor: Actor) -> None:
    if not actor.has_role(Role.hr):
        raise NotPermitted()


def builtin_source(session: Session, code: str) -> PunchSource:
    """The app's own sources (clock-in button, HR corrections, the WeCom pull), created on first use."""
    row = session.exec(select(PunchSource).where(PunchSource.code == code)).first()
    if row is None:
        kind, name = BUILTIN[code]
        row = PunchSource(code=code, kind=kind, name=name)
        session.add(row)
        session.flush()
    return row


def source_actor(source: PunchSource) -> Actor:
    """Who an integration acts as in the audit log: the source itself, with no role."""
    return Actor(account_id=0, employee_id=0, username=f"source:{source.code}", role=Role.employee)


@dataclass
class Stored:
    new: int = 0
    duplicates: list[str] = field(default_factory=list)  # external ids already stored
    employees: set[int] = field(default_factory=set)  # whose new punches arrived


def _store(session: Session, actor: Actor, source: PunchSource, drafts: list[rules.PunchDraft], now: datetime) -> Stored:
    """Insert each punch once: a repeat (same source and external id) is reported, not stored."""
    zone = tz()
    result = Stored()
    if not drafts:
        return result
    table = Punch.__table__  # type: ignore[attr-defined]
    for chunk in rules.chunks(drafts, INSERT_CHUNK):
        rows = [
            {
                "employee_id": d.employee_id,
                "at": d.at,
                "work_date": d.at.astimezone(zone).date(),
                "source_id": source.id,
                "external_id": d.external_id,
                "direction": d.direction,
                "latitude": d.latitude,
                "longitude": d.longitude,
                "accuracy_m": d.accuracy_m,
                "location": d.location[:200],
                "raw_json": d.raw,
                "reason": "",
                "created_at": now,
                "created_by": actor.account_id or None,
            }
            for d in chunk
        ]
        inserted = session.execute(insert_ignoring_duplicates(session, table).returning(table.c.external_id), rows).scalars().all()
        fresh = set(inserted)
        result.new += len(fresh)
        result.duplicates.extend(d.external_id for d in chunk if d.external_id not in fresh)
        result.employees.update(d.employee_id for d in chunk if d.external_id in fresh)
    session.flush()
    return result


def _seen(session: Session, actor: Actor, employee_ids: Iterable[int], now: datetime, reason: str) -> None:
    from selfservice.services import absence_streaks

    absence_streaks.employees_seen(session, actor, set(employee_ids), now, reason)


# ---- the clock-in button ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClockIn:
    at: str  # local HH:MM:SS
    direction: str
    duplicate: bool
    with_location: bool


def clock_in(
    session: Session,
    actor: Actor,
    direction: str,
    now: datetime,
    latitude: float | None = None,
    longitude: float | None = None,
    accuracy_m: float | None = None,
) -> ClockIn:
    """The employee clocks in or out at the server's time. A location is kept only when HR turned
    geolocation on (and never required); a second tap within the same minute is the same punch."""
    from selfservice.services.attendance_settings import watch_rules

    if direction not in ("in", "out"):
        raise ValidationFailed("error.invalid", field="direction")
    employee = session.get(Employee, actor.employee_id)
    if employee is None or employee.status != "active":
        raise NotPermitted()
    keep_location = watch_rules(session).geolocation and latitude is not None and longitude is not None
    if keep_location and not (-90 <= latitude <= 90 and -180 <= longitude <= 180 and (accuracy_m is None or 0 <= accuracy_m < 100_000)):  # type: ignore[operator]
        raise ValidationFailed("punch.bad_location", field="location")
    minute = now.astimezone(tz()).replace(second=0, microsecond=0)
    draft = rules.PunchDraft(
        employee.id,  # type: ignore[arg-type]
        now,
        f"app:{employee.id}:{direction}:{minute.isoformat()}",
        direction,
        latitude=latitude if keep_location else None,
        longitude=longitude if keep_location else None,
        accuracy_m=accuracy_m if keep_location else None,
    )
    source = builtin_source(session, APP)
    stored = _store(session, actor, source, [draft], now)
    if stored.new:
        audit.append(
            session,
            actor,
            "punch.clock_" + direction,
            "employee",
            employee.id,
            after={"at": now.isoformat(), "location": [latitude, longitude, accuracy_m] if keep_location else None},
            at=now,
        )
        _seen(session, actor, [employee.id], now, "punch")  # type: ignore[list-item]
    return ClockIn(now.astimezone(tz()).strftime("%H:%M:%S"), direction, not stored.new, keep_location)


# ---- HR corrections ---------------------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("punch.reason_required", field="reason")
    if len(reason) > 500:
        raise ValidationFailed("field.too_long", field="reason", max=500)
    return reason


def add_correction(
    session: Session, actor: Actor, employee_id: int, day: date, at: time, direction: str, reason: str, now: datetime
) -> int:
    """HR records a punch the clock missed (补卡), with the reason; the original record stays."""
    _require_hr(actor)
    reason = _reason(reason)
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound()
    if direction not in ("in", "out", ""):
        raise ValidationFailed("error.invalid", field="direction")
    moment = datetime.combine(day, at, tzinfo=tz())
    problem = rules.time_problem(moment, now)
    if problem:
        raise ValidationFailed(problem, field="time", value=moment.strftime("%Y-%m-%d %H:%M"))
    source = builtin_source(session, CORRECTION)
    row = Punch(
        employee_id=employee_id,
        at=moment,
        work_date=day,
        source_id=source.id,  # type: ignore[arg-type]
        external_id=f"hr:{secrets.token_hex(12)}",
        direction=direction,
        reason=reason,
        created_at=now,
        created_by=actor.account_id or None,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        "punch.corrected",
        "punch",
        row.id,
        after={"employee_id": employee_id, "at": moment.isoformat(), "direction": direction, "reason": reason},
        at=now,
    )
    _seen(session, actor, [employee_id], now, "correction")
    return row.id  # type: ignore[return-value]


def void(session: Session, actor: Actor, punch_id: int, reason: str, now: datetime) -> None:
    """HR marks a punch as not valid (e.g. clocked in by someone else); it stays on record."""
    _require_hr(actor)
    reason = _reason(reason)
    punch = session.get(Punch, punch_id)
    if punch is None:
        raise NotFound()
    if session.exec(select(PunchVoid.id).where(PunchVoid.punch_id == punch_id)).first() is not None:
        raise DomainError("punch.already_void")
    row = PunchVoid(punch_id=punch_id, reason=reason, created_at=now, created_by=actor.account_id or None)
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        "punch.voided",
        "punch",
        punch_id,
        before={"employee_id": punch.employee_id, "at": punch.at.isoformat()},
        after={"reason": reason},
        at=now,
    )


def valid_punch_clause():  # noqa: ANN201
    """Punches that no HR void cancelled (used by every reader)."""
    return ~sa.exists().where(PunchVoid.punch_id == Punch.id)


@dataclass(frozen=True)
class PunchView:
    id: int
    employee_id: int
    day: date
    time: str
    direction: str
    source: str
    source_kind: str
    location: str
    reason: str
    voided: bool
    void_reason: str


def punches_of(session: Session, employee_ids: list[int], first: date, last: date) -> list[PunchView]:
    """Every punch (voided ones included, marked) of some employees in a period, oldest first."""
    if not employee_ids:
        return []
    zone = tz()
    rows = session.exec(
        select(Punch, PunchSource, PunchVoid)
        .join(PunchSource, PunchSource.id == Punch.source_id)  # type: ignore[arg-type]
        .join(PunchVoid, PunchVoid.punch_id == Punch.id, isouter=True)  # type: ignore[arg-type]
        .where(Punch.employee_id.in_(employee_ids), Punch.work_date >= first, Punch.work_date <= last)  # type: ignore[attr-defined]
        .order_by(Punch.at)
    ).all()
    views = []
    for punch, source, voided in rows:
        location = punch.location
        if punch.latitude is not None:
            location = f"{punch.latitude:.5f}, {punch.longitude:.5f} (±{punch.accuracy_m or 0:.0f} m)"
        views.append(
            PunchView(
                punch.id or 0,
                punch.employee_id,
                punch.work_date,
                punch.at.astimezone(zone).strftime("%H:%M:%S"),
                punch.direction,
                source.name,
                source.kind,
                location,
                punch.reason,
                voided is not None,
                voided.reason if voided else "",
            )
        )
    return views


# ---- sources ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceView:
    id: int
    code: str
    kind: str
    name: str
    active: bool
    token_hint: str
    token_created_at: datetime | None
    pulled_until: datetime | None
    last_run_at: datetime | None
    last_error: str
    punches: int
    mapping: dict[str, str]
    configured: bool  # WeCom: a check-in secret is stored


def sources(session: Session, actor: Actor) -> list[SourceView]:
    _require_hr(actor)
    for code in BUILTIN:
        builtin_source(session, code)
    counts = dict(session.exec(select(Punch.source_id, sa.func.count()).group_by(Punch.source_id)).all())
    return [
        SourceView(
            s.id or 0,
            s.code,
            s.kind,
            s.name,
            s.active,
            s.token_hint,
            s.token_created_at,
            s.pulled_until,
            s.last_run_at,
            s.last_error,
            counts.get(s.id, 0),
            json.loads(s.mapping_json or "{}"),
            bool(s.config_enc),
        )
        for s in session.exec(select(PunchSource).order_by(PunchSource.id)).all()
    ]


def create_source(session: Session, actor: Actor, kind: str, name: str, now: datetime) -> tuple[int, str]:
    """A file source (a time clock whose exports HR uploads) or an API source; an API source's
    bearer token is returned once and stored only as its SHA-256."""
    _require_hr(actor)
    if kind not in ("file", "api"):
        raise ValidationFailed("error.invalid", field="kind")
    name = name.strip()[:64]
    if not name:
        raise ValidationFailed("field.required", field="name")
    if session.exec(select(PunchSource.id).where(PunchSource.name == name)).first() is not None:
        raise ValidationFailed("punch.source_exists", field="name", name=name)
    row = PunchSource(code=f"{kind}-{secrets.token_hex(4)}", kind=kind, name=name, created_at=now, created_by=actor.account_id or None)
    token = ""
    if kind == "api":
        token = _new_token(row, now)
    session.add(row)
    session.flush()
    audit.append(session, actor, "punch.source_created", "punch_source", row.id, after={"kind": kind, "name": name}, at=now)
    return row.id, token  # type: ignore[return-value]


def _new_token(row: PunchSource, now: datetime) -> str:
    token = "pst_" + secrets.token_urlsafe(32)
    row.token_hash = hashlib.sha256(token.encode()).hexdigest()
    row.token_hint, row.token_created_at, row.active = token[:10], now, True
    return token


def _api_source(session: Session, source_id: int) -> PunchSource:
    row = session.get(PunchSource, source_id)
    if row is None or row.kind != "api":
        raise NotFound()
    return row


def rotate_token(session: Session, actor: Actor, source_id: int, now: datetime) -> str:
    """A new token for an API source; the old one stops working at once."""
    _require_hr(actor)
    row = _api_source(session, source_id)
    token = _new_token(row, now)
    session.add(row)
    audit.append(session, actor, "punch.token_issued", "punch_source", row.id, after={"hint": row.token_hint}, at=now)
    return token


def revoke_token(session: Session, actor: Actor, source_id: int, now: datetime) -> None:
    _require_hr(actor)
    row = _api_source(session, source_id)
    before = {"hint": row.token_hint}
    row.token_hash, row.token_hint, row.active = "", "", False
    session.add(row)
    audit.append(session, actor, "punch.token_revoked", "punch_source", row.id, before=before, at=now)


def authenticate(session: Session, token: str) -> PunchSource | None:
    """The active API source a bearer token belongs to (compared by hash, in constant time)."""
    if not token or len(token) > 200:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = session.exec(select(PunchSource).where(PunchSource.token_hash == digest, PunchSource.kind == "api")).first()
    if row is None or not row.active or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row


# ---- the HTTP API -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiPunch:
    external_id: str
    employee_no: str
    time: str  # ISO 8601 with an offset, or local time of the company
    direction: str = ""
    device: str = ""


@dataclass(frozen=True)
class ItemResult:
    external_id: str
    status: str  # new | duplicate | refused
    code: str = ""  # the refusal's message key
    params: dict = field(default_factory=dict)


def _employees(session: Session, numbers: set[str]) -> rules.Directory:
    found: dict[str, tuple[int, bool]] = {}
    for chunk in rules.chunks(sorted(numbers), 900):
        for number, employee_id, status in session.exec(
            select(Employee.employee_no, Employee.id, Employee.status).where(Employee.employee_no.in_(chunk))  # type: ignore[attr-defined]
        ).all():
            found[number] = (employee_id, status == "active")
    return rules.Directory(found)


def _api_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz())


def ingest_api(session: Session, source: PunchSource, items: list[ApiPunch], now: datetime) -> list[ItemResult]:
    """A device's batch: each punch is new, a duplicate (already stored, or twice in the batch),
    or refused with the reason. The valid ones are stored even if others are refused."""
    if len(items) > MAX_API_BATCH:
        raise ValidationFailed("punch.batch_too_large", field="punches", max=MAX_API_BATCH)
    actor = source_actor(source)
    directory = _employees(session, {i.employee_no.strip() for i in items})
    results: dict[int, ItemResult] = {}
    drafts: list[tuple[int, rules.PunchDraft]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        external_id = item.external_id.strip()
        found = directory.by_number.get(item.employee_no.strip())
        moment = _api_time(item.time)
        direction = rules.direction_of(item.direction)
        problem: tuple[str, dict] | None = None
        if not external_id or len(external_id) > rules.MAX_EXTERNAL_ID:
            problem = ("punch.bad_external_id", {"max": rules.MAX_EXTERNAL_ID})
        elif found is None:
            problem = ("punch.unknown_employee", {"value": item.employee_no.strip()[:32]})
        elif not found[1]:
            problem = ("punch.inactive_employee", {"value": item.employee_no.strip()[:32]})
        elif moment is None:
            problem = ("punch.bad_datetime", {"value": item.time[:40]})
        elif direction is None:
            problem = ("punch.bad_direction", {"value": item.direction[:16]})
        elif rules.time_problem(moment, now):
            problem = (rules.time_problem(moment, now), {"value": item.time[:40]})  # type: ignore[assignment]
        if problem is not None:
            results[index] = ItemResult(external_id[: rules.MAX_EXTERNAL_ID], "refused", problem[0], problem[1])
            continue
        if external_id in seen:
            results[index] = ItemResult(external_id, "duplicate")
            continue
        seen.add(external_id)
        drafts.append((index, rules.PunchDraft(found[0], moment, external_id, direction or "", item.device.strip()[:200])))  # type: ignore[index, arg-type]
    stored = _store(session, actor, source, [d for _, d in drafts], now)
    duplicates = set(stored.duplicates)
    for index, draft in drafts:
        results[index] = ItemResult(draft.external_id, "duplicate" if draft.external_id in duplicates else "new")
    ordered = [results[i] for i in range(len(items))]
    refused = [r for r in ordered if r.status == "refused"]
    audit.append(
        session,
        actor,
        "punch.api_batch",
        "punch_source",
        source.id,
        after={
            "received": len(items),
            "new": stored.new,
            "duplicate": sum(r.status == "duplicate" for r in ordered),
            "refused": [{"external_id": r.external_id, "code": r.code} for r in refused[:50]],
        },
        at=now,
    )
    source.last_run_at = now
    session.add(source)
    _seen(session, actor, stored.employees, now, "punch")
    return ordered


def audit_refusal(session: Session, source: PunchSource, reason: str, now: datetime) -> None:
    """An authenticated caller's whole batch was refused (malformed, too large): on record."""
    audit.append(session, source_actor(source), "punch.api_refused", "punch_source", source.id, after={"reason": reason}, at=now)


# ---- time-clock files ---------------------------------------------------------------------------


def _file_source(session: Session, source_id: int) -> PunchSource:
    row = session.get(PunchSource, source_id)
    if row is None or row.kind != "file":
        raise NotFound()
    return row


@dataclass(frozen=True)
class FilePreview:
    headers: list[str]
    sample: list[list[str]]
    mapping: dict[str, str]  # the source's saved mapping where it fits, else a guess
    rows: int


def preview_file(session: Session, actor: Actor, source_id: int, filename: str, data: bytes) -> FilePreview:
    """The file's columns and first rows, and the mapping to use (HR confirms it)."""
    _require_hr(actor)
    source = _file_source(session, source_id)
    try:
        table = rules.read_table(filename, data, MAX_FILE_ROWS)
    except FileUnreadable as error:
        raise ValidationFailed(error.key, field="file", **error.params) from None
    saved = json.loads(source.mapping_json or "{}")
    fits = saved and all(h in table.headers for h in saved.values() if h)
    mapping = saved if fits else rules.guess_mapping(table.headers)
    sample = [[_cell_text(c) for c in record] for _, record in table.rows[:5]]
    return FilePreview(table.headers, sample, mapping, len(table.rows))


def _cell_text(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return "" if value is None else str(value)[:60]


class FileProgress:
    """Shared with the UI's progress bar while an import runs (thread-safe enough for floats)."""

    def __init__(self) -> None:
        self.phase, self.done, self.total = "read", 0, 1

    def fraction(self) -> float:
        base = {"read": 0.0, "validate": 0.1, "store": 0.4}.get(self.phase, 1.0)
        span = {"read": 0.1, "validate": 0.3, "store": 0.6}.get(self.phase, 0.0)
        return min(1.0, base + span * (self.done / max(1, self.total)))


@dataclass(frozen=True)
class FileResult:
    new: int
    already: int  # stored by an earlier import of the same source
    repeated: list[tuple[int, int]]  # lines repeating an earlier line of this file
    errors: list[RowError]
    file_error: str = ""
    file_error_params: dict = field(default_factory=dict)


def import_file(
    session: Session,
    actor: Actor,
    source_id: int,
    filename: str,
    data: bytes,
    mapping: dict[str, str],
    now: datetime,
    progress: FileProgress | None = None,
) -> FileResult:
    """Validate the whole file, then store it all or nothing; the mapping is saved on the source."""
    _require_hr(actor)
    progress = progress or FileProgress()
    source = _file_source(session, source_id)
    try:
        table = rules.read_table(filename, data, MAX_FILE_ROWS)
    except FileUnreadable as error:
        return FileResult(0, 0, [], [], error.key, error.params)
    mapping = {k: v for k, v in mapping.items() if v}
    mapping_errors = rules.check_mapping(mapping, table.headers)
    if mapping_errors:
        return FileResult(0, 0, [], mapping_errors)
    progress.phase, progress.total = "validate", len(table.rows)
    numbers = set()
    column = table.headers.index(mapping["employee_no"])
    for _, record in table.rows:
        value = record[column] if column < len(record) else ""
        numbers.add(str(int(value)) if isinstance(value, float) and value.is_integer() else str(value or "").strip())
    checked = rules.validate_rows(table, mapping, _employees(session, numbers), tz(), now)
    progress.done = len(table.rows)
    if checked.errors:
        return FileResult(0, 0, checked.repeated, checked.errors)
    progress.phase, progress.done, progress.total = "store", 0, len(checked.drafts)
    stored = Stored()
    for chunk in rules.chunks([d for _, d in checked.drafts], INSERT_CHUNK):
        part = _store(session, actor, source, chunk, now)
        stored.new += part.new
        stored.duplicates.extend(part.duplicates)
        stored.employees |= part.employees
        progress.done += len(chunk)
    source.mapping_json = json.dumps(mapping, ensure_ascii=False, sort_keys=True)
    source.last_run_at = now
    session.add(source)
    audit.append(
        session,
        actor,
        "punch.file_imported",
        "punch_source",
        source.id,
        after={
            "file": filename[:120],
            "sha256": hashlib.sha256(data).hexdigest(),
            "rows": len(table.rows),
            "new": stored.new,
            "already": len(stored.duplicates),
            "repeated_lines": len(checked.repeated),
            "mapping": mapping,
        },
        at=now,
    )
    _seen(session, actor, stored.employees, now, "punch")
    progress.phase = "done"
    return FileResult(stored.new, len(stored.duplicates), checked.repeated, [])


# ---- the WeCom check-in pull -------------------------------------------------------------------

PULL_WINDOW = timedelta(days=1)  # one call spans at most 30 days (WeCom); a day keeps answers small
PULL_OVERLAP = timedelta(days=1)  # records uploaded late by a phone offline are picked up
PULL_USERS = 100  # WeCom's limit per call


def wecom_userid(employee: Employee) -> str:
    """The WeCom account of an employee: the one HR entered, else the employee number."""
    return employee.wecom_userid or employee.employee_no


def configure_wecom(session: Session, actor: Actor, enabled: bool, checkin_secret: str, now: datetime) -> None:
    """HR/admin turns the pull on with the secret of the app allowed to read check-ins (打卡 →
    可调用接口的应用); corp id and server come from the WeCom channel settings."""
    _require_hr(actor)
    source = builtin_source(session, WECOM)
    secret = checkin_secret.strip()[:200]
    if secret:
        source.config_enc = encrypt_secret(get_settings().secret_key, secret, "wecom-checkin")
    if enabled and not source.config_enc:
        raise ValidationFailed("channel.required", field="checkin_secret", name="checkin_secret")
    source.active = enabled
    session.add(source)
    audit.append(
        session,
        actor,
        "punch.wecom_configured",
        "punch_source",
        source.id,
        after={"enabled": enabled, "secret_changed": bool(secret)},
        at=now,
    )


@dataclass(frozen=True)
class PullPlan:
    source_id: int
    corp_id: str
    secret: str
    base_url: str
    windows: list[tuple[datetime, datetime]]
    users: dict[str, int]  # WeCom userid → employee id


def pull_plan(session: Session, now: datetime, start_from: datetime | None = None) -> PullPlan | None:
    """What the next pull asks for: from the last fully pulled window (less an overlap) to now,
    in windows, over every active employee; None when the pull is off or not configured."""
    from selfservice.services.attendance_settings import watch_rules

    source = builtin_source(session, WECOM)
    if not source.active or not source.config_enc:
        return None
    _enabled, channel = channel_settings.config_for(session, "wecom")
    if not channel.get("corp_id"):
        return None
    tracked = watch_rules(session).tracked_from
    default_start = datetime.combine(tracked, time(0), tzinfo=tz()) if tracked else now - timedelta(days=7)
    start = start_from or ((source.pulled_until - PULL_OVERLAP) if source.pulled_until else default_start)
    windows = []
    while start < now:
        end = min(start + PULL_WINDOW, now)
        windows.append((start, end))
        start = end
    users = {wecom_userid(e): e.id for e in session.exec(select(Employee).where(Employee.status == "active")).all()}
    return PullPlan(
        source.id,  # type: ignore[arg-type]
        channel["corp_id"],
        decrypt_secret(get_settings().secret_key, source.config_enc, "wecom-checkin") or "",
        channel.get("base_url") or "https://qyapi.weixin.qq.com",
        windows,
        users,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class WindowResult:
    new: int
    duplicates: int
    not_punches: int  # WeCom's "未打卡" placeholders: a missed check-in is not a punch
    unknown_users: int


def store_checkins(session: Session, plan: PullPlan, window_end: datetime, records: list[dict], now: datetime) -> WindowResult:
    """Store one fully pulled window (every batch answered) and move the cursor past it."""
    source = session.get(PunchSource, plan.source_id)
    assert source is not None
    drafts: list[rules.PunchDraft] = []
    not_punches = unknown = 0
    for record in records:
        if "未打卡" in str(record.get("exception_type", "")) or not record.get("checkin_time"):
            not_punches += 1
            continue
        employee_id = plan.users.get(str(record.get("userid", "")))
        if employee_id is None:
            unknown += 1
            continue
        moment = datetime.fromtimestamp(int(record["checkin_time"]), tz=tz())
        kind = str(record.get("checkin_type", ""))
        lat, lng = record.get("lat"), record.get("lng")
        has_location = isinstance(lat, int) and isinstance(lng, int) and (lat or lng)
        drafts.append(
            rules.PunchDraft(
                employee_id,
                moment,
                f"wecom:{record.get('userid')}:{int(record['checkin_time'])}:{kind}",
                {"上班打卡": "in", "下班打卡": "out"}.get(kind, ""),
                str(record.get("location_title") or record.get("wifiname") or "")[:200],
                lat / 1e6 if has_location else None,  # WeCom gives degrees × 1,000,000
                lng / 1e6 if has_location else None,
                None,
                json.dumps(record, ensure_ascii=False, sort_keys=True)[:4000],
            )
        )
    actor = source_actor(source)
    stored = _store(session, actor, source, drafts, now)
    source.pulled_until, source.last_run_at, source.last_error = window_end, now, ""
    session.add(source)
    result = WindowResult(stored.new, len(stored.duplicates), not_punches, unknown)
    audit.append(
        session,
        actor,
        "punch.wecom_pulled",
        "punch_source",
        source.id,
        after={"until": window_end.isoformat(), **result.__dict__},
        at=now,
    )
    _seen(session, actor, stored.employees, now, "punch")
    return result


def pull_failed(session: Session, plan: PullPlan, window_start: datetime, error: str, now: datetime) -> None:
    """A window could not be pulled whole: nothing of it is stored, the cursor stays, it is on record."""
    source = session.get(PunchSource, plan.source_id)
    assert source is not None
    source.last_error, source.last_run_at = error[:500], now
    session.add(source)
    audit.append(
        session,
        source_actor(source),
        "punch.wecom_pull_failed",
        "punch_source",
        source.id,
        after={"window_start": window_start.isoformat(), "error": error[:500]},
        at=now,
    )
