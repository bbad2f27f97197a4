"""Signing (签名确认): what makes a drawn signature, a typed name and a record acceptable.

Used for policy acknowledgements and the address-for-service confirmation, and meant for any
later statement an employee signs (a resignation). A record's hash covers every stored field,
so a verification can tell whether any of them changed since.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import unicodedata
from typing import Any

from selfservice.domain.errors import ValidationFailed

MAX_IMAGE_BYTES = 300_000
MIN_INK_PIXELS = 120  # a one-dot or one-tap "signature" has far fewer
MIN_EXTENT = 40  # pixels: the drawing must span at least this much in one direction
DATA_URL_PREFIX = "data:image/png;base64,"
REAUTH_SECONDS = 300


def decode_drawing(data_url: str) -> bytes:
    """The PNG bytes of the canvas's data URL, refusing anything that is not a real drawing."""
    if not data_url:
        raise ValidationFailed("signature.empty", field="signature")
    if not data_url.startswith(DATA_URL_PREFIX):
        raise ValidationFailed("signature.invalid", field="signature")
    try:
        data = base64.b64decode(data_url[len(DATA_URL_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("signature.invalid", field="signature") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationFailed("signature.invalid", field="signature")
    check_drawing(data)
    return data


def check_drawing(png: bytes) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG" or image.width > 2000 or image.height > 1000:
                raise ValidationFailed("signature.invalid", field="signature")
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationFailed("signature.invalid", field="signature") from None
    alpha = rgba.getchannel("A").point(lambda a: 255 if a > 64 else 0)
    box = alpha.getbbox()
    ink = sum(1 for value in alpha.getdata() if value)
    if box is None or ink < MIN_INK_PIXELS or max(box[2] - box[0], box[3] - box[1]) < MIN_EXTENT:
        raise ValidationFailed("signature.too_small", field="signature")


def _name_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    return "".join(text.split()).replace("·", "").replace("•", "").replace(".", "")


def check_typed_name(typed: str, *record_names: str) -> None:
    """The typed full name must be the name on the employee record (zh or en), ignoring case,
    spaces and the middle dot of transliterated names."""
    if not typed.strip():
        raise ValidationFailed("signature.name_required", field="typed_name")
    key = _name_key(typed)
    if not any(key == _name_key(name) for name in record_names if name.strip()):
        raise ValidationFailed("signature.name_mismatch", field="typed_name")


def record_hash(fields: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of a signature's stored fields."""
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
