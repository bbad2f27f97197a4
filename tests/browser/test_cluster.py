"""The scale-out topology (selfservice/cluster.py) on this machine: nginx in front of two app
processes on PostgreSQL, Redis as Reflex's state manager, files in S3-compatible storage (moto's
server), two schedulers of which one leads. A phone goes through nginx; an app process is
killed mid-session and the user carries on through the other; the leading scheduler is killed
and the other takes over."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

import boto3
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from selfservice.cluster import Cluster, Ports
from tests.browser.conftest import ARTIFACTS, assert_accessible, shot
from tests.browser.flows import sign_in


@pytest.fixture(scope="module")
def cluster(monkeypatch_module):
    monkeypatch_module.setenv("SELFSERVICE_LEADER_RETRY_SECONDS", "1")  # the schedulers inherit it: a quick take-over
    # not under pytest's tmp folder: that is private to root, and PostgreSQL runs as its own user
    root = Path(tempfile.mkdtemp(prefix="selfservice-cluster-"))
    running = Cluster(root, Ports.free())
    try:
        running.up()
        yield running
    finally:
        running.down()
        shutil.copytree(root / "logs", ARTIFACTS / "cluster-logs", dirs_exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _sql(cluster: Cluster, statement: str) -> list[tuple]:
    engine = sa.create_engine(cluster.db_url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(sa.text(statement)).all()]
    finally:
        engine.dispose()


def _log(cluster: Cluster, name: str) -> str:
    return (cluster.root / "logs" / f"{name}.log").read_text(errors="replace")


def test_a_phone_works_through_nginx_on_postgresql_with_files_in_object_storage(phone, cluster):
    sign_in(phone, cluster.url, "E1004")
    expect(phone.locator("#home-name")).to_have_text("张伟")
    expect(phone.locator("#clock-button")).to_be_visible()
    phone.locator("#clock-button").click()
    expect(phone.locator("#clock-done")).to_contain_text("已打卡")
    punches = _sql(cluster, "SELECT count(*) FROM punch p JOIN employee e ON e.id = p.employee_id WHERE e.employee_no = 'E1004'")
    assert punches[0][0] >= 1
    assert_accessible(phone, "home through nginx")
    shot(phone, "phone-home-cluster")
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{cluster.ports.s3}",
        aws_access_key_id="selfservice-local",
        aws_secret_access_key="selfservice-local",
        region_name="us-east-1",
    )
    stored = [o["Key"] for o in s3.list_objects_v2(Bucket="selfservice", Prefix="files/").get("Contents", [])]
    referenced = {r[0] for r in _sql(cluster, "SELECT sha256 FROM leave_attachment UNION SELECT sha256 FROM evidence_export")}
    assert referenced and referenced <= {k.rsplit("/", 1)[-1] for k in stored}, "the demo's files are objects, not local files"
    assert not (cluster.root / "data" / "attachments").exists()


def test_an_app_process_dies_and_the_user_carries_on_through_the_other(phone, cluster):
    """Reflex keeps the tab's state in Redis: whichever process the socket reconnects to has it."""
    sign_in(phone, cluster.url, "E1005")
    expect(phone.locator("#home-name")).to_be_visible()
    name = phone.locator("#home-name").inner_text()
    for victim in (0, 1):  # one of the two held this tab's socket
        cluster.kill(f"app{victim + 1}")
        _open_until_it_answers(phone, f"{cluster.url}/leave", "#page-title")  # as a person would reload an error page
        phone.goto(f"{cluster.url}/")
        expect(phone.locator("#home-name")).to_have_text(name, timeout=30000)  # still signed in, same person
        cluster.start_app(victim)
    assert "Traceback" not in _log(cluster, "app1") + _log(cluster, "app2")


def _open_until_it_answers(page, url: str, selector: str, seconds: float = 30) -> None:  # noqa: ANN001
    deadline = time.time() + seconds
    while True:
        page.goto(url)
        try:
            expect(page.locator(selector)).to_be_visible(timeout=5000)
            return
        except AssertionError:
            if time.time() > deadline:
                raise


def _leader(cluster: Cluster) -> str:
    for name in ("scheduler1", "scheduler2"):
        if name in cluster.processes and re.search(r"this process \(\d+\) leads", _log(cluster, name)):
            return name
    return ""


def test_two_schedulers_one_leads_and_the_other_takes_over(cluster):
    deadline = time.time() + 30
    while not _leader(cluster) and time.time() < deadline:
        time.sleep(0.5)
    first = _leader(cluster)
    assert first, "no scheduler took the lead"
    other = "scheduler2" if first == "scheduler1" else "scheduler1"
    assert "leads" not in _log(cluster, other), "both schedulers lead"
    cluster.kill(first)  # as a crash: PostgreSQL releases its advisory lock with the connection
    deadline = time.time() + 30
    while "leads" not in _log(cluster, other) and time.time() < deadline:
        time.sleep(0.5)
    assert "leads" in _log(cluster, other), "the other scheduler did not take over"
