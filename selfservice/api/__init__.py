"""Every HTTP route beside the Reflex app, on the same port: health, the punch API and its
OpenAPI description, provider webhooks, signed file downloads, and single sign-on. Thin: each calls a service."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from selfservice.api import files, punches, sso, webhooks


async def health(_request) -> JSONResponse:  # noqa: ANN001
    return JSONResponse({"status": "ok"})


def build() -> Starlette:
    return Starlette(routes=[Route("/health", health), *punches.routes, *webhooks.routes, *files.routes, *sso.routes])
