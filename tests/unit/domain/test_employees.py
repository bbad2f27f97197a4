from hypothesis import given
from hypothesis import strategies as st

from selfservice.domain.employees import find_manager_cycle, normalize_phone, validate_employee
from selfservice.domain.text import clean

VALID = {"employee_no": "E1", "name": "张三", "department": "RD", "hire_date": "2024-03-01", "phone": "13800138000"}


def test_valid_employee_gets_e164_phone():
    draft, errors = validate_employee(VALID)
    assert errors == [] and draft.phone == "+8613800138000"


def test_every_missing_required_field_is_reported():
    draft, errors = validate_employee({})
    assert draft is None
    assert {e.field for e in errors} == {"employee_no", "name", "department", "hire_date", "phone"}


def test_bad_phone_email_date_and_self_manager_are_reported():
    _, errors = validate_employee({**VALID, "phone": "12345", "email": "not-mail", "hire_date": "31/02/2024", "manager_no": "E1"})
    assert {(e.field, e.key) for e in errors} == {
        ("phone", "field.phone_invalid"),
        ("email", "field.email_invalid"),
        ("hire_date", "field.date_format"),
        ("manager_no", "field.manager_self"),
    }


@given(st.text(max_size=30))
def test_phone_normalisation_never_crashes_and_is_idempotent(raw):
    normalized = normalize_phone(raw)
    if normalized is not None:
        assert normalized.startswith("+") and normalize_phone(normalized) == normalized


@given(st.text(min_size=1, max_size=64).filter(lambda s: clean(s).strip() and all(ord(c) >= 32 for c in s)))
def test_any_printable_name_up_to_64_is_accepted(name):
    draft, errors = validate_employee({**VALID, "name": name})
    assert errors == [] and draft.name == clean(name).strip()  # without bidi and control characters


@given(st.text(min_size=65, max_size=90).filter(lambda s: len(clean(s).strip()) > 64))
def test_long_names_are_refused(name):
    _, errors = validate_employee({**VALID, "name": name})
    assert any(e.key == "field.too_long" for e in errors)


def test_manager_cycle_is_found_and_forest_is_not():
    assert find_manager_cycle({"a": "b", "b": "c"}) is None
    cycle = find_manager_cycle({"a": "b", "b": "c", "c": "a", "d": "a"})
    assert cycle is not None and set(cycle) == {"a", "b", "c"}


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.sampled_from("abcdefgh"), max_size=8))
def test_cycle_detection_matches_walking(relation):
    relation = {k: v for k, v in relation.items() if k != v}

    def has_cycle():
        for start in relation:
            seen, node = set(), start
            while node in relation:
                if node in seen:
                    return True
                seen.add(node)
                node = relation[node]
        return False

    assert (find_manager_cycle(relation) is not None) == has_cycle()
