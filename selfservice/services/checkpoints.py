"""Audit checkpoints over the database: take one (daily, on every evidence export, on
``selfservice audit checkpoint``), keep it outside the audit table (its own append-only table and a
file in the data directory), and check the chain against every one of them.

The rules — what is signed, what each failure means — are in :mod:`selfservice.domain.checkpoints`.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from selfservice.documents import signing
from selfservice.domain import checkpoints as rules
from selfservice.domain.audit import GENESIS_HASH, VerifyResult
from selfservice.persistence.models import AuditCheckpoint, AuditEntry
from selfservice.services import audit, company_key
from selfservice.settings import get_settings

log = logging.getLogger(__name__)
REASONS = ("schedule", "export", "manual")


def mirror_path() -> Path:
    """The copy outside the database: a line per checkpoint, appended, never rewritten."""
    return get_settings().data_dir / "audit-checkpoints.jsonl"


def _as_domain(row: AuditCheckpoint) -> rules.Checkpoint:
    return rules.Checkpoint(row.seq, row.head_hash, row.at, row.key_id, row.signature)


def take(session: Session, reason: str, now: datetime) -> AuditCheckpoint:
    """Sign the chain's head as committed now. Call it in its own transaction, before anything
    else is appended in it, so what it signs is on disk."""
    if reason not in REASONS:
        raise ValueError(reason)
    pair = company_key.pair(session, now)
    last = session.exec(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()  # type: ignore[union-attr]
    seq, head = (last[0], last[1]) if last else (0, GENESIS_HASH)
    signed = rules.sign(pair.private_key, seq, head, now)
    token = ""
    tsa_url = get_settings().tsa_url
    if tsa_url:
        try:
            token = base64.b64encode(signing.timestamp(tsa_url, rules.payload(seq, head, now, signed.key_id))).decode()
        except Exception as error:  # noqa: BLE001  (an unreachable TSA must not stop the checkpoint itself)
            log.warning("timestamp authority %s failed: %s", tsa_url, error)
    row = AuditCheckpoint(seq=seq, head_hash=head, at=now, key_id=signed.key_id, signature=signed.signature, reason=reason, tsa_token=token)
    session.add(row)
    session.flush()
    path = mirror_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(as_json(row), sort_keys=True) + "\n")
    return row


def as_json(row: AuditCheckpoint | rules.Checkpoint, reason: str = "", tsa_token: str = "") -> dict:
    return {
        "seq": row.seq,
        "head": row.head_hash,
        "at": row.at.astimezone(UTC).isoformat(),
        "key": row.key_id,
        "signature": row.signature,
        "reason": getattr(row, "reason", reason),
        "tsa": getattr(row, "tsa_token", tsa_token),
    }


def from_json(data: dict) -> rules.Checkpoint:
    return rules.Checkpoint(
        int(data["seq"]), str(data["head"]), datetime.fromisoformat(data["at"]), str(data["key"]), str(data["signature"])
    )


def _from_mirror() -> list[rules.Checkpoint]:
    path = mirror_path()
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            found.append(from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue  # a damaged line is reported by what it fails to vouch for, not fatal
    return found


def latest(session: Session) -> AuditCheckpoint | None:
    return session.exec(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc())).first()  # type: ignore[union-attr]


@dataclass(frozen=True)
class Report:
    chain: VerifyResult
    checks: list[rules.Check]
    last_seq: int

    @property
    def problems(self) -> list[rules.Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems


def verify(session: Session) -> Report:
    """The chain link by link, then every checkpoint (database and file copy) against it."""
    chain = audit.verify(session)
    last = session.exec(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)).first()  # type: ignore[union-attr]
    last_seq = last or 0
    known = {(c.seq, c.head_hash, c.at.astimezone(UTC), c.key_id, c.signature): c for c in _from_mirror()}
    for row in session.exec(select(AuditCheckpoint)).all():
        c = _as_domain(row)
        known[(c.seq, c.head_hash, c.at.astimezone(UTC), c.key_id, c.signature)] = c
    wanted = sorted({c.seq for c in known.values() if c.seq > 0})
    hashes = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        hashes.update(dict(session.exec(select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.in_(part))).all()))  # type: ignore[attr-defined]
    checks = rules.check_all(list(known.values()), company_key.public_keys(session), last_seq, hashes.get)
    return Report(chain, checks, last_seq)
