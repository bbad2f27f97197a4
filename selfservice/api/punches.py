"""``POST /api/punches`` for time clocks and integrations, and its OpenAPI description.

Each API source has its own bearer token (shown once, stored as a SHA-256, revocable). A batch
holds at most 1,000 punches; each is answered new, duplicate (the same ``external_id`` from the
same source was stored before, or twice in the batch) or refused with the reason. A malformed
or oversized batch is refused whole, and when the caller was authenticated the refusal is in the
audit log.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from selfservice.api import protect
from selfservice.domain.text import clean as clean_text
from selfservice.i18n import t
from selfservice.persistence.db import session_scope
from selfservice.persistence.models import PunchSource
from selfservice.services import punches

log = logging.getLogger("selfservice.api")
MAX_BODY = protect.PUNCH_LIMIT


class PunchIn(BaseModel):
    """One punch as a device reports it."""

    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(
        max_length=200, description="The device's own id of this punch; unique per source. Sending it again is harmless."
    )
    employee_no: str = Field(max_length=64, description="The employee number (工号).")
    time: str = Field(
        max_length=64,
        description="ISO 8601 date-time, preferably with its offset (2026-09-21T09:01:33+08:00); without one, the company's time zone.",
        examples=["2026-09-21T09:01:33+08:00"],
    )
    direction: str = Field(default="", max_length=16, description="in / out (上班 / 下班), or empty when the device does not say.")
    device: str = Field(default="", max_length=200, description="The device or place, kept with the punch.")

    @pydantic.field_validator("employee_no", "device")
    @classmethod
    def _visible(cls, value: str) -> str:
        return clean_text(value)  # no bidi controls or invisible characters in what people read


class PunchBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    punches: list[PunchIn] = Field(description=f"At most {punches.MAX_API_BATCH} punches.")


class ItemOut(BaseModel):
    external_id: str
    status: Literal["new", "duplicate", "refused"]
    code: str = Field(default="", description="Why it was refused (a stable code), e.g. punch.unknown_employee.")
    message: str = Field(default="", description="The reason in the language asked for (Accept-Language: zh-CN or en).")


class BatchOut(BaseModel):
    received: int
    new: int
    duplicate: int
    refused: int
    results: list[ItemOut]


class ErrorOut(BaseModel):
    code: str
    message: str
    details: list[dict] = Field(default_factory=list)


def _language(request: Request) -> str:
    return "zh-CN" if request.headers.get("accept-language", "").lower().startswith("zh") else "en"


def _error(request: Request, status: int, code: str, details: list | None = None, **params) -> JSONResponse:
    body = ErrorOut(code=code, message=t(_language(request), code, **params), details=details or [])
    headers = {"WWW-Authenticate": 'Bearer realm="punches"'} if status == 401 else None
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _authenticate(token: str) -> PunchSource | None:
    with session_scope() as session:
        return punches.authenticate(session, token)


def _refused(source: PunchSource, reason: str) -> None:
    with session_scope() as session:
        punches.audit_refusal(session, source, reason, datetime.now(UTC))


def _ingest(source_id: int, items: list[punches.ApiPunch]) -> list[punches.ItemResult]:
    with session_scope() as session:
        source = session.get(PunchSource, source_id)
        assert source is not None
        return punches.ingest_api(session, source, items, datetime.now(UTC))


async def post_punches(request: Request) -> Response:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    source = await asyncio.to_thread(_authenticate, token) if token else None
    if source is None:
        log.warning("punch API: refused a call without a valid token from %s", request.client.host if request.client else "?")
        return _error(request, 401, "api.unauthorized")
    body = await protect.read_capped(request, MAX_BODY)
    if body is None:
        await asyncio.to_thread(_refused, source, "body too large")
        return _error(request, 413, "api.too_large", max_mb=MAX_BODY // (1024 * 1024))
    try:
        raw = json.loads(body)
    except ValueError:
        await asyncio.to_thread(_refused, source, "malformed JSON")
        return _error(request, 400, "api.malformed_json")
    if isinstance(raw, dict) and isinstance(raw.get("punches"), list) and len(raw["punches"]) > punches.MAX_API_BATCH:
        await asyncio.to_thread(_refused, source, f"batch of {len(raw['punches'])}")
        return _error(request, 413, "punch.batch_too_large", max=punches.MAX_API_BATCH)
    try:
        batch = PunchBatch.model_validate(raw)
    except pydantic.ValidationError as error:
        details = [{"location": list(e["loc"]), "type": e["type"]} for e in error.errors()[:50]]
        await asyncio.to_thread(_refused, source, "invalid batch")
        return _error(request, 400, "api.invalid_batch", details=details)
    items = [punches.ApiPunch(p.external_id, p.employee_no, p.time, p.direction, p.device) for p in batch.punches]
    results = await asyncio.to_thread(_ingest, source.id, items)  # type: ignore[arg-type]
    language = _language(request)
    out = BatchOut(
        received=len(results),
        new=sum(r.status == "new" for r in results),
        duplicate=sum(r.status == "duplicate" for r in results),
        refused=sum(r.status == "refused" for r in results),
        results=[
            ItemOut(external_id=r.external_id, status=r.status, code=r.code, message=t(language, r.code, **r.params) if r.code else "")
            for r in results
        ],  # type: ignore[arg-type]
    )
    return JSONResponse(out.model_dump())


def openapi_document() -> dict:
    """The OpenAPI 3.1 description of the punch API (schemas generated from the models above)."""
    components: dict = {}
    for model in (PunchBatch, BatchOut, ErrorOut):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema

    def error(description: str) -> dict:
        return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "selfservice punch API",
            "version": "1",
            "description": "Clock-ins (打卡) from time clocks and integrations. Each source has its own bearer token, issued by HR "
            "on the attendance sources page. Punches are idempotent by (source, external_id).",
        },
        "paths": {
            "/api/punches": {
                "post": {
                    "operationId": "postPunches",
                    "summary": "Send a batch of punches",
                    "security": [{"bearer": []}],
                    "parameters": [
                        {
                            "name": "Accept-Language",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "enum": ["zh-CN", "en"]},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PunchBatch"}}},
                    },
                    "responses": {
                        "200": {
                            "description": "Each punch: new, duplicate or refused (with the reason).",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchOut"}}},
                        },
                        "400": error("Malformed JSON or a batch that does not match the schema (nothing stored)."),
                        "401": error("No token, a wrong one, or a revoked one."),
                        "413": error(f"More than {punches.MAX_API_BATCH} punches, or a body over {MAX_BODY // (1024 * 1024)} MB."),
                    },
                }
            }
        },
        "components": {"schemas": components, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


async def openapi_json(_request: Request) -> Response:
    return JSONResponse(openapi_document())


routes = [Route("/api/punches", post_punches, methods=["POST"]), Route("/api/openapi.json", openapi_json, methods=["GET"])]
