"""HTTP endpoints providers call: Aliyun SMS delivery reports at a secret path."""

from __future__ import annotations

import asyncio
import hmac
import json
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from selfservice.api import protect
from selfservice.persistence.db import session_scope
from selfservice.services import channel_settings, delivery_reports

MAX_BODY = protect.HOOK_LIMIT


def _secret_ok(secret: str) -> bool:
    with session_scope() as session:
        _, config = channel_settings.config_for(session, "sms")
        expected = config.get("report_secret", "")
        return bool(expected) and hmac.compare_digest(expected.encode(), secret.encode())


def _apply(reports: list) -> int:
    with session_scope() as session:
        return delivery_reports.apply_aliyun(session, reports, datetime.now(UTC))


async def aliyun_sms_report(request: Request) -> Response:
    """The secret path is checked before a byte of the body is read; the body is read with a
    running cap (a declared or streamed 100 MB is refused at 256 KB, never held)."""
    if not await asyncio.to_thread(_secret_ok, request.path_params["secret"]):
        return Response(status_code=404)
    body = await protect.read_capped(request, MAX_BODY)
    if body is None:
        return JSONResponse({"code": 1, "msg": "too large"}, status_code=413)
    try:
        reports = json.loads(body)
    except ValueError:
        return JSONResponse({"code": 1, "msg": "bad json"}, status_code=400)
    if not isinstance(reports, list):
        return JSONResponse({"code": 1, "msg": "expected a JSON array"}, status_code=400)
    await asyncio.to_thread(_apply, reports)
    return JSONResponse({"code": 0, "msg": "成功"})


routes = [Route("/hooks/sms/aliyun/{secret}", aliyun_sms_report, methods=["POST"])]
