"""Body limits and security headers around the whole ASGI app (selfservice/api/protect.py).

A streamed body is pulled chunk by chunk here, so each test can say how much of an oversized
body the server read before refusing it (the point: it never holds the whole thing)."""

from __future__ import annotations

import base64
import gzip
import hashlib
from datetime import UTC, datetime

import httpx
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from selfservice.api import protect
from tests.helpers import run_async

MB = 1024 * 1024
CHUNK = 64 * 1024


class Stream:
    """An async body of ``total`` bytes that counts what the server pulled."""

    def __init__(self, total: int) -> None:
        self.total, self.pulled = total, 0

    async def __aiter__(self):
        while self.pulled < self.total:
            self.pulled += CHUNK
            yield b"x" * CHUNK


def call(app, method: str, path: str, **kwargs) -> httpx.Response:
    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:3000") as client:
            return await client.request(method, path, **kwargs)

    return run_async(go())


async def _echo(request):
    body = await request.body()
    return JSONResponse({"size": len(body)})


PAGE = (
    b"<html><head><script>window.a=1</script><script src='/assets/x.js'></script><script type=module>import '/m.js'</script></head></html>"
)


async def _page(_request):
    return HTMLResponse(PAGE)


async def _gz_page(_request):
    return Response(gzip.compress(PAGE), media_type="text/html", headers={"content-encoding": "gzip"})


async def _pdf(_request):
    return Response(b"%PDF-1.7", media_type="application/pdf")


def wrapped():
    inner = Starlette(
        routes=[
            Route("/_upload", _echo, methods=["POST"]),
            Route("/sso/x", _echo, methods=["POST"]),
            Route("/page", _page),
            Route("/gz", _gz_page),
            Route("/files/p", _pdf),
        ]
    )
    return protect.protect(inner)


def test_a_declared_length_over_the_limit_is_refused_before_anything_is_read(db_url):
    body = Stream(100 * MB)
    answer = call(wrapped(), "POST", "/sso/x", content=body, headers={"content-length": str(100 * MB)})
    assert answer.status_code == 413 and body.pulled == 0


def test_a_streamed_body_is_cut_off_at_the_limit_not_read_whole(db_url):
    body = Stream(100 * MB)
    answer = call(wrapped(), "POST", "/sso/x", content=body)  # chunked: no length declared
    assert answer.status_code == 413
    assert body.pulled <= protect.DEFAULT_LIMIT + 2 * CHUNK


def test_uploads_are_bounded_by_the_largest_file_the_app_accepts(db_url):
    from selfservice.settings import get_settings

    limit = protect.body_limit("/_upload")
    assert limit == max(get_settings().attachment_max_bytes, get_settings().import_max_bytes) + protect.UPLOAD_OVERHEAD
    assert call(wrapped(), "POST", "/_upload", content=b"y" * (2 * MB)).json() == {"size": 2 * MB}
    body = Stream(200 * MB)
    assert call(wrapped(), "POST", "/_upload", content=body).status_code == 413
    assert body.pulled <= limit + 2 * CHUNK


def test_every_response_carries_the_security_headers_and_pages_a_csp_with_their_script_hashes(db_url):
    page = call(wrapped(), "GET", "/page")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in page.headers  # served over http
    csp = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";"))
    inline = hashlib.sha256(b"window.a=1").digest()
    module = hashlib.sha256(b"import '/m.js'").digest()
    assert f"'sha256-{base64.b64encode(inline).decode()}'" in csp["script-src"]
    assert f"'sha256-{base64.b64encode(module).decode()}'" in csp["script-src"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
    assert "ws://127.0.0.1:3000" in csp["connect-src"]
    assert page.content == PAGE
    # a page served gzip-compressed (Reflex's pre-compressed build) is hashed as it will run
    gz = call(wrapped(), "GET", "/gz")
    assert gz.headers["content-security-policy"] == page.headers["content-security-policy"] and gz.content == PAGE
    # a file may be framed by this origin (the policy PDF on the policy page), not by others
    pdf = call(wrapped(), "GET", "/files/p")
    assert pdf.headers["x-frame-options"] == "SAMEORIGIN" and pdf.headers["content-security-policy"] == "frame-ancestors 'self'"


def test_a_forged_host_cannot_write_into_the_policy(db_url):
    page = call(wrapped(), "GET", "/page", headers={"host": "evil; script-src *"})
    assert "evil" not in page.headers["content-security-policy"]


def test_hsts_when_the_public_address_is_https(db_url, monkeypatch):
    from selfservice.settings import get_settings

    monkeypatch.setenv("SELFSERVICE_PUBLIC_URL", "https://hr.example.com")
    get_settings.cache_clear()
    try:
        assert call(wrapped(), "GET", "/page").headers["strict-transport-security"].startswith("max-age=31536000")
    finally:
        get_settings.cache_clear()


def _sms_configured() -> None:
    from selfservice.domain.actor import SYSTEM
    from selfservice.persistence.db import session_scope
    from selfservice.services import channel_settings

    with session_scope() as session:
        channel_settings.save(
            session,
            SYSTEM,
            "sms",
            True,
            {"access_key_id": "k", "access_key_secret": "s", "sign_name": "自助", "template_code": "SMS_1", "report_secret": "s3cret-path"},
            datetime.now(UTC),
        )


def test_the_sms_webhook_checks_its_secret_path_before_reading_and_caps_what_it_reads(demo):
    from selfservice import api

    _sms_configured()
    app = protect.protect(api.build())
    # a wrong secret: 404 without reading the body at all
    body = Stream(100 * MB)
    assert call(app, "POST", "/hooks/sms/aliyun/wrong", content=body).status_code == 404
    assert body.pulled == 0
    # the right secret, 100 MB declared: refused on the length
    body = Stream(100 * MB)
    assert call(app, "POST", "/hooks/sms/aliyun/s3cret-path", content=body, headers={"content-length": str(100 * MB)}).status_code == 413
    assert body.pulled == 0
    # the right secret, 100 MB streamed: cut off at the route's cap
    body = Stream(100 * MB)
    assert call(app, "POST", "/hooks/sms/aliyun/s3cret-path", content=body).status_code == 413
    assert body.pulled <= protect.HOOK_LIMIT + 2 * CHUNK
    # and a real report still gets its answer
    assert call(app, "POST", "/hooks/sms/aliyun/s3cret-path", json=[]).json() == {"code": 0, "msg": "成功"}


def test_the_punch_api_caps_its_body_the_same_way(demo):
    from selfservice import api

    app = protect.protect(api.build())
    body = Stream(50 * MB)
    answer = call(app, "POST", "/api/punches", content=body, headers={"authorization": "Bearer nope"})
    assert answer.status_code in (401, 413) and body.pulled <= protect.PUNCH_LIMIT + 2 * CHUNK


def test_a_page_sent_as_a_file_path_is_hashed_too(db_url, tmp_path):
    """Granian lets Starlette send files by path (http.response.pathsend); a page sent that way
    must still get its policy, and its start must not be sent without it."""
    page = tmp_path / "index.html"
    page.write_bytes(PAGE)
    sent: list[dict] = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html; charset=utf-8")]})
        await send({"type": "http.response.pathsend", "path": str(page)})

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": "/", "headers": [(b"host", b"127.0.0.1:3000")], "extensions": {"http.response.pathsend": {}}}
    run_async(protect.protect(app)(scope, receive, send))
    start, body = sent
    assert start["type"] == "http.response.start" and body == {"type": "http.response.body", "body": PAGE}
    assert b"sha256-" in dict(start["headers"])[b"content-security-policy"]
