"""Policies and signing: publishing a version to a large audience through the service (one
assignment, one message with its in-app delivery and one audit entry per person) against raw
INSERTs of the same rows; signing N times through the service (typed name, drawing check,
re-authentication, record hash, audit) against raw INSERTs of the same signature rows; and a
receipt PDF with the embedded CJK font against the same layout in a built-in Latin font.

    python -m bench.policies [--people 5000] [--signatures 200] [--receipts 20]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

os.environ.setdefault("SELFSERVICE_SECRET_KEY", "bench-secret")

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _company(folder: str, name: str, people: int) -> str:
    import sqlalchemy as sa
    from sqlmodel import Session

    from selfservice.demo import load_demo
    from selfservice.persistence import migrate
    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import Employee, UserAccount

    url = f"sqlite:///{folder}/{name}.db"
    migrate.upgrade("head", url)
    with Session(engine_for(url)) as session:
        load_demo(session, today=date(2026, 3, 1), workflows=False)
        rows = [
            {
                "employee_no": f"B{i:06d}",
                "name": f"员工{i}",
                "name_en": "",
                "department_id": 1 + i % 4,
                "position": "",
                "hire_date": date(2024, 1, 1),
                "status": "active",
                "phone": f"+86139{i:08d}",
                "email": "",
                "address": "",
                "emergency_contact_name": "",
                "emergency_contact_phone": "",
                "emergency_contact_relation": "",
                "wecom_userid": "",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(people)
        ]
        ids = session.execute(sa.insert(Employee.__table__).returning(Employee.__table__.c.id), rows).scalars().all()  # type: ignore[attr-defined]
        session.execute(
            sa.insert(UserAccount.__table__),  # type: ignore[attr-defined]
            [
                {
                    "employee_id": i,
                    "username": f"B{n:06d}",
                    "role": "employee",
                    "language": "zh-CN",
                    "recovery_code_hashes": "[]",
                    "active": True,
                    "totp_enabled": False,
                    "created_at": NOW,
                }
                for n, i in enumerate(ids)
            ],
        )
        session.commit()
    return url


def _use(url: str) -> None:
    from selfservice.settings import get_settings

    os.environ["SELFSERVICE_DB_URL"] = url
    get_settings.cache_clear()


def bench_publish(folder: str, people: int) -> tuple[float, float, int]:
    import sqlalchemy as sa
    from sqlmodel import Session, select

    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import (
        Employee,
        NotificationDelivery,
        NotificationMessage,
        Policy,
        PolicyAssignment,
        PolicyVersion,
        UserAccount,
    )
    from selfservice.services import policies
    from selfservice.services.auth import actor_of

    url = _company(folder, "publish", people)
    _use(url)
    with Session(engine_for(url)) as session:
        hr = actor_of(session.exec(select(UserAccount).where(UserAccount.username == "hr01")).one())
        policy_id = policies.save_draft(
            session, hr, None, {"title_zh": "员工手册", "body_markdown": "# 员工手册\n\n正文", "audience": "everyone"}, NOW
        )
        session.commit()
        start = time.perf_counter()
        policies.publish(session, hr, policy_id, NOW)
        session.commit()
        service = time.perf_counter() - start
        asked = session.exec(select(sa.func.count()).select_from(PolicyAssignment)).one()
        ids = session.exec(select(Employee.id).where(Employee.status == "active")).all()
    base_url = _company(folder, "publish_base", people)
    with Session(engine_for(base_url)) as session:
        session.add(Policy(id=1, title_zh="员工手册"))
        session.add(
            PolicyVersion(
                id=1,
                policy_id=1,
                number=1,
                title_zh="员工手册",
                body_kind="markdown",
                content=b"x",
                content_sha256="0" * 64,
                published_at=NOW,
            )
        )
        session.commit()
        start = time.perf_counter()
        session.execute(sa.insert(PolicyAssignment.__table__), [{"version_id": 1, "employee_id": i, "assigned_at": NOW} for i in ids])  # type: ignore[attr-defined]
        message_ids = (
            session.execute(
                sa.insert(NotificationMessage.__table__).returning(NotificationMessage.__table__.c.id),  # type: ignore[attr-defined]
                [
                    {
                        "recipient_id": i,
                        "kind": "policy",
                        "template": "policy.published",
                        "params_json": "{}",
                        "language": "zh-CN",
                        "title": "请阅读并确认",
                        "body": "正文",
                        "requires_ack": False,
                        "link_path": "/policies/read?v=1",
                        "created_at": NOW,
                    }
                    for i in ids
                ],
            )
            .scalars()
            .all()
        )
        session.execute(
            sa.insert(NotificationDelivery.__table__),  # type: ignore[attr-defined]
            [
                {
                    "message_id": m,
                    "channel": "inapp",
                    "address": "",
                    "status": "delivered",
                    "text_sent": "正文",
                    "text_sha256": "0" * 64,
                    "idempotency_key": f"k{m}",
                    "attempts": 0,
                    "next_attempt_at": NOW,
                    "created_at": NOW,
                }
                for m in message_ids
            ],
        )
        session.commit()
        baseline = time.perf_counter() - start
    return service, baseline, asked


def bench_signing(folder: str, count: int) -> tuple[float, float]:
    import hashlib

    import sqlalchemy as sa
    from sqlmodel import Session, select

    from selfservice.demo import demo_signature
    from selfservice.persistence.db import engine_for
    from selfservice.persistence.models import Employee, Policy, ReAuthentication, Signature, UserAccount
    from selfservice.services import policies, signatures
    from selfservice.services.auth import _new_session, actor_of, resolve

    url = _company(folder, "sign", count)
    _use(url)
    with Session(engine_for(url)) as session:
        hr = actor_of(session.exec(select(UserAccount).where(UserAccount.username == "hr01")).one())
        policy_id = policies.save_draft(session, hr, None, {"title_zh": "员工手册", "body_markdown": "正文", "audience": "everyone"}, NOW)
        policies.publish(session, hr, policy_id, NOW)
        version_id = session.get(Policy, policy_id).current_version_id
        people = session.exec(select(Employee).where(Employee.employee_no.like("B%")).limit(count)).all()  # type: ignore[attr-defined]
        accounts = {a.employee_id: a for a in session.exec(select(UserAccount)).all()}
        actors = []
        for employee in people:
            actor = resolve(session, _new_session(session, accounts[employee.id], "full", NOW, "bench"), NOW)
            session.add(ReAuthentication(account_id=actor.account_id, session_id=actor.session_id, method="password", at=NOW))
            actors.append((actor, employee.name))
        session.commit()
        drawing = demo_signature("bench")
        context = signatures.Context(ip="10.0.0.1", user_agent="bench")
        start = time.perf_counter()
        for actor, name in actors:
            policies.sign(session, actor, version_id, name, drawing, context, NOW + timedelta(seconds=30))
            session.commit()
        service = time.perf_counter() - start
        image = drawing.split(",", 1)[1].encode()
        start = time.perf_counter()
        for n, (actor, name) in enumerate(actors):
            session.execute(
                sa.insert(Signature.__table__),  # type: ignore[attr-defined]
                {
                    "subject": "bench",
                    "subject_id": n,
                    "employee_id": actor.employee_id,
                    "content_sha256": "0" * 64,
                    "statement": "本人已阅读",
                    "typed_name": name,
                    "image": image,
                    "image_sha256": hashlib.sha256(image).hexdigest(),
                    "method": "password",
                    "signed_at": NOW,
                    "session_id": actor.session_id,
                    "ip": "",
                    "user_agent": "",
                    "signer_name": name,
                    "employee_no": "",
                    "heading_zh": "",
                    "heading_en": "",
                    "document_zh": "",
                    "document_en": "",
                    "extra_json": "[]",
                    "record_sha256": "0" * 64,
                    "verify_token": f"t{n}",
                },
            )
            session.commit()
        baseline = time.perf_counter() - start
    return service, baseline


def bench_receipts(count: int) -> tuple[float, float]:
    import base64

    from fpdf import FPDF

    from selfservice.demo import demo_signature
    from selfservice.documents import receipts

    png = base64.b64decode(demo_signature("x").split(",", 1)[1])
    data = receipts.ReceiptData(
        "制度确认回执",
        "Policy acknowledgement receipt",
        "《员工手册》 版本 2",
        "Employee handbook version 2",
        "a" * 64,
        "本人已阅读并理解《员工手册》（版本 2，2026-03-02），愿意遵守。\nI have read and understood it and will comply.",
        "张伟",
        "E1004",
        "张伟",
        png,
        "b" * 64,
        "登录密码",
        "password",
        NOW,
        "Asia/Shanghai",
        "10.0.0.1",
        "bench",
        "c" * 64,
        "http://localhost:3000/verify?t=abc",
    )
    receipts.render(data)  # warm up imports
    start = time.perf_counter()
    for _ in range(count):
        receipts.render(data)
    service = (time.perf_counter() - start) / count
    start = time.perf_counter()
    for _ in range(count):
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", size=9)
        for _line in range(30):
            pdf.multi_cell(
                0,
                5,
                "I have read and understood the Employee handbook version 2 and will comply. " + "a" * 64,
                new_x="LMARGIN",
                new_y="NEXT",
            )
        pdf.output()
    baseline = (time.perf_counter() - start) / count
    return service, baseline


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--signatures", type=int, default=200)
    parser.add_argument("--receipts", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        service, baseline, asked = bench_publish(folder, args.people)
        print(
            f"publish to {asked} people: service {service * 1000:.0f} ms, raw INSERTs {baseline * 1000:.0f} ms, ratio {service / baseline:.2f}x"
        )
        service, baseline = bench_signing(folder, args.signatures)
        n = args.signatures
        print(
            f"{n} signatures, one transaction each: service {service / n * 1000:.1f} ms each, raw INSERT {baseline / n * 1000:.1f} ms each, ratio {service / baseline:.2f}x"
        )
    service, baseline = bench_receipts(args.receipts)
    print(
        f"receipt PDF with the CJK font: {service * 1000:.0f} ms each, Latin-only PDF of similar length {baseline * 1000:.0f} ms, ratio {service / baseline:.2f}x"
    )


if __name__ == "__main__":
    main()
