import time
from datetime import timedelta

import pytest
from sqlmodel import select

from selfservice.demo import DEMO_PASSWORD
from selfservice.domain.errors import DomainError, NotPermitted
from selfservice.persistence.models import Employee
from selfservice.services import auth, employees
from tests.helpers import actor_for, audit_count

HEADER = "employee_no,name,name_en,department,manager_no,hire_date,phone,email\n"


def test_employee_reads_only_own_profile(demo):
    me = actor_for(demo, "E1004")
    assert employees.profile(demo, me, me.employee_id).employee_no == "E1004"
    other = actor_for(demo, "E1005")
    with pytest.raises(NotPermitted):
        employees.profile(demo, me, other.employee_id)


def test_manager_reads_direct_reports_only(demo):
    manager = actor_for(demo, "E1002")
    assert employees.profile(demo, manager, actor_for(demo, "E1004").employee_id).name == "张伟"
    with pytest.raises(NotPermitted):
        employees.profile(demo, manager, actor_for(demo, "E1007").employee_id)
    page = employees.search(demo, manager)
    assert {r.employee_no for r in page.rows} == {"E1004", "E1005", "E1006", "E1011"}


def test_hr_searches_by_name_number_and_department(demo):
    hr = actor_for(demo, "hr01")
    assert employees.search(demo, hr).total == 40
    assert [r.employee_no for r in employees.search(demo, hr, "张伟").rows] == ["E1004"]
    assert employees.search(demo, hr, "sales").total == 10
    assert employees.search(demo, hr, "e30").total == 12
    assert employees.search(demo, hr, page=2).page == 2 and len(employees.search(demo, hr, page=2).rows) == 20


def test_employee_cannot_search(demo):
    with pytest.raises(NotPermitted):
        employees.search(demo, actor_for(demo, "E1004"))


def test_hr_creates_and_edits_employee_with_audit(demo, now):
    hr = actor_for(demo, "hr01")
    before = audit_count(demo)
    new_id = employees.create(
        demo,
        hr,
        {"employee_no": "N1", "name": "新人", "department": "RD", "hire_date": "2026-11-01", "phone": "13900001111"},
        password="first-pass-1",
        now=now,
    )
    employees.update(
        demo,
        hr,
        new_id,
        {"name": "新人甲", "department": "SALES", "hire_date": "2026-11-01", "phone": "13900001111", "manager_no": "E2001"},
        now=now,
    )
    demo.commit()
    employee = demo.get(Employee, new_id)
    assert employee.name == "新人甲" and employee.manager_id == actor_for(demo, "E2001").employee_id
    assert audit_count(demo) == before + 2


def test_edit_refuses_manager_cycle(demo, now):
    hr = actor_for(demo, "hr01")
    boss = actor_for(demo, "E1001").employee_id
    with pytest.raises(employees.InvalidEmployee) as error:
        employees.update(
            demo,
            hr,
            boss,
            {
                "name": "陈建国",
                "department": "RD",
                "hire_date": "2020-01-01",
                "phone": "13800000000",
                "manager_no": "E1004",
                "role": "manager",
            },
            now=now,
        )
    assert error.value.errors[0].key == "import.manager_cycle"


def test_hr_cannot_grant_admin_but_admin_can(demo, now):
    raw = {"employee_no": "N2", "name": "某", "department": "RD", "hire_date": "2026-11-01", "phone": "13900001112", "role": "admin"}
    with pytest.raises(employees.InvalidEmployee):
        employees.create(demo, actor_for(demo, "hr01"), raw, now=now)
    employees.create(demo, actor_for(demo, "admin"), raw, now=now)


def test_deactivation_ends_sessions_at_once(demo, now):
    token = auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, now).token
    employees.set_active(demo, actor_for(demo, "hr01"), actor_for(demo, "E1004").employee_id, False, now)
    demo.commit()
    assert auth.resolve(demo, token, now) is None
    with pytest.raises(DomainError) as refused:
        auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, now + timedelta(seconds=1))
    assert refused.value.key == "auth.inactive"


def test_non_hr_cannot_change_people(demo, now):
    manager = actor_for(demo, "E1002")
    target = actor_for(demo, "E1004").employee_id
    with pytest.raises(NotPermitted):
        employees.set_active(demo, manager, target, False, now)
    with pytest.raises(NotPermitted):
        employees.update(demo, manager, target, {}, now=now)
    with pytest.raises(NotPermitted):
        employees.import_file(demo, manager, "a.csv", b"", now)


def test_import_with_one_bad_row_imports_nothing(demo, now):
    hr = actor_for(demo, "hr01")
    before_people, before_audit = employees.search(demo, hr).total, audit_count(demo)
    data = (HEADER + "N10,甲,,RD,E1001,2026-01-01,13900000010,\nN11,乙,,RD,N10,2026-01-01,bad-phone,\n").encode()
    result = employees.import_file(demo, hr, "a.csv", data, now)
    demo.commit()
    assert result.imported == 0 and [(e.line, e.column) for e in result.errors] == [(3, "phone")]
    assert employees.search(demo, hr).total == before_people and audit_count(demo) == before_audit
    fixed = data.replace(b"bad-phone", b"13900000011")
    assert employees.import_file(demo, hr, "a.csv", fixed, now).imported == 2
    demo.commit()
    imported = demo.exec(select(Employee).where(Employee.employee_no == "N11")).one()
    assert imported.manager_id == demo.exec(select(Employee.id).where(Employee.employee_no == "N10")).one()


def test_names_are_stored_as_they_read_without_bidi_controls(demo, now):
    """Issue 14, item 6: an import (and the CLI, which validates the same way) strips the
    right-to-left override that would make "王五\u202eKF" read as "王五FK"."""
    hr = actor_for(demo, "hr01")
    data = (HEADER + "N20,王五\u202eKF\u200b,\u2066Wang\u2069,RD,E1001,2026-01-01,13900000020,\n").encode()
    assert employees.import_file(demo, hr, "a.csv", data, now).imported == 1
    demo.commit()
    person = demo.exec(select(Employee).where(Employee.employee_no == "N20")).one()
    assert (person.name, person.name_en) == ("王五KF", "Wang")


def test_ten_thousand_rows_import_in_one_go(demo, now):
    hr = actor_for(demo, "hr01")
    lines = [HEADER] + [
        f"B{i:05d},员工{i},,OPS,{'E3001' if i % 100 == 0 else f'B{i - i % 100:05d}'},2025-06-01,+86139{i:08d},\n" for i in range(10000)
    ]
    progress = employees.ImportProgress()
    started = time.perf_counter()
    result = employees.import_file(demo, hr, "big.csv", "".join(lines).encode(), now, progress)
    demo.commit()
    elapsed = time.perf_counter() - started
    assert result.errors == [] and result.imported == 10000
    assert progress.fraction() == 1.0
    assert employees.search(demo, hr).total == 10040
    print(f"10,000-row import: {elapsed:.1f} s")


def test_xlsx_import_reads_dates_and_numbers_as_excel_stores_them(demo, now):
    import io
    from datetime import datetime as dt

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["工号", "姓名", "部门", "入职日期", "手机", "直属领导工号"])
    sheet.append(["X1", "表格甲", "RD", dt(2026, 3, 1), 13900000101, "E1001"])
    sheet.append([1002, "表格乙", "研发部", "2026-03-02", "13900000102", "X1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = employees.import_file(demo, actor_for(demo, "hr01"), "staff.xlsx", buffer.getvalue(), now)
    assert result.errors == [] and result.imported == 2
    demo.commit()
    second = demo.exec(select(Employee).where(Employee.employee_no == "1002")).one()
    assert second.phone == "+8613900000102" and second.hire_date.isoformat() == "2026-03-02"


def test_damaged_xlsx_and_oversized_file_get_clear_errors(demo, now):
    hr = actor_for(demo, "hr01")
    assert employees.import_file(demo, hr, "a.xlsx", b"PK\x03\x04 not really", now).file_error == "import.bad_xlsx"
    huge = b"x" * (10 * 1024 * 1024 + 1)
    assert employees.import_file(demo, hr, "a.csv", huge, now).file_error == "import.too_large"


def test_the_wecom_account_is_kept_validated_and_used_for_wecom_messages(demo, now):
    import pytest

    from selfservice.persistence.models import Employee, NotificationDelivery
    from selfservice.services import channel_settings, employees, notifications

    hr = actor_for(demo, "hr01")
    employee_id = actor_for(demo, "E1004").employee_id
    values = employees.edit_view(demo, hr, employee_id).values
    assert values["wecom_userid"] == ""
    with pytest.raises(employees.InvalidEmployee) as refused:
        employees.update(demo, hr, employee_id, {**values, "wecom_userid": "张 伟"}, now)
    assert refused.value.errors[0].key == "field.wecom_userid_format"
    employees.update(demo, hr, employee_id, {**values, "wecom_userid": "zhangwei"}, now)
    assert demo.get(Employee, employee_id).wecom_userid == "zhangwei"
    channel_settings.save(demo, actor_for(demo, "admin"), "wecom", True, {"corp_id": "c", "agent_id": "1", "secret": "s"}, now)
    message_id = notifications.notify(demo, hr, employee_id, "test", "system.test", {"channel": "wecom"}, ("wecom",), now)
    delivery = demo.exec(
        select(NotificationDelivery).where(NotificationDelivery.message_id == message_id, NotificationDelivery.channel == "wecom")
    ).one()
    assert delivery.address == "zhangwei"
