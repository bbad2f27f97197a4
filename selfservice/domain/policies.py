"""Policies (制度) and their acknowledgement (确认函): the rules, in one place.

A policy's body is Markdown or a PDF. Markdown is refused when it carries raw HTML or a link
to anything but http(s), mailto or a page of this site, and it is rendered with markdown-it
with HTML off, then cleaned by nh3 (Ammonia) as a second wall. What an employee signs is the
statement built here, bound to the SHA-256 of the version's exact bytes.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import nh3
from markdown_it import MarkdownIt

from selfservice.domain.errors import ValidationFailed

MAX_TITLE = 120
MAX_MARKDOWN = 200_000
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class BodyKind(StrEnum):
    markdown = "markdown"
    pdf = "pdf"


class Audience(StrEnum):
    everyone = "everyone"
    departments = "departments"
    people = "people"


def _parser(html: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": html, "linkify": False}).enable("table").enable("strikethrough")
    if html:
        md.validateLink = lambda url: True  # let every link through so it can be judged below
    return md


_CHECKER = _parser(html=True)
_RENDERER = _parser(html=False)


def _safe_link(href: str) -> bool:
    target = "".join(ch for ch in href if ch > " ").lower()  # "java\tscript:" is still a scheme
    if target.startswith(("/", "#", "?")) and not target.startswith("//"):
        return True
    return target.startswith(SAFE_SCHEMES)


def check_markdown(text: str) -> None:
    """Refuse a body with raw HTML or an unsafe link (ValidationFailed names the first one)."""
    if not text.strip():
        raise ValidationFailed("policy.body_required", field="body")
    if len(text) > MAX_MARKDOWN:
        raise ValidationFailed("policy.body_too_long", field="body", max=MAX_MARKDOWN)
    for token in _CHECKER.parse(text):
        if token.type in ("html_block", "html_inline"):
            raise ValidationFailed("policy.raw_html", field="body", text=token.content.strip()[:40])
        for child in token.children or ():
            if child.type == "html_inline":
                raise ValidationFailed("policy.raw_html", field="body", text=child.content.strip()[:40])
            href = child.attrGet("href") if child.type == "link_open" else child.attrGet("src") if child.type == "image" else None
            if href is not None and not _safe_link(str(href)):
                raise ValidationFailed("policy.unsafe_link", field="body", text=str(href)[:40])


ALLOWED_TAGS = {
    *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre", "blockquote"),
    *("ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td"),
}


def render_markdown(text: str) -> str:
    """Safe HTML of a Markdown body (images are not shown: a policy cannot load outside files)."""
    html = _RENDERER.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def check_pdf(data: bytes) -> None:
    """A PDF body must be a whole PDF: signature at the start, end-of-file marker at the end."""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise ValidationFailed("policy.not_a_pdf", field="body")


@dataclass(frozen=True)
class Draft:
    title_zh: str
    title_en: str
    body_kind: BodyKind
    body_markdown: str
    audience: Audience
    audience_ids: tuple[int, ...]
    requires_ack: bool
    deadline: date | None
    reminder_days: int


def check_draft(draft: Draft, today: date, has_pdf: bool) -> None:
    """Every rule of a policy that can be published; raises the first broken one."""
    title = draft.title_zh.strip()
    if not title:
        raise ValidationFailed("policy.title_required", field="title_zh")
    for name, value in (("title_zh", draft.title_zh), ("title_en", draft.title_en)):
        if len(value) > MAX_TITLE:
            raise ValidationFailed("field.too_long", field=name, max=MAX_TITLE)
        if any(ord(ch) < 32 for ch in value):
            raise ValidationFailed("field.control_chars", field=name)
    if draft.body_kind == BodyKind.markdown:
        check_markdown(draft.body_markdown)
    elif not has_pdf:
        raise ValidationFailed("policy.pdf_required", field="body")
    if draft.audience != Audience.everyone and not draft.audience_ids:
        raise ValidationFailed("policy.audience_required", field="audience")
    if draft.deadline is not None and draft.deadline < today:
        raise ValidationFailed("policy.deadline_past", field="deadline")
    if not 1 <= draft.reminder_days <= 60:
        raise ValidationFailed("policy.reminder_days_range", field="reminder_days")


def statement(title_zh: str, title_en: str, number: int, published: date) -> str:
    """The sentence signed (bilingual: the receipt and the record carry both)."""
    return (
        f"本人已阅读并理解《{title_zh}》（版本 {number}，{published.isoformat()}），愿意遵守。\n"
        f"I have read and understood “{title_en or title_zh}” (version {number}, {published.isoformat()}) and will comply."
    )


def due_date(deadline: date | None, assigned: date, grace_days: int = 14) -> date | None:
    """When one person must have signed: the version's deadline, or, for someone who joined the
    audience after it (a new hire), ``grace_days`` after they were asked."""
    if deadline is None:
        return None
    return deadline if deadline >= assigned else date.fromordinal(assigned.toordinal() + grace_days)


@dataclass(frozen=True)
class DiffRow:
    left: str
    right: str
    change: str  # same | changed | added | removed


def side_by_side(old: str, new: str) -> list[DiffRow]:
    """The lines of two Markdown bodies aligned side by side, each row marked."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [DiffRow(x, x, "same") for x in a[i1:i2]]
        elif tag == "delete":
            rows += [DiffRow(x, "", "removed") for x in a[i1:i2]]
        elif tag == "insert":
            rows += [DiffRow("", y, "added") for y in b[j1:j2]]
        else:
            left, right = a[i1:i2], b[j1:j2]
            for k in range(max(len(left), len(right))):
                rows.append(DiffRow(left[k] if k < len(left) else "", right[k] if k < len(right) else "", "changed"))
    return rows
