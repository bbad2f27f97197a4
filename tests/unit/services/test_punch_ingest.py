"""Punches in: time-clock files (validated whole, all or nothing), the HTTP API (tokens, limits,
idempotency) and the WeCom check-in pull against the stand-in (batches, errors, resume)."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import Workbook
from sqlmodel import select
from starlette.testclient import TestClient

from selfservice.domain.errors import NotPermitted
from selfservice.persistence.db import session_scope
from selfservice.persistence.models import AuditEntry, Department, Employee, Punch, PunchSource
from selfservice.services import channel_settings, punches
from tests.helpers import actor_for, audit_count, run_async
from tests.standins import WeComStandIn, checkin_record

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai


def file_source(session) -> int:
    source_id, token = punches.create_source(session, actor_for(session, "hr01"), "file", "前台考勤机", NOW)
    session.commit()
    assert token == ""
    return source_id


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    return "\n".join(",".join(r) for r in rows).encode(encoding)


def stored(session) -> list[Punch]:
    session.expire_all()
    return list(session.exec(select(Punch).order_by(Punch.id)).all())


MAPPING = {"employee_no": "工号", "date": "日期", "time": "时间", "direction": "状态"}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_a_time_clock_export_in_utf8_with_bom_or_gbk_is_imported_once(demo, encoding):
    source = file_source(demo)
    data = csv_bytes(
        [
            ["工号", "日期", "时间", "状态"],
            ["E1004", "2026/11/24", "08:58:03", "上班"],
            ["E1004", "2026/11/24", "18:10:00", "下班"],
            ["E1005", "2026-11-24", "9:01", "签到"],
        ],
        encoding,
    )
    hr = actor_for(demo, "hr01")
    preview = punches.preview_file(demo, hr, source, "export.csv", data)
    assert preview.headers == ["工号", "日期", "时间", "状态"] and preview.mapping == MAPPING and preview.rows == 3
    result = punches.import_file(demo, hr, source, "export.csv", data, preview.mapping, NOW)
    demo.commit()
    assert (result.new, result.already, result.errors) == (3, 0, [])
    rows = stored(demo)
    assert [(r.work_date, r.at.astimezone(SHANGHAI).time(), r.direction) for r in rows][0] == (date(2026, 11, 24), time(8, 58, 3), "in")
    again = punches.import_file(demo, hr, source, "export-again.csv", data, preview.mapping, NOW)
    demo.commit()
    assert (again.new, again.already) == (0, 3) and len(stored(demo)) == 3, "importing the same file adds nothing"
    assert json.loads(demo.get(PunchSource, source).mapping_json) == MAPPING, "the mapping is kept for the next file"


def test_one_bad_line_imports_nothing_and_every_problem_is_listed_with_line_and_column(demo):
    source = file_source(demo)
    data = csv_bytes(
        [
            ["工号", "日期", "时间", "状态"],
            ["E1004", "2026/11/24", "08:58", "上班"],
            ["E9999", "2026/11/24", "09:00", "上班"],
            ["E1005", "2026/02/30", "09:00", "上班"],
            ["E1006", "2026/11/24", "25:61", "上班"],
            ["E1007", "2026/11/26", "09:00", "上班"],
            ["E1008", "2026/11/24", "09:00", "午休"],
            ["E1004", "2026/11/24", "08:58", "上班"],
        ]
    )
    with session_scope() as session:
        employee = session.exec(select(Employee).where(Employee.employee_no == "E1009")).one()
        employee.status = "inactive"
        session.add(employee)
    data += "\nE1009,2026/11/24,09:00,上班".encode()
    before = audit_count(demo)
    result = punches.import_file(demo, actor_for(demo, "hr01"), source, "bad.csv", data, MAPPING, NOW)
    demo.commit()
    assert [(e.line, e.column, e.key) for e in result.errors] == [
        (3, "工号", "punch.unknown_employee"),
        (4, "日期", "punch.bad_date"),
        (5, "时间", "punch.bad_time"),
        (6, "时间", "punch.future"),
        (7, "状态", "punch.bad_direction"),
        (9, "工号", "punch.inactive_employee"),
    ]
    assert result.repeated == [(8, 2)], "the same punch twice in one file is reported, not an error"
    assert stored(demo) == [] and audit_count(demo) == before


def test_an_xlsx_export_with_one_datetime_column_and_excel_numbers(demo):
    source = file_source(demo)
    book = Workbook()
    sheet = book.active
    sheet.append(["考勤号码", "姓名", "打卡时间"])
    sheet.append([1004.0, "张伟", datetime(2026, 11, 24, 8, 57)])
    sheet.append(["E1005", "刘洋", "2026-11-24 09:03:11"])
    buffer = io.BytesIO()
    book.save(buffer)
    demo.get(Employee, actor_for(demo, "E1004").employee_id).employee_no  # noqa: B018
    hr = actor_for(demo, "hr01")
    preview = punches.preview_file(demo, hr, source, "clock.xlsx", buffer.getvalue())
    assert preview.mapping == {"employee_no": "考勤号码", "datetime": "打卡时间"}
    result = punches.import_file(demo, hr, source, "clock.xlsx", buffer.getvalue(), preview.mapping, NOW)
    assert [(e.line, e.key, e.params) for e in result.errors] == [(2, "punch.unknown_employee", {"value": "1004"})], (
        "1004.0 is read as 1004"
    )


def test_a_mapping_without_a_time_is_refused_and_only_hr_imports(demo):
    source = file_source(demo)
    data = csv_bytes([["工号", "日期"], ["E1004", "2026/11/24"]])
    result = punches.import_file(demo, actor_for(demo, "hr01"), source, "x.csv", data, {"employee_no": "工号", "date": "日期"}, NOW)
    assert [e.key for e in result.errors] == ["punch.mapping_needs_time"]
    with pytest.raises(NotPermitted):
        punches.import_file(demo, actor_for(demo, "E1002"), source, "x.csv", data, MAPPING, NOW)
    assert (
        punches.import_file(demo, actor_for(demo, "hr01"), source, "x.csv", b"\xff\xfe\x00", MAPPING, NOW).file_error == "import.encoding"
    )


# ---- the HTTP API ----------------------------------------------------------------------------------


@pytest.fixture
def api(demo, db_url):
    from selfservice import api as api_package

    source_id, token = punches.create_source(demo, actor_for(demo, "hr01"), "api", "门禁", NOW)
    demo.commit()
    with TestClient(api_package.build()) as client:
        yield client, token, source_id


def post(client, token, punch_list, **headers):
    return client.post("/api/punches", json={"punches": punch_list}, headers={"Authorization": f"Bearer {token}", **headers})


def item(external_id="d1-1", employee="E1004", at="2026-11-24T08:59:00+08:00", **extra):
    return {"external_id": external_id, "employee_no": employee, "time": at, **extra}


def test_api_answers_each_punch_new_duplicate_or_refused_and_is_idempotent(api, demo):
    client, token, source_id = api
    with session_scope() as session:
        employee = session.exec(select(Employee).where(Employee.employee_no == "E1009")).one()
        employee.status = "inactive"
        session.add(employee)
    batch = [
        item(),
        item("d1-2", "E1005", "2026-11-24 09:02:00", direction="上班"),
        item("d1-1"),
        item("d1-3", "E9999"),
        item("d1-4", "E1009"),
        item("d1-5", at="2027-01-01T09:00:00+08:00"),
        item("d1-6", at="yesterday"),
        item("d1-7", direction="sideways"),
    ]
    answer = post(client, token, batch, **{"Accept-Language": "zh-CN"}).json()
    assert [(r["status"], r["code"]) for r in answer["results"]] == [
        ("new", ""),
        ("new", ""),
        ("duplicate", ""),
        ("refused", "punch.unknown_employee"),
        ("refused", "punch.inactive_employee"),
        ("refused", "punch.future"),
        ("refused", "punch.bad_datetime"),
        ("refused", "punch.bad_direction"),
    ]
    assert answer["results"][3]["message"] == "工号“E9999”不存在。"
    assert (answer["new"], answer["duplicate"], answer["refused"]) == (2, 1, 5)
    again = post(client, token, batch[:2]).json()
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    punches_now = stored(demo)
    assert len(punches_now) == 2 and punches_now[1].at.astimezone(SHANGHAI).time() == time(9, 2), "no offset: company time"
    entries = demo.exec(select(AuditEntry).where(AuditEntry.action == "punch.api_batch")).all()
    assert len(entries) == 2 and json.loads(entries[0].after_json)["new"] == 2 and entries[0].actor.startswith("source:api-")


def test_api_refuses_missing_wrong_and_revoked_tokens(api, demo):
    client, token, source_id = api
    assert client.post("/api/punches", json={"punches": [item()]}).status_code == 401
    response = post(client, "pst_wrong", [item()])
    assert (
        response.status_code == 401
        and response.headers["www-authenticate"].startswith("Bearer")
        and response.json()["code"] == "api.unauthorized"
    )
    punches.revoke_token(demo, actor_for(demo, "hr01"), source_id, NOW)
    demo.commit()
    assert post(client, token, [item()]).status_code == 401
    fresh = punches.rotate_token(demo, actor_for(demo, "hr01"), source_id, NOW)
    demo.commit()
    assert post(client, fresh, [item()]).json()["new"] == 1
    assert stored(demo)[0].external_id == "d1-1"


def test_api_refuses_malformed_and_oversized_batches_whole_and_audits_the_refusal(api, demo):
    client, token, _ = api
    before = audit_count(demo)
    bad_json = client.post(
        "/api/punches", content=b"{not json", headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400 and bad_json.json()["code"] == "api.malformed_json"
    too_many = post(client, token, [item(f"x{i}") for i in range(1001)])
    assert too_many.status_code == 413 and too_many.json()["code"] == "punch.batch_too_large"
    wrong_shape = client.post(
        "/api/punches", json={"punches": [{"employee_no": "E1004"}], "extra": 1}, headers={"Authorization": f"Bearer {token}"}
    )
    assert wrong_shape.status_code == 400 and {tuple(d["location"]) for d in wrong_shape.json()["details"]} >= {
        ("punches", 0, "external_id"),
        ("extra",),
    }
    assert stored(demo) == []
    demo.expire_all()
    refusals = demo.exec(select(AuditEntry).where(AuditEntry.action == "punch.api_refused")).all()
    assert len(refusals) == 3 and audit_count(demo) == before + 3


def test_openapi_document_is_valid_and_describes_the_endpoint(api):
    from openapi_spec_validator import validate

    client, _, _ = api
    document = client.get("/api/openapi.json").json()
    validate(document)
    operation = document["paths"]["/api/punches"]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "413"}
    assert document["components"]["schemas"]["PunchIn"]["required"] == ["external_id", "employee_no", "time"]


# ---- the WeCom check-in pull -------------------------------------------------------------------------


@pytest.fixture
def wecom(demo):
    """WeCom configured, the pull on, and 150 more employees (two batches of userids)."""
    with WeComStandIn() as standin:
        admin = actor_for(demo, "admin")
        channel_settings.save(
            demo, admin, "wecom", True, {"corp_id": standin.corp_id, "agent_id": "1", "secret": "msg-secret", "base_url": standin.url}, NOW
        )
        standin.secret = "checkin-secret"  # the check-in app has its own secret
        punches.configure_wecom(demo, actor_for(demo, "hr01"), True, "checkin-secret", NOW)
        department = demo.exec(select(Department)).first()
        demo.add_all(
            [Employee(employee_no=f"W{i:03d}", name=f"工{i}", department_id=department.id, hire_date=date(2026, 1, 1)) for i in range(150)]
        )
        demo.commit()
        yield standin


def ts(day: date, hour: int, minute: int = 0) -> int:
    return int(datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).timestamp())


def pull(start_from: datetime | None = None, now: datetime = NOW):
    from selfservice.jobs.attendance import pull_wecom

    return run_async(pull_wecom(now, httpx.AsyncClient(timeout=10), start_from))


def test_the_pull_asks_in_batches_of_100_users_stores_real_punches_and_skips_missed_placeholders(demo, wecom):
    day = date(2026, 11, 24)
    wecom.checkins += [
        checkin_record("E1004", ts(day, 8, 57)),
        checkin_record("E1004", ts(day, 18, 5), "下班打卡"),
        checkin_record("W149", ts(day, 9, 1), "外出打卡"),
        checkin_record("E1005", ts(day, 9), exception_type="未打卡"),  # WeCom's placeholder for a missed check-in
    ]
    summary = pull(datetime(2026, 11, 24, tzinfo=SHANGHAI))
    assert summary.error == "" and (summary.new, summary.not_punches) == (3, 1)
    assert summary.windows == 2 and summary.calls == 4, "two one-day windows × two batches of userids"
    assert all(len(c["useridlist"]) <= 100 and c["opencheckindatatype"] == 3 for c in wecom.checkin_calls)
    rows = stored(demo)
    first = rows[0]
    assert (first.direction, first.location, round(first.latitude, 6)) == ("in", "张江高科技园区", 31.204055)
    assert json.loads(first.raw_json)["groupname"] == "打卡一组", "WeCom's record is kept as it came"
    assert pull(datetime(2026, 11, 24, tzinfo=SHANGHAI)).new == 0, "pulling again adds nothing"
    assert demo.exec(select(PunchSource).where(PunchSource.code == "wecom")).one().pulled_until == NOW


def test_an_error_halfway_keeps_nothing_of_the_window_and_the_next_run_resumes_there(demo, wecom):
    day = date(2026, 11, 24)
    wecom.checkins += [checkin_record("E1004", ts(day, 8, 57)), checkin_record("W120", ts(day, 9, 3))]
    wecom.checkin_scripted[2] = {"errcode": 45009, "errmsg": "api freq out of limit"}  # the second batch of the first window
    summary = pull(datetime(2026, 11, 24, tzinfo=SHANGHAI))
    assert "45009" in summary.error and summary.windows == 0 and stored(demo) == []
    source = demo.exec(select(PunchSource).where(PunchSource.code == "wecom")).one()
    assert source.pulled_until is None and "45009" in source.last_error
    assert demo.exec(select(AuditEntry).where(AuditEntry.action == "punch.wecom_pull_failed")).one()
    resumed = pull(now=NOW)  # from the cursor: nothing was pulled, so from the tracked start (a week back)
    assert resumed.error == "" and resumed.new == 2
    demo.expire_all()
    assert demo.exec(select(PunchSource).where(PunchSource.code == "wecom")).one().last_error == ""


def test_an_expired_token_is_refreshed_once_and_the_call_repeated(demo, wecom):
    wecom.checkins.append(checkin_record("E1004", ts(date(2026, 11, 24), 8, 57)))
    pull(datetime(2026, 11, 24, 12, tzinfo=SHANGHAI))
    wecom.expire_tokens()
    wecom.checkins.append(checkin_record("E1004", ts(date(2026, 11, 25), 8, 57)))
    summary = pull(datetime(2026, 11, 25, tzinfo=SHANGHAI), now=NOW + timedelta(hours=1))
    assert summary.error == "" and summary.new == 1 and wecom.token_requests == 2


def test_the_pull_is_off_until_configured(demo):
    assert pull() is None


def test_api_refuses_a_body_over_the_limit_before_reading_it_whole(api, demo):
    from selfservice.api.punches import MAX_BODY

    client, token, _ = api
    response = client.post(
        "/api/punches",
        content=b"{" + b" " * (MAX_BODY + 10) + b"}",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and response.json()["code"] == "api.too_large"
    assert stored(demo) == []
