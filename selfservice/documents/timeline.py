"""The evidence bundle's timeline PDF: what an arbitrator reads first. A cover, a table of
contents, the case summary, the timeline entry by entry, and the list of the bundle's files.
Chinese by default; the English edition says the same from the same entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from selfservice.documents.receipts import FONT


@dataclass(frozen=True)
class Line:
    at: datetime
    title: str
    details: list[str]
    whole_day: bool = False  # a missing day: no time of day


@dataclass(frozen=True)
class TimelineData:
    lang: str
    company: str
    case_number: str
    employee: str  # "赵磊（工号 E1007，研发部）"
    summary: list[tuple[str, str]]  # (label, value)
    lines: list[Line]
    files: list[tuple[str, str]]  # (path, what it is)
    created_at: datetime
    fingerprint: str
    tz: ZoneInfo


WORDS = {
    "zh-CN": {
        "title": "旷工案件证据目录",
        "toc": "目录",
        "summary": "一、案件概要",
        "timeline": "二、时间线",
        "files": "三、证据包文件清单",
        "made": "生成时间",
        "key": "公司签名证书指纹（SHA-256）",
        "page": "第 {n} 页",
        "note": "本目录及通知书 PDF 均带公司电子签名；每个文件的 SHA-256 见 manifest.json，核验方法见 README。",
    },
    "en": {
        "title": "Absence case: index of evidence",
        "toc": "Contents",
        "summary": "1. Case summary",
        "timeline": "2. Timeline",
        "files": "3. Files in this bundle",
        "made": "Generated",
        "key": "Company signing certificate fingerprint (SHA-256)",
        "page": "page {n}",
        "note": "This index and the notice PDFs carry the company's electronic signature; each file's SHA-256 is in manifest.json, and README explains how to check them.",
    },
}


def render(data: TimelineData) -> bytes:
    words = WORDS["zh-CN" if data.lang == "zh-CN" else "en"]
    pdf = FPDF(format="A4")
    pdf.set_creation_date(data.created_at)
    pdf.set_title(f"{words['title']} {data.case_number}")
    pdf.set_author(data.company)
    pdf.set_lang(data.lang)
    pdf.add_font("noto", fname=str(FONT))
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, 18)
    pdf.alias_nb_pages()

    def footer() -> None:
        pdf.set_y(-12)
        pdf.set_font("noto", size=7.5)
        pdf.set_text_color(120)
        pdf.cell(0, 5, f"{data.case_number} · {words['page'].format(n=pdf.page_no())}", align="C")
        pdf.set_text_color(0)

    pdf.footer = footer  # type: ignore[method-assign]
    pdf.add_page()
    pdf.set_font("noto", size=20)
    pdf.ln(30)
    pdf.cell(0, 12, words["title"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("noto", size=13)
    pdf.cell(0, 9, data.case_number, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    pdf.set_font("noto", size=11)
    pdf.multi_cell(0, 7, f"{data.employee}\n{data.company}", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(16)
    pdf.set_font("noto", size=8.5)
    pdf.set_text_color(80)
    pdf.multi_cell(
        0,
        5,
        f"{words['made']}: {data.created_at.astimezone(data.tz):%Y-%m-%d %H:%M}\n{words['key']}:\n{data.fingerprint}\n\n{words['note']}",
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(0)

    def toc(pdf: FPDF, outline: list) -> None:
        pdf.set_font("noto", size=14)
        pdf.cell(0, 10, words["toc"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("noto", size=10.5)
        for section in outline:
            indent = "    " * section.level
            pdf.cell(150, 7, f"{indent}{section.name}", new_x=XPos.RIGHT, new_y=YPos.TOP, link=pdf.add_link(page=section.page_number))
            pdf.cell(0, 7, str(section.page_number), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.add_page()
    pdf.insert_toc_placeholder(toc, pages=1, allow_extra_pages=True)  # breaks to a new page itself

    pdf.start_section(words["summary"])
    pdf.set_font("noto", size=14)
    pdf.cell(0, 10, words["summary"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for label, value in data.summary:
        pdf.set_font("noto", size=8)
        pdf.set_text_color(90)
        pdf.cell(0, 5, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("noto", size=10.5)
        pdf.set_text_color(0)
        pdf.multi_cell(0, 6, value or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    pdf.add_page()
    pdf.start_section(words["timeline"])
    pdf.set_font("noto", size=14)
    pdf.cell(0, 10, words["timeline"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    day = None
    for line in data.lines:
        local = line.at.astimezone(data.tz)
        if local.date() != day:
            day = local.date()
            if pdf.get_y() > pdf.h - 40:
                pdf.add_page()
            pdf.ln(2)
            pdf.start_section(f"{day:%Y-%m-%d}", level=1)
            pdf.set_font("noto", size=11)
            pdf.set_fill_color(238, 241, 245)
            pdf.cell(0, 7, f"{day:%Y-%m-%d}", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("noto", size=9.5)
        pdf.cell(16, 6, "" if line.whole_day else f"{local:%H:%M}", new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.multi_cell(0, 6, line.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if line.details:
            pdf.set_font("noto", size=8.5)
            pdf.set_text_color(70)
            pdf.set_x(pdf.l_margin + 16)
            pdf.multi_cell(0, 4.8, "\n".join(line.details), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0)
        pdf.ln(1)

    pdf.add_page()
    pdf.start_section(words["files"])
    pdf.set_font("noto", size=14)
    pdf.cell(0, 10, words["files"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for path, what in data.files:
        pdf.set_font("noto", size=9.5)
        pdf.multi_cell(0, 5.5, path, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("noto", size=8.5)
        pdf.set_text_color(80)
        pdf.multi_cell(0, 4.8, what, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        pdf.ln(1.5)
    return bytes(pdf.output())
