"""What the evidence costs, each against a baseline measured in the same run:

- ``audit verify`` with signed checkpoints (the chain, then every checkpoint from the table and the
  file) against the chain walk alone, on a log of N entries with one checkpoint a day for a year;
- signing a notice PDF (PAdES through pyHanko) against rendering it;
- exporting a case's whole evidence bundle against opening the case's page (its timeline), for a
  case with the demo's history.

    python -m bench.evidence [--entries 100000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("SELFSERVICE_SECRET_KEY", "bench-secret")

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


def _timed(fn, rounds: int) -> float:  # noqa: ANN001
    started = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - started) / rounds


def verify_cost(url: str, entries: int) -> tuple[float, float, int]:
    import sqlalchemy as sa
    from sqlmodel import Session

    from selfservice.domain.audit import GENESIS_HASH, ChainEntry, canonical_json, entry_hash
    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import AuditEntry
    from selfservice.services import audit, checkpoints

    engine = engine_for(url)
    with Session(engine) as session:
        rows, prev = [], GENESIS_HASH
        for seq in range(1, entries + 1):
            chain = ChainEntry(seq, NOW, None, "bench", "bench.event", "employee", str(seq % 500), None, canonical_json({"n": seq}), prev)
            prev = entry_hash(chain)
            rows.append({**chain.__dict__, "hash": prev})
            if len(rows) == 5000:
                session.execute(sa.insert(AuditEntry.__table__), rows)  # type: ignore[attr-defined]
                rows = []
        if rows:
            session.execute(sa.insert(AuditEntry.__table__), rows)  # type: ignore[attr-defined]
        session.commit()
        days = 365
        for day in range(days):  # a checkpoint a day, each at the head as it was then
            last = entries * (day + 1) // days
            head = session.get(AuditEntry, last)
            from selfservice.domain import checkpoints as rules
            from selfservice.persistence.models import AuditCheckpoint
            from selfservice.services import company_key

            pair = company_key.pair(session, NOW)
            signed = rules.sign(pair.private_key, last, head.hash, NOW + timedelta(days=day))  # type: ignore[union-attr]
            session.add(
                AuditCheckpoint(
                    seq=last, head_hash=signed.head_hash, at=signed.at, key_id=signed.key_id, signature=signed.signature, reason="schedule"
                )
            )
        session.commit()
        chain_only = _timed(lambda: audit.verify(session), 3)
        with_checkpoints = _timed(lambda: checkpoints.verify(session), 3)
        assert checkpoints.verify(session).ok
    return with_checkpoints, chain_only, days


def pdf_cost() -> tuple[float, float]:
    from selfservice.documents import notices, signing

    pair = signing.generate("示例科技有限公司", NOW)
    text_zh = "您自 2026年11月10日 起未到岗上班，且未办理请假手续。" * 8
    text_en = "You have not reported for work since 2026-11-10. " * 8
    pdf = notices.render("return", "FG-2026-0001", "示例科技有限公司", text_zh, text_en, NOW)
    signing.sign_pdf(pdf, pair, "warm-up")
    render = _timed(lambda: notices.render("return", "FG-2026-0001", "示例科技有限公司", text_zh, text_en, NOW), 10)
    sign = _timed(lambda: signing.sign_pdf(pdf, pair, "bench"), 10)
    return sign, render


def export_cost(folder: str) -> tuple[float, float, int]:
    from sqlmodel import Session, select

    from selfservice.demo import load_demo
    from selfservice.persistence import migrate
    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import AbsenceCase, EvidenceExport, UserAccount
    from selfservice.services import case_timeline, evidence
    from selfservice.services.auth import actor_of
    from selfservice.settings import get_settings

    url = f"sqlite:///{folder}/demo.db"
    os.environ["SELFSERVICE_DB_URL"] = url
    os.environ["SELFSERVICE_DATA_DIR"] = folder
    get_settings.cache_clear()
    migrate.upgrade("head", url)
    with Session(engine_for(url), expire_on_commit=False) as session:
        load_demo(session)
        session.commit()
        hr = actor_of(session.exec(select(UserAccount).where(UserAccount.username == "hr01")).one())
        case = session.exec(select(AbsenceCase).where(AbsenceCase.stage == "notice_sent")).first()
        assert case is not None
        page = _timed(lambda: case_timeline.view(session, hr, case.id, datetime.now(UTC)), 10)  # type: ignore[arg-type]
        started = time.perf_counter()
        rounds = 3
        for _ in range(rounds):
            evidence.export(session, hr, case.id, datetime.now(UTC))  # type: ignore[arg-type]
            session.commit()
        export = (time.perf_counter() - started) / rounds
        size = session.exec(select(EvidenceExport.size).order_by(EvidenceExport.id.desc())).first() or 0
    return export, page, size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args(argv)
    from selfservice.persistence import migrate

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/audit.db"
        os.environ["SELFSERVICE_DATA_DIR"] = folder
        from selfservice.settings import get_settings

        get_settings.cache_clear()
        migrate.upgrade("head", url)
        with_checkpoints, chain_only, count = verify_cost(url, args.entries)
    sign, render = pdf_cost()
    with tempfile.TemporaryDirectory() as folder:
        export, page, size = export_cost(folder)
    print("evidence:")
    print(
        f"  audit verify, {args.entries} entries + {count} checkpoints  {with_checkpoints * 1000:8.1f} ms   "
        f"chain only (baseline) {chain_only * 1000:8.1f} ms   ratio {with_checkpoints / chain_only:5.2f}x"
    )
    print(f"  notice PDF: PAdES signing {sign * 1000:7.1f} ms   rendering (baseline) {render * 1000:7.1f} ms   ratio {sign / render:5.2f}x")
    print(
        f"  a demo case's bundle ({size // 1024} KB): export {export * 1000:7.1f} ms   "
        f"opening its page (baseline) {page * 1000:6.1f} ms   ratio {export / page:5.1f}x"
    )


if __name__ == "__main__":
    main()
