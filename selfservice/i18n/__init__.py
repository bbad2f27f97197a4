"""zh-CN and en catalogues and the translate function.

The catalogues are plain dictionaries keyed by message id: Reflex renders them on the client
(switching language needs no round trip), and the server formats domain errors with the same
keys. A test fails if a key is missing in either language or the placeholders differ.
"""

from __future__ import annotations

from typing import Any

from selfservice.i18n.catalog import EN, ZH

LANGUAGES = ("zh-CN", "en")
CATALOGUES = {"zh-CN": ZH, "en": EN}


def t(lang: str, key: str, **params: Any) -> str:
    """Translate ``key`` into ``lang`` (unknown languages fall back to zh-CN)."""
    catalogue = CATALOGUES.get(lang, ZH)
    template = catalogue.get(key) or ZH.get(key) or key
    try:
        return template.format(**params) if params else template
    except (KeyError, IndexError, ValueError):
        return template
