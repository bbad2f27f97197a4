"""WeCom (企业微信) application messages over the documented HTTP API.

``GET /cgi-bin/gettoken`` gives an access token valid ``expires_in`` seconds (7200): cached,
refreshed five minutes early and at once on errcode 40014 / 42001. Messages are ``textcard``s
with the signed link; ``enable_duplicate_check`` makes WeCom drop a repeat of the same content
within the interval, which is what makes a retry after a crash safe. WeCom has no read receipt
for app messages: reads are proven by the signed link.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import ClassVar

import httpx

from selfservice.channels.base import Outgoing, SendResult

TOKEN_EXPIRED = {40014, 42001}
RETRYABLE = {-1: "system busy", 45009: "rate limited", 45033: "concurrent calls limit"}
DUPLICATE_CHECK_SECONDS = 4 * 3600


class WeComApi:
    """WeCom's server API for one corp and one application secret.

    The access token is cached per (server, corp, secret) for the whole process, so the message
    channel and the check-in pull share it: refreshed five minutes before ``expires_in`` runs out,
    and at once when WeCom answers 40014 / 42001 (then the call is repeated once).
    """

    _tokens: ClassVar[dict[tuple[str, str, str], tuple[str, float]]] = {}

    def __init__(self, corp_id: str, secret: str, base_url: str = "https://qyapi.weixin.qq.com", client: httpx.AsyncClient | None = None):
        self.corp_id, self.secret = corp_id, secret
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
        self._lock = asyncio.Lock()

    @property
    def _key(self) -> tuple[str, str, str]:
        return (self.base_url, self.corp_id, self.secret)

    async def access_token(self, stale: str = "") -> str:
        """The cached token; ``stale`` names a token WeCom refused, to refresh it once only."""
        async with self._lock:
            token, expires = self._tokens.get(self._key, ("", 0.0))
            if (stale and stale == token) or not token or time.monotonic() > expires:
                response = await self.client.get(
                    f"{self.base_url}/cgi-bin/gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret}
                )
                response.raise_for_status()
                data = response.json()
                if data.get("errcode", 0) != 0:
                    raise RuntimeError(f"gettoken errcode {data.get('errcode')}: {data.get('errmsg', '')}")
                token = data["access_token"]
                self._tokens[self._key] = (token, time.monotonic() + max(60, int(data.get("expires_in", 7200)) - 300))
            return token

    async def post(self, path: str, payload: dict) -> tuple[httpx.Response, dict | None]:
        """POST JSON with the access token; the parsed answer, or None when the server failed (5xx)."""
        token = ""
        for refresh in (False, True):
            token = await self.access_token(stale=token if refresh else "")
            response = await self.client.post(f"{self.base_url}{path}", params={"access_token": token}, json=payload)
            if response.status_code >= 500:
                return response, None
            data = response.json()
            if data.get("errcode") in TOKEN_EXPIRED and not refresh:
                continue
            return response, data
        return response, data

    async def aclose(self) -> None:
        await self.client.aclose()


class WeComChannel:
    name = "wecom"

    def __init__(
        self,
        corp_id: str,
        agent_id: str,
        secret: str,
        base_url: str = "https://qyapi.weixin.qq.com",
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.agent_id = agent_id
        self.api = WeComApi(corp_id, secret, base_url, client)

    async def _access_token(self) -> str:
        return await self.api.access_token()

    def payload(self, outgoing: Outgoing) -> dict:
        title, body, link = outgoing.parts
        return {
            "touser": outgoing.address,
            "msgtype": "textcard",
            "agentid": int(self.agent_id) if str(self.agent_id).isdigit() else self.agent_id,
            "textcard": {"title": title[:128], "description": body[:512], "url": link, "btntxt": "详情"},
            "enable_duplicate_check": 1,
            "duplicate_check_interval": DUPLICATE_CHECK_SECONDS,
        }

    async def send(self, outgoing: Outgoing) -> SendResult:
        try:
            response, data = await self.api.post("/cgi-bin/message/send", self.payload(outgoing))
        except (httpx.HTTPError, RuntimeError, ValueError) as error:
            return SendResult.retry(f"{type(error).__name__}: {error}")
        if data is None:
            return SendResult.retry(f"HTTP {response.status_code}", http_status=response.status_code, response=response.text[:2000])
        raw = json.dumps(data, ensure_ascii=False)[:2000]
        code = data.get("errcode")
        if code == 0 and not data.get("invaliduser"):
            return SendResult("sent", provider_message_id=str(data.get("msgid", "")), http_status=response.status_code, response=raw)
        if code == 0:
            return SendResult.failed(f"invalid user: {data.get('invaliduser')}", http_status=response.status_code, response=raw)
        if code in RETRYABLE:
            return SendResult.retry(
                f"errcode {code}: {RETRYABLE[code]}",
                http_status=response.status_code,
                response=raw,
                retry_after=60.0 if code == 45009 else None,
            )
        return SendResult.failed(f"errcode {code}: {data.get('errmsg', '')}", http_status=response.status_code, response=raw)

    async def aclose(self) -> None:
        await self.api.aclose()


# ---- check-in records (打卡记录), read by the attendance pull ----------------------------------

CHECKIN_MAX_DAYS = 30  # documented: one call spans at most 30 days
CHECKIN_MAX_USERS = 100  # documented: at most 100 userids per call


class WeComError(Exception):
    """WeCom answered with a non-zero errcode (or the server failed)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


async def get_checkin_data(api: WeComApi, starttime: int, endtime: int, userids: list[str]) -> list[dict]:
    """``POST /cgi-bin/checkin/getcheckindata`` for up to 100 users and 30 days: every record
    (``opencheckindatatype`` 3: on/off-duty and outside check-ins)."""
    if len(userids) > CHECKIN_MAX_USERS or endtime - starttime > CHECKIN_MAX_DAYS * 86400 or endtime < starttime:
        raise ValueError("a check-in call spans at most 30 days and 100 users")
    payload = {"opencheckindatatype": 3, "starttime": starttime, "endtime": endtime, "useridlist": userids}
    response, data = await api.post("/cgi-bin/checkin/getcheckindata", payload)
    if data is None:
        raise WeComError(-1, f"HTTP {response.status_code}")
    if data.get("errcode") != 0:
        raise WeComError(int(data.get("errcode", -1)), str(data.get("errmsg", ""))[:200])
    records = data.get("checkindata") or []
    if not isinstance(records, list):
        raise WeComError(-1, "checkindata is not a list")
    return records
