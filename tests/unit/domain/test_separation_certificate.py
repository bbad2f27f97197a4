"""The separation certificate holds what art. 24 of the Implementing Regulations lists, and nothing
else; its text is read back from the PDF with pypdf."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from selfservice.documents.certificates import CertificateData, render
from selfservice.domain import separation as sep
from selfservice.domain.errors import ValidationFailed


def test_service_length_counts_the_last_day():
    assert sep.service_length(date(2020, 3, 1), date(2026, 2, 28)) == (6, 0)
    assert sep.service_length(date(2020, 3, 15), date(2026, 2, 28)) == (5, 11)
    assert sep.service_length(date(2026, 1, 1), date(2026, 1, 31)) == (0, 1)
    with pytest.raises(ValidationFailed):
        sep.service_length(date(2026, 1, 1), date(2025, 12, 31))


def _text(data: CertificateData) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(render(data))).pages)


def test_the_certificate_holds_the_required_fields_and_is_reproducible():
    data = CertificateData(
        number="LZ-2026-0007",
        company="演示科技有限公司",
        name="刘洋",
        employee_no="E1005",
        position="前端工程师",
        contract_start=date(2020, 3, 15),
        contract_end=date(2026, 3, 14),
        kind=sep.SeparationType.resignation,
        separated_on=date(2026, 2, 28),
        issued_at=datetime(2026, 2, 28, 10, 0, tzinfo=UTC),
    )
    text = _text(data)
    for needed in (
        "解除劳动合同证明书",
        "刘洋",
        "E1005",
        "2020年03月15日",
        "2026年03月14日",
        "2026年02月28日",
        "前端工程师",
        "5 年 11 个月",
        "LZ-2026-0007",
    ):
        assert needed in text, needed
    assert render(data) == render(data), "the same data gives the same bytes"
    expiry = _text(CertificateData(**{**data.__dict__, "kind": sep.SeparationType.expiry, "contract_end": None}))
    assert "终止劳动合同证明书" in expiry and "无固定期限" in expiry
