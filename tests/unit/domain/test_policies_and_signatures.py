"""Policy bodies, statements, diffs and signature checks (hypothesis where inputs vary)."""

from __future__ import annotations

import base64
import io
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from selfservice.domain import policies, signatures
from selfservice.domain.errors import ValidationFailed

PIECES = [
    *"<>/\"'=:()[]!#*_ &;\n\t%ax",
    "](",
    "<script>",
    "</script>",
    "javascript:",
    "JaVaScRiPt:",
    "onerror=",
    "<img src=x ",
    "<svg",
    "href=",
    "http://e.com",
    "&#106;",
]


@settings(max_examples=400)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_whatever_passes_the_check_renders_without_script_or_unsafe_links(text):
    try:
        policies.check_markdown(text)
    except ValidationFailed:
        return
    tags = _tags(policies.render_markdown(text))  # the real tags and attributes, not text that looks like one
    assert not {name for name, _ in tags} & {"script", "img", "svg", "iframe", "object"}
    for _, attributes in tags:
        assert not any(key.startswith("on") for key, _ in attributes)  # no event handler on any tag
        links = [(value or "").strip().lower() for key, value in attributes if key in ("href", "src")]
        assert not any(link.startswith(("javascript:", "data:", "vbscript:")) for link in links)


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    from html.parser import HTMLParser

    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):  # noqa: ANN001
            found.append((tag, attrs))

    Collect().feed(html)
    return found


@given(st.lists(st.text(alphabet="abc 中文", max_size=6), max_size=10), st.lists(st.text(alphabet="abc 中文", max_size=6), max_size=10))
def test_the_diff_shows_each_side_whole_and_in_order(old, new):
    old_text, new_text = "\n".join(old), "\n".join(new)
    rows = policies.side_by_side(old_text, new_text)
    left = [r.left for r in rows if r.change in ("same", "removed") or (r.change == "changed" and r.left != "")]
    right = [r.right for r in rows if r.change in ("same", "added") or (r.change == "changed" and r.right != "")]
    assert [x for x in left if x] == [x for x in old_text.splitlines() if x]
    assert [x for x in right if x] == [x for x in new_text.splitlines() if x]
    assert all(r.left == r.right for r in rows if r.change == "same")


def test_the_statement_names_title_version_and_date_in_both_languages():
    text = policies.statement("员工手册", "Employee handbook", 2, date(2026, 12, 1))
    assert text.splitlines() == [
        "本人已阅读并理解《员工手册》（版本 2，2026-12-01），愿意遵守。",
        "I have read and understood “Employee handbook” (version 2, 2026-12-01) and will comply.",
    ]


def test_a_new_hire_gets_a_fresh_deadline_and_others_the_versions():
    assert policies.due_date(date(2026, 12, 10), date(2026, 12, 1)) == date(2026, 12, 10)
    assert policies.due_date(date(2026, 12, 10), date(2026, 12, 20)) == date(2027, 1, 3)
    assert policies.due_date(None, date(2026, 12, 20)) is None


@pytest.mark.parametrize(
    ("typed", "ok"),
    [("张伟", True), (" 张 伟 ", True), ("Wei Zhang", True), ("wei  zhang", True), ("张", False), ("王芳", False), ("", False)],
)
def test_the_typed_name_must_be_the_name_on_record(typed, ok):
    if ok:
        signatures.check_typed_name(typed, "张伟", "Wei Zhang")
    else:
        with pytest.raises(ValidationFailed):
            signatures.check_typed_name(typed, "张伟", "Wei Zhang")


def _png(width: int, height: int, ink: list[tuple[int, int]]) -> str:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    for x, y in ink:
        image.putpixel((x, y), (0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@given(st.lists(st.tuples(st.integers(0, 329), st.integers(0, 159)), max_size=400))
def test_a_drawing_is_accepted_only_with_enough_ink_spread_out(points):
    distinct = set(points)
    url = _png(330, 160, list(distinct))
    xs, ys = [p[0] for p in distinct], [p[1] for p in distinct]
    enough = (
        len(distinct) >= signatures.MIN_INK_PIXELS and max(max(xs) - min(xs), max(ys) - min(ys)) >= signatures.MIN_EXTENT
        if distinct
        else False
    )
    if enough:
        assert signatures.decode_drawing(url)
    else:
        with pytest.raises(ValidationFailed):
            signatures.decode_drawing(url)


def test_a_drawing_that_is_not_a_png_is_refused():
    jpeg = io.BytesIO()
    Image.new("RGB", (300, 100), "white").save(jpeg, format="JPEG")
    for bad in (
        "data:image/png;base64," + base64.b64encode(jpeg.getvalue()).decode(),
        "data:image/png;base64,!!!",
        "data:text/html;base64,PHNjcmlwdD4=",
    ):
        with pytest.raises(ValidationFailed):
            signatures.decode_drawing(bad)
