"""sqlmodel tables. Times are stored as naive UTC and returned as aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator):
    """Stores UTC without a zone (same on SQLite and PostgreSQL); reads back aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Department(SQLModel, table=True):
    """部门."""

    __tablename__ = "department"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=64)
    name_en: str = Field(default="", max_length=64)
    head_employee_id: int | None = Field(default=None)


class Employee(SQLModel, table=True):
    """员工档案: one person employed by the company."""

    __tablename__ = "employee"

    id: int | None = Field(default=None, primary_key=True)
    employee_no: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=64, index=True)
    name_en: str = Field(default="", max_length=64)
    department_id: int = Field(foreign_key="department.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    position: str = Field(default="", max_length=64)
    hire_date: date
    probation_end: date | None = Field(default=None)  # 试用期至: the notice of a resignation is 3 days until then
    work_start_date: date | None = Field(default=None)  # 参加工作时间: decides the statutory annual leave
    child_births: str = Field(default="", max_length=120)  # children's birth dates (ISO, comma separated): 育儿假
    status: str = Field(default="active", max_length=16)
    phone: str = Field(default="", max_length=20)
    email: str = Field(default="", max_length=254)
    address: str = Field(default="", max_length=200)
    emergency_contact_name: str = Field(default="", max_length=64)
    emergency_contact_phone: str = Field(default="", max_length=20)
    emergency_contact_relation: str = Field(default="", max_length=32)
    contacts_asked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # last "confirm or update" reminder
    wecom_userid: str = Field(default="", max_length=64)  # 企业微信账号; blank: the employee number
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UserAccount(SQLModel, table=True):
    """A sign-in identity for one employee. Secrets are hashed or encrypted, never plain."""

    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", unique=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    role: str = Field(default="employee", max_length=16)
    language: str = Field(default="zh-CN", max_length=8)
    totp_secret_enc: str | None = Field(default=None, max_length=255)
    totp_enabled: bool = Field(default=False)
    totp_last_step: int | None = Field(default=None, sa_type=sa.BigInteger)
    recovery_code_hashes: str = Field(default="[]", sa_type=sa.Text)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-in proofs counted per name, per source and per both (domain/throttle.py): the
    wait before the next attempt is heard grows with them. Not evidence (each failure is in the
    audit log); rows are forgotten a day after their last failure."""

    __tablename__ = "sign_in_throttle"

    key: str = Field(primary_key=True, max_length=140)
    failures: int = Field(default=0)
    last_failure_at: datetime = Field(sa_type=UTCDateTime, index=True)


class BackupRun(SQLModel, table=True):
    """One backup, scheduled or started by the admin: where the archive went, or why it failed."""

    __tablename__ = "backup_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    trigger: str = Field(default="scheduled", max_length=16)  # scheduled | admin | cli
    ok: bool = Field(default=False)
    path: str = Field(default="", max_length=500)
    size_bytes: int = Field(default=0, sa_type=sa.BigInteger)
    sha256: str = Field(default="", max_length=64)
    audit_seq: int = Field(default=0, sa_type=sa.BigInteger)
    files: int = Field(default=0)
    pruned: int = Field(default=0)
    error: str = Field(default="", max_length=500)


class UserSession(SQLModel, table=True):
    """A server-side session. Only the SHA-256 of the token is stored."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    stage: str = Field(default="full", max_length=8)  # full | totp | enrol
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_agent: str = Field(default="", max_length=255)


class AuditEntry(SQLModel, table=True):
    """操作日志: append-only, hash-chained. Triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=64, index=True)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    before_json: str | None = Field(default=None, sa_type=sa.Text)
    after_json: str | None = Field(default=None, sa_type=sa.Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


sa.Index("ix_audit_log_entity", AuditEntry.entity, AuditEntry.entity_id)  # type: ignore[arg-type]


class NotificationMessage(SQLModel, table=True):
    """One message to one employee (通知). Its text is fixed at creation and never edited."""

    __tablename__ = "notification_message"

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="employee.id", index=True)
    kind: str = Field(max_length=32, index=True)
    template: str = Field(max_length=64)
    params_json: str = Field(default="{}", sa_type=sa.Text)
    language: str = Field(default="zh-CN", max_length=8)
    title: str = Field(max_length=200)
    body: str = Field(sa_type=sa.Text)
    link_path: str = Field(default="", max_length=255)
    requires_ack: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    read_via: str = Field(default="", max_length=16)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationDelivery(SQLModel, table=True):
    """One channel's delivery of a message, with the exact text sent and its SHA-256."""

    __tablename__ = "notification_delivery"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="notification_message.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(default="", max_length=254)
    status: str = Field(default="queued", max_length=16, index=True)
    text_sent: str = Field(sa_type=sa.Text)
    text_sha256: str = Field(max_length=64)
    idempotency_key: str = Field(max_length=64, unique=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str = Field(default="", max_length=64)
    provider_message_id: str = Field(default="", max_length=128, index=True)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryAttempt(SQLModel, table=True):
    """Append-only record of each send attempt and the provider's raw answer."""

    __tablename__ = "delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="notification_delivery.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    outcome: str = Field(max_length=16)  # sent | retry | failed | report
    http_status: int | None = Field(default=None)
    response: str = Field(default="", sa_type=sa.Text)
    error: str = Field(default="", max_length=500)


class ChannelSetting(SQLModel, table=True):
    """Configuration of one outbound channel; secrets are inside ``config_enc`` (Fernet)."""

    __tablename__ = "channel_setting"

    channel: str = Field(primary_key=True, max_length=16)
    enabled: bool = Field(default=False)
    config_enc: str = Field(default="", sa_type=sa.Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: int | None = Field(default=None)


class WorkCalendarDay(SQLModel, table=True):
    """工作日历: a day that differs from the Monday-to-Friday rule (holiday or swapped workday)."""

    __tablename__ = "work_calendar_day"

    day: date = Field(primary_key=True)
    kind: str = Field(max_length=16)
    name: str = Field(default="", max_length=64)
    name_en: str = Field(default="", max_length=64)
    source: str = Field(default="hr", max_length=16)  # statutory | hr
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: int | None = Field(default=None)


class LeaveType(SQLModel, table=True):
    """假期类型: configured by HR."""

    __tablename__ = "leave_type"

    code: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=32)
    name_en: str = Field(max_length=64)
    paid: bool = Field(default=True)
    half_day: bool = Field(default=True)
    yearly_quota: Decimal | None = Field(default=None, sa_type=sa.Numeric(6, 1))
    carry_over_cap: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(6, 1))
    attachment_over_days: Decimal | None = Field(default=None, sa_type=sa.Numeric(6, 1))
    hr_must_approve: bool = Field(default=False)
    allow_negative: bool = Field(default=False)
    active: bool = Field(default=True)
    kind: str = Field(default="custom", max_length=16)  # domain.leave_law.Kind: the statutory rule it follows
    counting: str = Field(default="working", max_length=8)  # working days or calendar days
    per_event_days: Decimal | None = Field(default=None, sa_type=sa.Numeric(6, 1))  # most days per event (婚假, 产假, ...)
    proof: str = Field(default="", max_length=100)  # the proof it needs, shown on the form
    proof_en: str = Field(default="", max_length=200)


class LeaveLedgerEntry(SQLModel, table=True):
    """One movement of a leave balance. Append-only: corrections are new entries."""

    __tablename__ = "leave_ledger_entry"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    leave_type: str = Field(foreign_key="leave_type.code", max_length=16)
    year: int = Field(index=True)
    kind: str = Field(max_length=16)
    days: Decimal = Field(sa_type=sa.Numeric(9, 4))  # time off in lieu comes in hours (1 h = 0.125 day)
    note: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)


class LeaveRequest(SQLModel, table=True):
    """请假申请. Days are counted at submission from the work calendar and kept."""

    __tablename__ = "leave_request"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    leave_type: str = Field(foreign_key="leave_type.code", max_length=16)
    start_date: date = Field(index=True)
    start_half: str = Field(default="am", max_length=2)
    end_date: date = Field(index=True)
    end_half: str = Field(default="pm", max_length=2)
    days: Decimal = Field(sa_type=sa.Numeric(6, 1))
    reason: str = Field(default="", max_length=500)
    status: str = Field(default="pending", max_length=16, index=True)
    difficult_birth: bool = Field(default=False)  # maternity leave: + 15 days
    babies: int = Field(default=1)  # maternity leave: + 15 days per additional baby
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OvertimeRequest(SQLModel, table=True):
    """加班申请: approved through the engine, it adds time off in lieu (调休) to the balance."""

    __tablename__ = "overtime_request"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    work_date: date
    hours: Decimal = Field(sa_type=sa.Numeric(4, 1))
    reason: str = Field(default="", max_length=500)
    status: str = Field(default="pending", max_length=16, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LeaveAttachment(SQLModel, table=True):
    """A file attached to a leave request, stored under its content hash. Never changed."""

    __tablename__ = "leave_attachment"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="leave_request.id", index=True)
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=64)
    size: int
    original_name: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)


class ApprovalInstance(SQLModel, table=True):
    """One run of the approval engine for one subject (a leave request, its cancellation, ...)."""

    __tablename__ = "approval_instance"

    id: int | None = Field(default=None, primary_key=True)
    workflow: str = Field(max_length=32, index=True)
    subject_id: int = Field(index=True)
    requester_id: int = Field(foreign_key="employee.id", index=True)
    status: str = Field(default="pending", max_length=16, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApprovalStep(SQLModel, table=True):
    """One ordered step. ``approver_id`` is whom the rules named; ``acting_id`` the delegate the
    item was routed to, if any; ``pool`` "hr" means any HR user may decide. A decided step is
    frozen (database trigger)."""

    __tablename__ = "approval_step"

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="approval_instance.id", index=True)
    position: int
    rule: str = Field(max_length=16)  # manager | dept_head | hr | escalated
    approver_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    acting_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    pool: str = Field(default="", max_length=16)
    status: str = Field(default="waiting", max_length=16, index=True)
    activated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: int | None = Field(default=None, foreign_key="employee.id")
    comment: str = Field(default="", max_length=500)


class ApprovalDelegation(SQLModel, table=True):
    """代理审批: while active, new items for ``employee_id`` go to ``delegate_id``."""

    __tablename__ = "approval_delegation"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    delegate_id: int = Field(foreign_key="employee.id")
    starts_on: date
    ends_on: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApprovalPolicy(SQLModel, table=True):
    """Routing rules of one workflow, set by HR."""

    __tablename__ = "approval_policy"

    workflow: str = Field(primary_key=True, max_length=32)
    dept_head_over_days: Decimal | None = Field(default=None, sa_type=sa.Numeric(6, 1))
    escalate_after_hours: int = Field(default=24)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: int | None = Field(default=None)


# ---- attendance (考勤) and the absence watch ------------------------------------------------


class PunchSource(SQLModel, table=True):
    """Where punches come from: the app's clock-in button, HR corrections, the WeCom check-in
    pull, a time-clock file source, or an API integration (bearer token stored hashed)."""

    __tablename__ = "punch_source"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    kind: str = Field(max_length=16)  # app | correction | wecom | file | api
    name: str = Field(max_length=64)
    mapping_json: str = Field(default="{}", sa_type=sa.Text)  # file sources: saved column mapping
    config_enc: str = Field(default="", sa_type=sa.Text)  # WeCom pull: check-in secret (Fernet)
    token_hash: str = Field(default="", max_length=64, index=True)
    token_hint: str = Field(default="", max_length=16)
    token_created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active: bool = Field(default=True)
    pulled_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)


class Punch(SQLModel, table=True):
    """打卡记录: one clock-in or clock-out. Never changed or deleted; a correction is a new
    punch (or a :class:`PunchVoid`) with HR's reason."""

    __tablename__ = "punch"
    __table_args__ = (
        sa.UniqueConstraint("source_id", "external_id", name="uq_punch_source_external"),
        sa.Index("ix_punch_employee_day", "employee_id", "work_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id")
    at: datetime = Field(sa_type=UTCDateTime)
    work_date: date  # the day of ``at`` in the company's time zone
    source_id: int = Field(foreign_key="punch_source.id")
    external_id: str = Field(max_length=128)
    direction: str = Field(default="", max_length=8)  # in | out | "" (not stated)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    accuracy_m: float | None = Field(default=None)
    location: str = Field(default="", max_length=200)
    raw_json: str = Field(default="", sa_type=sa.Text)
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)


class PunchVoid(SQLModel, table=True):
    """HR's correction that a punch is not valid (e.g. a colleague clocked in for someone)."""

    __tablename__ = "punch_void"

    id: int | None = Field(default=None, primary_key=True)
    punch_id: int = Field(foreign_key="punch.id", unique=True)
    reason: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)


class AttendancePolicy(SQLModel, table=True):
    """The absence watch's rules as HR sets them (one row). Defaults are the seed article's."""

    __tablename__ = "attendance_policy"

    id: int | None = Field(default=None, primary_key=True)
    scan_time: str = Field(default="10:00", max_length=5)
    remind_after_days: int = Field(default=2)
    forward_after_hours: int = Field(default=4)
    case_threshold: int = Field(default=3)
    office_start: str = Field(default="09:00", max_length=5)
    office_end: str = Field(default="18:00", max_length=5)
    late_grace_minutes: int = Field(default=60)
    lookback_days: int = Field(default=60)
    reminder_channels: str = Field(default="wecom,sms", max_length=64)
    geolocation: bool = Field(default=False)
    tracked_from: date | None = Field(default=None)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: int | None = Field(default=None)


class ShiftPattern(SQLModel, table=True):
    """排班: a weekly roster ("1111100" Monday first) or a cycle ("111100" = 4 on / 2 off from
    ``anchor``), with its working hours."""

    __tablename__ = "shift_pattern"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=8)  # weekly | cycle
    days: str = Field(max_length=31)
    anchor: date | None = Field(default=None)
    follows_calendar: bool = Field(default=True)
    start_time: str = Field(default="09:00", max_length=5)
    end_time: str = Field(default="18:00", max_length=5)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)


class ScheduleAssignment(SQLModel, table=True):
    """An employee works ``pattern_id`` from ``starts_on`` (until ``ends_on``, if set)."""

    __tablename__ = "schedule_assignment"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    pattern_id: int = Field(foreign_key="shift_pattern.id")
    starts_on: date
    ends_on: date | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)


class AbsenceStreak(SQLModel, table=True):
    """连续未到岗: consecutive missing working days of one employee, as the daily scan sees them."""

    __tablename__ = "absence_streak"
    __table_args__ = (sa.UniqueConstraint("employee_id", "start_date", name="uq_absence_streak_start"),)

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    start_date: date
    last_date: date
    days: int
    missing: Decimal = Field(sa_type=sa.Numeric(6, 1))
    dates_json: str = Field(default="[]", sa_type=sa.Text)
    unconfirmed: bool = Field(default=False)
    status: str = Field(default="open", max_length=8, index=True)  # open | closed
    close_reason: str = Field(default="", max_length=200)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AbsenceAction(SQLModel, table=True):
    """What a rule did about a streak: the reminder, the forward to the manager, the HR
    follow-up. One per streak and rule (the unique key makes every rule fire once)."""

    __tablename__ = "absence_action"
    __table_args__ = (sa.UniqueConstraint("streak_id", "rule", name="uq_absence_action_rule"),)

    id: int | None = Field(default=None, primary_key=True)
    streak_id: int = Field(foreign_key="absence_streak.id", index=True)
    rule: str = Field(max_length=16)  # reminder | forward | followup
    status: str = Field(default="open", max_length=8, index=True)  # open | done | closed
    message_ids: str = Field(default="[]", max_length=500)
    channels: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    assignee_id: int | None = Field(default=None, foreign_key="employee.id")
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: int | None = Field(default=None)
    close_reason: str = Field(default="", max_length=200)


class AbsenceNote(SQLModel, table=True):
    """What people added to a streak's record: the employee's reply, the manager's "I have
    reached them", HR's assignment and resolution notes. Append-only."""

    __tablename__ = "absence_note"

    id: int | None = Field(default=None, primary_key=True)
    streak_id: int = Field(foreign_key="absence_streak.id", index=True)
    action_id: int | None = Field(default=None, foreign_key="absence_action.id")
    author_id: int | None = Field(default=None, foreign_key="employee.id")
    kind: str = Field(max_length=16)  # reply | reached | assigned | resolved | note
    text: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AttendanceAnomaly(SQLModel, table=True):
    """考勤异常: a working day the scan found missing (whole or half), kept for the dashboard's
    history; excused later by leave or a corrected punch, with the reason."""

    __tablename__ = "attendance_anomaly"
    __table_args__ = (sa.UniqueConstraint("employee_id", "day", name="uq_attendance_anomaly_day"),)

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id")
    day: date = Field(index=True)
    department_id: int = Field(foreign_key="department.id")
    streak_id: int | None = Field(default=None, foreign_key="absence_streak.id")
    missing: Decimal = Field(sa_type=sa.Numeric(3, 1))
    status: str = Field(default="missing", max_length=8)  # missing | excused
    reason: str = Field(default="", max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScanRun(SQLModel, table=True):
    """One run of the daily scan. ``run_key`` "schedule:<date>" makes the scheduled scan run
    once a day however many schedulers there are."""

    __tablename__ = "scan_run"

    id: int | None = Field(default=None, primary_key=True)
    run_key: str = Field(max_length=64, unique=True)
    scan_date: date = Field(index=True)
    judged_through: date
    trigger: str = Field(max_length=16)  # schedule | cli | demo
    dry_run: bool = Field(default=False)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stats_json: str = Field(default="{}", sa_type=sa.Text)


class OnceKey(SQLModel, table=True):
    """A key that may be claimed once (e.g. "the 2027 calendar alert was sent")."""

    __tablename__ = "once_key"

    key: str = Field(primary_key=True, max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Policy(SQLModel, table=True):
    """制度: what HR edits. Employees only ever read and sign a frozen :class:`PolicyVersion`."""

    __tablename__ = "policy"

    id: int | None = Field(default=None, primary_key=True)
    title_zh: str = Field(max_length=120)
    title_en: str = Field(default="", max_length=120)
    body_kind: str = Field(default="markdown", max_length=8)  # markdown | pdf
    body_markdown: str = Field(default="", sa_type=sa.Text)
    body_pdf: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    body_pdf_name: str = Field(default="", max_length=120)
    audience_kind: str = Field(default="everyone", max_length=12)  # everyone | departments | people
    audience_json: str = Field(default="[]", sa_type=sa.Text)  # department or employee ids
    requires_ack: bool = Field(default=True)
    deadline: date | None = Field(default=None)
    reminder_days: int = Field(default=3)
    current_version_id: int | None = Field(default=None)
    created_by: int | None = Field(default=None, foreign_key="employee.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PolicyVersion(SQLModel, table=True):
    """One published version of a policy: its exact bytes and their SHA-256. Append-only."""

    __tablename__ = "policy_version"
    __table_args__ = (sa.UniqueConstraint("policy_id", "number", name="uq_policy_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    number: int
    title_zh: str = Field(max_length=120)
    title_en: str = Field(default="", max_length=120)
    body_kind: str = Field(max_length=8)
    content: bytes = Field(sa_type=sa.LargeBinary)
    content_sha256: str = Field(max_length=64)
    file_name: str = Field(default="", max_length=120)
    requires_ack: bool = Field(default=True)
    deadline: date | None = Field(default=None)
    published_at: datetime = Field(sa_type=UTCDateTime)
    published_by: int | None = Field(default=None, foreign_key="employee.id")


class PolicyAssignment(SQLModel, table=True):
    """One person asked to read (and sign) one version; the reminder bookkeeping lives here,
    the proof of signing in :class:`Signature`."""

    __tablename__ = "policy_assignment"
    __table_args__ = (sa.UniqueConstraint("version_id", "employee_id", name="uq_policy_assignment"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="policy_version.id", index=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    assigned_at: datetime = Field(sa_type=UTCDateTime)
    due_date: date | None = Field(default=None)
    signature_id: int | None = Field(default=None, foreign_key="signature.id")
    last_reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deadline_notice_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Signature(SQLModel, table=True):
    """签名确认: a statement signed by one employee (typed name, drawn signature, fresh
    re-authentication), bound to the hash of what was signed. Append-only."""

    __tablename__ = "signature"
    __table_args__ = (sa.Index("ix_signature_subject", "subject", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=24)  # policy_version | service_address
    subject_id: int
    employee_id: int = Field(foreign_key="employee.id", index=True)
    content_sha256: str = Field(max_length=64)
    statement: str = Field(sa_type=sa.Text)
    typed_name: str = Field(max_length=64)
    image: bytes = Field(sa_type=sa.LargeBinary)
    image_sha256: str = Field(max_length=64)
    method: str = Field(max_length=16)  # totp | password
    signed_at: datetime = Field(sa_type=UTCDateTime)
    session_id: int | None = Field(default=None)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=255)
    signer_name: str = Field(max_length=64)  # as on the record when signing (the receipt prints these)
    employee_no: str = Field(max_length=32)
    heading_zh: str = Field(max_length=64)
    heading_en: str = Field(max_length=64)
    document_zh: str = Field(max_length=200)
    document_en: str = Field(max_length=200)
    extra_json: str = Field(default="[]", sa_type=sa.Text)  # further (label, value) lines of the receipt
    record_sha256: str = Field(max_length=64)
    verify_token: str = Field(max_length=32, unique=True)


class SignatureReceipt(SQLModel, table=True):
    """The PDF receipt of a signature (签名回执), made from the record the first time it is
    asked for (rendering it takes a few hundred milliseconds) and kept byte for byte. Append-only."""

    __tablename__ = "signature_receipt"

    id: int | None = Field(default=None, primary_key=True)
    signature_id: int = Field(foreign_key="signature.id", unique=True)
    pdf: bytes = Field(sa_type=sa.LargeBinary)
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ReAuthentication(SQLModel, table=True):
    """A fresh proof of identity inside a signed-in session (TOTP code or password), good for
    one signature or contact change within a few minutes."""

    __tablename__ = "reauthentication"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="user_account.id", index=True)
    session_id: int | None = Field(default=None)
    method: str = Field(max_length=16)
    at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_for: str = Field(default="", max_length=40)


class ContactChange(SQLModel, table=True):
    """联系方式变更记录: one field of one employee's contact details, before and after, who
    changed it and how. Append-only."""

    __tablename__ = "contact_change"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    field: str = Field(max_length=32)
    before: str = Field(default="", max_length=254)
    after: str = Field(default="", max_length=254)
    how: str = Field(max_length=12)  # self | hr | import
    actor_id: int | None = Field(default=None, foreign_key="employee.id")
    at: datetime = Field(sa_type=UTCDateTime)


class ContactCode(SQLModel, table=True):
    """A one-time code sent to a new mobile number or email address before it replaces the old."""

    __tablename__ = "contact_code"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    field: str = Field(max_length=16)  # phone | email
    new_value: str = Field(max_length=254)
    code_hash: str = Field(max_length=64)
    message_id: int | None = Field(default=None)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ServiceConfirmation(SQLModel, table=True):
    """送达地址确认书: the contact details and the channels an employee confirmed for formal
    notices, signed. Versioned per employee, append-only; the latest one counts."""

    __tablename__ = "service_confirmation"
    __table_args__ = (sa.UniqueConstraint("employee_id", "number", name="uq_service_confirmation_number"),)

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    number: int  # the signature is the one with subject "service_address" and this row's id
    channels: str = Field(max_length=64)  # comma-separated: inapp,wecom,sms,email,post
    snapshot_json: str = Field(sa_type=sa.Text)
    confirmed_at: datetime = Field(sa_type=UTCDateTime)


# ---- separation (离职) -----------------------------------------------------------------------


class HandoverOwner(SQLModel, table=True):
    """Who holds an owner role of the handover checklist (行政 admin office, IT, 财务 finance;
    HR is every HR account, the manager is the departing employee's own)."""

    __tablename__ = "handover_owner"
    __table_args__ = (sa.UniqueConstraint("role", "employee_id", name="uq_handover_owner"),)

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=16)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)


class ChecklistTemplate(SQLModel, table=True):
    """离职交接清单模板: ordered stages of items with their owner roles, for a department and/or
    a position, or the default. A checklist copies its template when it starts, so editing a
    template changes new checklists only."""

    __tablename__ = "checklist_template"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    position: str = Field(default="", max_length=64)
    is_default: bool = Field(default=False)
    items_json: str = Field(default="[]", sa_type=sa.Text)  # [{stage, stage_en, title, title_en, owner}]
    active: bool = Field(default=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: int | None = Field(default=None)


class Separation(SQLModel, table=True):
    """One employee's separation (离职): a signed resignation or one HR records (mutual
    agreement, contract expiry, dismissal), its agreed last day, its checklist and certificate."""

    __tablename__ = "separation"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    kind: str = Field(max_length=16)  # domain.separation.SeparationType
    status: str = Field(default="submitted", max_length=16, index=True)  # submitted | withdrawn | confirmed | ended
    reason_code: str = Field(default="", max_length=16)
    reason_text: str = Field(default="", max_length=500)
    requested_last_day: date  # as the employee (or HR) first gave it
    last_day: date  # as it stands: the notice day unless the manager agreed an earlier one
    early_agreed: bool = Field(default=False)
    proposed_day: date | None = Field(default=None)  # a later day the manager proposed, for the employee to accept
    successor_id: int | None = Field(default=None, foreign_key="employee.id")
    signature_id: int | None = Field(default=None, foreign_key="signature.id")
    letter: str = Field(default="", sa_type=sa.Text)  # the resignation as signed, never changed
    letter_sha256: str = Field(default="", max_length=64)
    contract_start: date
    contract_end: date | None = Field(default=None)  # None: open-ended
    note: str = Field(default="", max_length=500)
    template_id: int | None = Field(default=None, foreign_key="checklist_template.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    handover_done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    transfer_done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # archive and social insurance (art. 50)
    settlement_json: str = Field(default="", sa_type=sa.Text)  # art. 12's working, written on the last day


class ChecklistItem(SQLModel, table=True):
    """One item of a separation's handover checklist, copied from the template."""

    __tablename__ = "checklist_item"

    id: int | None = Field(default=None, primary_key=True)
    separation_id: int = Field(foreign_key="separation.id", index=True)
    stage: int
    stage_name: str = Field(max_length=64)
    stage_name_en: str = Field(default="", max_length=64)
    title: str = Field(max_length=120)
    title_en: str = Field(default="", max_length=120)
    owner: str = Field(max_length=16)  # domain.separation.Owner
    status: str = Field(default="waiting", max_length=16, index=True)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_by: int | None = Field(default=None, foreign_key="employee.id")
    note: str = Field(default="", max_length=500)
    photo_sha256: str = Field(default="", max_length=64)
    photo_type: str = Field(default="", max_length=64)
    sent_back_reason: str = Field(default="", max_length=500)
    sent_back_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SeparationDocument(SQLModel, table=True):
    """A document HR attaches to a separation (the agreement, the notice, ...). Append-only."""

    __tablename__ = "separation_document"

    id: int | None = Field(default=None, primary_key=True)
    separation_id: int = Field(foreign_key="separation.id", index=True)
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=64)
    size: int
    original_name: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)


class SeparationCertificate(SQLModel, table=True):
    """解除/终止劳动合同证明书 as issued, byte for byte, with its hash and the message that
    delivered it. Append-only."""

    __tablename__ = "separation_certificate"

    id: int | None = Field(default=None, primary_key=True)
    separation_id: int = Field(foreign_key="separation.id", unique=True)
    number: str = Field(max_length=32, unique=True)
    pdf: bytes = Field(sa_type=sa.LargeBinary)
    sha256: str = Field(max_length=64)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    issued_by: int | None = Field(default=None)
    message_id: int | None = Field(default=None)


# ---- the company key and audit checkpoints ------------------------------------------------------


class CompanyKey(SQLModel, table=True):
    """The company's signing key and X.509 certificate (generated at install or uploaded by HR).
    The private key is encrypted at rest like the channel secrets. A rotated key is retired, never
    deleted: old checkpoints and evidence bundles keep verifying against it."""

    __tablename__ = "company_key"

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(max_length=16, unique=True)
    algorithm: str = Field(max_length=16)  # ec-p256 | rsa-NNNN | ed25519
    certificate_pem: str = Field(sa_type=sa.Text)
    private_key_enc: str = Field(sa_type=sa.Text)
    source: str = Field(max_length=16)  # generated | uploaded
    subject: str = Field(default="", max_length=255)
    not_after: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditCheckpoint(SQLModel, table=True):
    """The audit chain's head at a moment, signed with the company key (and timestamped by a TSA
    when one is configured). Append-only, and mirrored to a file outside the database."""

    __tablename__ = "audit_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    seq: int
    head_hash: str = Field(max_length=64)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    key_id: str = Field(max_length=16)
    signature: str = Field(max_length=200, sa_type=sa.Text)
    reason: str = Field(max_length=16)  # schedule | export | manual
    tsa_token: str = Field(default="", sa_type=sa.Text)  # base64 DER of an RFC 3161 token over the payload


# ---- the disappearance case (旷工案件) ------------------------------------------------------------


class CaseSettings(SQLModel, table=True):
    """How cases run: the streak that offers a case, the return deadline, the termination approval
    chain HR configures, the union contact. One row."""

    __tablename__ = "case_settings"

    id: int = Field(default=1, primary_key=True)
    streak_days: int = Field(default=3)
    return_days: int = Field(default=3)
    approvers: str = Field(default="", max_length=200)  # employee ids in order, comma-separated
    union_employee_id: int | None = Field(default=None, foreign_key="employee.id")
    union_name: str = Field(default="", max_length=100)
    policy_id: int | None = Field(default=None, foreign_key="policy.id")  # the handbook whose rule the notices cite
    rule_text: str = Field(default="", max_length=500)  # the rule quoted, as it stands in that handbook
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: int | None = Field(default=None)


class AbsenceCase(SQLModel, table=True):
    """One disappearance handled as a case: its stage and deadlines. The story itself is told by
    the append-only events, notices and the records the case links to."""

    __tablename__ = "absence_case"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=16, unique=True)  # AJ-2026-0001
    employee_id: int = Field(foreign_key="employee.id", index=True)
    streak_id: int | None = Field(default=None, foreign_key="absence_streak.id")
    first_missing: date
    stage: str = Field(max_length=16, index=True)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    opened_by: int | None = Field(default=None)
    deadline_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reaction: str = Field(default="", max_length=200)
    approval_id: int | None = Field(default=None)
    separation_id: int | None = Field(default=None)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str = Field(default="", max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CaseEvent(SQLModel, table=True):
    """What people did and the system saw on a case: calls, visits, notes, the posted copy, the
    union notice and reply, pauses and decisions. Append-only."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="absence_case.id", index=True)
    kind: str = Field(max_length=24)
    at: datetime = Field(sa_type=UTCDateTime)  # when it happened (a call's time), not when typed
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None)
    actor: str = Field(default="", max_length=100)
    text: str = Field(default="", max_length=1000)
    details_json: str = Field(default="{}", sa_type=sa.Text)
    file_sha256: str = Field(default="", max_length=64)
    file_type: str = Field(default="", max_length=64)
    file_name: str = Field(default="", max_length=120)


class CaseNotice(SQLModel, table=True):
    """返岗通知书 / 解除劳动合同通知书 exactly as sent: the PDF, its hash, the text, the message
    that carried it and the channels chosen. Append-only."""

    __tablename__ = "case_notice"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="absence_case.id", index=True)
    kind: str = Field(max_length=16)  # return | termination
    number: str = Field(max_length=16, unique=True)  # FG-2026-0001 / JC-2026-0001
    pdf: bytes = Field(sa_type=sa.LargeBinary)
    sha256: str = Field(max_length=64)
    channels: str = Field(max_length=64)
    deadline_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    policy_version_id: int | None = Field(default=None)
    message_id: int | None = Field(default=None)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    sent_by: int | None = Field(default=None)


class EvidenceExport(SQLModel, table=True):
    """An evidence bundle as exported: its hash, where the bytes are kept, the checkpoint taken
    with it. Append-only; the bundle itself is never rebuilt in place."""

    __tablename__ = "evidence_export"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="absence_case.id", index=True)
    sha256: str = Field(max_length=64)
    size: int
    file_name: str = Field(max_length=120)
    languages: str = Field(default="zh-CN", max_length=16)
    checkpoint_id: int | None = Field(default=None, foreign_key="audit_checkpoint.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: int | None = Field(default=None)


# ---- single sign-on -----------------------------------------------------------------------------


class SsoSettings(SQLModel, table=True):
    """WeCom sign-in switches and which roles may still use a password. One row."""

    __tablename__ = "sso_settings"

    id: int = Field(default=1, primary_key=True)
    wecom_enabled: bool = Field(default=False)  # inside WeCom: OAuth (snsapi_base) without a password
    wecom_qr_enabled: bool = Field(default=False)  # desktop: 企业微信扫码登录
    wecom_oauth_url: str = Field(default="https://open.weixin.qq.com/connect/oauth2/authorize", max_length=255)
    wecom_qr_url: str = Field(default="https://login.work.weixin.qq.com/wwlogin/sso/login", max_length=255)
    password_roles: str = Field(default="employee,manager,hr,admin", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: int | None = Field(default=None)


class SsoProvider(SQLModel, table=True):
    """An OpenID Connect provider the admin configured (Authing, Keycloak, Entra ID, Okta…)."""

    __tablename__ = "sso_provider"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    issuer: str = Field(max_length=255)
    client_id: str = Field(max_length=255)
    client_secret_enc: str = Field(default="", sa_type=sa.Text)
    scopes: str = Field(default="openid email profile", max_length=255)
    claim: str = Field(default="email", max_length=16)  # email | employee_no | custom
    custom_claim: str = Field(default="", max_length=64)
    mfa_stands_in: bool = Field(default=False)  # the provider's amr/acr replaces TOTP for HR and admin
    acr: str = Field(default="", max_length=128)
    enabled: bool = Field(default=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: int | None = Field(default=None)


class SsoAttempt(SQLModel, table=True):
    """A sign-in that left for a provider: its state (hashed), nonce and PKCE verifier, used once."""

    __tablename__ = "sso_attempt"

    id: int | None = Field(default=None, primary_key=True)
    state_hash: str = Field(max_length=64, unique=True)
    provider: str = Field(max_length=24)  # oidc:<id> | wecom | wecom_qr
    nonce: str = Field(default="", max_length=128)
    code_verifier_enc: str = Field(default="", sa_type=sa.Text)
    next_path: str = Field(default="", max_length=300)
    created_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SsoHandoff(SQLModel, table=True):
    """The one-time code the callback hands the browser (valid for seconds); the page exchanges
    it for the session, so no session token ever sits in a URL."""

    __tablename__ = "sso_handoff"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="user_account.id")
    method: str = Field(max_length=24)
    second_factor_done: bool = Field(default=False)
    next_path: str = Field(default="", max_length=300)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInMethod(SQLModel, table=True):
    """How an account has signed in (password, WeCom, an OIDC provider) and when last."""

    __tablename__ = "sign_in_method"
    __table_args__ = (sa.UniqueConstraint("account_id", "method", name="uq_sign_in_method"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="user_account.id", index=True)
    method: str = Field(max_length=24)
    subject: str = Field(default="", max_length=255)  # the provider's identifier for the person
    first_used_at: datetime = Field(sa_type=UTCDateTime)
    last_used_at: datetime = Field(sa_type=UTCDateTime)
