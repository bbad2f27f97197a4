"""The PDF receipt of a signature (签名回执), bilingual, made with fpdf2.

The Noto Sans SC subset in ``assets/fonts`` is embedded (fpdf2 keeps only the glyphs used), so
the receipt prints the same on any machine. The QR code opens the verification page, which
recomputes every hash from what is stored.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import qrcode
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from selfservice.settings import PROJECT_ROOT

FONT = PROJECT_ROOT / "assets" / "fonts" / "NotoSansSC-Regular-subset.ttf"


@dataclass(frozen=True)
class ReceiptData:
    heading_zh: str
    heading_en: str
    document_zh: str  # e.g. 《员工手册》 版本 2
    document_en: str
    content_sha256: str
    statement: str
    signer_name: str
    employee_no: str
    typed_name: str
    signature_png: bytes
    image_sha256: str
    method_zh: str
    method_en: str
    signed_at: datetime  # aware UTC
    timezone: str
    ip: str
    user_agent: str
    record_sha256: str
    verify_url: str
    extra: tuple[tuple[str, str], ...] = ()  # (label zh / en, value) lines, e.g. confirmed channels


class _Receipt(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("noto", size=7)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.page_no()}/{{nb}}", align="C")


def numbered_document(title_zh: str, title_en: str, number: str, author: str, created_at: datetime, doc_title: str) -> FPDF:
    """A formal document's first page: the Chinese title, the English one under it, its number
    on the right; the creation date fixed so the same facts give the same bytes."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(created_at)
    pdf.set_title(doc_title)
    pdf.set_author(author)
    pdf.set_lang("zh-CN")
    pdf.add_font("noto", fname=str(FONT))
    pdf.set_margins(22, 20, 22)
    pdf.add_page()
    pdf.set_font("noto", size=18)
    pdf.cell(0, 10, title_zh, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("noto", size=11)
    pdf.set_text_color(90)
    pdf.cell(0, 6, title_en, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("noto", size=8)
    pdf.cell(0, 6, f"编号 / No. {number}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    return pdf


def labelled(pdf: FPDF, label: str, value: str, mono: bool = False, width: float = 0) -> None:
    """A label and its value, kept on one page; hashes and links may break anywhere, text at words."""
    if pdf.get_y() > pdf.h - 30:
        pdf.add_page()
    pdf.set_font("noto", size=7.5)
    pdf.set_text_color(90)
    pdf.multi_cell(width, 4, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("noto", size=9 if not mono else 8)
    pdf.set_text_color(0)
    pdf.multi_cell(
        width, 4.8, value or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR if mono else WrapMode.WORD, align="L"
    )
    pdf.ln(1)


def render(data: ReceiptData) -> bytes:
    """The receipt's PDF bytes (deterministic for the same data: the creation date is the signing time)."""
    pdf = _Receipt(format="A4")
    pdf.set_creation_date(data.signed_at)
    pdf.set_title(f"{data.heading_zh} / {data.heading_en}")
    pdf.set_author("selfservice")
    pdf.set_lang("zh-CN")
    pdf.add_font("noto", fname=str(FONT))
    pdf.set_margins(18, 16, 18)
    pdf.add_page()
    qr = qrcode.QRCode(border=1, box_size=6)
    qr.add_data(data.verify_url)
    qr.make(fit=True)
    image = io.BytesIO()
    qr.make_image().save(image, format="PNG")
    qr_size, qr_x = 30, pdf.w - pdf.r_margin - 30
    pdf.image(image, x=qr_x, y=pdf.t_margin, w=qr_size)
    pdf.set_xy(qr_x - 4, pdf.t_margin + qr_size)
    pdf.set_font("noto", size=6.5)
    pdf.set_text_color(90)
    pdf.multi_cell(qr_size + 8, 3.2, "扫码核验记录\nScan to verify", align="C")
    pdf.set_xy(pdf.l_margin, pdf.t_margin)
    text_width = qr_x - pdf.l_margin - 6
    pdf.set_font("noto", size=16)
    pdf.set_text_color(0)
    pdf.cell(text_width, 9, data.heading_zh, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("noto", size=11)
    pdf.set_text_color(90)
    pdf.cell(text_width, 6, data.heading_en, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)

    local = data.signed_at.astimezone(ZoneInfo(data.timezone))
    labelled(pdf, "文件 / Document", f"{data.document_zh}\n{data.document_en}", width=text_width)
    labelled(pdf, "文件 SHA-256 / Document SHA-256", data.content_sha256, mono=True, width=text_width)
    pdf.set_y(max(pdf.get_y(), pdf.t_margin + qr_size + 8))
    labelled(pdf, "确认内容 / Statement", data.statement)
    for label, value in data.extra:
        labelled(pdf, label, value)
    labelled(pdf, "签署人 / Signed by", f"{data.signer_name}（{data.employee_no}）  ·  手写姓名 / Typed name: {data.typed_name}")
    if pdf.get_y() > pdf.h - 50:
        pdf.add_page()
    pdf.set_font("noto", size=7.5)
    pdf.set_text_color(90)
    pdf.cell(0, 4, "手写签名 / Drawn signature", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y()
    pdf.image(io.BytesIO(data.signature_png), x=pdf.l_margin, y=top, h=22)
    pdf.set_y(top + 23)
    labelled(pdf, "签名图片 SHA-256 / Signature image SHA-256", data.image_sha256, mono=True)
    labelled(
        pdf,
        "签署时间 / Signed at",
        f"{local:%Y-%m-%d %H:%M:%S} ({data.timezone})  ·  {data.signed_at:%Y-%m-%dT%H:%M:%SZ} UTC",
    )
    labelled(pdf, "身份验证 / Re-authentication", f"{data.method_zh} / {data.method_en}")
    labelled(pdf, "IP 地址与浏览器 / IP address and browser", f"{data.ip}  ·  {data.user_agent[:200]}")
    labelled(pdf, "记录 SHA-256 / Record SHA-256", data.record_sha256, mono=True)
    labelled(
        pdf,
        "核验 / Verification",
        "扫描右上角二维码或打开下方链接：页面按存档记录重新计算哈希，显示本回执与存档是否一致。\n"
        "Scan the QR code or open the link: the page recomputes the hashes from the stored record and shows whether it still matches.",
    )
    labelled(pdf, "链接 / Link", data.verify_url, mono=True)
    return bytes(pdf.output())
