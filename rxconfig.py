"""Reflex configuration. Application settings live in selfservice/settings.py (SELFSERVICE_*)."""

import os

import reflex as rx

from selfservice.settings import load_or_exit
from selfservice.ui.chunks import FewerChunks

settings = load_or_exit()  # a wrong SELFSERVICE_* value stops the start here, with the variable named

_origins = os.environ.get("SELFSERVICE_ALLOWED_ORIGINS", "http://localhost:3000,http://127.0.0.1:3000")

config = rx.Config(
    app_name="selfservice",
    app_module_import="selfservice.app",
    telemetry_enabled=False,
    cors_allowed_origins=[o.strip() for o in _origins.split(",") if o.strip()],
    # How many reverse proxies (nginx) stand in front: the client's address is then taken from
    # X-Forwarded-For that many hops from the right; 0 (no proxy): the socket's peer, never the header.
    trusted_proxy_hops=settings.trusted_proxy_hops,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium")), FewerChunks()],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
