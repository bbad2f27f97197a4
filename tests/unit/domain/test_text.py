"""Bidi controls and invisible characters never survive into stored text (issue 14, item 6)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from selfservice.domain.text import INVISIBLE, clean, clean_all

TRICKS = ["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


def test_the_classic_file_name_trick_reads_as_stored():
    assert clean("张三\u202egpj.exe") == "张三gpj.exe"
    assert clean("王\u200b五") == "王五"
    assert clean("第一行\n第二行\t缩进\r") == "第一行\n第二行\t缩进\r"  # line breaks and tabs are people's text


@given(st.text(alphabet=st.sampled_from([*TRICKS, *ZERO_WIDTH, "a", "张", "é", " ", "\n", "\x00", "\x1b", "\x85"])))
def test_nothing_invisible_or_directional_survives(raw):
    cleaned = clean(raw)
    assert not any(c in cleaned for c in TRICKS + ZERO_WIDTH)
    assert all(unicodedata.category(c) != "Cc" or c in "\t\n\r" for c in cleaned)
    assert clean(cleaned) == cleaned


@given(st.text(alphabet=st.characters(categories=("L", "N", "P", "Zs"))))
def test_ordinary_text_is_untouched(raw):
    assert clean(raw) == raw and not INVISIBLE.search(raw)


def test_every_string_in_a_payload_is_cleaned():
    payload = {"name\u202e": ["a\u200bb", ("c\u2066",)], "n": 3, "ok": None}
    assert clean_all(payload) == {"name": ["ab", ("c",)], "n": 3, "ok": None}
