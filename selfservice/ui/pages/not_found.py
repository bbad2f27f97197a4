"""The page for an address that does not exist (404), in the reader's language, with a way home."""

from __future__ import annotations

import reflex as rx

from selfservice.ui import routes
from selfservice.ui.components.shell import card, page
from selfservice.ui.i18n import T


def not_found_page() -> rx.Component:
    return page(
        card(
            rx.text(T("not_found.text"), size="3", id="not-found-text"),
            rx.link(rx.button(rx.icon("house", size=16), T("not_found.home"), size="3"), href=routes.HOME, id="not-found-home"),
        ),
        signed_in=False,
        title_key="not_found.title",
    )
