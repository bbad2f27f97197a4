"""Contact details: validation and display of numbers, history of every change (self, HR,
import), one-time codes for a new mobile or email, the signed address-for-service confirmation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from selfservice.domain import contacts as rules
from selfservice.domain.errors import DomainError, NotPermitted, ValidationFailed
from selfservice.persistence.models import ContactChange, ContactCode, DeliveryAttempt, Employee, NotificationDelivery, NotificationMessage
from selfservice.services import contacts, employees, notifications, signatures
from tests.helpers import actor_for, audit_count
from tests.signing import drawing, reauthenticate, with_session

CTX = signatures.Context(ip="198.51.100.4", user_agent="pytest")
GOOD = {
    "address": "上海市浦东新区张江路 88 号",
    "wecom_userid": "zhangwei",
    "emergency_contact_name": "张父",
    "emergency_contact_relation": "父亲",
    "emergency_contact_phone": "139 0013 9000",
}


@pytest.fixture
def channels(demo):
    """SMS and email switched on (codes go out only through a channel that exists)."""
    from selfservice.persistence.models import ChannelSetting

    demo.add_all([ChannelSetting(channel="sms", enabled=True), ChannelSetting(channel="email", enabled=True)])
    demo.commit()
    return demo


def test_numbers_are_stored_e164_and_shown_nationally():
    assert rules.normalize_mobile("138 0013 8000") == "+8613800138000"
    assert rules.display_phone("+8613800138000") == "138 0013 8000"
    assert rules.display_phone("+447911123456").startswith("+44 7911")
    assert rules.normalize_mobile("021 6888 8888") is None  # a landline is not a mobile
    assert rules.normalize_mobile("(415) 555-0100") is None  # a US number without +1 is not a Chinese one


@given(st.text(max_size=30))
def test_any_text_either_normalises_to_a_valid_mobile_or_is_refused(raw):
    value = rules.normalize_mobile(raw)
    assert value is None or (value.startswith("+") and rules.normalize_mobile(value) == value)


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("emergency_contact_name", "", "contact.emergency_required"),
        ("emergency_contact_phone", "12", "field.phone_invalid"),
        ("address", "", "contact.address_required"),
        ("wecom_userid", "张 伟", "field.wecom_userid_format"),
        ("address", "x" * 201, "field.too_long"),
    ],
)
def test_bad_contact_details_are_refused_and_nothing_is_written(demo, now, field, value, key):
    actor = actor_for(demo, "E1004")
    before = audit_count(demo)
    with pytest.raises(contacts.InvalidContacts) as error:
        contacts.save(demo, actor, {**GOOD, field: value}, now)
    assert [e.key for e in error.value.errors] == [key]
    demo.rollback()
    assert audit_count(demo) == before and demo.exec(select(ContactChange)).first() is None


def test_self_service_changes_are_kept_with_before_and_after(demo, now):
    actor = actor_for(demo, "E1004")
    employee = demo.get(Employee, actor.employee_id)
    old_address = employee.address
    changed = contacts.save(demo, actor, GOOD, now)
    demo.commit()
    assert set(changed) == {"address", "wecom_userid", "emergency_contact_name", "emergency_contact_relation", "emergency_contact_phone"}
    rows = contacts.history(demo, actor, actor.employee_id)
    address = next(r for r in rows if r.field == "address")
    assert (address.before, address.after, address.how) == (old_address, GOOD["address"], "self")
    assert next(r for r in rows if r.field == "emergency_contact_phone").after == "139 0013 9000"
    assert contacts.save(demo, actor, GOOD, now) == []  # saving the same again writes nothing
    with pytest.raises(NotPermitted):
        contacts.history(demo, actor_for(demo, "E1005"), actor.employee_id)
    assert contacts.history(demo, actor_for(demo, "hr01"), actor.employee_id)


def test_hr_edits_and_imports_are_in_the_history(demo, now):
    hr = actor_for(demo, "hr01")
    employee = demo.exec(select(Employee).where(Employee.employee_no == "E1005")).one()
    values = employees.edit_view(demo, hr, employee.id).values
    employees.update(demo, hr, employee.id, {**values, "phone": "13911112222"}, now)
    demo.commit()
    [row] = contacts.history(demo, hr, employee.id)
    assert (row.field, row.after, row.how, row.by) == ("phone", "139 1111 2222", "hr", "彭丽华")
    csv = "工号,姓名,部门,入职日期,手机,邮箱\nE9001,导入者,RD,2026-01-05,13812345678,in@example.com\n".encode()
    result = employees.import_file(demo, hr, "people.csv", csv, now)
    assert result.imported == 1
    new = demo.exec(select(Employee).where(Employee.employee_no == "E9001")).one()
    assert {(r.field, r.how) for r in contacts.history(demo, hr, new.id)} == {("phone", "import"), ("email", "import")}


def test_a_new_mobile_needs_reauth_and_the_code_sent_to_it(demo, channels, now):
    actor = with_session(demo, actor_for(demo, "E1004"), now)
    with pytest.raises(DomainError, match="reauth.required"):
        contacts.request_code(demo, actor, "phone", "13700137000", now)
    demo.rollback()
    with pytest.raises(ValidationFailed, match="contact.mobile_invalid"):
        contacts.request_code(demo, actor, "phone", "12345", now)
    reauthenticate(demo, actor, now)
    message_id = contacts.request_code(demo, actor, "phone", "137 0013 7000", now)
    demo.commit()
    [delivery] = demo.exec(select(NotificationDelivery).where(NotificationDelivery.message_id == message_id)).all()
    assert (delivery.channel, delivery.address) == ("sms", "+8613700137000")  # to the new number only, not in-app
    code = re.search(r"(?<!\d)\d{6}(?!\d)", delivery.text_sent).group()
    with pytest.raises(DomainError, match="contact.code_wrong"):
        contacts.confirm_code(demo, actor, "000000" if code != "000000" else "111111", now + timedelta(minutes=1))
    assert contacts.confirm_code(demo, actor, code, now + timedelta(minutes=2)) == "phone"
    demo.commit()
    employee = demo.get(Employee, actor.employee_id)
    assert employee.phone == "+8613700137000"
    [change] = [r for r in contacts.history(demo, actor, actor.employee_id) if r.field == "phone"]
    assert change.after == "137 0013 7000" and change.how == "self"
    with pytest.raises(DomainError, match="contact.code_expired"):
        contacts.confirm_code(demo, actor, code, now + timedelta(minutes=3))  # used once


def test_a_code_expires_and_locks_after_five_wrong_tries(demo, channels, now):
    actor = with_session(demo, actor_for(demo, "E1004"), now)
    reauthenticate(demo, actor, now)
    contacts.request_code(demo, actor, "email", "new.address@example.com", now)
    demo.commit()
    for _ in range(5):
        with pytest.raises(DomainError, match="contact.code_wrong"):
            contacts.confirm_code(demo, actor, "999999x", now)
    with pytest.raises(DomainError, match="contact.code_locked"):
        contacts.confirm_code(demo, actor, "999999x", now)
    assert demo.exec(select(ContactCode)).one().attempts == 5
    with pytest.raises(DomainError, match="contact.code_expired"):
        contacts.confirm_code(demo, actor, "123456", now + timedelta(minutes=11))


def test_service_confirmation_is_signed_and_names_the_channels(demo, now):
    actor = with_session(demo, actor_for(demo, "E1004"), now)
    contacts.save(demo, actor, GOOD, now)
    assert contacts.view(demo, actor, now).needs_confirmation
    assert contacts.formal_channels(demo, actor.employee_id) == []
    with pytest.raises(ValidationFailed, match="contact.channels_required"):
        contacts.confirm_service(demo, actor, [], "张伟", drawing(), CTX, now)
    with pytest.raises(ValidationFailed, match="contact.channels_required"):
        contacts.confirm_service(demo, actor, ["fax"], "张伟", drawing(), CTX, now)
    reauthenticate(demo, actor, now)
    assert contacts.confirm_service(demo, actor, ["email", "inapp", "sms"], "张伟", drawing(), CTX, now) == 1
    demo.commit()
    view = contacts.view(demo, actor, now)
    assert not view.needs_confirmation and view.confirmed_channels == ["inapp", "sms", "email"]
    assert contacts.formal_channels(demo, actor.employee_id) == ["inapp", "sms", "email"]
    token = view.verify_url.split("t=")[1]
    assert signatures.verify(demo, token).ok
    contacts.save(demo, actor, {**GOOD, "address": "北京市海淀区中关村大街 1 号"}, now + timedelta(days=1))
    demo.commit()
    assert contacts.view(demo, actor, now).needs_confirmation  # a change asks for a new confirmation
    assert contacts.formal_channels(demo, actor.employee_id) == []  # formal notices wait for it


def test_nobody_confirms_for_someone_else(demo, now):
    """The services act on the signed-in person only: there is no employee id to pass."""
    import inspect

    for fn in (contacts.save, contacts.request_code, contacts.confirm_code, contacts.confirm_service):
        assert "employee_id" not in inspect.signature(fn).parameters


def test_code_messages_stay_out_of_the_inbox(demo, channels, now):
    actor = with_session(demo, actor_for(demo, "E1004"), now)
    reauthenticate(demo, actor, now)
    message_id = contacts.request_code(demo, actor, "email", "z@example.com", now)
    demo.commit()
    assert demo.get(NotificationMessage, message_id).kind == "contact_code"
    assert all(row.id != message_id for row in notifications.inbox(demo, actor))
    with pytest.raises(DomainError):
        notifications.open_message(demo, actor, message_id, now)
    assert demo.exec(select(DeliveryAttempt)).first() is None


def test_everyone_is_asked_each_quarter_and_the_stale_are_told_to_their_manager(demo, now):
    import time_machine

    from selfservice.jobs import policies as job

    actor = with_session(demo, actor_for(demo, "E1004"), now)
    contacts.save(demo, actor, GOOD, now)
    reauthenticate(demo, actor, now)
    contacts.confirm_service(demo, actor, ["inapp"], "张伟", drawing(), CTX, now)
    demo.commit()
    first = job.contacts_tick(now)
    assert first["asked"] == 39  # everyone but the one who just confirmed
    assert job.contacts_tick(now + timedelta(days=1))["asked"] == 0  # asked once a quarter, not every hour
    quarter = job.contacts_tick(now + timedelta(days=92))
    assert quarter["asked"] == 40  # the confirmation is a quarter old too
    hr = actor_for(demo, "hr01")
    stale_later = now + timedelta(days=400)
    with time_machine.travel(stale_later, tick=False):
        rows = contacts.stale(demo, hr, stale_later)
        assert len(rows) == 40 and next(r for r in rows if r.employee_no == "E1004").confirmed_at
        told = job.contacts_tick(stale_later)["stale_told"]
        assert told > 30 and job.contacts_tick(stale_later + timedelta(hours=1))["stale_told"] == 0
    with pytest.raises(NotPermitted):
        contacts.stale(demo, actor, now)


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("email", "not-an-email", "field.email_invalid"),
        ("phone", "+1 415 555 0100", "contact.mobile_foreign"),
        ("phone", "021 6888 8888", "contact.mobile_invalid"),
    ],
)
def test_a_new_address_must_be_valid(demo, now, field, value, key):
    actor = with_session(demo, actor_for(demo, "E1004"), now)
    with pytest.raises(ValidationFailed) as error:
        contacts.request_code(demo, actor, field, value, now)
    assert error.value.key == key


def test_no_code_is_sent_through_a_channel_that_is_not_set_up(demo, now):
    actor = with_session(demo, actor_for(demo, "E1004"), now)
    reauthenticate(demo, actor, now)
    with pytest.raises(DomainError, match="contact.channel_unavailable"):
        contacts.request_code(demo, actor, "phone", "13700137000", now)
