"""Policies: versions frozen on publishing, who is asked, signing with re-auth, receipts,
verification, re-signing a new version, reminders on schedule."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlmodel import select

from selfservice.demo import DEMO_TOTP
from selfservice.domain.errors import DomainError, NotPermitted, ValidationFailed
from selfservice.persistence.models import Employee, NotificationMessage, PolicyAssignment, PolicyVersion, Signature
from selfservice.services import policies, signatures
from tests.helpers import actor_for, audit_count, drop_trigger, totp_code
from tests.signing import drawing, reauthenticate, with_session

HANDBOOK = "# 员工手册\n\n## 考勤\n\n连续旷工三个工作日视为严重违纪。\n"
CTX = signatures.Context(ip="203.0.113.7", user_agent="pytest-phone")


def _publish(session, now, body=HANDBOOK, **extra):
    hr = actor_for(session, "hr01")
    raw = {
        "title_zh": "员工手册",
        "title_en": "Employee handbook",
        "body_markdown": body,
        "audience": "everyone",
        "deadline": (now + timedelta(days=10)).date().isoformat(),
        **extra,
    }
    policy_id = policies.save_draft(session, hr, None, raw, now)
    number = policies.publish(session, hr, policy_id, now)
    session.commit()
    return policy_id, number


def _version(session, policy_id, number):
    return session.exec(select(PolicyVersion).where(PolicyVersion.policy_id == policy_id, PolicyVersion.number == number)).one()


def _sign(session, who, version_id, now, name=None):
    actor = with_session(session, actor_for(session, who), now)
    reauthenticate(session, actor, now)
    employee = session.get(Employee, actor.employee_id)
    signature_id = policies.sign(session, actor, version_id, name or employee.name, drawing(), CTX, now)
    session.commit()
    return actor, signature_id


def test_publishing_freezes_the_bytes_and_asks_everyone(demo, now):
    policy_id, number = _publish(demo, now)
    version = _version(demo, policy_id, number)
    assert number == 1 and version.content == HANDBOOK.encode()
    assert version.content_sha256 == __import__("hashlib").sha256(HANDBOOK.encode()).hexdigest()
    active = demo.exec(select(sa.func.count()).select_from(Employee).where(Employee.status == "active")).one()
    assigned = demo.exec(select(sa.func.count()).select_from(PolicyAssignment).where(PolicyAssignment.version_id == version.id)).one()
    assert assigned == active
    messages = demo.exec(select(NotificationMessage).where(NotificationMessage.kind == "policy")).all()
    assert len(messages) == active and all(m.link_path == f"/policies/read?v={version.id}" for m in messages)
    with pytest.raises(sa.exc.DatabaseError):
        demo.execute(sa.text("UPDATE policy_version SET content = :c WHERE id = :i"), {"c": b"changed", "i": version.id})
    demo.rollback()


def test_sign_stores_everything_and_the_receipt_names_it(demo, now):
    policy_id, number = _publish(demo, now)
    version = _version(demo, policy_id, number)
    before = audit_count(demo)
    actor, signature_id = _sign(demo, "E1004", version.id, now)
    row = demo.get(Signature, signature_id)
    assert row.content_sha256 == version.content_sha256 and row.typed_name == "张伟" and row.method == "password"
    assert row.ip == "203.0.113.7" and row.user_agent == "pytest-phone" and row.session_id == actor.session_id
    assert "本人已阅读并理解《员工手册》（版本 1" in row.statement
    assert audit_count(demo) > before
    assert [c.key for c in signatures.verify(demo, row.verify_token).checks][-1] == "verify.audit"  # no receipt made yet
    pdf, name = signatures.receipt(demo, actor, signature_id, now)
    demo.commit()
    assert name.endswith(".pdf") and signatures.receipt(demo, actor, signature_id, now)[0] == pdf  # kept: the same bytes again
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    assert "本人已阅读并理解《员工手册》" in text and version.content_sha256 in text and row.record_sha256 in text and "张伟" in text
    check = signatures.verify(demo, row.verify_token)
    assert check.found and check.ok and check.signer == "张*" and check.checks[-1].key == "verify.receipt"
    with pytest.raises(NotPermitted):
        signatures.receipt(demo, actor_for(demo, "E1005"), signature_id, now)
    assert policies.to_sign_count(demo, actor) == 0


def test_a_changed_byte_of_the_stored_version_fails_the_check(demo, now):
    policy_id, number = _publish(demo, now)
    version = _version(demo, policy_id, number)
    _actor, signature_id = _sign(demo, "E1004", version.id, now)
    token = demo.get(Signature, signature_id).verify_token
    drop_trigger(demo, "policy_version", "update")  # what only an attacker with the database could do
    demo.execute(
        sa.text("UPDATE policy_version SET content = :c WHERE id = :i"), {"c": HANDBOOK.replace("三", "五").encode(), "i": version.id}
    )
    demo.commit()
    demo.expire_all()
    check = signatures.verify(demo, token)
    assert check.found and not check.ok
    assert [c.key for c in check.checks if not c.ok] == ["verify.document"]


def test_editing_makes_a_new_version_and_everyone_signs_again(demo, now):
    policy_id, _ = _publish(demo, now)
    v1 = _version(demo, policy_id, 1)
    actor, _ = _sign(demo, "E1004", v1.id, now)
    hr = actor_for(demo, "hr01")
    editor = policies.editor(demo, hr, policy_id)
    assert not editor.changed
    with pytest.raises(DomainError, match="policy.nothing_changed"):
        policies.publish(demo, hr, policy_id, now)
    raw = {
        "title_zh": "员工手册",
        "title_en": "Employee handbook",
        "body_markdown": HANDBOOK + "\n## 请假\n\n请假须提前申请。\n",
        "audience": "everyone",
    }
    policies.save_draft(demo, hr, policy_id, raw, now)
    editor = policies.editor(demo, hr, policy_id)
    assert editor.changed and any(row.change == "added" for row in editor.diff)
    assert policies.publish(demo, hr, policy_id, now + timedelta(minutes=5)) == 2
    demo.commit()
    assert _version(demo, policy_id, 1).content == HANDBOOK.encode()  # what was signed did not change
    assert policies.to_sign_count(demo, actor) == 1
    reauthenticate(demo, actor, now + timedelta(minutes=6))
    with pytest.raises(DomainError, match="policy.not_latest"):
        policies.sign(demo, actor, v1.id, "张伟", drawing(), CTX, now + timedelta(minutes=6))


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("hello <script>alert(1)</script>", "policy.raw_html"),
        ("<div onclick=x>a</div>", "policy.raw_html"),
        ("[click](javascript:alert(1))", "policy.unsafe_link"),
        ("[click](JavaScript:alert(1))", "policy.unsafe_link"),
        ("[a][r]\n\n[r]: javascript:alert(1)", "policy.unsafe_link"),
        ("<javascript:alert(1)>", "policy.unsafe_link"),
        ("![x](data:image/svg+xml;base64,PHN2Zz4=)", "policy.unsafe_link"),
    ],
)
def test_markdown_with_html_or_unsafe_links_is_refused_and_nothing_is_written(demo, now, body, key):
    hr = actor_for(demo, "hr01")
    before = audit_count(demo)
    with pytest.raises(ValidationFailed) as error:
        policies.save_draft(demo, hr, None, {"title_zh": "制度", "body_markdown": body}, now)
    assert error.value.key == key
    demo.rollback()
    assert audit_count(demo) == before


def test_rendering_never_produces_script_or_a_javascript_link():
    from selfservice.domain.policies import render_markdown

    html = render_markdown("[click](java\tscript:alert(1)) <b>x</b> **bold**")
    assert "<script" not in html and "href" not in html and "<b>" not in html and "<strong>bold</strong>" in html


def test_a_pdf_body_must_be_a_pdf(demo, now):
    hr = actor_for(demo, "hr01")
    policy_id = policies.save_draft(demo, hr, None, {"title_zh": "考勤管理制度", "body_kind": "pdf"}, now)
    with pytest.raises(ValidationFailed, match="policy.not_a_pdf"):
        policies.attach_pdf(demo, hr, policy_id, b"MZ\x90\x00 not a pdf", "policy.pdf", now)
    with pytest.raises(ValidationFailed, match="policy.pdf_required"):
        policies.publish(demo, hr, policy_id, now)


@pytest.mark.parametrize(
    ("name", "draw", "secret_ok", "key"),
    [
        ("王芳", drawing(), True, "signature.name_mismatch"),
        ("", drawing(), True, "signature.name_required"),
        ("张伟", "", True, "signature.empty"),
        ("张伟", drawing(dot=True), True, "signature.too_small"),
        ("张伟", "data:image/svg+xml;base64,PHN2Zz4=", True, "signature.invalid"),
        ("张伟", drawing(), False, "reauth.required"),
    ],
)
def test_bad_signatures_are_refused_and_nothing_is_written(demo, now, name, draw, secret_ok, key):
    policy_id, number = _publish(demo, now)
    version = _version(demo, policy_id, number)
    actor = with_session(demo, actor_for(demo, "E1004"), now)
    if secret_ok and key != "reauth.required":
        reauthenticate(demo, actor, now)
    before = audit_count(demo)
    with pytest.raises(DomainError) as error:
        policies.sign(demo, actor, version.id, name, draw, CTX, now)
    assert error.value.key == key
    demo.rollback()
    assert audit_count(demo) == before and demo.exec(select(Signature)).first() is None


def test_reauth_is_refused_when_stale_reused_or_wrong(demo, now):
    policy_id, number = _publish(demo, now)
    version = _version(demo, policy_id, number)
    actor = with_session(demo, actor_for(demo, "E1004"), now)
    with pytest.raises(DomainError, match="reauth.bad_password"):
        reauthenticate(demo, actor, now, secret="wrong")
    reauthenticate(demo, actor, now)
    with pytest.raises(DomainError, match="reauth.stale"):
        policies.sign(demo, actor, version.id, "张伟", drawing(), CTX, now + timedelta(minutes=6))
    demo.rollback()
    reauthenticate(demo, actor, now + timedelta(minutes=7))
    policies.sign(demo, actor, version.id, "Wei Zhang", drawing(), CTX, now + timedelta(minutes=7))
    demo.commit()
    other_id, _ = _publish(demo, now + timedelta(minutes=8), body="另一项制度")
    other = _version(demo, other_id, 1)
    with pytest.raises(DomainError, match="reauth.used"):
        policies.sign(demo, actor, other.id, "张伟", drawing(), CTX, now + timedelta(minutes=8))
    demo.rollback()
    hr = with_session(demo, actor_for(demo, "hr01"), now)
    code_time = now + timedelta(minutes=9)
    code = totp_code(DEMO_TOTP["hr01"], code_time)
    with pytest.raises(DomainError, match="auth.bad_code"):
        reauthenticate(demo, hr, code_time, secret="demo-pass-2026")  # a TOTP account re-authenticates with a code
    reauthenticate(demo, hr, code_time, secret=code)
    with pytest.raises(DomainError, match="auth.code_reused"):
        reauthenticate(demo, hr, code_time, secret=code)


def test_only_the_audience_may_sign_and_nobody_for_someone_else(demo, now):
    hr = actor_for(demo, "hr01")
    rd = demo.exec(sa.text("SELECT id FROM department WHERE code = 'RD'")).scalar()
    policy_id = policies.save_draft(
        demo, hr, None, {"title_zh": "研发规范", "body_markdown": "规则", "audience": "departments", "audience_ids": [rd]}, now
    )
    policies.publish(demo, hr, policy_id, now)
    demo.commit()
    version = _version(demo, policy_id, 1)
    sales = with_session(demo, actor_for(demo, "E2004"), now)
    reauthenticate(demo, sales, now)
    with pytest.raises(NotPermitted):
        policies.sign(demo, sales, version.id, "郭敏", drawing(), CTX, now)
    with pytest.raises(NotPermitted):
        policies.reading(demo, sales, version.id, now)
    with pytest.raises(NotPermitted):
        policies.save_draft(demo, sales, policy_id, {"title_zh": "x", "body_markdown": "y"}, now)


def test_new_hires_get_the_current_version(demo, now):
    policy_id, _ = _publish(demo, now)
    version = _version(demo, policy_id, 1)
    hr = actor_for(demo, "hr01")
    from selfservice.services import employees

    new_id = employees.create(
        demo,
        hr,
        {"employee_no": "E5001", "name": "新人", "department": "RD", "hire_date": now.date().isoformat(), "phone": "13800138000"},
        now=now,
    )
    demo.commit()
    assert policies.sync_audiences(demo, now + timedelta(hours=1)) == 1
    row = demo.exec(select(PolicyAssignment).where(PolicyAssignment.employee_id == new_id)).one()
    assert row.version_id == version.id and row.due_date is not None


def test_reminders_every_n_days_then_overdue_to_employee_and_manager(demo, now):
    policy_id, _ = _publish(demo, now, reminder_days=3)
    assert policies.remind_due(demo, now + timedelta(days=1))["reminded"] == 0
    first = policies.remind_due(demo, now + timedelta(days=3, minutes=1))
    assert first["reminded"] > 30
    assert policies.remind_due(demo, now + timedelta(days=4))["reminded"] == 0
    late = policies.remind_due(demo, now + timedelta(days=11, hours=1))
    assert late["overdue"] == first["reminded"] and late["managers"] > 0
    assert policies.remind_due(demo, now + timedelta(days=12))["overdue"] == 0
    assert policies.remind_due(demo, now + timedelta(days=14, hours=2))["reminded"] == first["reminded"]


def test_reminders_wait_for_the_day(demo, now):
    _publish(demo, now, reminder_days=3)
    night = now.replace(hour=18) + timedelta(days=3)  # 02:00 in Shanghai
    assert policies.remind_due(demo, night)["reminded"] == 0
    assert policies.remind_due(demo, night + timedelta(hours=8))["reminded"] > 30


def test_the_scheduled_job_asks_new_hires_and_reminds(demo, now, monkeypatch):
    from selfservice.jobs import policies as job
    from selfservice.services import employees

    _publish(demo, now)
    employees.create(
        demo,
        actor_for(demo, "hr01"),
        {"employee_no": "E5002", "name": "新同事", "department": "OPS", "hire_date": now.date().isoformat(), "phone": "13800138001"},
        now=now,
    )
    demo.commit()
    counts = job.policy_tick(now + timedelta(days=3, hours=1))
    assert counts["joined"] == 1 and counts["reminded"] > 30


def _pdf_bytes() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Attendance rules (PDF body)")
    return bytes(pdf.output())


def test_a_pdf_body_is_frozen_and_served_only_to_its_audience_through_a_signed_link(demo, now):
    from starlette.testclient import TestClient

    from selfservice import api

    hr = actor_for(demo, "hr01")
    policy_id = policies.save_draft(demo, hr, None, {"title_zh": "考勤管理制度", "body_kind": "pdf", "audience": "everyone"}, now)
    data = _pdf_bytes()
    policies.attach_pdf(demo, hr, policy_id, data, "rules.pdf", now)
    policies.publish(demo, hr, policy_id, now)
    demo.commit()
    version = _version(demo, policy_id, 1)
    assert version.content == data and version.body_kind == "pdf" and version.file_name == "rules.pdf"
    employee = actor_for(demo, "E1004")
    from datetime import UTC, datetime

    real_now = datetime.now(UTC)  # the route checks the link against the clock
    view = policies.reading(demo, employee, version.id, real_now)
    assert view.pdf_url.startswith(f"/files/policy/{version.id}?") and view.html == ""
    with TestClient(api.build()) as client:
        ok = client.get(view.pdf_url)
        assert ok.status_code == 200 and ok.content == data and ok.headers["content-type"] == "application/pdf"
        assert client.get(view.pdf_url.replace("&m=", "&m=0")).status_code == 404  # a changed signature
        forged = view.pdf_url.replace(f"a={employee.account_id}", f"a={actor_for(demo, 'E1005').account_id}")
        assert client.get(forged).status_code == 404
    actor, signature_id = _sign(demo, "E1004", version.id, now)
    link = policies.reading(demo, actor, version.id, real_now).receipt_url
    with TestClient(api.build()) as client:
        receipt = client.get(link)
        assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF-")
        assert "attachment" in receipt.headers["content-disposition"]


def test_the_policy_panels_export_to_xlsx(demo, now):
    from openpyxl import load_workbook

    from selfservice.services import dashboard, policy_dashboard  # noqa: F401  (registers the panels)

    policy_id, _ = _publish(demo, now)
    _sign(demo, "E1004", _version(demo, policy_id, 1).id, now)
    hr = actor_for(demo, "hr01")
    _name, data = dashboard.export_xlsx(demo, hr, "policy_status", "zh-CN", now)
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("制度", "部门", "已确认", "未确认", "已逾期")
    rd = next(r for r in rows if r[1] == "研发部")
    assert rd[0] == "员工手册 v1" and rd[2] == 1 and rd[3] == 11
    _name, data = dashboard.export_xlsx(demo, hr, "policy_unsigned", "en", now)
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Employee no." and len([r for r in rows if r and r[0] and str(r[0]).startswith(("E", "h", "a"))]) >= 39


def test_hr_and_the_signer_list_what_was_signed_with_receipts(demo, now):
    policy_id, _ = _publish(demo, now)
    actor, _signature_id = _sign(demo, "E1004", _version(demo, policy_id, 1).id, now)
    [row] = signatures.of_employee(demo, actor_for(demo, "hr01"), actor.employee_id, now)
    assert row.document == "《员工手册》 版本 1" and row.receipt_url.startswith("/files/receipt/")
    assert len(signatures.of_employee(demo, actor, actor.employee_id, now)) == 1
    with pytest.raises(NotPermitted):
        signatures.of_employee(demo, actor_for(demo, "E1005"), actor.employee_id, now)
