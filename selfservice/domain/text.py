"""People's free text, made safe to show: no invisible characters that change what a reader sees.

Right-to-left overrides and isolates (U+202A–U+202E, U+2066–U+2069), directional marks
(U+200E, U+200F, U+061C), zero-width characters (U+200B–U+200D, U+2060, U+FEFF) and other
control characters (except tab and line breaks) make a name or a reason read differently from
what is stored: "张三\u202egpj.exe" is shown as "张三exe.jpg". They are removed from every
free-text field: by the UI guard for every handler argument, and by the domain's text checks
for imports, the API and the command line.
"""

from __future__ import annotations

import re
from typing import Any

INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]")


def clean(text: str) -> str:
    """``text`` without bidi controls, zero-width and control characters (tab, CR, LF kept)."""
    return INVISIBLE.sub("", text)


def clean_all(value: Any) -> Any:
    """Every string inside ``value`` (dicts, lists, tuples) cleaned; other values as they are."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean_all(k): clean_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_all(v) for v in value]
    if isinstance(value, tuple):
        return tuple(clean_all(v) for v in value)
    return value
