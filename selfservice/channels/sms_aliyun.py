"""Aliyun SMS (阿里云短信) ``SendSms`` with RPC signature v1 (HMAC-SHA1), delivery reports.

``OutId`` carries the delivery's idempotency key so reports and ``QuerySendDetails`` can be
matched to the delivery. Pushed reports are unsigned, so the callback URL has a secret path and a
report is applied only when both ``biz_id`` and ``out_id`` match a delivery we sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from selfservice.channels.base import Outgoing, SendResult

RETRYABLE = {"isp.SYSTEM_ERROR", "isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "isp.RAM_PERMISSION_DENY_TEMP", "ServiceUnavailable"}


def _pct(value: str) -> str:
    return quote(value, safe="~")


def sign(params: dict[str, str], access_secret: str, method: str = "GET") -> str:
    """Aliyun RPC signature v1: HMAC-SHA1 over the percent-encoded sorted query."""
    canonical = "&".join(f"{_pct(k)}={_pct(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{_pct('/')}&{_pct(canonical)}"
    digest = hmac.new((access_secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSmsChannel:
    name = "sms"

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        base_url: str = "https://dysmsapi.aliyuncs.com",
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.access_key_id, self.access_key_secret = access_key_id, access_key_secret
        self.sign_name, self.template_code = sign_name, template_code
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))

    def _signed(self, action: str, extra: dict[str, str]) -> dict[str, str]:
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            **extra,
        }
        params["Signature"] = sign(params, self.access_key_secret)
        return params

    async def send(self, outgoing: Outgoing) -> SendResult:
        title, body, link = _sms_parts(outgoing.text)
        params = self._signed(
            "SendSms",
            {
                "PhoneNumbers": outgoing.address.removeprefix("+86"),
                "SignName": self.sign_name,
                "TemplateCode": self.template_code,
                "TemplateParam": json.dumps({"title": title, "content": body, "link": link}, ensure_ascii=False),
                "OutId": outgoing.idempotency_key,
            },
        )
        try:
            response = await self.client.get(self.base_url + "/", params=params)
        except httpx.HTTPError as error:
            return SendResult.retry(f"{type(error).__name__}: {error}")
        if response.status_code >= 500:
            return SendResult.retry(f"HTTP {response.status_code}", http_status=response.status_code, response=response.text[:2000])
        try:
            data = response.json()
        except ValueError:
            return SendResult.retry("unreadable response", http_status=response.status_code, response=response.text[:2000])
        raw = json.dumps(data, ensure_ascii=False)[:2000]
        code = data.get("Code")
        if code == "OK":
            return SendResult("sent", provider_message_id=str(data.get("BizId", "")), http_status=response.status_code, response=raw)
        if code in RETRYABLE:
            return SendResult.retry(f"{code}: {data.get('Message', '')}", http_status=response.status_code, response=raw)
        return SendResult.failed(f"{code}: {data.get('Message', '')}", http_status=response.status_code, response=raw)

    async def query_details(self, phone: str, biz_id: str, send_date: str) -> list[dict]:
        """``QuerySendDetails`` for reconciliation when a pushed report went missing."""
        params = self._signed(
            "QuerySendDetails",
            {"PhoneNumber": phone.removeprefix("+86"), "BizId": biz_id, "SendDate": send_date, "PageSize": "10", "CurrentPage": "1"},
        )
        response = await self.client.get(self.base_url + "/", params=params)
        data = response.json()
        return list(((data.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO")) or [])

    async def find_sent(self, outgoing: Outgoing, send_date: str) -> str | None:
        """The BizId of an SMS already accepted for this delivery (matched by ``OutId``), if any.

        Aliyun does not deduplicate on ``OutId``, so before re-sending a delivery whose worker
        died mid-send, the dispatcher asks the provider whether it already went out.
        """
        params = self._signed(
            "QuerySendDetails",
            {"PhoneNumber": outgoing.address.removeprefix("+86"), "SendDate": send_date, "PageSize": "50", "CurrentPage": "1"},
        )
        response = await self.client.get(self.base_url + "/", params=params)
        data = response.json()
        if data.get("Code") != "OK":
            raise RuntimeError(f"QuerySendDetails: {data.get('Code')}")
        for detail in ((data.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO")) or []:
            if detail.get("OutId") == outgoing.idempotency_key:
                return str(detail.get("BizId") or detail.get("OutId"))
        return None

    async def aclose(self) -> None:
        await self.client.aclose()


def _sms_parts(text: str) -> tuple[str, str, str]:
    """Split ``【title】body link`` (see domain.notifications.channel_text)."""
    title, _, rest = text.removeprefix("【").partition("】")
    body, _, link = rest.rpartition(" ")
    return title, body, link
