import json
from datetime import timedelta

import pytest
from sqlmodel import select

from selfservice.demo import DEMO_PASSWORD, DEMO_TOTP
from selfservice.domain.errors import DomainError, SignInFailed, ValidationFailed
from selfservice.persistence.models import UserAccount, UserSession
from selfservice.services import auth
from tests.helpers import actor_for, audit_count, totp_code


def test_employee_signs_in_with_password_only(demo, now):
    step = auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, now)
    assert step.stage == "full"
    actor = auth.resolve(demo, step.token, now)
    assert actor is not None and actor.username == "E1004"
    stored = demo.exec(select(UserSession.token_hash)).all()
    assert step.token not in stored, "only the token's hash is stored"


def test_unknown_user_and_wrong_password_get_the_same_message(demo, now):
    with pytest.raises(SignInFailed) as unknown:
        auth.begin_sign_in(demo, "nobody", "whatever-pass", now)
    with pytest.raises(SignInFailed) as wrong:
        auth.begin_sign_in(demo, "E1004", "wrong-password", now)
    assert unknown.value.key == wrong.value.key == "auth.bad_credentials"


def test_empty_fields_are_refused(demo, now):
    with pytest.raises(ValidationFailed):
        auth.begin_sign_in(demo, " ", "", now)


def _fail(demo, name, now, source="10.0.0.9", password="wrong-password"):
    with pytest.raises(DomainError) as refused:
        auth.begin_sign_in(demo, name, password, now, source=source)
    return refused.value


def test_failures_make_the_next_attempt_wait_longer_and_longer_not_a_lock(demo, now):
    """Issue 14, item 2: five free attempts, then waits of 1, 2, 4 … seconds; during a wait even
    the right password is not looked at; once it has passed the right password works."""
    for _ in range(5):
        assert _fail(demo, "E1004", now).key == "auth.bad_credentials"
    waiting = _fail(demo, "E1004", now, password=DEMO_PASSWORD)
    assert waiting.key == "auth.slow_down" and waiting.params == {"seconds": 1}
    later = now + timedelta(seconds=1)
    assert _fail(demo, "E1004", later).key == "auth.bad_credentials"  # the 6th failure: 2 s now
    assert _fail(demo, "E1004", later + timedelta(seconds=1)).params == {"seconds": 1}
    ready = later + timedelta(seconds=2)
    assert auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, ready, source="10.0.0.9").stage == "full"
    assert _fail(demo, "E1004", ready).key == "auth.bad_credentials", "a sign-in clears the name's count"


def test_a_name_nobody_has_gets_exactly_the_same_answers(demo, now):
    """The probe found that only real accounts answered "locked until …" (employee numbers are
    sequential): every answer, throttled or not, is the same for a name no account has."""
    answers = {}
    for name in ("E1004", "E9999"):
        seen = [(_fail(demo, name, now).key, None) for _ in range(5)]
        refused = _fail(demo, name, now)
        answers[name] = [*seen, (refused.key, refused.params)]
    assert answers["E1004"] == answers["E9999"]
    assert answers["E9999"][-1] == ("auth.slow_down", {"seconds": 1})


def test_an_attacker_elsewhere_slows_a_colleague_by_a_minute_at_most(demo, now):
    for i in range(200):  # many failures, from many addresses
        _fail(demo, "E1004", now, source=f"203.0.113.{i % 50}")
    mine = _fail(demo, "E1004", now, source="10.1.1.1", password=DEMO_PASSWORD)
    assert mine.key == "auth.slow_down" and mine.params["seconds"] <= 60
    assert auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, now + timedelta(seconds=61), source="10.1.1.1").stage == "full"


def test_one_address_trying_many_names_is_slowed_down(demo, now):
    for i in range(20):
        assert _fail(demo, f"E{9000 + i}", now).key == "auth.bad_credentials"
    assert _fail(demo, "E1005", now, password=DEMO_PASSWORD).key == "auth.slow_down"
    assert auth.begin_sign_in(demo, "E1005", DEMO_PASSWORD, now, source="10.0.0.10").stage == "full"  # another address is heard


def test_failures_for_unknown_names_are_audited_too(demo, now):
    from selfservice.persistence.models import AuditEntry

    before = audit_count(demo)
    _fail(demo, "ghost", now)
    entry = demo.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert audit_count(demo) == before + 1 and entry.action == "auth.sign_in_failed" and entry.actor == "anonymous"
    assert json.loads(entry.after_json) == {"reason": "unknown_name", "source": "10.0.0.9", "username": "ghost"}


def test_hr_setting_a_password_clears_the_waits(demo, now):
    for _ in range(8):
        _fail(demo, "E1004", now)
    account = demo.exec(select(UserAccount).where(UserAccount.username == "E1004")).one()
    auth.set_password(demo, actor_for(demo, "hr01"), account.id, "a-new-password-1", now)
    demo.commit()
    assert auth.begin_sign_in(demo, "E1004", "a-new-password-1", now, source="10.0.0.9").stage == "full"


def test_hr_needs_totp_and_a_code_is_accepted_once(demo, now):
    step = auth.begin_sign_in(demo, "hr01", DEMO_PASSWORD, now)
    assert step.stage == "totp" and auth.resolve(demo, step.token, now) is None, "pending session is not a sign-in"
    code = totp_code(DEMO_TOTP["hr01"], now)
    full = auth.complete_totp(demo, step.token, code, now)
    assert full.token != step.token, "token rotated at sign-in"
    assert auth.resolve(demo, full.token, now).username == "hr01"
    again = auth.begin_sign_in(demo, "hr01", DEMO_PASSWORD, now + timedelta(seconds=5))
    with pytest.raises(DomainError) as reused:
        auth.complete_totp(demo, again.token, code, now + timedelta(seconds=5))
    assert reused.value.key == "auth.code_reused"


def test_stale_totp_code_is_refused(demo, now):
    step = auth.begin_sign_in(demo, "hr01", DEMO_PASSWORD, now)
    with pytest.raises(DomainError) as stale:
        auth.complete_totp(demo, step.token, totp_code(DEMO_TOTP["hr01"], now - timedelta(minutes=5)), now)
    assert stale.value.key == "auth.bad_code"


def test_pending_totp_expires(demo, now):
    step = auth.begin_sign_in(demo, "hr01", DEMO_PASSWORD, now)
    later = now + timedelta(minutes=11)
    with pytest.raises(DomainError) as expired:
        auth.complete_totp(demo, step.token, totp_code(DEMO_TOTP["hr01"], later), later)
    assert expired.value.key == "auth.pending_expired"


def test_bad_totp_codes_make_the_next_one_wait(demo, now):
    step = auth.begin_sign_in(demo, "hr01", DEMO_PASSWORD, now)
    for _ in range(5):
        with pytest.raises(DomainError) as bad:
            auth.complete_totp(demo, step.token, "000000", now)
        assert bad.value.key == "auth.bad_code"
    with pytest.raises(DomainError) as waiting:
        auth.complete_totp(demo, step.token, totp_code(DEMO_TOTP["hr01"], now), now)
    assert waiting.value.key == "auth.slow_down"


def test_role_that_requires_totp_must_enrol_then_recovery_code_works_once(demo, now):
    auth.reset_totp(demo, actor_for(demo, "admin"), "hr02", now)
    demo.commit()
    step = auth.begin_sign_in(demo, "hr02", DEMO_PASSWORD, now)
    assert step.stage == "enrol" and step.qr_data_url.startswith("data:image/svg+xml;base64,")
    with pytest.raises(DomainError):
        auth.complete_enrolment(demo, step.token, "123456", now)
    done = auth.complete_enrolment(demo, step.token, totp_code(step.secret, now), now)
    assert done.stage == "full" and len(done.recovery_codes) == 10
    later = now + timedelta(minutes=1)
    pending = auth.begin_sign_in(demo, "hr02", DEMO_PASSWORD, later)
    assert auth.complete_totp(demo, pending.token, done.recovery_codes[0], later).stage == "full"
    pending = auth.begin_sign_in(demo, "hr02", DEMO_PASSWORD, later)
    with pytest.raises(DomainError):
        auth.complete_totp(demo, pending.token, done.recovery_codes[0], later)


def test_totp_secret_is_encrypted_at_rest(demo):
    account = demo.exec(select(UserAccount).where(UserAccount.username == "hr01")).one()
    assert DEMO_TOTP["hr01"] not in (account.totp_secret_enc or "")


def test_sign_out_and_sign_out_everywhere(demo, now):
    first = auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, now).token
    second = auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, now).token
    auth.sign_out(demo, first, now)
    assert auth.resolve(demo, first, now) is None and auth.resolve(demo, second, now) is not None
    third = auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, now).token
    auth.sign_out_everywhere(demo, actor_for(demo, "E1004"), now)
    assert auth.resolve(demo, second, now) is None and auth.resolve(demo, third, now) is None


def test_session_expires(demo, now):
    token = auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, now).token
    assert auth.resolve(demo, token, now + timedelta(hours=13)) is None


def test_sign_in_is_audited(demo, now):
    before = audit_count(demo)
    auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, now)
    assert audit_count(demo) == before + 1


def test_self_service_enrolment(demo, now):
    actor = actor_for(demo, "E1004")
    step = auth.start_enrolment(demo, actor, now)
    with pytest.raises(DomainError):
        auth.confirm_enrolment(demo, actor, "000000", now)
    codes = auth.confirm_enrolment(demo, actor, totp_code(step.secret, now), now)
    demo.commit()
    assert len(codes) == 10 and auth.security_view(demo, actor).totp_enabled
    assert auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, now + timedelta(minutes=1)).stage == "totp"


def test_counters_idle_for_a_day_are_forgotten(demo, now):
    from selfservice.persistence.models import SignInThrottle
    from selfservice.services import throttle

    for _ in range(3):
        _fail(demo, "E1004", now)
    assert len(demo.exec(select(SignInThrottle)).all()) == 3  # the pair, the source, the name
    assert throttle.prune(demo, now + timedelta(hours=23)) == 0
    assert throttle.prune(demo, now + timedelta(hours=24, seconds=1)) == 3


def test_a_remembered_session_is_forgotten_the_moment_it_is_revoked(demo, now):
    """Issue 14: events no longer re-read the session each time, without losing immediate
    revocation (sign-out, deactivation, a change in another process)."""
    from datetime import UTC, datetime

    from selfservice.auth import session_cache
    from selfservice.persistence.models import Employee

    moment = datetime.now(UTC)
    token = auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, moment).token
    assert session_cache.get(token, moment) is None
    actor = auth.resolve(demo, token, moment)
    assert session_cache.get(token, moment) == actor  # no query needed now
    other = auth.begin_sign_in(demo, "E1005", DEMO_PASSWORD, moment).token  # a new session elsewhere changes nothing
    assert session_cache.get(token, moment) == actor
    auth.sign_out(demo, other, moment)
    demo.commit()
    assert session_cache.get(token, moment) is None, "any revocation drops every remembered answer"
    assert auth.resolve(demo, token, moment) == actor
    person = demo.exec(select(Employee).where(Employee.employee_no == "E1004")).one()
    person.status = "inactive"
    demo.add(person)
    demo.commit()
    assert session_cache.get(token, moment) is None and auth.resolve(demo, token, moment) is None
    person.status = "active"
    demo.add(person)
    demo.commit()
    assert auth.resolve(demo, token, moment) == actor
    from selfservice.persistence import epochs

    epochs.AUTH._file().touch()  # another process (the CLI) bumped the epoch
    import os
    import time

    later = time.time_ns() + 1_000_000
    os.utime(epochs.AUTH._file(), ns=(later, later))
    assert session_cache.get(token, moment) is None
    assert session_cache.get(token, moment + timedelta(hours=13)) is None  # past the session's own expiry
