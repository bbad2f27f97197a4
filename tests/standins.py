"""Local stand-ins for the providers, following their documented request/response shapes.

They listen on 127.0.0.1 only, count what a receiver would see, and can inject the faults the
providers document (5xx, timeouts, busy, rate limit, expired token, invalid user).
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from urllib.parse import parse_qsl

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from selfservice.channels.sms_aliyun import sign


def _json(data: dict | list, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")


class _StandIn:
    """A threaded HTTP server on 127.0.0.1, used as a context manager."""

    server: HTTPServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()


class WeComStandIn(_StandIn):
    """``/cgi-bin/gettoken`` and ``/cgi-bin/message/send`` with duplicate check."""

    def __init__(
        self,
        corp_id: str = "ww-test-corp",
        secret: str = "wecom-secret",
        fault_rate: float = 0.0,
        timeout_seconds: float = 1.5,
        seed: int = 7,
    ) -> None:
        self.corp_id, self.secret = corp_id, secret
        self.fault_rate, self.timeout_seconds = fault_rate, timeout_seconds
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.token_requests = 0
        self.send_requests = 0
        self.delivered: Counter[tuple[str, str]] = Counter()  # what recipients see
        self.msgids: dict[tuple[str, str], str] = {}
        self.invalid_users: set[str] = set()
        self.scripted: list[dict] = []  # responses to give next, before any fault injection
        self.scripted_for: dict[str, list[dict]] = {}  # the same, for one recipient only
        self.checkins: list[dict] = []  # check-in records as WeCom keeps them
        self.checkin_calls: list[dict] = []  # every getcheckindata request body
        self.checkin_scripted: dict[int, dict] = {}  # call number (1-based) → an answer to give instead
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request("/cgi-bin/gettoken").respond_with_handler(self._gettoken)
        self.server.expect_request("/cgi-bin/message/send", method="POST").respond_with_handler(self._send)
        self.server.expect_request("/cgi-bin/checkin/getcheckindata", method="POST").respond_with_handler(self._checkin)
        # Sign-in: the web OAuth page inside the app and the QR login page both send the browser
        # back with a one-time code for whoever is "signed in to WeCom" here; getuserinfo resolves it.
        self.member = ""  # the WeCom userid of the person using WeCom right now
        self.outsider = False  # an outside contact: getuserinfo answers openid, not userid
        self.codes: dict[str, str] = {}
        self.used_codes: set[str] = set()
        self.authorize_calls: list[dict] = []
        self.server.expect_request("/connect/oauth2/authorize").respond_with_handler(self._authorize)
        self.server.expect_request("/wwlogin/sso/login").respond_with_handler(self._authorize)
        self.server.expect_request("/cgi-bin/auth/getuserinfo").respond_with_handler(self._getuserinfo)

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/connect/oauth2/authorize"

    @property
    def qr_url(self) -> str:
        return f"{self.url}/wwlogin/sso/login"

    def _authorize(self, request: Request) -> Response:
        """Documented: ``appid`` is the corp id; the browser goes to ``redirect_uri?code=CODE&state=STATE``."""
        args = dict(request.args)
        with self.lock:
            self.authorize_calls.append({"path": request.path, **args})
            if args.get("appid") != self.corp_id or not args.get("redirect_uri"):
                return Response("invalid appid", status=400)
            code = uuid.uuid4().hex
            self.codes[code] = self.member
        separator = "&" if "?" in args["redirect_uri"] else "?"
        return Response(status=302, headers={"Location": f"{args['redirect_uri']}{separator}code={code}&state={args.get('state', '')}"})

    def _getuserinfo(self, request: Request) -> Response:
        """``GET /cgi-bin/auth/getuserinfo?access_token=…&code=…``: a code works once, for 5 minutes."""
        with self.lock:
            if self.tokens.get(request.args.get("access_token", ""), 0) < time.time():
                return _json({"errcode": 42001, "errmsg": "access_token expired"})
            code = request.args.get("code", "")
            if code in self.used_codes or code not in self.codes:
                return _json({"errcode": 40029, "errmsg": "invalid code"})
            self.used_codes.add(code)
            userid = self.codes[code]
        if self.outsider:
            return _json({"errcode": 0, "errmsg": "ok", "openid": "o" + uuid.uuid4().hex, "external_userid": "wm" + userid})
        return _json({"errcode": 0, "errmsg": "ok", "userid": userid, "user_ticket": uuid.uuid4().hex, "expires_in": 1800})

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def _gettoken(self, request: Request) -> Response:
        with self.lock:
            self.token_requests += 1
            if request.args.get("corpid") != self.corp_id or request.args.get("corpsecret") != self.secret:
                return _json({"errcode": 40001, "errmsg": "invalid credential"})
            token = uuid.uuid4().hex
            self.tokens[token] = time.time() + 7200
        return _json({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

    def _send(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        with self.lock:
            self.send_requests += 1
            if self.scripted:
                return _json(self.scripted.pop(0))
            if self.scripted_for.get(body.get("touser", "")):
                return _json(self.scripted_for[body["touser"]].pop(0))
            token = request.args.get("access_token", "")
            if self.tokens.get(token, 0) < time.time():
                return _json({"errcode": 42001, "errmsg": "access_token expired"})
            fault = self.rng.random() < self.fault_rate
            fault_kind = self.rng.choice(["5xx", "timeout", "after"]) if fault else ""
        if fault_kind == "5xx":
            return Response("upstream error", status=502)
        if fault_kind == "timeout":
            time.sleep(self.timeout_seconds)  # the client gives up first; nothing was delivered
            return Response("late", status=504)
        user = body.get("touser", "")
        if user in self.invalid_users:
            return _json({"errcode": 0, "errmsg": "ok", "invaliduser": user, "msgid": ""})
        key = (user, json.dumps(body.get(body.get("msgtype", "text")), sort_keys=True, ensure_ascii=False))
        with self.lock:
            if key in self.msgids and body.get("enable_duplicate_check"):
                msgid = self.msgids[key]  # documented: a repeat within the interval is not sent again
            else:
                msgid = uuid.uuid4().hex
                self.msgids[key] = msgid
                self.delivered[key] += 1
        if fault_kind == "after":
            time.sleep(self.timeout_seconds)  # delivered, but the answer comes too late
        return _json({"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": msgid})

    def _checkin(self, request: Request) -> Response:
        """``getcheckindata``: at most 100 users and 30 days a call (errcodes 301023 / 301024 otherwise)."""
        body = json.loads(request.get_data())
        with self.lock:
            self.checkin_calls.append(body)
            number = len(self.checkin_calls)
            if number in self.checkin_scripted:
                return _json(self.checkin_scripted[number])
            if self.tokens.get(request.args.get("access_token", ""), 0) < time.time():
                return _json({"errcode": 42001, "errmsg": "access_token expired"})
        users = body.get("useridlist") or []
        start, end = int(body.get("starttime", 0)), int(body.get("endtime", 0))
        if not users or len(users) > 100:
            return _json({"errcode": 301023, "errmsg": "useridlist illegal or over limit", "checkindata": []})
        if end < start or end - start > 30 * 86400:
            return _json({"errcode": 301024, "errmsg": "checkin data time interval over limit", "checkindata": []})
        wanted = set(users)
        found = [r for r in self.checkins if r["userid"] in wanted and start <= r["checkin_time"] <= end]
        if body.get("opencheckindatatype") == 1:
            found = [r for r in found if r["checkin_type"] in ("上班打卡", "下班打卡")]
        return _json({"errcode": 0, "errmsg": "ok", "checkindata": found})


def checkin_record(userid: str, at: int, checkin_type: str = "上班打卡", exception_type: str = "", **extra) -> dict:
    """One record of ``checkindata`` as WeCom documents it (lat/lng in degrees × 1,000,000)."""
    return {
        "userid": userid,
        "groupname": "打卡一组",
        "checkin_type": checkin_type,
        "exception_type": exception_type,
        "checkin_time": at,
        "location_title": "" if exception_type == "未打卡" else "张江高科技园区",
        "location_detail": "" if exception_type == "未打卡" else "上海市浦东新区张江路",
        "wifiname": "",
        "notes": "",
        "wifimac": "",
        "mediaids": [],
        "lat": 0 if exception_type == "未打卡" else 31204055,
        "lng": 0 if exception_type == "未打卡" else 121597280,
        "deviceid": "",
        "sch_checkin_time": at,
        "groupid": 1,
        "schedule_id": 0,
        "timeline_id": 1,
        **extra,
    }


class AliyunSmsStandIn(_StandIn):
    """RPC-style ``SendSms`` / ``QuerySendDetails`` that checks the HMAC-SHA1 signature."""

    def __init__(self, access_key_id: str = "LTAI-test", access_key_secret: str = "sms-secret") -> None:
        self.access_key_id, self.access_key_secret = access_key_id, access_key_secret
        self.lock = threading.Lock()
        self.sent: list[dict[str, str]] = []
        self.scripted: list[dict] = []
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request("/").respond_with_handler(self._rpc)

    def _rpc(self, request: Request) -> Response:
        params = dict(parse_qsl(request.query_string.decode(), keep_blank_values=True))
        signature = params.pop("Signature", "")
        if params.get("AccessKeyId") != self.access_key_id or sign(params, self.access_key_secret) != signature:
            return _json({"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}, 400)
        with self.lock:
            if self.scripted:
                return _json(self.scripted.pop(0))
            if params.get("Action") == "SendSms":
                biz_id = f"{len(self.sent) + 1:06d}^{uuid.uuid4().hex[:10]}"
                self.sent.append({**params, "BizId": biz_id})
                return _json({"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": uuid.uuid4().hex})
            if params.get("Action") == "QuerySendDetails":
                if params.get("BizId"):
                    found = [s for s in self.sent if s["BizId"] == params["BizId"]]
                else:
                    found = [s for s in self.sent if s["PhoneNumbers"] == params.get("PhoneNumber")]
                details = [
                    {"PhoneNum": s["PhoneNumbers"], "SendStatus": 3, "ErrCode": "DELIVERED", "OutId": s["OutId"], "BizId": s["BizId"]}
                    for s in found
                ]
                return _json({"Code": "OK", "TotalCount": len(details), "SmsSendDetailDTOs": {"SmsSendDetailDTO": details}})
        return _json({"Code": "InvalidAction", "Message": "unknown action"}, 400)

    def report_for(self, sent: dict[str, str], success: bool = True) -> dict:
        """A delivery report as Aliyun pushes it (one item of the JSON array)."""
        return {
            "phone_number": sent["PhoneNumbers"],
            "send_time": "2026-11-25 09:00:00",
            "report_time": "2026-11-25 09:00:05",
            "success": success,
            "err_code": "DELIVERED" if success else "MOBILE_NOT_ON_SERVICE",
            "err_msg": "用户接收成功" if success else "停机",
            "sms_size": "1",
            "biz_id": sent["BizId"],
            "out_id": sent["OutId"],
        }


class TimestampAuthorityStandIn(_StandIn):
    """An RFC 3161 TSA over HTTP (``application/timestamp-query`` in, ``-reply`` out), answered by
    pyHanko's own test timestamper with a TSA certificate made here."""

    def __init__(self) -> None:
        import asyncio
        from datetime import UTC, datetime, timedelta

        from asn1crypto import keys as asn1_keys
        from asn1crypto import tsp
        from asn1crypto import x509 as asn1_x509
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        now = datetime.now(UTC)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test TSA signs with RSA only
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA 127.0.0.1")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(key, hashes.SHA256())
        )
        self.certificate = cert
        self.requests = 0
        self.failing = False
        self._stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            ),
        )
        self._tsp, self._asyncio = tsp, asyncio
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request("/tsa", method="POST").respond_with_handler(self._answer)

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/tsa"

    def _answer(self, request: Request) -> Response:
        self.requests += 1
        if self.failing:
            return Response("unavailable", status=503)
        if request.content_type != "application/timestamp-query":
            return Response("bad content type", status=400)
        query = self._tsp.TimeStampReq.load(request.get_data())
        reply = self._asyncio.run(self._stamper.async_request_tsa_response(query))
        return Response(reply.dump(), status=200, content_type="application/timestamp-reply")


class OidcProvider:
    """A real OpenID Connect provider from PyPI (``oidc-provider-mock``), served on 127.0.0.1:
    discovery, JWKS, authorization form, token endpoint. Users are set with ``put_user``."""

    def __init__(self) -> None:
        from oidc_provider_mock import app as oidc_app

        self._app = oidc_app(require_nonce=True)
        self.server = None

    def __enter__(self):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def put_user(self, sub: str, claims: dict) -> None:
        import httpx

        httpx.put(f"{self.url}/users/{sub}", json=claims, timeout=5).raise_for_status()

    def sign_in_as(self, authorize_url: str, sub: str) -> str:
        """What the person does on the provider's form; returns where it sends the browser."""
        import httpx

        response = httpx.post(authorize_url, data={"sub": sub}, follow_redirects=False, timeout=5)
        assert response.status_code in (302, 303), response.text[:300]
        return response.headers["location"]


class ForgingOidc(_StandIn):
    """An OpenID provider whose token endpoint answers whatever ID token the test forged (to
    prove each check of the client: signature, alg, exp, aud, iss, nonce)."""

    def __init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self.id_token = ""
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request("/.well-known/openid-configuration").respond_with_handler(self._discovery)
        self.server.expect_request("/jwks").respond_with_handler(lambda _r: _json({"keys": [self.key.as_dict(private=False)]}))
        self.server.expect_request("/token", method="POST").respond_with_handler(
            lambda _r: _json(
                {"access_token": "at-" + uuid.uuid4().hex, "token_type": "Bearer", "expires_in": 300, "id_token": self.id_token}
            )
        )

    def _discovery(self, _request: Request) -> Response:
        return _json(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    def forge(self, claims: dict, key=None, alg: str = "RS256", kid: str = "k1") -> str:
        from joserfc import jwt
        from joserfc.jws import JWSRegistry

        if alg == "none":
            import base64

            def part(data: dict) -> str:
                return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

            self.id_token = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
        else:
            registry = JWSRegistry(algorithms=[alg])
            self.id_token = jwt.encode({"alg": alg, "kid": kid}, claims, key or self.key, registry=registry)
        return self.id_token


class S3StandIn:
    """A local S3 service (moto's server, from PyPI) on 127.0.0.1 with one empty bucket; it
    answers the same REST requests as AWS S3, so the app's boto3 client is tested as in production.

        with S3StandIn() as s3:
            monkeypatch.setenv("SELFSERVICE_FILE_STORE", s3.location)
            monkeypatch.setenv("SELFSERVICE_S3_ENDPOINT", s3.endpoint)
    """

    CREDENTIALS = {"AWS_ACCESS_KEY_ID": "selfservice-test", "AWS_SECRET_ACCESS_KEY": "selfservice-test", "AWS_DEFAULT_REGION": "us-east-1"}

    def __init__(self, bucket: str = "selfservice-files", prefix: str = "files") -> None:
        self.bucket, self.prefix = bucket, prefix

    def __enter__(self) -> S3StandIn:
        import os

        import boto3
        from moto.server import ThreadedMotoServer

        from tests.pg import free_port

        for name, value in self.CREDENTIALS.items():
            os.environ.setdefault(name, value)
        port = free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.server.start()
        self.endpoint = f"http://127.0.0.1:{port}"
        self.location = f"s3://{self.bucket}/{self.prefix}"
        self.client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1")
        self.client.create_bucket(Bucket=self.bucket)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]
