"""HTTP endpoints providers call: Aliyun SMS delivery reports at a secret path."""

from __future__ import annotations

import asyncio
import hmac
import json
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from selfservice.persistence.db import session_scope
from selfservice.services import channel_settings, delivery_reports

MAX_BODY = 256 * 1024


def _apply(secret: str, reports: list) -> int | None:
    with session_scope() as session:
        _, config = channel_settings.config_for(session, "sms")
        expected = config.get("report_secret", "")
        if not expected or not hmac.compare_digest(expected.encode(), secret.encode()):
            return None
        return delivery_reports.apply_aliyun(session, reports, datetime.now(UTC))


async def aliyun_sms_report(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"code": 1, "msg": "too large"}, status_code=413)
    try:
        reports = json.loads(body)
    except ValueError:
        return JSONResponse({"code": 1, "msg": "bad json"}, status_code=400)
    if not isinstance(reports, list):
        return JSONResponse({"code": 1, "msg": "expected a JSON array"}, status_code=400)
    applied = await asyncio.to_thread(_apply, request.path_params["secret"], reports)
    if applied is None:
        return Response(status_code=404)
    return JSONResponse({"code": 0, "msg": "成功"})


routes = [Route("/hooks/sms/aliyun/{secret}", aliyun_sms_report, methods=["POST"])]
