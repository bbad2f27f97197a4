"""Progressive delays (issue 14, item 2): no hard lock, the same for names that exist or not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from selfservice.domain import throttle
from selfservice.domain.throttle import Rule, Scope

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_waits_double_after_the_free_attempts_up_to_the_cap():
    rule = Rule(free=5, base_seconds=1, cap_seconds=900)
    assert [throttle.delay(n, rule) for n in range(4, 10)] == [0, 1, 2, 4, 8, 16]
    assert throttle.delay(40, rule) == 900 and throttle.delay(10_000, rule) == 900


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_more_failures_never_mean_a_shorter_wait_and_never_over_the_cap(a, b):
    rule = Rule(free=5, base_seconds=1, cap_seconds=900)
    low, high = sorted((a, b))
    assert 0 <= throttle.delay(low, rule) <= throttle.delay(high, rule) <= 900


def test_the_wait_runs_from_the_last_failure_and_is_forgotten_after_a_day():
    rule = Rule(free=1, base_seconds=1, cap_seconds=900)
    assert throttle.wait_left(5, NOW, rule, NOW + timedelta(seconds=10)) == 6
    assert throttle.wait_left(5, NOW, rule, NOW + timedelta(seconds=16)) == 0
    assert throttle.wait_left(30, NOW, rule, NOW + timedelta(seconds=899)) == 1
    assert throttle.wait_left(30, NOW - timedelta(hours=24), Rule(1, 1, 10**9), NOW) == 0  # forgotten after a day
    assert throttle.wait_left(0, None, rule, NOW) == 0


def test_someone_elsewhere_can_slow_a_name_by_a_minute_at_most():
    rules = throttle.rules(free=5, cap_seconds=900)
    assert rules[Scope.name].cap_seconds == 60 and rules[Scope.pair].cap_seconds == 900
    assert rules[Scope.source].free > rules[Scope.pair].free


def test_keys_ignore_case_and_an_unknown_source_is_one_source():
    assert throttle.keys(" E1004 ", "10.0.0.7") == {
        Scope.name: "name:e1004",
        Scope.pair: "pair:e1004|10.0.0.7",
        Scope.source: "source:10.0.0.7",
    }
    assert throttle.keys("E1004", "")[Scope.pair] == "pair:e1004|-"
