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
    status: str = Field(default="active", max_length=16)
    phone: str = Field(default="", max_length=20)
    email: str = Field(default="", max_length=254)
    address: str = Field(default="", max_length=200)
    emergency_contact_name: str = Field(default="", max_length=64)
    emergency_contact_phone: str = Field(default="", max_length=20)
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
    failed_attempts: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


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


class LeaveLedgerEntry(SQLModel, table=True):
    """One movement of a leave balance. Append-only: corrections are new entries."""

    __tablename__ = "leave_ledger_entry"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    leave_type: str = Field(foreign_key="leave_type.code", max_length=16)
    year: int = Field(index=True)
    kind: str = Field(max_length=16)
    days: Decimal = Field(sa_type=sa.Numeric(6, 1))
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
