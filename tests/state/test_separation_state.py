"""Separation handlers called directly, as the wrong person or out of order: refused, and
nothing written. (Anonymous and forged callers are covered for every handler by the
authorization matrix.)"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from selfservice.persistence.models import ChecklistItem, Employee, Separation
from selfservice.services import separations
from selfservice.ui.pages.separation import ResignState, SeparationState
from selfservice.ui.pages.separations_hr import SeparationsState, TemplatesState
from tests.helpers import actor_for, audit_count
from tests.state.conftest import call, substate, token_for
from tests.state.test_attendance_state import at_url
from tests.unit.services.test_separations import _resign, _through


def _started(app_db) -> int:
    now = datetime.now(UTC)
    hr = actor_for(app_db, "hr01")
    separations.set_owners(app_db, hr, "it", "admin", now)
    app_db.commit()
    sid = _resign(app_db, last_day=date.today().replace(year=date.today().year + 1, month=1, day=20), now=now)
    _through(app_db, sid, now=now)
    return sid


def test_an_item_of_a_later_stage_is_refused_also_through_the_handler(app_db):
    sid = _started(app_db)
    it_item = app_db.exec(select(ChecklistItem).where(ChecklistItem.separation_id == sid, ChecklistItem.stage == 3)).first()
    state = substate(SeparationState)
    state.session_token = token_for("admin")  # IT holds it, but stage 1 is open
    at_url(state, f"/separation?s={sid}")
    call(state, "load")
    before = audit_count(app_db)
    call(state, "open_item", str(it_item.id), "confirm")
    call(state, "submit_item", {"text": "已关闭"})
    assert "第 3 环节尚未开始" in state.item_error
    app_db.expire_all()
    assert app_db.get(ChecklistItem, it_item.id).status == "waiting" and audit_count(app_db) == before


def test_someone_else_cannot_confirm_see_or_withdraw(app_db):
    sid = _started(app_db)
    first = app_db.exec(select(ChecklistItem).where(ChecklistItem.separation_id == sid, ChecklistItem.stage == 1)).first()
    colleague = substate(SeparationState)
    colleague.session_token = token_for("E1007")
    at_url(colleague, f"/separation?s={sid}")
    assert "error.not_permitted" in str(call(colleague, "load"))
    colleague._separation_id = sid  # even pointed at it on the server
    call(colleague, "open_item", str(first.id), "confirm")
    before = audit_count(app_db)
    call(colleague, "submit_item", {"text": ""})
    assert colleague.item_error  # refused, with the reason shown
    app_db.expire_all()
    assert app_db.get(ChecklistItem, first.id).status == "open" and audit_count(app_db) == before

    manager = substate(ResignState)  # the manager is not the one who resigned: nothing to withdraw
    manager.session_token = token_for("E1002")
    at_url(manager, "/resign")
    call(manager, "load")
    assert not manager.has_separation
    manager._separation_id = sid
    assert "error.not_permitted" in str(call(manager, "withdraw"))
    app_db.expire_all()
    assert app_db.get(Separation, sid).status == "confirmed"


def test_hr_screens_refuse_employees_and_managers(app_db):
    for cls, url in ((SeparationsState, "/separations"), (TemplatesState, "/separations/templates")):
        for who in ("E1004", "E1002"):
            state = substate(cls)
            state.session_token = token_for(who)
            at_url(state, url)
            assert "error.not_permitted" in str(call(state, "load"))
    state = substate(SeparationsState)
    state.session_token = token_for("E1002")
    before = audit_count(app_db)
    call(
        state,
        "record",
        {"employee_no": "E1005", "kind": "mutual", "last_day": "2026-12-31", "contract_start": "", "contract_end": "", "note": ""},
    )
    app_db.expire_all()
    assert audit_count(app_db) == before and app_db.exec(select(Separation)).first() is None
    hr = substate(SeparationsState)
    hr.session_token = token_for("hr01")
    call(
        hr,
        "record",
        {"employee_no": "E1005", "kind": "mutual", "last_day": "31/12/2026", "contract_start": "", "contract_end": "", "note": ""},
    )
    assert hr.record_error == "请填写有效日期。"  # a clear reason, nothing written
    assert app_db.exec(select(Separation)).first() is None
    assert app_db.exec(select(Employee).where(Employee.employee_no == "E1005")).one().status == "active"
