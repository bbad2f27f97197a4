"""The separation certificate (解除/终止劳动合同证明书), bilingual, made with fpdf2 and the same
embedded font as the signature receipts.

Labour Contract Law art. 50 requires it at separation; art. 24 of the Implementing Regulations
says what it contains: the contract term, the date of dissolution or termination, the position,
and the years of service with the company. Nothing else is written on it (no reasons, no
remarks), so that it cannot be held against the person at their next employer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fpdf.enums import XPos, YPos

from selfservice.documents.receipts import labelled, numbered_document
from selfservice.domain import separation as sep


@dataclass(frozen=True)
class CertificateData:
    number: str  # the certificate's own number, e.g. LZ-2026-0007
    company: str
    name: str
    employee_no: str
    position: str
    contract_start: date
    contract_end: date | None  # None: an open-ended contract (无固定期限)
    kind: sep.SeparationType
    separated_on: date  # the last day of employment
    issued_at: datetime  # aware; also the PDF's creation date, so the bytes are reproducible


def render(data: CertificateData) -> bytes:
    title_zh, title_en = sep.certificate_title(data.kind)
    years, months = sep.service_length(data.contract_start, data.separated_on)
    pdf = numbered_document(title_zh, title_en, data.number, data.company, data.issued_at, f"{title_zh} / {title_en}")
    term_zh = (
        f"{data.contract_start:%Y年%m月%d日} 至 {data.contract_end:%Y年%m月%d日}"
        if data.contract_end
        else f"{data.contract_start:%Y年%m月%d日} 起，无固定期限"
    )
    term_en = f"{data.contract_start} to {data.contract_end}" if data.contract_end else f"from {data.contract_start}, open-ended"
    verb_zh = "终止" if data.kind == sep.SeparationType.expiry else "解除"
    labelled(pdf, "员工 / Employee", f"{data.name}（工号 / No. {data.employee_no}）")
    labelled(pdf, "劳动合同期限 / Contract term", f"{term_zh}\n{term_en}")
    labelled(pdf, f"{verb_zh}劳动合同日期 / Date of separation", f"{data.separated_on:%Y年%m月%d日}\n{data.separated_on}")
    labelled(pdf, "工作岗位 / Position", data.position or "—")
    labelled(pdf, "在本单位工作年限 / Years of service with the company", f"{years} 年 {months} 个月\n{years} year(s) {months} month(s)")
    pdf.ln(4)
    pdf.set_font("noto", size=10.5)
    pdf.set_text_color(0)
    pdf.multi_cell(
        0,
        6,
        f"兹证明 {data.name} 与本单位的劳动合同已于 {data.separated_on:%Y年%m月%d日} {verb_zh}。\n"
        f"This certifies that the labour contract between {data.name} and the company ended on {data.separated_on}.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(10)
    pdf.cell(0, 6, f"{data.company}（盖章 / seal）", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, 6, f"{data.issued_at:%Y年%m月%d日}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
