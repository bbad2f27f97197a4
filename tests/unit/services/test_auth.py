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


def test_five_failures_lock_the_account_for_fifteen_minutes(demo, now):
    for _ in range(4):
        with pytest.raises(SignInFailed):
            auth.begin_sign_in(demo, "E1004", "wrong-password", now)
    with pytest.raises(DomainError) as locked:
        auth.begin_sign_in(demo, "E1004", "wrong-password", now)
    assert locked.value.key == "auth.locked"
    with pytest.raises(DomainError) as still:
        auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, now + timedelta(minutes=14))
    assert still.value.key == "auth.locked", "even the right password is refused while locked"
    assert auth.begin_sign_in(demo, "E1004", DEMO_PASSWORD, now + timedelta(minutes=16)).stage == "full"


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


def test_bad_totp_codes_count_towards_lockout(demo, now):
    step = auth.begin_sign_in(demo, "hr01", DEMO_PASSWORD, now)
    for _ in range(4):
        with pytest.raises(DomainError):
            auth.complete_totp(demo, step.token, "000000", now)
    with pytest.raises(DomainError) as locked:
        auth.complete_totp(demo, step.token, "000000", now)
    assert locked.value.key == "auth.locked"


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
