"""The hash chain of the audit log (操作日志).

Each entry's hash is ``SHA-256(previous hash ‖ canonical JSON of the entry)``. The canonical
form covers the stored text of every field exactly, so changing any byte of any entry, removing
one, or swapping two breaks the chain at a detectable sequence number.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def utc_text(moment: datetime) -> str:
    """A UTC timestamp as fixed-width ISO text (naive values are taken to be UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


@dataclass(frozen=True)
class ChainEntry:
    """The fields of one audit entry that the hash covers."""

    seq: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    entity: str
    entity_id: str
    before_json: str | None
    after_json: str | None
    prev_hash: str

    def canonical(self) -> str:
        return canonical_json(
            {
                "seq": self.seq,
                "at": utc_text(self.at),
                "actor_id": self.actor_id,
                "actor": self.actor,
                "action": self.action,
                "entity": self.entity,
                "entity_id": self.entity_id,
                "before": self.before_json,
                "after": self.after_json,
                "prev_hash": self.prev_hash,
            }
        )


def entry_hash(entry: ChainEntry) -> str:
    """The hash that links ``entry`` to the one before it."""
    return hashlib.sha256((entry.prev_hash + entry.canonical()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


def verify_chain(entries: Iterable[tuple[ChainEntry, str]]) -> VerifyResult:
    """Check (entry, stored hash) pairs in sequence order; stop at the first break."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry, stored_hash in entries:
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"sequence gap: expected {expected_seq}, found {entry.seq}")
        if entry.prev_hash != expected_prev:
            return VerifyResult(False, checked, entry.seq, "previous-hash link broken")
        if entry_hash(entry) != stored_hash:
            return VerifyResult(False, checked, entry.seq, "entry content does not match its hash")
        expected_prev = stored_hash
        expected_seq += 1
        checked += 1
    return VerifyResult(True, checked)
