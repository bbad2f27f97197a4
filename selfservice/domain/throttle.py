"""How fast anyone may guess: progressive delays instead of a lock anyone could trigger.

A hard lock (five wrong passwords, fifteen minutes) lets anybody lock any colleague out,
repeatably, and only real accounts answered "locked". Here failures are counted under three
keys, each with its own free attempts and a delay that doubles after them, up to a cap:

- the name *and* the source (one person at one address): a few free tries, then a growing wait;
- the source alone (one address trying many names): more free tries, the same growth;
- the name alone (many addresses, one name): many free tries and a short cap, so that an
  attacker elsewhere can slow a colleague's sign-in by at most ``cap`` seconds, never lock it.

A name is counted whether or not an account has it, so a throttled answer says nothing about
whether the name exists. Failures are forgotten a day after the last one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

FORGET_AFTER = timedelta(hours=24)


class Scope(StrEnum):
    pair = "pair"
    source = "source"
    name = "name"


@dataclass(frozen=True)
class Rule:
    free: int  # failures before any wait
    base_seconds: float  # the first wait; each further failure doubles it
    cap_seconds: float


def rules(free: int, cap_seconds: float) -> dict[Scope, Rule]:
    """The three rules from the two settings (free attempts per person and place, longest wait)."""
    return {
        Scope.pair: Rule(free, 1.0, cap_seconds),
        Scope.source: Rule(free * 4, 1.0, cap_seconds),
        Scope.name: Rule(free * 4, 1.0, min(cap_seconds, 60.0)),
    }


def keys(name: str, source: str) -> dict[Scope, str]:
    """The counters one attempt touches (an unknown source is one source, "-")."""
    name, source = name.strip().lower()[:64], (source.strip() or "-")[:64]
    return {Scope.pair: f"pair:{name}|{source}", Scope.source: f"source:{source}", Scope.name: f"name:{name}"}


def delay(failures: int, rule: Rule) -> float:
    """Seconds to wait after ``failures`` failures (0 while within the free attempts)."""
    if failures < rule.free:
        return 0.0
    exponent = min(failures - rule.free, 32)
    return min(rule.cap_seconds, rule.base_seconds * 2**exponent)


def wait_left(failures: int, last_failure_at: datetime | None, rule: Rule, now: datetime) -> float:
    """Seconds until the next attempt is heard (0: now)."""
    if last_failure_at is None or now - last_failure_at >= FORGET_AFTER:
        return 0.0
    ready = last_failure_at + timedelta(seconds=delay(failures, rule))
    return max(0.0, (ready - now).total_seconds())
