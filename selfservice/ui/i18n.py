"""Client-side translation: ``T(key)`` renders in the language chosen in the browser."""

from __future__ import annotations

import reflex as rx

from selfservice.i18n.catalog import EN, ZH


def T(key: str) -> rx.Var:  # noqa: N802  (reads like a gettext call)
    """The message ``key`` in the current language (switches without a round trip)."""
    from selfservice.ui.session import SessionState

    return rx.cond(SessionState.lang == "en", EN[key], ZH[key])


def T_var(key: rx.Var) -> rx.Var:  # noqa: N802
    """Translate a key held in a var (e.g. a role or status code)."""
    from selfservice.ui.session import SessionState

    return rx.cond(SessionState.lang == "en", rx.Var.create(EN)[key], rx.Var.create(ZH)[key])


def T_fmt(key: str, **values: rx.Var) -> rx.Var:  # noqa: N802
    """The message ``key`` with ``{name}`` placeholders filled from vars, on the client."""
    text = T(key).to(str)
    for name, value in values.items():
        text = text.replace("{" + name + "}", value.to(str))
    return text
