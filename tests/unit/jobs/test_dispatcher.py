"""The dispatcher against local stand-ins of WeCom, Aliyun SMS and an SMTP server."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import select

from selfservice.channels.sms_aliyun import AliyunSmsChannel
from selfservice.channels.wecom import WeComChannel
from selfservice.domain.actor import SYSTEM
from selfservice.jobs.dispatcher import Dispatcher
from selfservice.persistence.db import session_scope
from selfservice.persistence.models import ChannelSetting, DeliveryAttempt, Employee, NotificationDelivery, NotificationMessage
from selfservice.services import notifications
from tests.helpers import actor_for, run_async
from tests.standins import AliyunSmsStandIn, WeComStandIn


@pytest.fixture
def fast_retries(monkeypatch):
    from selfservice.settings import get_settings

    monkeypatch.setenv("SELFSERVICE_RETRY_BASE_SECONDS", "0.001")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def queue(channel: str, count: int = 1, usernames: list[str] | None = None) -> list[int]:
    """Queue ``count`` messages over ``channel`` to demo employees, in one transaction."""
    with session_scope() as session:
        if session.get(ChannelSetting, channel) is None:
            session.add(ChannelSetting(channel=channel, enabled=True))
            session.flush()
        people = session.exec(select(Employee.id, Employee.employee_no).order_by(Employee.id)).all()
        if usernames:
            people = [p for p in people if p[1] in usernames]
        now = datetime.now(UTC)
        ids = []
        for i in range(count):
            employee_id = people[i % len(people)][0]
            ids.append(
                notifications.notify(session, SYSTEM, employee_id, "test", "system.test", {"channel": f"{channel}-{i}"}, (channel,), now)
            )
    return ids


def deliveries(channel: str) -> list[NotificationDelivery]:
    with session_scope() as session:
        return list(
            session.exec(
                select(NotificationDelivery).where(NotificationDelivery.channel == channel).order_by(NotificationDelivery.id)
            ).all()
        )


def wecom_client(standin: WeComStandIn, timeout: float = 10.0) -> WeComChannel:
    return WeComChannel(standin.corp_id, "1000002", standin.secret, standin.url, client=httpx.AsyncClient(timeout=timeout))


def drain(channels: dict, until_settled: bool = False, limit_seconds: float = 120) -> int:
    """Run the dispatcher until nothing is due (or, with ``until_settled``, nothing is queued)."""

    def queued() -> int:
        with session_scope() as session:
            return len(session.exec(select(NotificationDelivery.id).where(NotificationDelivery.status == "queued")).all())

    async def run():
        dispatcher = Dispatcher(channels=channels)
        total, deadline = 0, time.monotonic() + limit_seconds
        try:
            while True:
                total += await dispatcher.drain()
                if not until_settled or not await asyncio.to_thread(queued) or time.monotonic() > deadline:
                    return total
                await asyncio.sleep(0.05)
        finally:
            for channel in channels.values():
                await channel.aclose()

    return run_async(run())


def test_wecom_textcard_is_sent_with_token_and_recorded(demo):
    queue("wecom", 3)
    with WeComStandIn() as standin:
        assert drain({"wecom": wecom_client(standin)}) == 3
        assert standin.token_requests == 1, "access token cached between sends"
        assert sum(standin.delivered.values()) == 3
    rows = deliveries("wecom")
    assert {d.status for d in rows} == {"sent"} and all(d.provider_message_id for d in rows)
    with session_scope() as session:
        attempts = session.exec(select(DeliveryAttempt)).all()
        message_id = session.get(NotificationDelivery, attempts[0].delivery_id).message_id
        hr = actor_for(session, "hr01")
        shown = notifications.attempts(session, hr, message_id)
    assert len(attempts) == 3 and all('"errcode": 0' in a.response for a in attempts)
    assert len(shown) == 1 and shown[0].outcome == "sent" and '"msgid"' in shown[0].response


def test_expired_token_is_refreshed_and_the_send_repeated(demo):
    queue("wecom", 2)
    with WeComStandIn() as standin:
        channel = wecom_client(standin)
        run_async(channel._access_token())
        standin.expire_tokens()
        drain({"wecom": channel})
        assert standin.token_requests == 2 and sum(standin.delivered.values()) == 2
    assert {d.status for d in deliveries("wecom")} == {"sent"}


def test_busy_and_rate_limit_are_retried_invalid_user_fails_and_alerts_hr(demo, fast_retries):
    queue("wecom", 1, ["E1004"])
    queue("wecom", 1, ["E1005"])
    with WeComStandIn() as standin:
        standin.invalid_users.add("E1005")
        standin.scripted_for["E1004"] = [{"errcode": -1, "errmsg": "system busy"}]
        drain({"wecom": wecom_client(standin)}, until_settled=True)
    by_address = {d.address: d for d in deliveries("wecom")}
    assert by_address["E1004"].status == "sent" and by_address["E1004"].attempts == 2
    assert by_address["E1005"].status == "failed" and "invalid user" in by_address["E1005"].last_error
    with session_scope() as session:
        alerts = session.exec(select(NotificationMessage).where(NotificationMessage.kind == "delivery_failed")).all()
    assert len(alerts) == 3, "both HR users and the admin are told in-app"


def test_rate_limit_backs_off_at_least_a_minute(demo):
    queue("wecom", 1)
    with WeComStandIn() as standin:
        standin.scripted = [{"errcode": 45009, "errmsg": "api freq out of limit"}]
        drain({"wecom": wecom_client(standin)})
    delivery = deliveries("wecom")[0]
    assert delivery.status == "queued" and (delivery.next_attempt_at - datetime.now(UTC)).total_seconds() > 50


def test_thousand_deliveries_with_faults_arrive_exactly_once(demo, fast_retries):
    queue("wecom", 1000)
    with WeComStandIn(fault_rate=0.2, timeout_seconds=0.6) as standin:
        drain({"wecom": wecom_client(standin, timeout=0.3)}, until_settled=True)
        counts = list(standin.delivered.values())
        print(f"WeCom stand-in: {standin.send_requests} requests for 1000 deliveries, {len(counts)} distinct messages received")
    assert len(counts) == 1000 and set(counts) == {1}
    rows = deliveries("wecom")
    stuck = [(d.attempts, d.next_attempt_at, d.claimed_until, d.last_error) for d in rows if d.status != "sent"]
    assert not stuck, stuck[:5]
    assert sum(d.attempts for d in rows) > 1000


def test_sms_is_signed_and_delivery_reports_apply_once(demo):
    from selfservice.services import delivery_reports

    queue("sms", 2)
    with AliyunSmsStandIn() as standin:
        drain({"sms": AliyunSmsChannel(standin.access_key_id, standin.access_key_secret, "自助", "SMS_0001", standin.url)})
        sent = list(standin.sent)
    assert len(sent) == 2 and sent[0]["PhoneNumbers"].startswith("138")
    rows = deliveries("sms")
    assert {d.status for d in rows} == {"sent"} and {d.idempotency_key for d in rows} == {s["OutId"] for s in sent}
    report = AliyunSmsStandIn().report_for(sent[0])
    forged = {**report, "out_id": "0" * 32}
    unknown = {**report, "biz_id": "999^none"}
    with session_scope() as session:
        assert delivery_reports.apply_aliyun(session, [forged, unknown], datetime.now(UTC)) == 0
    with session_scope() as session:
        assert delivery_reports.apply_aliyun(session, [report, report], datetime.now(UTC)) == 1
    with session_scope() as session:
        assert delivery_reports.apply_aliyun(session, [report], datetime.now(UTC)) == 0
    statuses = {d.idempotency_key: d.status for d in deliveries("sms")}
    assert statuses[sent[0]["OutId"]] == "delivered" and statuses[sent[1]["OutId"]] == "sent"


def test_bad_sms_signature_is_a_permanent_failure(demo):
    queue("sms", 1)
    with AliyunSmsStandIn() as standin:
        drain({"sms": AliyunSmsChannel(standin.access_key_id, "wrong-secret", "自助", "SMS_0001", standin.url)})
    assert deliveries("sms")[0].status == "failed"


def test_email_reaches_the_smtp_sink_with_link(demo):
    from aiosmtpd.controller import Controller

    from selfservice.channels.email_smtp import SmtpChannel
    from tests.pg import free_port

    received = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            received.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with session_scope() as session:
            employee = session.exec(select(Employee).where(Employee.employee_no == "E1004")).one()
            employee_email = employee.email
        queue("email", 1, ["E1004"])
        drain({"email": SmtpChannel("127.0.0.1", port, "hr@example.com")})
    finally:
        controller.stop()
    assert len(received) == 1 and received[0].rcpt_tos == [employee_email]
    import email
    from email import policy

    parsed = email.message_from_bytes(received[0].content, policy=policy.default)
    assert "/m?t=" in parsed.get_body(("plain",)).get_content() and "/m?t=" in parsed.get_body(("html",)).get_content()
    assert parsed["Message-ID"].endswith("@selfservice>") and parsed["Subject"] == "测试消息"
    assert deliveries("email")[0].status == "sent"


def test_missing_sms_report_is_reconciled_with_query_send_details(demo, monkeypatch):
    from datetime import timedelta

    queue("sms", 1)
    with AliyunSmsStandIn() as standin:
        drain({"sms": AliyunSmsChannel(standin.access_key_id, standin.access_key_secret, "自助", "SMS_0001", standin.url)})
        assert deliveries("sms")[0].status == "sent"
        channel = AliyunSmsChannel(standin.access_key_id, standin.access_key_secret, "自助", "SMS_0001", standin.url)
        later = datetime.now(UTC) + timedelta(minutes=15)
        monkeypatch.setattr("selfservice.jobs.dispatcher.datetime", type("FrozenLater", (), {"now": staticmethod(lambda tz=None: later)}))

        async def run():
            dispatcher = Dispatcher(channels={"sms": channel})
            return await dispatcher.reconcile_sms()

        assert run_async(run()) == 1
    delivery = deliveries("sms")[0]
    assert delivery.status == "delivered" and delivery.delivered_at is not None


def test_report_webhook_needs_the_secret_path_and_matching_ids(demo):
    from starlette.applications import Starlette

    from selfservice.api import webhooks
    from selfservice.services import channel_settings

    queue("sms", 1)
    with session_scope() as session:
        channel_settings.save(
            session,
            SYSTEM,
            "sms",
            True,
            {
                "access_key_id": "LTAI-test",
                "access_key_secret": "sms-secret",
                "sign_name": "自助",
                "template_code": "SMS_1",
                "report_secret": "s3cret-path",
            },
            datetime.now(UTC),
        )
    with AliyunSmsStandIn() as standin:
        drain({"sms": AliyunSmsChannel(standin.access_key_id, standin.access_key_secret, "自助", "SMS_0001", standin.url)})
        report = standin.report_for(standin.sent[0])
    app = Starlette(routes=webhooks.routes)

    def post(path: str, **kwargs) -> httpx.Response:
        async def go():
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
                return await client.post(path, **kwargs)

        return run_async(go())

    assert post("/hooks/sms/aliyun/wrong", json=[report]).status_code == 404
    assert post("/hooks/sms/aliyun/s3cret-path", content=b"not json").status_code == 400
    assert post("/hooks/sms/aliyun/s3cret-path", json=[{**report, "out_id": "forged"}]).json() == {"code": 0, "msg": "成功"}
    assert deliveries("sms")[0].status == "sent"
    assert post("/hooks/sms/aliyun/s3cret-path", json=[report]).json()["code"] == 0
    assert deliveries("sms")[0].status == "delivered"


def test_sms_sent_by_a_worker_that_died_before_recording_is_not_sent_again(demo, monkeypatch):
    """Aliyun does not deduplicate; the dispatcher asks QuerySendDetails before re-sending."""
    from selfservice.services import outbox
    from selfservice.settings import get_settings

    queue("sms", 1, ["E1004"])
    queue("sms", 1, ["E1005"])
    monkeypatch.setenv("SELFSERVICE_DISPATCH_LEASE_SECONDS", "0")
    get_settings.cache_clear()
    with AliyunSmsStandIn() as standin:
        with session_scope() as session:
            claimed = outbox.claim_due(session, "dead-worker", datetime.now(UTC))
        assert len(claimed) == 2 and not any(o.resumed for o in claimed)
        first = next(o for o in claimed if o.address == "+8613800033757")
        dying = AliyunSmsChannel(standin.access_key_id, standin.access_key_secret, "自助", "SMS_0001", standin.url)
        run_async(dying.send(first))  # the dead worker got this one out, then died before recording
        assert len(standin.sent) == 1
        time.sleep(0.01)
        drain({"sms": AliyunSmsChannel(standin.access_key_id, standin.access_key_secret, "自助", "SMS_0001", standin.url)})
        out_ids = [s["OutId"] for s in standin.sent]
    get_settings.cache_clear()
    assert len(out_ids) == 2 and len(set(out_ids)) == 2, "each SMS went out exactly once"
    assert {d.status for d in deliveries("sms")} == {"sent"}
