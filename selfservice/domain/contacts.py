"""Contact details (联系方式) and the address for service (送达地址确认书): the rules.

Numbers are checked and normalised with ``phonenumbers`` (Google's libphonenumber): stored in
E.164, shown in the national format (138 0013 8000) for the company's own region. The mobile
must be a mobile number; an emergency contact needs a name and a valid number. A change of
mobile or email is confirmed with a one-time code sent to the new address.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from selfservice.domain.employees import WECOM_USERID, normalize_email

FIELDS = (
    "phone",
    "email",
    "address",
    "wecom_userid",
    "emergency_contact_name",
    "emergency_contact_relation",
    "emergency_contact_phone",
)
VERIFIED = ("phone", "email")  # changed only with a one-time code sent to the new address
MAX_LENGTH = {"address": 200, "emergency_contact_name": 64, "emergency_contact_relation": 32, "wecom_userid": 64, "email": 254}
CHANNELS = ("inapp", "wecom", "sms", "email", "post")  # what an employee may accept formal notices by
CODE_MINUTES = 10
CODE_ATTEMPTS = 5

SERVICE_STATEMENT = (
    "本人确认以上联系方式及送达地址真实有效，公司向上述地址、手机号、邮箱、企业微信发送的通知即视为送达；"
    "如有变更，本人将在3日内通过本系统更新。\n"
    "I confirm that the contact details and address for service above are true and valid; notices the company sends "
    "to this address, mobile number, email or WeCom account are deemed served. If they change, I will update them in "
    "this system within 3 days."
)


@dataclass(frozen=True)
class FieldError:
    field: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


def _number(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None


def is_foreign(raw: str, region: str = "CN") -> bool:
    parsed = _number(raw, region)
    return parsed is not None and phonenumbers.region_code_for_number(parsed) != region


def normalize_mobile(raw: str, region: str = "CN") -> str | None:
    """E.164 of a valid mobile number of the company's region (a landline is not a mobile, and
    SMS notices reach local numbers only), else None."""
    parsed = _number(raw, region)
    if parsed is None or phonenumbers.region_code_for_number(parsed) != region:
        return None
    kind = phonenumbers.number_type(parsed)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_any_phone(raw: str, region: str = "CN") -> str | None:
    parsed = _number(raw, region)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if parsed else None


def display_phone(e164: str, region: str = "CN") -> str:
    """138 0013 8000 for the company's region, +44 20 7946 0958 for any other."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    same = phonenumbers.region_code_for_number(parsed) == region
    return phonenumbers.format_number(
        parsed, phonenumbers.PhoneNumberFormat.NATIONAL if same else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


def validate(raw: Mapping[str, Any], region: str = "CN") -> tuple[dict[str, str], list[FieldError]]:
    """Every contact field checked and normalised; returns the values and every error found."""
    values = {key: str(raw.get(key) or "").strip() for key in FIELDS}
    errors: list[FieldError] = []
    for key, limit in MAX_LENGTH.items():
        if len(values[key]) > limit:
            errors.append(FieldError(key, "field.too_long", {"max": limit}))
        if any(ord(ch) < 32 for ch in values[key]):
            errors.append(FieldError(key, "field.control_chars"))
    if not values["phone"]:
        errors.append(FieldError("phone", "field.required"))
    else:
        mobile = normalize_mobile(values["phone"], region)
        if mobile is None:
            key = "contact.mobile_foreign" if is_foreign(values["phone"], region) else "contact.mobile_invalid"
            errors.append(FieldError("phone", key, {"value": values["phone"][:20]}))
        else:
            values["phone"] = mobile
    if values["email"]:
        email = normalize_email(values["email"])
        if email is None:
            errors.append(FieldError("email", "field.email_invalid", {"value": values["email"][:40]}))
        else:
            values["email"] = email
    if not values["address"]:
        errors.append(FieldError("address", "contact.address_required"))
    if values["wecom_userid"] and not WECOM_USERID.match(values["wecom_userid"]):
        errors.append(FieldError("wecom_userid", "field.wecom_userid_format"))
    if not values["emergency_contact_name"]:
        errors.append(FieldError("emergency_contact_name", "contact.emergency_required"))
    if not values["emergency_contact_phone"]:
        errors.append(FieldError("emergency_contact_phone", "contact.emergency_required"))
    else:
        other = normalize_any_phone(values["emergency_contact_phone"], region)
        if other is None:
            errors.append(FieldError("emergency_contact_phone", "field.phone_invalid", {"value": values["emergency_contact_phone"][:20]}))
        else:
            values["emergency_contact_phone"] = other
    return values, errors


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def code_hash(key: str, code: str) -> str:
    return hmac.new(("contact-code:" + key).encode(), code.strip().encode(), hashlib.sha256).hexdigest()


def check_channels(chosen: list[str]) -> list[str]:
    """The channels accepted for formal notices, in a fixed order; at least one."""
    picked = [c for c in CHANNELS if c in set(chosen)]
    if not picked or len(picked) != len(set(chosen)):
        from selfservice.domain.errors import ValidationFailed

        raise ValidationFailed("contact.channels_required", field="channels")
    return picked


def snapshot(values: Mapping[str, str], channels: list[str]) -> str:
    """What is confirmed, as canonical JSON (its SHA-256 is what the signature binds)."""
    return json.dumps(
        {"contacts": {k: values.get(k, "") for k in FIELDS}, "channels": channels},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
