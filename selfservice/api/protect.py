"""ASGI middleware around the whole app (Reflex's pages and events, uploads, and every route of
this package): a body limit per route and the security headers.

Body limits: a request whose ``Content-Length`` is over its route's limit is answered 413
before a byte is read; one without a length (chunked) is counted as it is read and cut off at
the limit. Reflex's ``/_upload`` reads the whole body before any handler can look at it, so this
is the only place its size can be bounded.

Headers on every response: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``
(signed links carry their token in the URL), HSTS when the public URL is https. HTML pages get a
Content-Security-Policy as strict as Reflex allows: scripts only from this origin plus the
page's own inline scripts by hash (no ``'unsafe-inline'``); ``'unsafe-eval'`` stays because
Reflex runs ``rx.call_script`` sent by the server with ``eval``; styles need ``'unsafe-inline'``
(Radix and emotion write style attributes and tags at run time); no framing by anyone. Files
(PDFs shown on the policy page) may be framed by this origin only.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from starlette.requests import ClientDisconnect

from selfservice.settings import get_settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KIB = 1024
DEFAULT_LIMIT = 64 * KIB  # sign-in callbacks, file links, health: nothing legitimate is bigger
EVENT_LIMIT = 1024 * KIB  # Socket.IO's HTTP fallback (the app itself speaks WebSocket)
HOOK_LIMIT = 256 * KIB  # provider reports
PUNCH_LIMIT = 2048 * KIB  # 1,000 punches
UPLOAD_OVERHEAD = 64 * KIB  # multipart boundaries and part headers around one file

INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def body_limit(path: str) -> int:
    """The most bytes a request to ``path`` may send."""
    if path.startswith("/_upload"):
        settings = get_settings()
        return max(settings.attachment_max_bytes, settings.import_max_bytes) + UPLOAD_OVERHEAD
    if path.startswith("/api/punches"):
        return PUNCH_LIMIT
    if path.startswith("/hooks/"):
        return HOOK_LIMIT
    if path.startswith("/_event"):
        return EVENT_LIMIT
    return DEFAULT_LIMIT


@lru_cache(maxsize=256)
def script_hashes(html: bytes) -> tuple[str, ...]:
    """CSP source expressions for each inline script of a page (the same page is served often)."""
    found = []
    for match in INLINE_SCRIPT.finditer(html):
        digest = base64.b64encode(hashlib.sha256(match.group(1)).digest()).decode()
        source = f"'sha256-{digest}'"
        if source not in found:
            found.append(source)
    return tuple(found)


HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def page_policy(html: bytes, host: str) -> str:
    sockets = f" ws://{host} wss://{host}" if HOST.match(host) else ""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self' 'unsafe-eval' " + " ".join(script_hashes(html)),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'" + sockets,
            "frame-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


async def _answer_413(send: Send, limit: int) -> None:
    body = f'{{"code":"too_large","message":"request body over {limit} bytes"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def read_capped(request: Any, limit: int) -> bytes | None:
    """A route's body, or None as soon as it (or its declared length) passes ``limit``: an
    oversized body is never held whole in memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except ClientDisconnect:  # cut off by Protect at the route's limit, or the client went away
        return None
    return b"".join(chunks)


class Protect:
    """Wraps the ASGI app (see the module's description)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.hsts = get_settings().public_url.startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope.get("path", ""))
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            await _answer_413(send, limit)
            return
        received = 0
        refused = False  # answered 413 mid-body: the app is told the client left, its answer dropped

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _answer_413(send, limit)
                    return {"type": "http.disconnect"}
            return message

        started = False
        held: Message | None = None  # an HTML page's start, sent once its body (and so its hashes) is known
        chunks: list[bytes] = []

        async def guarded(message: Message) -> None:
            nonlocal started, held
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in (b"x-frame-options", b"referrer-policy")]
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
                if self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                if content_type.startswith(b"text/html"):
                    headers.append((b"x-frame-options", b"DENY"))
                    held = {**message, "headers": headers}
                    return
                headers += [(b"x-frame-options", b"SAMEORIGIN"), (b"content-security-policy", b"frame-ancestors 'self'")]
                await send({**message, "headers": headers})
                return
            if held is not None and message["type"] == "http.response.pathsend":
                # Granian's zero-copy file send: the page is read here instead (a few KB) to hash it.
                message = {"type": "http.response.body", "body": await asyncio.to_thread(Path(message["path"]).read_bytes)}
            if held is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                encoded = dict((k.lower(), v) for k, v in held["headers"]).get(b"content-encoding", b"")
                try:
                    html = gzip.decompress(body) if encoded == b"gzip" else body
                except OSError:
                    html = b""
                policy = page_policy(html, _header(scope, b"host"))
                await send({**held, "headers": [*held["headers"], (b"content-security-policy", policy.encode())]})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not refused:  # the app's error on the "disconnect" of a cut-off body is expected
                raise


def protect(app: ASGIApp) -> ASGIApp:
    """The transform given to ``rx.App(api_transformer=…)`` after the routes of this package."""
    return Protect(app)
