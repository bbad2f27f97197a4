"""Appending to and verifying the hash-chained audit log (操作日志)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain.actor import Actor
from selfservice.domain.audit import GENESIS_HASH, ChainEntry, VerifyResult, canonical_json, entry_hash, verify_chain
from selfservice.persistence.models import AuditEntry, utcnow

_PG_AUDIT_LOCK = 7_100_001  # advisory lock key serialising appends on PostgreSQL


def _head(session: Session) -> tuple[int, str]:
    """The next sequence number and the hash it links to (serialised on PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(sa.text(f"SELECT pg_advisory_xact_lock({_PG_AUDIT_LOCK})"))  # type: ignore[call-overload]
    last = session.exec(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()  # type: ignore[union-attr]
    return (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)


def _row(
    seq: int,
    prev_hash: str,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime | None,
) -> AuditEntry:
    chain = ChainEntry(
        seq=seq,
        at=at or utcnow(),
        actor_id=actor.account_id if actor else None,
        actor=actor.label if actor else "anonymous",
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before_json=None if before is None else canonical_json(before),
        after_json=None if after is None else canonical_json(after),
        prev_hash=prev_hash,
    )
    return AuditEntry(**{**chain.__dict__, "hash": entry_hash(chain)})


def append(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add the next entry of the chain inside the caller's transaction."""
    seq, prev_hash = _head(session)
    row = _row(seq, prev_hash, actor, action, entity, entity_id, before, after, at)
    session.add(row)
    session.flush()
    return row


def append_many(
    session: Session, actor: Actor | None, entries: list[tuple[str, str, Any, dict[str, Any] | None]], at: datetime | None = None
) -> None:
    """Append several (action, entity, entity_id, after) entries with one look-up of the chain
    head and one INSERT (a scan's hundreds of entries cost one statement, not hundreds)."""
    if not entries:
        return
    session.flush()  # whatever the entries describe is written first
    seq, prev_hash = _head(session)
    moment = at or utcnow()
    rows = []
    for action, entity, entity_id, after in entries:
        chain = ChainEntry(
            seq=seq,
            at=moment,
            actor_id=actor.account_id if actor else None,
            actor=actor.label if actor else "anonymous",
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before_json=None,
            after_json=None if after is None else canonical_json(after),
            prev_hash=prev_hash,
        )
        digest = entry_hash(chain)
        rows.append({**chain.__dict__, "hash": digest})
        seq, prev_hash = seq + 1, digest
    session.execute(sa.insert(AuditEntry.__table__), rows)  # type: ignore[attr-defined]


def _as_chain(row: AuditEntry) -> ChainEntry:
    return ChainEntry(
        seq=row.seq,
        at=row.at,
        actor_id=row.actor_id,
        actor=row.actor,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        before_json=row.before_json,
        after_json=row.after_json,
        prev_hash=row.prev_hash,
    )


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the whole chain in sequence order, streaming in batches."""

    def entries():
        last_seq = 0
        while True:
            rows = session.exec(
                select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)  # type: ignore[arg-type]
            ).all()
            if not rows:
                return
            for row in rows:
                yield _as_chain(row), row.hash
            last_seq = rows[-1].seq

    return verify_chain(entries())
