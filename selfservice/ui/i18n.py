"""Client-side translation: ``T(key)`` renders in the language chosen in the browser."""

from __future__ import annotations

import reflex as rx

from selfservice.i18n.catalog import EN, ZH


def T(key: str) -> rx.Var:  # noqa: N802  (reads like a gettext call)
    """The message ``key`` in the current language (switches without a round trip)."""
    from selfservice.ui.session import SessionState

    return rx.cond(SessionState.lang == "en", EN[key], ZH[key])


def T_var(prefix: str, value: rx.Var) -> rx.Var:  # noqa: N802
    """Translate a code held in a var (a role, a status) as the message ``prefix + code``.

    Only the messages under ``prefix`` go to the browser with the page: a whole catalogue per use
    made the home page's script 155 KB gzipped (bench/pageload.py)."""
    from selfservice.ui.session import SessionState

    en = {k[len(prefix) :]: v for k, v in EN.items() if k.startswith(prefix)}
    zh = {k[len(prefix) :]: v for k, v in ZH.items() if k.startswith(prefix)}
    if not en:
        raise KeyError(f"no message under {prefix!r}")
    return rx.cond(SessionState.lang == "en", rx.Var.create(en)[value], rx.Var.create(zh)[value])


def T_fmt(key: str, **values: rx.Var) -> rx.Var:  # noqa: N802
    """The message ``key`` with ``{name}`` placeholders filled from vars, on the client."""
    text = T(key).to(str)
    for name, value in values.items():
        text = text.replace("{" + name + "}", value.to(str))
    return text
