"""Serving files: leave attachments, policy PDFs and signature receipts, only through a
short-lived link signed for one account, and only while that account may still see the file
(re-checked on every download)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from selfservice.domain.errors import DomainError
from selfservice.persistence.db import session_scope
from selfservice.services import file_links, leave_requests, policies, signatures


def _open(attachment_id: int, account_id: int, expires: int, mac: str) -> tuple[bytes, str, str] | None:
    with session_scope() as session:
        try:
            return leave_requests.open_attachment(session, attachment_id, account_id, expires, mac, datetime.now(UTC))
        except (DomainError, OSError):
            return None


async def attachment(request: Request) -> Response:
    query = request.query_params
    try:
        attachment_id, account_id, expires = int(request.path_params["attachment_id"]), int(query["a"]), int(query["e"])
        mac = query["m"][:64]
    except (KeyError, ValueError):
        return PlainTextResponse("not found", status_code=404)
    found = await asyncio.to_thread(_open, attachment_id, account_id, expires, mac)
    if found is None:
        return PlainTextResponse("not found", status_code=404)
    data, content_type, name = found
    return Response(
        data,
        media_type=content_type,
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "private, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        },
    )


def _open_kind(kind: str, object_id: int, account_id: int, expires: int, mac: str) -> tuple[bytes, str, str] | None:
    with session_scope() as session:
        try:
            moment = datetime.now(UTC)
            viewer = file_links.account_of(session, kind, object_id, account_id, expires, mac, moment)
            if kind == "policy":
                return policies.version_file(session, viewer, object_id)
            data, name = signatures.receipt(session, viewer, object_id)
            return data, "application/pdf", name
        except DomainError:
            return None


def _served(kind: str, disposition: str):
    async def serve(request: Request) -> Response:
        query = request.query_params
        try:
            object_id, account_id, expires = int(request.path_params["object_id"]), int(query["a"]), int(query["e"])
            mac = query["m"][:64]
        except (KeyError, ValueError):
            return PlainTextResponse("not found", status_code=404)
        found = await asyncio.to_thread(_open_kind, kind, object_id, account_id, expires, mac)
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        data, content_type, name = found
        return Response(
            data,
            media_type=content_type,
            headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
                "Cache-Control": "private, max-age=300",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'",
            },
        )

    return serve


routes = [
    Route("/files/attachment/{attachment_id:int}", attachment),
    Route("/files/policy/{object_id:int}", _served("policy", "inline")),
    Route("/files/receipt/{object_id:int}", _served("receipt", "attachment")),
]
