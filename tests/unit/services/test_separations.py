"""Separation: the signed resignation acknowledged through the engine, the checklist's stage order,
send-back, escalation, the certificate, the settlement and offboarding on the last day, and who
may do what."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import select

from selfservice.domain.actor import SYSTEM
from selfservice.domain.errors import DomainError, NotPermitted, ValidationFailed
from selfservice.persistence.models import (
    ApprovalInstance,
    ApprovalStep,
    ChecklistItem,
    Employee,
    LeaveLedgerEntry,
    NotificationMessage,
    Separation,
    SeparationCertificate,
    UserAccount,
    UserSession,
)
from selfservice.services import approvals, leave_balances, leave_requests, separations, signatures
from tests.helpers import actor_for, audit_count
from tests.signing import drawing, reauthenticate, with_session

CTX = signatures.Context(ip="203.0.113.9", user_agent="pytest-phone")
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Wednesday


def _emp(session, number: str) -> Employee:
    return session.exec(select(Employee).where(Employee.employee_no == number)).one()


def _resign(session, who: str = "E1004", last_day: date | None = None, now: datetime = NOW, **extra) -> int:
    actor = with_session(session, actor_for(session, who), now)
    reauthenticate(session, actor, now)
    employee = session.get(Employee, actor.employee_id)
    fields = {"reason": "career", "reason_text": "", "successor_no": "E1005", "typed_name": employee.name, "drawing": drawing()}
    fields.update(extra)
    sid = separations.resign(session, actor, last_day=last_day or date(2026, 12, 25), context=CTX, now=now, **fields)
    session.commit()
    return sid


def _through(session, sid: int, now: datetime = NOW, **ack) -> None:
    """The manager acknowledges, HR confirms."""
    separations.acknowledge(
        session, actor_for(session, "E1002"), sid, agree_early=ack.get("early", False), later_day=None, successor_no="", comment="", now=now
    )
    separations.acknowledge(
        session, actor_for(session, "hr01"), sid, agree_early=False, later_day=None, successor_no="", comment="", now=now
    )
    session.commit()


def _owners(session, now: datetime = NOW) -> None:
    hr = actor_for(session, "hr01")
    separations.set_owners(session, hr, "admin", "E4005", now)
    separations.set_owners(session, hr, "it", "admin", now)
    separations.set_owners(session, hr, "finance", "hr02", now)
    session.commit()


def _items(session, sid: int) -> list[ChecklistItem]:
    return list(
        session.exec(select(ChecklistItem).where(ChecklistItem.separation_id == sid).order_by(ChecklistItem.stage, ChecklistItem.id)).all()
    )


def _confirm_stage(session, sid: int, stage: int, who: str, now: datetime = NOW) -> None:
    for item in _items(session, sid):
        if item.stage == stage:
            separations.confirm_item(session, actor_for(session, who), item.id, "ok", None, now)
    session.commit()


def test_a_signed_resignation_goes_to_the_manager_then_hr_and_starts_the_checklist(demo):
    _owners(demo)
    sid = _resign(demo)
    row = demo.get(Separation, sid)
    assert row.status == "submitted" and row.last_day == date(2026, 12, 25)
    signature = demo.get(signatures.Signature, row.signature_id)
    assert signature.subject == "resignation" and "最后工作日为2026年12月25日" in signature.statement
    assert signatures.verify(demo, signature.verify_token).ok  # the letter's hash checks
    pdf, _ = signatures.receipt(demo, actor_for(demo, "E1004"), signature.id, NOW)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "辞职申请书" in text and "2026-12-25" in text
    manager_msgs = demo.exec(select(NotificationMessage).where(NotificationMessage.recipient_id == _emp(demo, "E1002").id)).all()
    assert any("辞职" in m.title for m in manager_msgs)
    view = separations.progress(demo, actor_for(demo, "E1002"), sid, NOW)
    assert view.can_acknowledge and not view.items

    _through(demo, sid)
    row = demo.get(Separation, sid)
    assert row.status == "confirmed"
    items = _items(demo, sid)
    assert [i.stage for i in items] == sorted(i.stage for i in items) and max(i.stage for i in items) == 5
    assert {i.status for i in items if i.stage == 1} == {"open"} and {i.status for i in items if i.stage > 1} == {"waiting"}
    # the manager is told of the open stage; the employee sees who holds what
    view = separations.progress(demo, actor_for(demo, "E1004"), sid, NOW)
    assert view.open_stage == 1 and view.items[0].holders == "李明" and view.successor == "刘洋"


def test_stage_order_is_enforced_and_each_owner_confirms_only_their_items(demo):
    _owners(demo)
    sid = _resign(demo)
    _through(demo, sid)
    it_item = next(i for i in _items(demo, sid) if i.stage == 3)
    before = audit_count(demo)
    with pytest.raises(ValidationFailed, match="checklist.stage_not_open"):
        separations.confirm_item(demo, actor_for(demo, "admin"), it_item.id, "", None, NOW)
    stage1 = next(i for i in _items(demo, sid) if i.stage == 1)
    for wrong in ("admin", "E1004", "E1005", "E4005"):  # IT, the leaver, a colleague, admin office
        with pytest.raises(NotPermitted):
            separations.confirm_item(demo, actor_for(demo, wrong), stage1.id, "", None, NOW)
    demo.rollback()
    assert audit_count(demo) == before
    _confirm_stage(demo, sid, 1, "E1002")
    assert {i.status for i in _items(demo, sid) if i.stage == 2} == {"open"}
    _confirm_stage(demo, sid, 2, "E4005")
    _confirm_stage(demo, sid, 3, "admin")
    _confirm_stage(demo, sid, 4, "hr02")
    with pytest.raises(ValidationFailed, match="checklist.item_done"):
        separations.confirm_item(demo, actor_for(demo, "hr02"), next(i for i in _items(demo, sid) if i.stage == 4).id, "", None, NOW)
    demo.rollback()
    _confirm_stage(demo, sid, 5, "hr01")
    assert demo.get(Separation, sid).handover_done_at is not None


def test_send_back_reopens_the_item_and_later_stages_wait_again(demo):
    _owners(demo)
    sid = _resign(demo)
    _through(demo, sid)
    _confirm_stage(demo, sid, 1, "E1002")
    laptop = next(i for i in _items(demo, sid) if i.stage == 2)
    with pytest.raises(ValidationFailed, match="checklist.reason_required"):
        separations.send_back(demo, actor_for(demo, "E4005"), laptop.id, "  ", NOW)
    demo.rollback()
    separations.send_back(demo, actor_for(demo, "E4005"), laptop.id, "电源适配器未归还", NOW)
    demo.commit()
    assert demo.get(ChecklistItem, laptop.id).status == "sent_back"
    told = demo.exec(
        select(NotificationMessage).where(
            NotificationMessage.recipient_id == _emp(demo, "E1004").id, NotificationMessage.template == "checklist.sent_back"
        )
    ).one()
    assert "电源适配器未归还" in told.body
    _confirm_stage(demo, sid, 2, "E4005")
    assert {i.status for i in _items(demo, sid) if i.stage == 3} == {"open"}
    # an owner of stage 1 sends a confirmed item back: stage 3 waits again
    first = _items(demo, sid)[0]
    separations.send_back(demo, actor_for(demo, "E1002"), first.id, "客户联系人清单不完整", NOW)
    demo.commit()
    assert {i.status for i in _items(demo, sid) if i.stage == 3} == {"waiting"}
    separations.confirm_item(demo, actor_for(demo, "E1002"), first.id, "已补全", None, NOW)
    demo.commit()
    assert {i.status for i in _items(demo, sid) if i.stage == 3} == {"open"}


def test_overdue_items_are_reminded_then_escalated_to_hr(demo):
    _owners(demo)
    sid = _resign(demo)
    _through(demo, sid)
    item = _items(demo, sid)[0]
    assert separations.escalate_due(demo, NOW + timedelta(hours=1)) == (0, 0)
    later = item.due_at + timedelta(minutes=1)
    assert separations.escalate_due(demo, later) == (3, 0)  # the three items of stage 1
    demo.commit()
    much_later = later + timedelta(days=7)
    assert separations.escalate_due(demo, much_later) == (0, 3)
    demo.commit()
    hr_msgs = demo.exec(
        select(NotificationMessage).where(
            NotificationMessage.recipient_id == _emp(demo, "hr01").id, NotificationMessage.template == "checklist.escalated"
        )
    ).all()
    assert len(hr_msgs) == 3 and "李明" in hr_msgs[0].body
    assert separations.escalate_due(demo, much_later + timedelta(days=1)) == (0, 0)  # once
    sent = separations.nudge(demo, actor_for(demo, "hr01"), sid, much_later)
    assert sent == 3
    with pytest.raises(NotPermitted):
        separations.nudge(demo, actor_for(demo, "E1002"), sid, much_later)


def test_an_earlier_day_needs_the_manager_and_a_later_one_the_employee(demo):
    sid = _resign(demo, last_day=date(2026, 12, 4))  # 9 days' notice instead of 30
    row = demo.get(Separation, sid)
    assert row.requested_last_day == date(2026, 12, 4) and row.last_day == date(2026, 12, 25)  # the notice day unless agreed
    separations.acknowledge(
        demo, actor_for(demo, "E1002"), sid, agree_early=True, later_day=None, successor_no="E1011", comment="同意", now=NOW
    )
    demo.commit()
    row = demo.get(Separation, sid)
    assert row.last_day == date(2026, 12, 4) and row.early_agreed and row.successor_id == _emp(demo, "E1011").id

    other = _resign(demo, who="E1007")
    with pytest.raises(ValidationFailed, match="separation.later_day"):
        separations.acknowledge(
            demo, actor_for(demo, "E1003"), other, agree_early=False, later_day=date(2026, 12, 20), successor_no="", comment="", now=NOW
        )
    demo.rollback()
    separations.acknowledge(
        demo, actor_for(demo, "E1003"), other, agree_early=False, later_day=date(2027, 1, 8), successor_no="", comment="", now=NOW
    )
    demo.commit()
    with pytest.raises(NotPermitted):
        separations.answer_proposal(demo, actor_for(demo, "E1003"), other, True, NOW)
    separations.answer_proposal(demo, actor_for(demo, "E1007"), other, True, NOW)
    demo.commit()
    assert demo.get(Separation, other).last_day == date(2027, 1, 8)


def test_bad_input_is_refused_and_nothing_is_written(demo):
    actor = with_session(demo, actor_for(demo, "E1004"), NOW)
    for last_day, key in ((date(2026, 11, 1), "separation.last_day_past"), (date(2028, 1, 1), "separation.last_day_too_far")):
        reauthenticate(demo, actor, NOW)
        before = audit_count(demo)
        with pytest.raises(ValidationFailed, match=key):
            separations.resign(
                demo,
                actor,
                reason="",
                reason_text="",
                last_day=last_day,
                successor_no="",
                typed_name="张伟",
                drawing=drawing(),
                context=CTX,
                now=NOW,
            )
        demo.rollback()
        assert audit_count(demo) == before and demo.exec(select(Separation)).all() == []
    with pytest.raises(ValidationFailed, match="separation.reason_unknown"):
        separations.resign(
            demo,
            actor,
            reason="bored",
            reason_text="",
            last_day=date(2026, 12, 25),
            successor_no="",
            typed_name="张伟",
            drawing=drawing(),
            context=CTX,
            now=NOW,
        )
    demo.rollback()
    with pytest.raises(DomainError, match="signature.name_mismatch"):  # signed with someone else's name
        separations.resign(
            demo,
            actor,
            reason="",
            reason_text="",
            last_day=date(2026, 12, 25),
            successor_no="",
            typed_name="王芳",
            drawing=drawing(),
            context=CTX,
            now=NOW,
        )
    demo.rollback()
    assert demo.exec(select(Separation)).all() == []

    sid = _resign(demo)
    with pytest.raises(DomainError, match="separation.already"):  # resigning twice
        _resign(demo)
    demo.rollback()
    step = demo.exec(select(ApprovalStep).where(ApprovalStep.status == "pending")).all()
    manager_step = next(s for s in step if s.approver_id == _emp(demo, "E1002").id)
    with pytest.raises(DomainError, match="approval.cannot_reject"):  # a lawful resignation cannot be refused
        approvals.decide(demo, actor_for(demo, "E1002"), manager_step.id, False, "不同意", NOW)
    demo.rollback()
    separations.withdraw(demo, actor_for(demo, "E1004"), sid, NOW)
    demo.commit()
    assert demo.get(Separation, sid).status == "withdrawn"
    with pytest.raises(DomainError, match="separation.not_pending"):  # deciding a withdrawn resignation
        separations.acknowledge(
            demo, actor_for(demo, "E1002"), sid, agree_early=False, later_day=None, successor_no="", comment="", now=NOW
        )
    demo.rollback()

    again = _resign(demo, now=NOW + timedelta(minutes=10))  # withdrawn: may resign again
    _through(demo, again)
    with pytest.raises(DomainError, match="separation.not_withdrawable"):  # HR confirmed it
        separations.withdraw(demo, actor_for(demo, "E1004"), again, NOW)


def test_a_template_change_applies_to_new_checklists_only(demo):
    hr = actor_for(demo, "hr01")
    sid = _resign(demo)
    _through(demo, sid)
    kept = [(i.stage_name, i.title) for i in _items(demo, sid)]
    template_id = separations.ensure_default_template(demo, NOW)
    with pytest.raises(ValidationFailed, match="checklist.template_owner"):
        separations.save_template(demo, hr, template_id, "默认", None, "", True, "交接 | 文档 | 保安", NOW)
    demo.rollback()
    with pytest.raises(ValidationFailed, match="checklist.template_stage_split"):
        separations.save_template(demo, hr, template_id, "默认", None, "", True, "甲 | 一 | 人事\n乙 | 二 | 人事\n甲 | 三 | 人事", NOW)
    demo.rollback()
    with pytest.raises(NotPermitted):
        separations.save_template(demo, actor_for(demo, "E1002"), template_id, "默认", None, "", True, "甲 | 一 | 人事", NOW)
    separations.save_template(
        demo,
        hr,
        template_id,
        "默认",
        None,
        "",
        True,
        "工作交接 / Handover | 文档 / Documents | 直属领导\n人事 / HR | 结算 / Settlement | 人事",
        NOW,
    )
    demo.commit()
    assert [(i.stage_name, i.title) for i in _items(demo, sid)] == kept
    # a department's own template wins over the default
    sales = _emp(demo, "E2004").department_id
    separations.save_template(demo, hr, None, "销售", sales, "", False, "客户 | 客户交接 | 直属领导", NOW)
    demo.commit()
    new = _resign(demo, who="E1007")
    _through_for(demo, new, "E1003")
    assert [(i.stage_name, i.title) for i in _items(demo, new)] == [("工作交接", "文档"), ("人事", "结算")]
    sold = _resign(demo, who="E2004")
    manager = demo.get(Employee, _emp(demo, "E2004").manager_id).employee_no
    _through_for(demo, sold, manager)
    assert [i.title for i in _items(demo, sold)] == ["客户交接"]


def _through_for(session, sid: int, manager_no: str) -> None:
    separations.acknowledge(
        session, actor_for(session, manager_no), sid, agree_early=False, later_day=None, successor_no="", comment="", now=NOW
    )
    separations.acknowledge(
        session, actor_for(session, "hr01"), sid, agree_early=False, later_day=None, successor_no="", comment="", now=NOW
    )
    session.commit()


def test_the_last_day_certificate_settlement_and_offboarding(demo):
    _owners(demo)
    leave_balances.ensure_default_types(demo)
    leave_balances.accrue_year(demo, SYSTEM, 2026, NOW)
    sid = _resign(demo, last_day=date(2026, 11, 27))
    _through(demo, sid, early=True)
    leaver = _emp(demo, "E1004")
    account = demo.exec(select(UserAccount).where(UserAccount.employee_id == leaver.id)).one()
    with_session(demo, actor_for(demo, "E1004"), NOW)
    hr = actor_for(demo, "hr01")
    with pytest.raises(ValidationFailed, match="separation.contract_end"):
        separations.set_contract(demo, hr, sid, date(2024, 3, 1), date(2023, 2, 28), NOW)
    demo.rollback()
    separations.set_contract(demo, hr, sid, date(2024, 3, 1), date(2027, 2, 28), NOW)  # a fixed-term contract
    demo.commit()
    with pytest.raises(DomainError, match="separation.certificate_early"):
        separations.issue_certificate(demo, actor_for(demo, "hr01"), sid, NOW)
    demo.rollback()
    last_morning = datetime(2026, 11, 26, 16, 5, tzinfo=UTC)  # 00:05 on 27 Nov in Shanghai: the last day
    assert separations.daily(demo, last_morning) == {"certificates": 1, "ended": 0}
    demo.commit()
    certificate = demo.exec(select(SeparationCertificate).where(SeparationCertificate.separation_id == sid)).one()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(certificate.pdf)).pages)
    for required in ("解除劳动合同证明书", "张伟", "前端工程师", "2026年11月27日", "2024年03月01日 至 2027年02月28日", certificate.number):
        assert required in text
    message = demo.get(NotificationMessage, certificate.message_id)
    assert message.requires_ack and certificate.number in message.title
    data, kind, name = separations.certificate_file(demo, actor_for(demo, "E1004"), certificate.id)
    assert data == certificate.pdf and kind == "application/pdf"
    with pytest.raises(NotPermitted):
        separations.certificate_file(demo, actor_for(demo, "E1002"), certificate.id)
    assert demo.get(Employee, leaver.id).status == "active"  # still their last day

    after = datetime(2026, 11, 27, 16, 5, tzinfo=UTC)  # 00:05 on the 28th
    assert separations.daily(demo, after) == {"certificates": 0, "ended": 1}
    demo.commit()
    assert demo.get(Employee, leaver.id).status == "inactive" and not demo.get(UserAccount, account.id).active
    assert all(s.revoked_at is not None for s in demo.exec(select(UserSession).where(UserSession.account_id == account.id)).all())
    row = demo.get(Separation, sid)
    settled = json.loads(row.settlement_json)
    assert row.status == "ended" and settled["pay_percent"] == 300 and settled["days"] >= 0
    closing = demo.exec(
        select(LeaveLedgerEntry).where(LeaveLedgerEntry.employee_id == leaver.id, LeaveLedgerEntry.kind == "settlement")
    ).one()
    assert "300%" in closing.note and leave_balances.balance_of(demo, leaver.id, "annual", 2026) == 0  # the year's balance is closed
    assert separations.daily(demo, after + timedelta(hours=1)) == {"certificates": 0, "ended": 0}  # safe to repeat
    with pytest.raises(DomainError, match="separation.certificate_issued"):  # the certificate is frozen, and so is its term
        separations.set_contract(demo, hr, sid, date(2024, 3, 1), None, after)
    demo.rollback()
    with pytest.raises(Exception):  # noqa: B017  (the certificate is frozen)
        demo.execute(SeparationCertificate.__table__.update().values(number="X"))
        demo.flush()
    demo.rollback()


def test_pending_approvals_move_to_the_manager_when_an_approver_leaves(demo):
    # 李明 (E1002) leaves; 刘洋's pending leave waits for him
    leave_balances.ensure_default_types(demo)
    employee = actor_for(demo, "E1005")
    first = date(2026, 12, 7)
    leave_requests.submit(demo, employee, "personal", first, "am", first, "pm", "家事", [], NOW)
    demo.commit()
    sid = separations.record(
        demo,
        actor_for(demo, "hr01"),
        employee_no="E1002",
        kind="mutual",
        last_day=date(2026, 11, 25),
        contract_start=None,
        contract_end=None,
        note="协商一致",
        now=NOW,
    )
    demo.commit()
    separations.daily(demo, datetime(2026, 11, 25, 17, 0, tzinfo=UTC))
    demo.commit()
    pending = demo.exec(
        select(ApprovalStep)
        .join(ApprovalInstance, ApprovalInstance.id == ApprovalStep.instance_id)
        .where(ApprovalInstance.requester_id == employee.employee_id, ApprovalStep.status == "pending")
    ).all()
    assert [s.approver_id for s in pending] == [_emp(demo, "E1001").id]
    assert demo.get(Separation, sid).kind == "mutual"


def test_who_may_see_and_do_what(demo):
    _owners(demo)
    sid = _resign(demo)
    hr, manager, leaver, colleague = (actor_for(demo, n) for n in ("hr01", "E1002", "E1004", "E1007"))
    with pytest.raises(NotPermitted):
        separations.progress(demo, colleague, sid, NOW)
    with pytest.raises(NotPermitted):  # only the pending step's decider acknowledges
        separations.acknowledge(demo, colleague, sid, agree_early=False, later_day=None, successor_no="", comment="", now=NOW)
    with pytest.raises(NotPermitted):
        separations.acknowledge(demo, leaver, sid, agree_early=False, later_day=None, successor_no="", comment="", now=NOW)
    with pytest.raises(NotPermitted):
        separations.withdraw(demo, manager, sid, NOW)
    for call in (
        lambda a: separations.overview(demo, a, NOW),
        lambda a: separations.record(
            demo,
            a,
            employee_no="E1007",
            kind="mutual",
            last_day=date(2026, 12, 31),
            contract_start=None,
            contract_end=None,
            note="",
            now=NOW,
        ),
        lambda a: separations.set_owners(demo, a, "it", "E1007", NOW),
        lambda a: separations.issue_certificate(demo, a, sid, NOW),
        lambda a: separations.mark_transferred(demo, a, sid, NOW),
        lambda a: separations.templates(demo, a),
    ):
        for who in (manager, leaver, colleague):
            with pytest.raises(NotPermitted):
                call(who)
    demo.rollback()
    seen = separations.progress(demo, manager, sid, NOW)
    assert (
        seen.can_acknowledge and seen.settlement == {} and seen.signature_id is None
    )  # the letter and the settlement are not the manager's
    own = separations.progress(demo, leaver, sid, NOW)
    assert own.settlement["pay_percent"] == "300" and own.signature_id is not None
    assert not separations.progress(demo, hr, sid, NOW).can_acknowledge  # HR's step comes after the manager's
    with pytest.raises(ValidationFailed, match="separation.kind_unknown"):
        separations.record(
            demo,
            hr,
            employee_no="E1007",
            kind="resignation",
            last_day=date(2026, 12, 31),
            contract_start=None,
            contract_end=None,
            note="",
            now=NOW,
        )
    demo.rollback()
    with pytest.raises(DomainError, match="separation.already_other"):
        separations.record(
            demo,
            hr,
            employee_no="E1004",
            kind="mutual",
            last_day=date(2026, 12, 31),
            contract_start=None,
            contract_end=None,
            note="",
            now=NOW,
        )
    assert SYSTEM.has_role("hr")


def test_during_probation_the_notice_is_three_days(demo):
    employee = _emp(demo, "E1009")
    employee.probation_end = date(2026, 12, 31)
    demo.add(employee)
    demo.commit()
    view = separations.form(demo, actor_for(demo, "E1009"), NOW)
    assert view.on_probation and view.notice_days == 3 and view.default_last_day == date(2026, 11, 28)
    sid = _resign(demo, who="E1009", last_day=date(2026, 11, 28))
    assert demo.get(Separation, sid).last_day == date(2026, 11, 28)  # not an early request


def test_the_inbox_lists_exactly_the_items_each_person_may_confirm(demo):
    """my_items resolves owners in bulk; it must agree with the per-item rule for everyone."""
    hr = actor_for(demo, "hr01")
    separations.set_owners(demo, hr, "it", "admin", NOW)  # admin office and finance: nobody named (HR holds them)
    first = _resign(demo)
    _through(demo, first)
    second = _resign(demo, who="E1007")
    _through_for(demo, second, "E1003")
    _confirm_stage(demo, second, 1, "E1003")
    third = separations.record(
        demo, hr, employee_no="E2004", kind="expiry", last_day=date(2026, 12, 31), contract_start=None, contract_end=None, note="", now=NOW
    )
    demo.get(Employee, _emp(demo, "E2004").manager_id).status = "inactive"  # a departed manager: HR holds the item
    demo.commit()
    for account in demo.exec(select(UserAccount).where(UserAccount.active == True)).all():  # noqa: E712
        actor = actor_for(demo, account.username)
        listed = {o.item_id for o in separations.my_items(demo, actor, NOW)}
        expected = {
            i.id
            for sid in (first, second, third)
            for i in _items(demo, sid)
            if i.status in ("open", "sent_back")
            and actor.employee_id != demo.get(Separation, sid).employee_id
            and actor.employee_id in separations._owner_ids(demo, demo.get(Separation, sid), i.owner)
        }
        assert listed == expected, account.username
