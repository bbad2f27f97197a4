"""The formal notices of a disappearance case as PDFs (fpdf2, the embedded CJK font):
返岗通知书 (return to work) and 解除劳动合同通知书 (termination), Chinese first, English after.

The PDF's creation date is the sending moment, so the same facts give the same bytes; the
bundle later carries a PAdES-signed copy whose prefix is exactly these bytes.
"""

from __future__ import annotations

from datetime import datetime

from fpdf.enums import XPos, YPos

from selfservice.documents.receipts import labelled, numbered_document

TITLES = {
    "return": ("返岗通知书", "Notice to Return to Work"),
    "termination": ("解除劳动合同通知书", "Notice of Termination of the Labour Contract"),
}


def render(kind: str, number: str, company: str, text_zh: str, text_en: str, sent_at: datetime, verify_note: str = "") -> bytes:
    title_zh, title_en = TITLES[kind]
    pdf = numbered_document(title_zh, title_en, number, company, sent_at, f"{title_zh} / {title_en} {number}")
    pdf.set_text_color(0)
    pdf.set_font("noto", size=10.5)
    pdf.multi_cell(0, 6.5, text_zh, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_text_color(60)
    pdf.set_font("noto", size=9)
    pdf.multi_cell(0, 5.5, text_en, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if verify_note:
        pdf.ln(6)
        labelled(pdf, "送达与核验 / Service and verification", verify_note)
    return bytes(pdf.output())
