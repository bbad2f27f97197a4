"""The disappearance case: 小王's journey from a streak to a termination that starts the
separation, 小张's answer that pauses and resolves the case, and every refusal on the way."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import select

from selfservice.documents import signing
from selfservice.domain import cases as rules
from selfservice.domain.errors import DomainError, NotPermitted, ValidationFailed
from selfservice.persistence.models import (
    AbsenceCase,
    ApprovalStep,
    AuditCheckpoint,
    CaseEvent,
    CaseNotice,
    CompanyKey,
    NotificationDelivery,
    NotificationMessage,
    Punch,
    Separation,
)
from selfservice.services import approvals, cases, punches
from tests.cases_setup import RULE, configure, confirm_contacts, employee, handbook, streak
from tests.helpers import actor_for, audit_count

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
MISSING = [date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 12), date(2026, 11, 13)]


@pytest.fixture
def company(demo):
    session = demo
    policy_id = handbook(session, NOW, ["E1007", "E1008"])
    confirm_contacts(session, "E1007", ["inapp", "wecom", "sms", "email"], NOW - timedelta(days=30))
    confirm_contacts(session, "E1008", ["inapp", "sms"], NOW - timedelta(days=30))
    configure(session, policy_id, NOW, approvers="E4001,E1001", union_no="E4004")
    return session


def _open(session, number: str = "E1007") -> int:
    sid = streak(session, number, MISSING, NOW)
    case_id = cases.open_case(session, actor_for(session, "hr01"), NOW, streak_id=sid)
    session.commit()
    return case_id


def _approve_all(session, case_id: int, now: datetime) -> None:
    row = session.get(AbsenceCase, case_id)
    for who in ("E4001", "E1001"):
        step = session.exec(select(ApprovalStep).where(ApprovalStep.instance_id == row.approval_id, ApprovalStep.status == "pending")).one()
        approvals.decide(session, actor_for(session, who), step.id, True, "", now)
        session.commit()


def test_xiaowang_from_streak_to_termination(company):
    session = company
    hr = actor_for(session, "hr01")
    case_id = _open(session)
    row = session.get(AbsenceCase, case_id)
    assert row.number == "AJ-2026-0001" and row.stage == rules.Stage.open and row.first_missing == MISSING[0]

    cases.add_event(
        session,
        actor_for(session, "E1003"),
        case_id,
        "call",
        NOW - timedelta(hours=1),
        "",
        NOW,
        number=employee(session, "E1007").phone,
        outcome="no_answer",
    )
    session.commit()

    notice_id = cases.send_return_notice(session, hr, case_id, ["inapp", "wecom", "sms", "email"], NOW)
    session.commit()
    notice = session.get(CaseNotice, notice_id)
    assert notice.number == "FG-2026-0001" and notice.kind == "return"
    text = "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(notice.pdf)).pages).split())
    assert "返岗通知书" in text and "赵磊" in text and "".join(RULE.split()) in text and "11月10日" in text
    # deadline: 3 calendar days after Monday → Thursday 24:00 Shanghai
    assert session.get(AbsenceCase, case_id).deadline_at == datetime(2026, 11, 19, 16, 0, tzinfo=UTC)
    message = session.get(NotificationMessage, notice.message_id)
    assert message.requires_ack and message.link_path == "/notice?n=FG-2026-0001"
    channels = {d.channel for d in session.exec(select(NotificationDelivery).where(NotificationDelivery.message_id == message.id)).all()}
    assert channels == {"inapp", "wecom", "sms", "email"}

    # He reads it on his phone (a read is not an answer); the deadline passes.
    cases.notice_by_number(session, actor_for(session, "E1007"), "FG-2026-0001")
    later = NOW + timedelta(days=4)
    assert cases.watch(session, None, later) == 0

    with pytest.raises(DomainError) as refused:
        cases.send_termination(session, hr, case_id, ["inapp", "sms"], later)
    assert refused.value.key == "case.not_approved"

    cases.propose(session, hr, case_id, "逾期未返岗，也未说明理由。", later)
    session.commit()
    assert session.get(AbsenceCase, case_id).stage == rules.Stage.approval
    with pytest.raises(DomainError) as refused:
        cases.notify_union(session, hr, case_id, "连续旷工", None, later)
    assert refused.value.key == "case.not_approved"
    with pytest.raises(NotPermitted):
        cases.decide(session, actor_for(session, "E2004"), case_id, True, "", later)  # not in the chain
    with pytest.raises(NotPermitted):
        cases.decide(session, actor_for(session, "E1001"), case_id, True, "", later)  # second in the chain: not yet
    cases.visible(session, actor_for(session, "E4001"), case_id)  # an approver sees the record they decide on
    with pytest.raises(NotPermitted):
        cases.add_event(session, actor_for(session, "E4001"), case_id, "note", later, "x", later)  # but does not add to it
    cases.decide(session, actor_for(session, "E4001"), case_id, True, "证据充分。", later)
    cases.decide(session, actor_for(session, "E1001"), case_id, True, "", later)
    session.commit()
    assert session.get(AbsenceCase, case_id).stage == rules.Stage.approved

    with pytest.raises(DomainError) as refused:
        cases.send_termination(session, hr, case_id, ["inapp", "sms"], later)
    assert refused.value.key == "case.no_union_notice"
    cases.notify_union(session, hr, case_id, "连续旷工 4 个工作日，返岗通知逾期未回应", date(2026, 11, 21), later)
    cases.union_reply(session, hr, case_id, later.date(), "工会无异议。", later)
    session.commit()

    with pytest.raises(DomainError) as refused:
        cases.send_termination(session, hr, case_id, ["inapp"], later)
    assert refused.value.key == "case.too_few_channels"
    before = audit_count(session)
    termination_id = cases.send_termination(session, hr, case_id, ["inapp", "wecom", "sms"], later)
    session.commit()
    assert audit_count(session) > before
    row = session.get(AbsenceCase, case_id)
    assert row.stage == rules.Stage.terminated and row.separation_id is not None
    separation = session.get(Separation, row.separation_id)
    assert separation.kind == "dismissal" and separation.employee_id == employee(session, "E1007").id
    assert session.get(CaseNotice, termination_id).number == "JC-2026-0001"
    with pytest.raises(DomainError):
        cases.send_termination(session, hr, case_id, ["inapp", "sms"], later)


def test_xiaozhang_answers_and_the_case_resolves(company):
    session = company
    hr = actor_for(session, "hr01")
    case_id = _open(session, "E1008")
    cases.send_return_notice(session, hr, case_id, ["inapp", "sms"], NOW)
    session.commit()
    cases.reply(
        session, actor_for(session, "E1008"), "FG-2026-0001", "我母亲住院了，这几天在医院陪护，明天回来上班。", NOW + timedelta(hours=5)
    )
    session.commit()
    row = session.get(AbsenceCase, case_id)
    assert row.stage == rules.Stage.paused and row.reaction.startswith("reply")
    message = session.get(NotificationMessage, session.exec(select(CaseNotice)).one().message_id)
    assert message.acknowledged_at is not None
    with pytest.raises(DomainError) as refused:
        cases.propose(session, hr, case_id, "x", NOW + timedelta(days=5))
    assert refused.value.key == "case.paused"
    cases.resolve(session, hr, case_id, "explained", "提供了住院证明，补请事假。", NOW + timedelta(days=1))
    session.commit()
    assert session.get(AbsenceCase, case_id).stage == rules.Stage.resolved
    with pytest.raises(DomainError):
        cases.add_event(session, hr, case_id, "note", NOW, "late note", NOW + timedelta(days=2))


def test_a_punch_pauses_the_case_and_hr_continues(company):
    session = company
    hr = actor_for(session, "hr01")
    case_id = _open(session)
    cases.send_return_notice(session, hr, case_id, ["wecom"], NOW)
    session.commit()
    source_id, _ = punches.create_source(session, hr, "api", "门禁", NOW)
    session.add(
        Punch(
            employee_id=employee(session, "E1007").id,
            at=NOW + timedelta(hours=2),
            work_date=NOW.date(),
            source_id=source_id,
            external_id="x1",
        )
    )
    session.commit()
    assert cases.watch(session, None, NOW + timedelta(hours=3)) == 1
    session.commit()
    assert session.get(AbsenceCase, case_id).stage == rules.Stage.paused
    cases.continue_case(session, hr, case_id, "打卡后即离开，未返岗。", NOW + timedelta(hours=4))
    session.commit()
    assert session.get(AbsenceCase, case_id).stage == rules.Stage.notice_sent
    assert cases.watch(session, None, NOW + timedelta(hours=5)) == 0  # the same punch does not pause it twice


def test_refusals_name_what_is_missing(company):
    session = company
    hr = actor_for(session, "hr01")
    case_id = _open(session)
    with pytest.raises(DomainError) as refused:
        cases.propose(session, hr, case_id, "x", NOW)
    assert refused.value.key == "case.no_return_notice"
    confirm_contacts(session, "E1009", ["inapp", "sms", "post"], NOW - timedelta(days=3))
    with pytest.raises(DomainError) as refused:
        cases.send_return_notice(session, hr, case_id, ["inapp", "carrier-pigeon"], NOW)
    assert refused.value.key == "case.channel_unconfirmed.other"
    other = _open(session, "E1009")
    with pytest.raises(DomainError) as refused:
        cases.send_return_notice(session, hr, other, ["email"], NOW)
    assert refused.value.key == "case.channel_unconfirmed.email"
    cases.send_return_notice(session, hr, case_id, ["inapp"], NOW)
    session.commit()
    with pytest.raises(DomainError) as refused:
        cases.send_return_notice(session, hr, case_id, ["inapp"], NOW)
    assert refused.value.key == "case.notice_already"
    with pytest.raises(DomainError) as refused:
        cases.propose(session, hr, case_id, "x", NOW + timedelta(days=2))
    assert refused.value.key == "case.deadline_not_passed"
    with pytest.raises(DomainError) as refused:
        cases.open_case(session, hr, NOW, employee_no="E1007")
    assert refused.value.key == "case.already_open"
    with pytest.raises(ValidationFailed):
        cases.add_event(session, hr, case_id, "call", NOW, "", NOW, number="+8613000000000", outcome="no_answer")
    count = audit_count(session)
    with pytest.raises(ValidationFailed):
        cases.add_posted(session, hr, case_id, session.exec(select(CaseNotice)).one().id, "EMS!", "", "", NOW)
    assert audit_count(session) == count


def test_without_a_signed_handbook_there_is_no_art_39_termination(company):
    session = company
    hr = actor_for(session, "hr01")
    confirm_contacts(session, "E1009", ["inapp", "wecom", "sms"], NOW - timedelta(days=3))  # never signed the handbook
    case_id = _open(session, "E1009")
    cases.send_return_notice(session, hr, case_id, ["inapp", "sms"], NOW)
    later = NOW + timedelta(days=4)
    cases.propose(session, hr, case_id, "逾期", later)
    _approve_all(session, case_id, later)
    cases.notify_union(session, hr, case_id, "连续旷工", None, later)
    with pytest.raises(DomainError) as refused:
        cases.send_termination(session, hr, case_id, ["inapp", "sms"], later)
    assert refused.value.key == "case.rule_not_signed"


def test_who_may_do_what(company):
    session = company
    case_id = _open(session)
    employee_actor, stranger, manager = actor_for(session, "E1007"), actor_for(session, "E2004"), actor_for(session, "E1003")
    for actor in (employee_actor, stranger, manager):
        with pytest.raises(NotPermitted):
            cases.send_return_notice(session, actor, case_id, ["inapp"], NOW)
        with pytest.raises(NotPermitted):
            cases.open_case(session, actor, NOW, employee_no="E1009")
        with pytest.raises(NotPermitted):
            cases.resolve(session, actor, case_id, "returned", "x", NOW)
        with pytest.raises(NotPermitted):
            cases.save_settings(session, actor, {}, NOW)
    for actor in (employee_actor, stranger):
        with pytest.raises(NotPermitted):
            cases.add_event(session, actor, case_id, "note", NOW, "x", NOW)
        with pytest.raises(NotPermitted):
            cases.visible(session, actor, case_id)
    cases.add_event(session, manager, case_id, "visit", NOW - timedelta(hours=2), "上门无人应答。", NOW)  # the manager may add
    session.commit()
    assert session.exec(select(CaseEvent).where(CaseEvent.kind == "visit")).one().actor_id == employee(session, "E1003").id
    cases.send_return_notice(session, actor_for(session, "hr01"), case_id, ["inapp"], NOW)
    session.commit()
    with pytest.raises(NotPermitted):
        cases.reply(session, stranger, "FG-2026-0001", "not mine", NOW)
    with pytest.raises(NotPermitted):
        cases.notice_by_number(session, stranger, "FG-2026-0001")


# ---- the evidence bundle ---------------------------------------------------------------------


def _terminated(session) -> int:
    hr = actor_for(session, "hr01")
    case_id = _open(session)
    cases.add_event(
        session, hr, case_id, "call", NOW - timedelta(hours=2), "", NOW, number=employee(session, "E1007").phone, outcome="switched_off"
    )
    cases.send_return_notice(session, hr, case_id, ["inapp", "wecom", "sms"], NOW)
    session.commit()
    cases.notice_by_number(session, actor_for(session, "E1007"), "FG-2026-0001")
    later = NOW + timedelta(days=4)
    cases.propose(session, hr, case_id, "逾期未返岗。", later)
    session.commit()
    _approve_all(session, case_id, later)
    cases.notify_union(session, hr, case_id, "连续旷工", None, later)
    cases.send_termination(session, hr, case_id, ["inapp", "sms"], later)
    session.commit()
    return case_id


def _rezip(data: bytes, change) -> bytes:
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = change(name, source.read(name))
            if content is not None:
                target.writestr(name, content)
    return out.getvalue()


def test_the_bundle_verifies_offline_and_fails_on_any_changed_byte(company, tmp_path, capsys):
    import zipfile

    from selfservice.cli import main
    from selfservice.services import evidence

    session = company
    case_id = _terminated(session)
    export_id = evidence.export(session, actor_for(session, "hr01"), case_id, NOW + timedelta(days=4, hours=1), english=True)
    session.commit()
    data, content_type, name = evidence.bundle_file(session, actor_for(session, "hr01"), export_id)
    assert content_type == "application/zip" and name.startswith("AJ-2026-0001-evidence-")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    for expected in (
        "manifest.json",
        "manifest.sig.json",
        "company-certificate.pem",
        "01-timeline/timeline-zh-CN.pdf",
        "01-timeline/timeline-en.pdf",
        "02-notices/FG-2026-0001.pdf",
        "02-notices/JC-2026-0001.pdf",
        "03-deliveries.json",
        "04-handbook/signature-receipt.pdf",
        "05-address-for-service/confirmation-receipt.pdf",
        "05-address-for-service/contact-history.json",
        "06-attendance.xlsx",
        "07-reminders.json",
        "08-audit.jsonl",
    ):
        assert expected in names, expected
    report = evidence.verify(data)
    assert report.ok and report.pdfs == 4 and report.case == "AJ-2026-0001", report
    timeline = "".join(
        "".join(
            p.extract_text() for p in PdfReader(io.BytesIO(zipfile.ZipFile(io.BytesIO(data)).read("01-timeline/timeline-zh-CN.pdf"))).pages
        ).split()
    )
    assert "目录" in timeline and "发出返岗通知书FG-2026-0001" in timeline and "电话联系" in timeline and "关机" in timeline

    path = tmp_path / "bundle.zip"
    path.write_bytes(data)
    assert main(["evidence", "verify", str(path)]) == 0
    assert "bundle OK" in capsys.readouterr().out

    for victim in (
        "02-notices/FG-2026-0001.pdf",
        "01-timeline/timeline-zh-CN.pdf",
        "03-deliveries.json",
        "06-attendance.xlsx",
        "08-audit.jsonl",
        "manifest.json",
    ):

        def flip(name, content, victim=victim):
            if name != victim:
                return content
            middle = len(content) // 2
            return content[:middle] + bytes([content[middle] ^ 0x01]) + content[middle + 1 :]

        tampered = evidence.verify(_rezip(data, flip))
        signed_together = ("manifest.json", "manifest.sig.json")  # a broken signature cannot say which of the two changed
        assert not tampered.ok and (tampered.file == victim or {tampered.file, victim} <= set(signed_together)), (victim, tampered)
        path.write_bytes(_rezip(data, flip))
        assert main(["evidence", "verify", str(path), "--lang", "en"]) == 1
        assert tampered.file in capsys.readouterr().err

    dropped = evidence.verify(_rezip(data, lambda n, c: None if n == "06-attendance.xlsx" else c))
    assert (dropped.ok, dropped.problem, dropped.file) == (False, "evidence.missing_file", "06-attendance.xlsx")
    added = evidence.verify(_rezip(data, lambda n, c: c))
    assert added.ok  # the same files re-zipped are the same evidence
    truncated = evidence.verify(data[: len(data) // 2])
    assert not truncated.ok and truncated.problem == "evidence.not_a_bundle"
    smuggled = evidence.verify(_with_extra(data))
    assert (smuggled.ok, smuggled.problem, smuggled.file) == (False, "evidence.extra_file", "09-files/forged.pdf")
    foreign = signing.generate("Someone else", NOW).certificate_pem.encode()
    assert evidence.verify(data, [foreign]).problem == "evidence.untrusted_key"
    own = session.exec(select(CompanyKey)).one().certificate_pem.encode()
    assert evidence.verify(data, [own]).ok


def _with_extra(data: bytes) -> bytes:
    import zipfile

    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as bundle:
        bundle.writestr("09-files/forged.pdf", b"%PDF-1.4 forged")
    return out.getvalue()


def test_exporting_is_for_hr_only(company):
    from selfservice.services import evidence

    session = company
    case_id = _open(session)
    for who in ("E1007", "E1003", "E2004"):
        with pytest.raises(NotPermitted):
            evidence.export(session, actor_for(session, who), case_id, NOW)
    export_id = evidence.export(session, actor_for(session, "hr01"), case_id, NOW)
    session.commit()
    with pytest.raises(NotPermitted):
        evidence.bundle_file(session, actor_for(session, "E1003"), export_id)


def test_with_a_timestamp_authority_the_bundle_and_its_pdfs_are_timestamped(company, monkeypatch):
    from selfservice.services import evidence
    from selfservice.settings import get_settings
    from tests.standins import TimestampAuthorityStandIn

    session = company
    case_id = _open(session)
    cases.send_return_notice(session, actor_for(session, "hr01"), case_id, ["inapp", "sms"], NOW)
    session.commit()
    with TimestampAuthorityStandIn() as tsa:
        monkeypatch.setenv("SELFSERVICE_TSA_URL", tsa.tsa_url)
        get_settings.cache_clear()
        export_id = evidence.export(session, actor_for(session, "hr01"), case_id, NOW + timedelta(hours=1))
        session.commit()
        assert tsa.requests >= 4  # the checkpoint, the notice, the timeline, the manifest
    data, _, _ = evidence.bundle_file(session, actor_for(session, "hr01"), export_id)
    report = evidence.verify(data)
    assert report.ok and report.timestamped and report.pdfs == 2, report
    checkpoint = session.exec(select(AuditCheckpoint).where(AuditCheckpoint.reason == "export")).one()
    assert checkpoint.tsa_token
