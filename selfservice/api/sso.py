"""Single sign-on routes: leave for the provider, come back, hand the browser a one-time code.

    GET /sso/oidc/{id}/start?next=/path     → the provider's authorization endpoint
    GET /sso/oidc/{id}/callback?code&state  → /sso/finish?c=<one-time code> (or /login?sso_error=…)
    GET /sso/wecom/start?next=/path         → WeCom's web OAuth (inside the WeCom app)
    GET /sso/wecom/qr?next=/path            → WeCom's QR login (desktop)
    GET /sso/wecom/callback, /sso/wecom/qr/callback

Thin: the flows and their checks are in :mod:`selfservice.services.sso`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from selfservice.persistence.db import session_scope
from selfservice.services import sso

FINISH = "/sso/finish"
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _base(request: Request) -> str:
    """This app's origin as the browser reached it (the proxy must pass Host and the scheme)."""
    proto = request.headers.get("x-forwarded-proto", request.url.scheme)
    return f"{proto}://{request.headers.get('host', request.url.netloc)}"


def _go(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def _refused(key: str) -> Response:
    return _go(f"/login?sso_error={quote(key)}")


def _db(fn, *args):  # noqa: ANN001, ANN202
    def work():  # noqa: ANN202
        with session_scope() as session:
            return fn(session, *args)

    return asyncio.to_thread(work)


def _audit_refusal(provider: str, key: str, subject: str = "") -> asyncio.Future:
    return _db(sso.refuse, provider, key, subject, datetime.now(UTC))


async def oidc_start(request: Request) -> Response:
    provider_id = request.path_params["provider_id"]
    try:
        provider = await _db(sso.oidc_provider, provider_id)
        started = await sso.oidc_authorize_url(provider, f"{_base(request)}/sso/oidc/{provider_id}/callback")
        await _db(sso.remember_attempt, f"oidc:{provider_id}", started, request.query_params.get("next", ""), datetime.now(UTC))
    except sso.Refused as refusal:
        await _audit_refusal(f"oidc:{provider_id}", refusal.key)
        return _refused(refusal.key)
    return _go(started["url"])


async def oidc_callback(request: Request) -> Response:
    provider_id = request.path_params["provider_id"]
    name = f"oidc:{provider_id}"
    query = request.query_params
    try:
        if query.get("error"):
            raise sso.Refused("sso.provider_error")
        now = datetime.now(UTC)
        callback = await _db(sso.begin_callback, name, query.get("state", ""), now)
        provider = await _db(sso.oidc_provider, provider_id)
        claims = await sso.oidc_claims(provider, query.get("code", ""), callback, f"{_base(request)}/sso/oidc/{provider_id}/callback")
        code = await _db(sso.finish, name, "", claims, callback, datetime.now(UTC))
    except sso.Refused as refusal:
        await _audit_refusal(name, refusal.key, refusal.params.get("subject", ""))
        return _refused(refusal.key)
    return _go(f"{FINISH}?c={code}")


def _wecom_start(qr: bool):  # noqa: ANN202
    async def start(request: Request) -> Response:
        callback = f"{_base(request)}/sso/wecom/{'qr/' if qr else ''}callback"
        try:
            url = await _db(sso.wecom_authorize_url, qr, callback, request.query_params.get("next", ""), datetime.now(UTC))
        except sso.Refused as refusal:
            return _refused(refusal.key)
        return _go(url)

    return start


def _wecom_callback(qr: bool):  # noqa: ANN202
    name = sso.WECOM_QR if qr else sso.WECOM

    async def callback(request: Request) -> Response:
        query = request.query_params
        userid = ""
        try:
            now = datetime.now(UTC)
            started = await _db(sso.begin_callback, name, query.get("state", ""), now)
            code = query.get("code", "")
            if not code:
                raise sso.Refused("sso.code_invalid")
            config = await _db(sso.wecom_config)
            userid = await sso.wecom_userid(lambda: config, code)
            handoff = await _db(sso.finish, name, userid, {}, started, datetime.now(UTC))
        except sso.Refused as refusal:
            await _audit_refusal(name, refusal.key, refusal.params.get("subject", userid))
            return _refused(refusal.key)
        return _go(f"{FINISH}?c={handoff}")

    return callback


routes = [
    Route("/sso/oidc/{provider_id:int}/start", oidc_start),
    Route("/sso/oidc/{provider_id:int}/callback", oidc_callback),
    Route("/sso/wecom/start", _wecom_start(False)),
    Route("/sso/wecom/qr", _wecom_start(True)),
    Route("/sso/wecom/callback", _wecom_callback(False)),
    Route("/sso/wecom/qr/callback", _wecom_callback(True)),
]
