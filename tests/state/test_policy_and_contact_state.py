"""Handlers of policies, signing and contact details called as the wrong person: refused, and
nothing written. (Anonymous and forged callers are covered for every handler by the
authorization matrix.)"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from selfservice.persistence.db import session_scope
from selfservice.persistence.models import Department, Policy, PolicyVersion, ServiceConfirmation, Signature
from selfservice.services import policies
from selfservice.ui.pages.contact import ContactState
from selfservice.ui.pages.my_policies import PolicyReadState, VerifyState
from selfservice.ui.pages.policies import PolicyEditState
from selfservice.ui.pages.policy_panels import PolicyPanelsState
from tests.helpers import actor_for, audit_count
from tests.signing import drawing
from tests.state.conftest import DEMO_PASSWORD, call, substate, token_for
from tests.state.test_attendance_state import at_url


def _rd_policy(app_db, now) -> int:
    hr = actor_for(app_db, "hr01")
    rd = app_db.exec(select(Department.id).where(Department.code == "RD")).one()
    policy_id = policies.save_draft(
        app_db, hr, None, {"title_zh": "研发规范", "body_markdown": "# 规则", "audience": "departments", "audience_ids": [rd]}, now
    )
    policies.publish(app_db, hr, policy_id, now)
    app_db.commit()
    return app_db.get(Policy, policy_id).current_version_id


def test_someone_outside_the_audience_can_neither_read_nor_sign(app_db, now):
    version_id = _rd_policy(app_db, now)
    state = substate(PolicyReadState)
    state.session_token = token_for("E2004")  # sales: not in the R&D audience
    at_url(state, f"/policies/read?v={version_id}")
    result = call(state, "load")
    assert "error.not_permitted" in str(result)
    before = audit_count(app_db)
    state._version_id = version_id  # even with the id set on the server, signing is refused
    call(state, "sign", {"typed_name": "郭敏", "secret": DEMO_PASSWORD, "drawing": drawing()})
    assert state.sign_error
    with session_scope() as session:
        assert session.exec(select(Signature)).first() is None
    app_db.expire_all()
    assert audit_count(app_db) in (before, before + 1)  # at most the re-authentication itself


def test_a_member_signs_through_the_handler(app_db, now):
    version_id = _rd_policy(app_db, now)
    state = substate(PolicyReadState)
    state.session_token = token_for("E1004")
    at_url(state, f"/policies/read?v={version_id}")
    call(state, "load")
    assert state.view["can_sign"] == "1"
    call(state, "sign", {"typed_name": "王芳", "secret": DEMO_PASSWORD, "drawing": drawing()})
    assert "姓名" in state.sign_error
    call(state, "sign", {"typed_name": "张伟", "secret": "", "drawing": drawing()})  # the password checked above is still fresh
    assert state.sign_error == "" and state.view["signed_at"]
    with session_scope() as session:
        [row] = session.exec(select(Signature)).all()
        assert row.typed_name == "张伟" and row.method == "password"


def test_employees_cannot_edit_publish_or_remind(app_db, now):
    version_id = _rd_policy(app_db, now)
    policy_id = app_db.get(PolicyVersion, version_id).policy_id
    editor = substate(PolicyEditState)
    editor.session_token = token_for("E1004")
    editor._policy_id = policy_id
    assert "error.not_permitted" in str(call(editor, "publish"))
    assert "error.not_permitted" in str(call(editor, "save", {"title_zh": "改", "body_markdown": "x"}))
    panels = substate(PolicyPanelsState)
    panels.session_token = token_for("E1004")
    assert "error.not_permitted" in str(call(panels, "remind_all", version_id))
    with session_scope() as session:
        assert session.exec(select(sa.func.count()).select_from(PolicyVersion)).one() == 1


def test_the_contact_page_acts_on_the_signed_in_person_only(app_db, now):
    state = substate(ContactState)
    state.session_token = token_for("E1004")
    at_url(state, "/profile/contact?employee_id=1")
    call(state, "load")
    assert state.values["phone"].startswith("+86")
    call(state, "sign", {"typed_name": "张伟", "secret": DEMO_PASSWORD, "drawing": drawing(), "ch_inapp": "on", "ch_sms": "on"})
    assert state.sign_error == ""
    with session_scope() as session:
        [row] = session.exec(select(ServiceConfirmation)).all()
        assert row.employee_id == actor_for(app_db, "E1004").employee_id and row.channels == "inapp,sms"
    result = call(state, "sign", {"typed_name": "张伟", "drawing": drawing(), "employee_id": "2"})
    assert "error.bad_arguments" in str(result)


def test_verification_is_public_but_shows_no_contact_details(app_db, now):
    state = substate(VerifyState)
    at_url(state, "/verify?t=not-a-token")
    call(state, "load")
    assert state.result["found"] == ""
