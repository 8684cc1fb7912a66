"""Local stand-ins for the outside systems, served over real HTTP on 127.0.0.1.

Each fake checks a request the way its provider does: the signatures are
recomputed here with code written independently of the adapters, so an adapter
bug shows up as the provider's own error reply rather than passing unnoticed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import urllib.parse
import uuid
import zoneinfo
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

# --------------------------------------------------------------------------- generic server


@dataclass
class RecordedRequest:
    method: str
    path: str
    raw_query: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.raw_query, keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class FakeResponse:
    status: int
    body: bytes
    content_type: str = "application/json;charset=utf-8"

    @classmethod
    def json(cls, data: Any, status: int = 200) -> FakeResponse:
        return cls(status, json.dumps(data, ensure_ascii=False).encode("utf-8"))


class FakeServer:
    """A ThreadingHTTPServer on an ephemeral port; subclasses answer in ``handle``.

    ``delay`` holds every reply back (for timeout tests); ``override`` replaces every
    reply (for malformed-reply tests). Every request is kept in ``requests``.
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.delay: float = 0.0
        self.override: FakeResponse | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- subclass hook
    def handle(self, request: RecordedRequest) -> FakeResponse:
        return FakeResponse.json({"ok": True})

    # -- lifecycle
    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, raw_query = self.path.partition("?")
                request = RecordedRequest(
                    method=self.command,
                    path=path,
                    raw_query=raw_query,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                response = fake._dispatch(request)
                if response is None:  # server is shutting down mid-delay
                    self.close_connection = True
                    return
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep pytest output clean

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request: Any, client_address: Any) -> None:
                # The client of a timeout test hangs up before we answer; that is expected.
                pass

        self._httpd = Server(("127.0.0.1", 0), Handler)
        # A short poll interval keeps shutdown (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _dispatch(self, request: RecordedRequest) -> FakeResponse | None:
        with self._lock:
            self.requests.append(request)
        if self.delay and self._stopping.wait(self.delay):
            return None
        if self.override is not None:
            return self.override
        return self.handle(request)


def closed_port_url() -> str:
    """A loopback URL on which nothing listens (the port was just released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------- 阿里云 dysms

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def pop_encode(text: str) -> str:
    """Aliyun POP percent-encoding, written out byte by byte (independent of urllib.quote)."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def pop_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    pairs = sorted((pop_encode(k), pop_encode(v)) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{k}={v}" for k, v in pairs)
    to_sign = method + "&" + pop_encode("/") + "&" + pop_encode(canonical)
    mac = hmac.new(f"{secret}&".encode(), to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


_ALIYUN_REQUIRED = (
    "AccessKeyId",
    "Action",
    "Format",
    "PhoneNumbers",
    "RegionId",
    "SignName",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "TemplateCode",
    "Timestamp",
    "Version",
)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class AliyunSmsFake(FakeServer):
    """dysmsapi.aliyuncs.com ``SendSms``, checking what Aliyun checks before delivering."""

    def __init__(
        self,
        *,
        access_key_id: str = "LTAI-test-key-id",
        access_key_secret: str = "aliyun-test-secret",
        sign_name: str = "相城区劳务自管自律平台",
        template_code: str = "SMS_465000001",
        max_skew_seconds: int = 15 * 60,
    ) -> None:
        super().__init__()
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.max_skew_seconds = max_skew_seconds
        self.refuse_with: str | None = None  # e.g. "isv.BUSINESS_LIMIT_CONTROL"
        self.delivered: list[tuple[str, str]] = []
        self._nonces: set[str] = set()

    @staticmethod
    def _error(code: str, message: str, status: int = 400) -> FakeResponse:
        return FakeResponse.json(
            {"Code": code, "Message": message, "RequestId": str(uuid.uuid4()).upper()}, status=status
        )

    def handle(self, request: RecordedRequest) -> FakeResponse:
        if request.method not in ("GET", "POST") or request.path != "/":
            return self._error("InvalidAction.NotFound", "Specified api is not found.", 404)
        pairs = urllib.parse.parse_qsl(request.raw_query, keep_blank_values=True)
        params = dict(pairs)
        if len(params) != len(pairs):
            return self._error("InvalidParameter", "Duplicate parameter.")
        for name in _ALIYUN_REQUIRED:
            if not params.get(name):
                return self._error(f"Missing{name}", f"{name} is mandatory for this action.")
        if params["Action"] != "SendSms":
            return self._error("InvalidAction.NotFound", "Specified api is not found.", 404)
        if params["Version"] != "2017-05-25":
            return self._error("InvalidVersion", "Specified parameter Version is not valid.")
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return self._error("InvalidSignatureMethod", "Specified signature method is not supported.")
        if params["AccessKeyId"] != self.access_key_id:
            return self._error("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        try:
            sent_at = dt.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            return self._error("InvalidTimeStamp.Format", "Specified time stamp is not valid.")
        if abs((dt.datetime.now(dt.UTC) - sent_at).total_seconds()) > self.max_skew_seconds:
            return self._error("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        expected = pop_signature(params, self.access_key_secret, request.method)
        if not hmac.compare_digest(expected, params["Signature"]):
            return self._error("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        with self._lock:
            if params["SignatureNonce"] in self._nonces:
                return self._error("SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces.add(params["SignatureNonce"])
        if params["Format"] != "JSON":
            return self._error("InvalidParameter", "This fake only speaks JSON.")
        if params["RegionId"] != "cn-hangzhou":
            return self._error("InvalidRegionId", "Specified region is not valid.")
        # Below: business errors, which Aliyun reports with HTTP 200.
        if params["SignName"] != self.sign_name:
            return self._error("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名", 200)
        if params["TemplateCode"] != self.template_code:
            return self._error("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板", 200)
        try:
            template_param = json.loads(params.get("TemplateParam", ""))
        except ValueError:
            template_param = None
        if not isinstance(template_param, dict) or not str(template_param.get("code", "")).isdigit():
            return self._error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值", 200)
        if not _MOBILE.match(params["PhoneNumbers"]):
            return self._error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", 200)
        if self.refuse_with:
            return self._error(self.refuse_with, "触发分钟级流控Permits:1", 200)
        with self._lock:
            self.delivered.append((params["PhoneNumbers"], str(template_param["code"])))
        return FakeResponse.json(
            {
                "Code": "OK",
                "Message": "OK",
                "BizId": f"{int(time.time() * 1000)}^0",
                "RequestId": str(uuid.uuid4()).upper(),
            }
        )


# --------------------------------------------------------------------------- 腾讯云 SMS

_TC3_AUTH = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z]+)/tc3_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;\-]+), Signature=(?P<sig>[0-9a-f]{64})$"
)


def tc3_signature(*, secret_key: str, date: str, service: str, timestamp: str, canonical_request: str) -> str:
    """TC3-HMAC-SHA256 from an already-built canonical request (the fake builds its own)."""

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()

    digest_cr = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{digest_cr}"
    key = mac(mac(mac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


class TencentSmsFake(FakeServer):
    """sms.tencentcloudapi.com ``SendSms`` (2021-01-11). Tencent always answers HTTP 200."""

    def __init__(
        self,
        *,
        secret_id: str = "AKID-test-secret-id",
        secret_key: str = "tencent-test-secret-key",
        sdk_app_id: str = "1400000001",
        sign_name: str = "相城区劳务自管自律平台",
        template_id: str = "2000001",
        region: str = "ap-guangzhou",
        max_skew_seconds: int = 5 * 60,
    ) -> None:
        super().__init__()
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.template_id = template_id
        self.region = region
        self.max_skew_seconds = max_skew_seconds
        self.refuse_with: str | None = None  # per-number status, e.g. "LimitExceeded.PhoneNumberDailyLimit"
        self.delivered: list[tuple[str, list[str]]] = []

    @staticmethod
    def _error(code: str, message: str) -> FakeResponse:
        return FakeResponse.json(
            {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}}
        )

    def _check_auth(self, request: RecordedRequest) -> FakeResponse | None:
        h = request.headers
        if h.get("x-tc-action") != "SendSms":
            return self._error("InvalidAction", "Action not found.")
        if h.get("x-tc-version") != "2021-01-11":
            return self._error("InvalidParameterValue", "Version not supported.")
        if h.get("x-tc-region") != self.region:
            return self._error("InvalidParameterValue.RegionError", "Region invalid.")
        timestamp = h.get("x-tc-timestamp", "")
        if not timestamp.isdigit():
            return self._error("MissingParameter", "The request is missing a required parameter `Timestamp`.")
        if abs(time.time() - int(timestamp)) > self.max_skew_seconds:
            return self._error("AuthFailure.SignatureExpire", "The signature expired.")
        match = _TC3_AUTH.match(h.get("authorization", ""))
        if not match:
            return self._error("AuthFailure.InvalidAuthorization", "Authorization header is malformed.")
        if match["id"] != self.secret_id:
            return self._error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        date = dt.datetime.fromtimestamp(int(timestamp), dt.UTC).date().isoformat()
        signed = match["signed"].split(";")
        if match["date"] != date or match["service"] != "sms" or not {"content-type", "host"} <= set(signed):
            return self._error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        canonical_headers = "".join(f"{name}:{h.get(name, '').strip().lower()}\n" for name in signed)
        canonical_request = "\n".join(
            [
                request.method,
                request.path or "/",
                request.raw_query,
                canonical_headers,
                match["signed"],
                hashlib.sha256(request.body).hexdigest(),
            ]
        )
        expected = tc3_signature(
            secret_key=self.secret_key,
            date=date,
            service="sms",
            timestamp=timestamp,
            canonical_request=canonical_request,
        )
        if not hmac.compare_digest(expected, match["sig"]):
            return self._error(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            )
        return None

    def handle(self, request: RecordedRequest) -> FakeResponse:
        if request.method != "POST" or request.path != "/":
            return self._error("UnsupportedOperation", "Only POST / is served.")
        if not request.headers.get("content-type", "").startswith("application/json"):
            return self._error("UnsupportedOperation", "Content-Type must be application/json.")
        refused = self._check_auth(request)
        if refused is not None:
            return refused
        try:
            body = request.json()
        except ValueError:
            return self._error("InvalidParameter", "Body is not valid JSON.")
        if body.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist.")
        if body.get("SignName") != self.sign_name:
            return self._error("FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误。")
        if body.get("TemplateId") != self.template_id:
            return self._error("FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配。")
        params = body.get("TemplateParamSet")
        if not isinstance(params, list) or len(params) != 2 or not all(isinstance(p, str) for p in params):
            return self._error("InvalidParameterValue.TemplateParameterFormatError", "模板参数格式错误。")
        phones = body.get("PhoneNumberSet")
        if not isinstance(phones, list) or not phones:
            return self._error("MissingParameter", "PhoneNumberSet is required.")
        statuses = []
        for phone in phones:
            ok = isinstance(phone, str) and phone.startswith("+86") and bool(_MOBILE.match(phone[3:]))
            code = "Ok" if ok else "InvalidParameterValue.IncorrectPhoneNumber"
            if ok and self.refuse_with:
                code = self.refuse_with
            if code == "Ok":
                with self._lock:
                    self.delivered.append((phone, params))
            statuses.append(
                {
                    "SerialNo": str(uuid.uuid4()),
                    "PhoneNumber": phone,
                    "Fee": 1 if code == "Ok" else 0,
                    "SessionContext": "",
                    "Code": code,
                    "Message": "send success" if code == "Ok" else "refused",
                    "IsoCode": "CN",
                }
            )
        return FakeResponse.json({"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}})


# --------------------------------------------------------------------------- 天眼查

_CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")


def china_midnight_ms(day: dt.date | None) -> int | None:
    """How 天眼查 encodes a date: epoch milliseconds of 00:00 Beijing time."""
    if day is None:
        return None
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=_CHINA).timestamp() * 1000)


def tianyancha_result(
    *,
    name: str,
    credit_code: str,
    legal_person: str = "",
    reg_capital: str = "",
    established: dt.date | None = None,
    org_type: str = "",
    institute: str = "",
    status: str = "",
    location: str = "",
    scope: str = "",
    term_from: dt.date | None = None,
    term_to: dt.date | None = None,
) -> dict[str, Any]:
    """A ``baseinfo/normal`` result object, with the provider's field names and spelling."""
    return {
        "id": abs(hash(credit_code)) % 10**10,
        "name": name,
        "creditCode": credit_code,
        "regNumber": "",
        "legalPersonName": legal_person,
        "regCapital": reg_capital,
        "estiblishTime": china_midnight_ms(established),
        "companyOrgType": org_type,
        "regInstitute": institute,
        "regStatus": status,
        "regLocation": location,
        "businessScope": scope,
        "fromTime": china_midnight_ms(term_from),
        "toTime": china_midnight_ms(term_to),
        "base": "js",
        "industry": "建筑业",
    }


class TianyanchaFake(FakeServer):
    """open.api.tianyancha.com ``/services/open/ic/baseinfo/normal`` (always HTTP 200)."""

    def __init__(self, *, token: str = "tyc-test-token", companies: dict[str, dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.token = token
        # keyword → result object; a result's creditCode may differ from its keyword (fuzzy match).
        self.companies: dict[str, dict[str, Any]] = dict(companies or {})
        self.refuse_with: int | None = None  # e.g. 300004 (访问频率过快)

    def handle(self, request: RecordedRequest) -> FakeResponse:
        if request.method != "GET" or request.path != "/services/open/ic/baseinfo/normal":
            return FakeResponse.json({"error_code": 300010, "reason": "URL不存在", "result": None})
        if request.headers.get("authorization") != self.token:
            return FakeResponse.json({"error_code": 300003, "reason": "token无效", "result": None})
        if self.refuse_with is not None:
            return FakeResponse.json({"error_code": self.refuse_with, "reason": "访问频率过快", "result": None})
        keyword = request.query.get("keyword", "")
        if not keyword:
            return FakeResponse.json({"error_code": 300008, "reason": "缺少必要参数", "result": None})
        result = self.companies.get(keyword)
        if result is None:
            return FakeResponse.json({"error_code": 300000, "reason": "经查无结果", "result": None})
        return FakeResponse.json({"error_code": 0, "reason": "ok", "result": result})


__all__ = [
    "AliyunSmsFake",
    "FakeResponse",
    "FakeServer",
    "RecordedRequest",
    "TencentSmsFake",
    "TianyanchaFake",
    "china_midnight_ms",
    "closed_port_url",
    "pop_encode",
    "pop_signature",
    "tc3_signature",
    "tianyancha_result",
]
