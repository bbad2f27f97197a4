"""Every public event handler declares who may call it, and refuses everyone else.

A browser can call any public method of any state with any arguments; these tests do the same.
"""

from __future__ import annotations

import sqlite3
from typing import Any, get_args, get_origin

import pydantic
import pytest
import reflex as rx

from selfservice.ui.guard import AUTHZ_ATTR
from tests.state.conftest import call, substate, token_for


def app_states() -> list[type[rx.State]]:
    found, todo = [], [rx.State]
    while todo:
        cls = todo.pop()
        todo.extend(cls.get_substates())
        if cls.__module__.startswith("selfservice"):
            found.append(cls)
    return sorted(found, key=lambda c: c.get_full_name())


def own_handlers() -> list[tuple[type[rx.State], str, Any]]:
    rows = []
    for cls in app_states():
        for name, handler in cls.event_handlers.items():
            if handler.fn.__module__.startswith("reflex"):
                continue  # framework internals (setvar), covered by test_setvar_cannot_reach_backend_vars
            rows.append((cls, name, handler.fn))
    return rows


HANDLERS = own_handlers()
DECLARED = [(cls, name, fn) for cls, name, fn in HANDLERS if getattr(fn, AUTHZ_ATTR, None)]
PRIVATE = [(cls, name, fn) for cls, name, fn in DECLARED if not getattr(fn, AUTHZ_ATTR)["public"]]
RESTRICTED = [(cls, name, fn) for cls, name, fn in PRIVATE if getattr(fn, AUTHZ_ATTR)["roles"]]


def ids(rows):
    return [f"{cls.__name__}.{name}" for cls, name, _ in rows]


def test_there_are_handlers_to_check():
    assert len(HANDLERS) >= 20 and RESTRICTED


def test_every_handler_declares_who_may_call_it():
    undeclared = [f"{cls.__name__}.{name}" for cls, name, fn in HANDLERS if not getattr(fn, AUTHZ_ATTR, None)]
    assert undeclared == []


def example(annotation: Any) -> Any:
    """A well-formed argument value, so refusals below come from authorization alone."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return {name: example(field.annotation) for name, field in annotation.model_fields.items() if field.is_required()}
    if annotation is bool:
        return True
    if annotation is int:
        return 1
    if get_origin(annotation) is list:
        return []
    if get_args(annotation):
        return example(get_args(annotation)[0])
    return "x"


def example_args(fn) -> dict[str, Any]:
    model = getattr(fn, AUTHZ_ATTR)["args"]
    return {name: example(field.annotation) for name, field in model.model_fields.items()}


def redirects_to_login(result) -> bool:
    specs = result if isinstance(result, list) else [result]
    return any(
        str(name) == "path" and str(getattr(value, "_var_value", "")).startswith("/login")
        for spec in specs
        for name, value in getattr(spec, "args", ())
    )


def snapshot(db_url: str) -> str:
    connection = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


@pytest.mark.parametrize(("cls", "name", "fn"), PRIVATE, ids=ids(PRIVATE))
def test_anonymous_caller_is_refused_and_nothing_is_written(app_db, db_url, cls, name, fn):
    before = snapshot(db_url)
    state = substate(cls)
    result = call(state, name, **example_args(fn))
    if getattr(fn, AUTHZ_ATTR)["page_load"]:  # opening a page signed out: to the sign-in page, and back after
        assert redirects_to_login(result) or "error.not_signed_in" in str(result)
    else:
        assert "error.not_signed_in" in str(result)
    assert snapshot(db_url) == before


@pytest.mark.parametrize(("cls", "name", "fn"), PRIVATE, ids=ids(PRIVATE))
def test_revoked_or_forged_token_is_refused(app_db, db_url, cls, name, fn):
    state = substate(cls)
    state.session_token = "forged-" + "a" * 40
    assert "error.not_signed_in" in str(call(state, name, **example_args(fn)))


@pytest.mark.parametrize(("cls", "name", "fn"), RESTRICTED, ids=ids(RESTRICTED))
def test_wrong_role_is_refused_and_nothing_is_written(app_db, db_url, cls, name, fn):
    state = substate(cls)
    state.session_token = token_for("E1004")  # a plain employee
    before = snapshot(db_url)
    result = call(state, name, **example_args(fn))
    assert "error.not_permitted" in str(result)
    assert snapshot(db_url) == before


@pytest.mark.parametrize(("cls", "name", "fn"), DECLARED, ids=ids(DECLARED))
def test_malformed_arguments_are_refused(app_db, db_url, cls, name, fn):
    state = substate(cls)
    state.session_token = token_for("admin")
    before = snapshot(db_url)
    results = [call(state, name, **example_args(fn), unexpected="x")]
    for key, value in example_args(fn).items():
        wrong = {"a": 1} if not isinstance(value, dict) else "not-a-dict"
        results.append(call(state, name, **{**example_args(fn), key: wrong}))
        if isinstance(value, str):
            results.append(call(state, name, **{**example_args(fn), key: "x" * 5000}))
        if isinstance(value, dict):
            results.append(call(state, name, **{**example_args(fn), key: {**value, "is_admin": True}}))
    assert all("error.bad_arguments" in str(r) for r in results)
    assert snapshot(db_url) == before


def test_setvar_cannot_reach_backend_vars(app_db):
    from selfservice.ui.pages.employee_form import EmployeeFormState

    state = substate(EmployeeFormState)
    with pytest.raises(Exception):  # noqa: B017  (Reflex raises AttributeError/ValueError variants)
        state.setvar("_employee_id", 99)
    assert state._employee_id == 0
    with pytest.raises(Exception):  # noqa: B017
        state.setvar("values", {"employee_no": "E1"})


def test_deactivated_users_open_session_is_refused_on_next_event(app_db):
    from selfservice.domain.actor import SYSTEM
    from selfservice.persistence.db import session_scope
    from selfservice.services import employees
    from selfservice.ui.pages.home import HomeState
    from tests.helpers import actor_for

    state = substate(HomeState)
    state.session_token = token_for("E1008")
    assert call(state, "load") is None and state.profile["employee_no"] == "E1008"
    with session_scope() as session:
        employees.set_active(
            session, SYSTEM, actor_for(session, "E1008").employee_id, False, __import__("datetime").datetime.now(__import__("datetime").UTC)
        )
    assert "error.not_signed_in" in str(call(state, "load"))
