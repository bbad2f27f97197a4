"""The HR dashboard's panels as data: every module registers the panels it adds (attendance now;
policies, contacts and cases later), and any panel exports to XLSX the same way.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import NotFound, NotPermitted
from selfservice.i18n import t
from selfservice.services import audit
from selfservice.settings import get_settings


@dataclass(frozen=True)
class Panel:
    """One panel of ``/hr``: its title, its order on the page, and its rows for export."""

    key: str
    title_key: str
    order: int
    columns: tuple[str, ...]  # i18n keys of the export's header; () when the first row is the header
    rows: Callable[[Session, Actor, datetime, str], list[list]]  # (session, actor, now, language)


_PANELS: dict[str, Panel] = {}
FORMULA_STARTS = ("=", "+", "-", "@")


def register(panel: Panel) -> None:
    _PANELS[panel.key] = panel


def panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda p: p.order)


def xlsx(title: str, headers: list[str], rows: list[list], footer: str) -> bytes:
    """A one-sheet workbook: header, rows, a blank line and the footer (when it was made)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31] or "sheet"
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value[:1] in FORMULA_STARTS:
                cell.data_type = "s"  # people's text ("=…", "+…", "@…") stays text, never a formula
    sheet.append([])
    sheet.append([footer])
    for index, header in enumerate(headers):
        width = max([len(str(header)) * 2, *(len(str(r[index])) for r in rows[:200] if index < len(r))], default=8)
        sheet.column_dimensions[sheet.cell(row=1, column=index + 1).column_letter].width = min(60, max(8, width + 2))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def generated_at(language: str, now: datetime) -> str:
    local = now.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M:%S")
    return t(language, "dashboard.generated_at", time=local)


def export_xlsx(session: Session, actor: Actor, key: str, language: str, now: datetime) -> tuple[str, bytes]:
    """(file name, workbook) of one panel as HR sees it now; the export is audited."""
    if not actor.has_role(Role.hr):
        raise NotPermitted()
    panel = _PANELS.get(key)
    if panel is None:
        raise NotFound()
    rows = panel.rows(session, actor, now, language)
    headers = [t(language, c) for c in panel.columns] if panel.columns else [str(h) for h in (rows[0] if rows else [])]
    rows = rows if panel.columns else rows[1:]
    data = xlsx(t(language, panel.title_key), headers, rows, generated_at(language, now))
    audit.append(session, actor, "dashboard.exported", "dashboard_panel", key, after={"rows": len(rows)}, at=now)
    local = now.astimezone(ZoneInfo(get_settings().timezone))
    return f"{key}-{local:%Y%m%d-%H%M}.xlsx", data
