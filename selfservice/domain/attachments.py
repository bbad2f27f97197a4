"""Attachments (附件): what may be uploaded, decided by the bytes, never by the file name.

A photo of a sick note taken on a phone (JPEG, PNG, WebP, HEIC) or a PDF. The type is sniffed
from the content with the ``filetype`` library; images must also decode (Pillow), and a PDF must
start with ``%PDF-`` and end with ``%%EOF``, so an .exe renamed .pdf, or a truncated file, is
refused.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import filetype

from selfservice.domain.errors import ValidationFailed

ALLOWED = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
}
MAX_FILES = 5
# A call's recording on a disappearance case (phones record AMR, M4A or MP3).
AUDIO = {"audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/m4a": ".m4a", "audio/amr": ".amr", "audio/x-wav": ".wav", "audio/ogg": ".ogg"}


@dataclass(frozen=True)
class Checked:
    sha256: str
    content_type: str
    size: int
    name: str


def check(data: bytes, name: str, max_bytes: int, audio: bool = False) -> Checked:
    """Accept ``data`` as an attachment or raise ValidationFailed with the reason (``audio``:
    a call recording is acceptable too)."""
    clean_name = (name or "").replace("\\", "/").rsplit("/", 1)[-1][:120]
    if not data:
        raise ValidationFailed("attachment.empty", field="attachments", name=clean_name)
    if len(data) > max_bytes:
        raise ValidationFailed("attachment.too_large", field="attachments", name=clean_name, max_mb=max_bytes // (1024 * 1024))
    kind = filetype.guess(data)
    content_type = kind.mime if kind is not None else ""
    if content_type not in ALLOWED and not (audio and content_type in AUDIO):
        raise ValidationFailed("attachment.type_not_allowed", field="attachments", name=clean_name)
    if content_type == "application/pdf":
        if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
            raise ValidationFailed("attachment.damaged", field="attachments", name=clean_name)
    elif content_type != "image/heic" and content_type not in AUDIO:  # Pillow cannot decode HEIC without a plugin
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
        except Exception:
            raise ValidationFailed("attachment.damaged", field="attachments", name=clean_name) from None
    return Checked(hashlib.sha256(data).hexdigest(), content_type, len(data), clean_name)
