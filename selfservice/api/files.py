"""Serving files: leave attachments, policy PDFs, signature receipts, separation certificates,
separation documents and checklist photos, case notices and files, evidence bundles, only through a short-lived link signed for one
account, and only while that account may still see the file (re-checked on every download)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from selfservice.domain.errors import DomainError
from selfservice.persistence.db import session_scope
from selfservice.services import cases, evidence, file_links, leave_requests, policies, separations, signatures

Found = tuple[bytes, str, str]  # bytes, content type, file name


def _attachment(session: Session, object_id: int, account_id: int, expires: int, mac: str, now: datetime) -> Found:
    return leave_requests.open_attachment(session, object_id, account_id, expires, mac, now)


def _policy(session: Session, object_id: int, account_id: int, expires: int, mac: str, now: datetime) -> Found:
    return policies.version_file(session, file_links.account_of(session, "policy", object_id, account_id, expires, mac, now), object_id)


def _receipt(session: Session, object_id: int, account_id: int, expires: int, mac: str, now: datetime) -> Found:
    viewer = file_links.account_of(session, "receipt", object_id, account_id, expires, mac, now)
    data, name = signatures.receipt(session, viewer, object_id, now)
    return data, "application/pdf", name


def _certificate(session: Session, object_id: int, account_id: int, expires: int, mac: str, now: datetime) -> Found:
    return separations.certificate_file(
        session, file_links.account_of(session, "certificate", object_id, account_id, expires, mac, now), object_id
    )


def _separation_document(session: Session, object_id: int, account_id: int, expires: int, mac: str, now: datetime) -> Found:
    return separations.document_file(
        session, file_links.account_of(session, "separation_doc", object_id, account_id, expires, mac, now), object_id
    )


def _item_photo(session: Session, object_id: int, account_id: int, expires: int, mac: str, now: datetime) -> Found:
    return separations.photo_file(
        session, file_links.account_of(session, "item_photo", object_id, account_id, expires, mac, now), object_id
    )


def _case_notice(session: Session, object_id: int, account_id: int, expires: int, mac: str, now: datetime) -> Found:
    return cases.notice_file(session, file_links.account_of(session, "case_notice", object_id, account_id, expires, mac, now), object_id)


def _case_file(session: Session, object_id: int, account_id: int, expires: int, mac: str, now: datetime) -> Found:
    return cases.event_file(session, file_links.account_of(session, "case_file", object_id, account_id, expires, mac, now), object_id)


def _evidence(session: Session, object_id: int, account_id: int, expires: int, mac: str, now: datetime) -> Found:
    return evidence.bundle_file(session, file_links.account_of(session, "evidence", object_id, account_id, expires, mac, now), object_id)


def _open(opener: Callable[..., Found], object_id: int, account_id: int, expires: int, mac: str) -> Found | None:
    with session_scope() as session:
        try:
            return opener(session, object_id, account_id, expires, mac, datetime.now(UTC))
        except (DomainError, OSError):
            return None


def _served(opener: Callable[..., Found], disposition: str):
    async def serve(request: Request) -> Response:
        query = request.query_params
        try:
            object_id, account_id, expires = int(request.path_params["object_id"]), int(query["a"]), int(query["e"])
            mac = query["m"][:64]
        except (KeyError, ValueError):
            return PlainTextResponse("not found", status_code=404)
        found = await asyncio.to_thread(_open, opener, object_id, account_id, expires, mac)
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
    Route("/files/attachment/{object_id:int}", _served(_attachment, "inline")),
    Route("/files/policy/{object_id:int}", _served(_policy, "inline")),
    Route("/files/receipt/{object_id:int}", _served(_receipt, "attachment")),
    Route("/files/certificate/{object_id:int}", _served(_certificate, "attachment")),
    Route("/files/separation_doc/{object_id:int}", _served(_separation_document, "inline")),
    Route("/files/item_photo/{object_id:int}", _served(_item_photo, "inline")),
    Route("/files/case_notice/{object_id:int}", _served(_case_notice, "inline")),
    Route("/files/case_file/{object_id:int}", _served(_case_file, "inline")),
    Route("/files/evidence/{object_id:int}", _served(_evidence, "attachment")),
]
