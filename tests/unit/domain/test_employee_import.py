import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfservice.domain.employee_import import Directory, FileUnreadable, parse_file, validate_rows

HEADER = "工号,姓名,英文名,部门,直属领导工号,入职日期,手机,邮箱\n"
DIRECTORY = Directory({"rd": 1, "研发部": 1}, {"E1": 1}, {})


def test_gbk_file_from_excel_is_read():
    data = (HEADER + "N1,王小明,Xiaoming Wang,研发部,E1,2025-01-02,13800138000,wxm@example.com\n").encode("gbk")
    parsed = parse_file("staff.csv", data)
    assert parsed.errors == [] and parsed.rows[0][1]["name"] == "王小明"


def test_utf8_bom_is_read():
    data = ("\ufeff" + HEADER + "N1,王小明,,RD,,2025-01-02,13800138000,\n").encode("utf-8")
    assert parse_file("a.csv", data).rows[0][1]["employee_no"] == "N1"


def test_utf16_and_binary_are_refused_with_encoding_error():
    with pytest.raises(FileUnreadable) as info:
        parse_file("a.csv", HEADER.encode("utf-16"))
    assert info.value.key == "import.encoding"
    with pytest.raises(FileUnreadable):
        parse_file("a.csv", b"\x81\x30\xff\xfe\x00garbage")


def test_missing_required_column_is_reported_on_line_1():
    parsed = parse_file("a.csv", "工号,姓名\nN1,王\n".encode())
    assert {(e.line, e.column, e.key) for e in parsed.errors} == {
        (1, "department", "import.missing_column"),
        (1, "hire_date", "import.missing_column"),
        (1, "phone", "import.missing_column"),
    }


def test_every_bad_row_is_reported_with_line_and_column():
    data = (
        HEADER
        + "N1,甲,,RD,,2025-01-02,13800138000,\n"
        + "N1,乙,,RD,,2025-01-02,13800138001,\n"  # duplicate number
        + "N3,丙,,Nowhere,,2025-01-02,13800138002,\n"  # unknown department
        + "N4,丁,,RD,,2025-01-02,12345,\n"  # bad phone
        + "N5,戊,,RD,ZZ,2025-01-02,13800138003,\n"  # unknown manager
    ).encode()
    drafts, errors = validate_rows(parse_file("a.csv", data).rows, DIRECTORY)
    assert [(e.line, e.column, e.key) for e in errors] == [
        (3, "employee_no", "import.duplicate_in_file"),
        (4, "department", "import.unknown_department"),
        (5, "phone", "field.phone_invalid"),
        (6, "manager_no", "import.unknown_manager"),
    ]


def test_manager_cycle_in_file_is_refused():
    data = (HEADER + "N1,甲,,RD,N2,2025-01-02,13800138000,\nN2,乙,,RD,N1,2025-01-02,13800138001,\n").encode()
    _, errors = validate_rows(parse_file("a.csv", data).rows, DIRECTORY)
    assert [e.key for e in errors] == ["import.manager_cycle"]


def test_existing_employee_number_is_refused():
    data = (HEADER + "E1,甲,,RD,,2025-01-02,13800138000,\n").encode()
    _, errors = validate_rows(parse_file("a.csv", data).rows, DIRECTORY)
    assert [e.key for e in errors] == ["import.already_exists"]


def test_unsupported_type_and_empty_file():
    with pytest.raises(FileUnreadable) as info:
        parse_file("a.pdf", b"%PDF")
    assert info.value.key == "import.unsupported_type"
    with pytest.raises(FileUnreadable) as info:
        parse_file("a.csv", HEADER.encode())
    assert info.value.key == "import.empty"


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=60)
@given(st.lists(st.lists(cell, min_size=8, max_size=8), min_size=1, max_size=8))
def test_arbitrary_csv_content_never_crashes_and_errors_name_real_lines(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["employee_no", "name", "name_en", "department", "manager_no", "hire_date", "phone", "email"])
    writer.writerows(rows)
    try:
        parsed = parse_file("x.csv", buffer.getvalue().encode())
    except FileUnreadable:
        return
    drafts, errors = validate_rows(parsed.rows, DIRECTORY)
    lines = {line for line, _ in parsed.rows}
    assert all(e.line in lines for e in errors)
    assert errors or len(drafts) == len(parsed.rows)


def test_work_start_and_children_columns_are_read_and_checked():
    header = "工号,姓名,部门,入职日期,手机,参加工作时间,子女出生日期\n"
    data = (
        header
        + "N1,王小明,研发部,2025-01-02,13800138000,2012-07-01,2024-05-01\n"
        + "N2,李小红,研发部,2025-01-02,13800138001,2026-07-01,\n"
        + "N3,赵小刚,研发部,2025-01-02,13800138002,,2024-13-01\n"
    ).encode("utf-8")
    parsed = parse_file("staff.csv", data)
    drafts, errors = validate_rows(parsed.rows, DIRECTORY)
    assert [(e.line, e.column, e.key) for e in errors] == [
        (3, "work_start_date", "employee.work_start_after_hire"),
        (4, "child_births", "field.date_format"),
    ]
    good = validate_rows(parsed.rows[:1], DIRECTORY)[0][0][1]
    assert str(good.work_start_date) == "2012-07-01" and good.child_births == "2024-05-01"


def test_the_probation_end_is_read_and_must_fall_within_six_months_of_hiring():
    header = "工号,姓名,部门,入职日期,手机,试用期至\n"
    data = (
        header
        + "P1,王小明,研发部,2026-09-01,13800138000,2026-11-30\n"
        + "P2,李小红,研发部,2026-09-01,13800138001,2027-09-01\n"
        + "P3,赵小刚,研发部,2026-09-01,13800138002,下个月\n"
    ).encode("utf-8")
    parsed = parse_file("staff.csv", data)
    drafts, errors = validate_rows(parsed.rows, DIRECTORY)
    assert [(e.line, e.column, e.key) for e in errors] == [
        (3, "probation_end", "field.probation_range"),
        (4, "probation_end", "field.date_format"),
    ]
    good = validate_rows(parsed.rows[:1], DIRECTORY)[0][0][1]
    assert str(good.probation_end) == "2026-11-30"
