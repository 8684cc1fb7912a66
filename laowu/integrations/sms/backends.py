"""SMS backends: a file outbox and a console for development, 阿里云 and 腾讯云 for production.

The provider signatures are implemented here rather than through the vendors' SDKs:
each SDK pulls in dozens of packages for what is one signed HTTP request, and keeping
the signing in small pure functions lets the tests check them against the vendors'
published examples.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
import sys
import time
import urllib.parse
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

from laowu.core.validators import mask_mobile

from .base import EXPIRY_NOTICE, SmsDeliveryError

logger = logging.getLogger("laowu.sms")

PLATFORM_SIGN = "相城区劳务自管自律平台"
# The ``purpose`` logged and written to the outbox for a notification (not a code).
NOTICE_PURPOSE = "notice"


def code_ttl_minutes() -> int:
    # The message promises what the account code enforces, so both read the same setting.
    return max(1, int(settings.LAOWU_SMS_CODE_TTL_SECONDS) // 60)


def verification_text(code: str, ttl_minutes: int | None = None) -> str:
    """The message as the user's phone shows it (the providers' templates say the same)."""
    minutes = code_ttl_minutes() if ttl_minutes is None else ttl_minutes
    return f"【{PLATFORM_SIGN}】您的验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。"


# --------------------------------------------------------------------------- development


class FileOutboxBackend:
    """Appends each message as one JSON line to a file, standing in for a real phone.

    Demo and end-to-end runs read the code back from this file, so every line must be
    complete JSON even when several gunicorn workers send at the same moment.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @classmethod
    def from_settings(cls) -> FileOutboxBackend:
        return cls(settings.LAOWU_SMS_OUTBOX)

    def send_code(self, *, phone: str, code: str, purpose: str) -> None:
        record = {
            "time": timezone.localtime(timezone.now()).isoformat(),
            "phone": phone,
            "code": code,
            "purpose": purpose,
            "text": verification_text(code),
        }
        self._append(record)
        logger.info("短信（发件箱）：%s %s 已写入 %s", mask_mobile(phone), purpose, self.path)

    def send_notice(
        self, *, phone: str, text: str, template_params: Mapping[str, str], template: str = EXPIRY_NOTICE
    ) -> None:
        record = {
            "time": timezone.localtime(timezone.now()).isoformat(),
            "phone": phone,
            "purpose": NOTICE_PURPOSE,
            "template": template,
            "text": text,
            "params": dict(template_params),
        }
        self._append(record)
        logger.info("短信（发件箱）：%s %s 已写入 %s", mask_mobile(phone), NOTICE_PURPOSE, self.path)

    def _append(self, record: Mapping[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # 0600: the outbox holds live verification codes.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                # O_APPEND alone does not promise one write() per line on every filesystem;
                # the lock does, across processes.
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    view = memoryview(line)
                    while view:
                        written = os.write(fd, view)
                        view = view[written:]
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        except OSError as exc:
            raise SmsDeliveryError(f"无法写入短信发件箱 {self.path}：{exc}") from exc


class ConsoleBackend:
    """Prints the message, code included, for a developer watching the terminal."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream

    @classmethod
    def from_settings(cls) -> ConsoleBackend:
        return cls()

    def send_code(self, *, phone: str, code: str, purpose: str) -> None:
        # Resolved at send time so that pytest's capsys (which swaps sys.stdout) sees it.
        stream = self.stream or sys.stdout
        text = verification_text(code)
        print(f"[短信] {phone} ({purpose}) {text}", file=stream, flush=True)
        logger.info("短信（控制台）：%s %s 已输出", mask_mobile(phone), purpose)

    def send_notice(
        self, *, phone: str, text: str, template_params: Mapping[str, str], template: str = EXPIRY_NOTICE
    ) -> None:
        stream = self.stream or sys.stdout
        print(f"[短信] {phone} ({NOTICE_PURPOSE}:{template}) {text}", file=stream, flush=True)
        logger.info("短信（控制台）：%s %s 已输出", mask_mobile(phone), NOTICE_PURPOSE)


# --------------------------------------------------------------------------- 阿里云 dysms

ALIYUN_API_VERSION = "2017-05-25"


def aliyun_percent_encode(value: str) -> str:
    """Aliyun's POP encoding: RFC 3986 unreserved characters kept, everything else %XX (UTF-8)."""
    return urllib.parse.quote(value, safe="~")


def aliyun_canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{aliyun_percent_encode(k)}={aliyun_percent_encode(params[k])}" for k in sorted(params))


def aliyun_string_to_sign(params: Mapping[str, str], method: str = "GET") -> str:
    return f"{method}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(aliyun_canonical_query(params))}"


def aliyun_signature(params: Mapping[str, str], secret: str, method: str = "GET") -> str:
    """Signature v1.0 (HMAC-SHA1) over every parameter except ``Signature`` itself, base64."""
    digest = hmac.new(
        (secret + "&").encode("utf-8"), aliyun_string_to_sign(params, method).encode("utf-8"), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def _utcnow() -> dt.datetime:
    # One seam for tests that need a stale timestamp.
    return dt.datetime.now(dt.UTC)


class AliyunDysmsBackend:
    """阿里云短信服务 ``SendSms`` (RPC style, signature v1.0)."""

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        endpoint: str,
        timeout: float,
        region_id: str = "cn-hangzhou",
        notice_template_code: str = "",
        notice_template_codes: Mapping[str, str] | None = None,
    ) -> None:
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.notice_template_code = notice_template_code
        self.notice_template_codes = dict(notice_template_codes or {})
        self.endpoint = endpoint
        self.timeout = timeout
        self.region_id = region_id

    @classmethod
    def from_settings(cls) -> AliyunDysmsBackend:
        return cls(
            access_key_id=settings.LAOWU_SMS_ALIYUN_ACCESS_KEY_ID,
            access_key_secret=settings.LAOWU_SMS_ALIYUN_ACCESS_KEY_SECRET,
            sign_name=settings.LAOWU_SMS_ALIYUN_SIGN_NAME,
            template_code=settings.LAOWU_SMS_ALIYUN_TEMPLATE_CODE,
            endpoint=settings.LAOWU_SMS_ALIYUN_ENDPOINT,
            timeout=settings.LAOWU_SMS_TIMEOUT,
            notice_template_code=settings.LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODE,
            notice_template_codes=settings.LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODES,
        )

    def __repr__(self) -> str:
        return f"<AliyunDysmsBackend key_id={self.access_key_id!r} endpoint={self.endpoint!r}>"

    def _missing_settings(self, template: tuple[str, str]) -> list[str]:
        pairs = [
            ("LAOWU_SMS_ALIYUN_ACCESS_KEY_ID", self.access_key_id),
            ("LAOWU_SMS_ALIYUN_ACCESS_KEY_SECRET", self._secret),
            ("LAOWU_SMS_ALIYUN_SIGN_NAME", self.sign_name),
            template,
            ("LAOWU_SMS_ALIYUN_ENDPOINT", self.endpoint),
        ]
        return [name for name, value in pairs if not value]

    def build_params(self, *, phone: str, code: str) -> dict[str, str]:
        return self._params(phone=phone, template_code=self.template_code, template_param={"code": code})

    def notice_template(self, template: str) -> tuple[str, str]:
        """The setting that names ``template``'s approved template code, and that code ("" if unset)."""
        if template in self.notice_template_codes or template != EXPIRY_NOTICE:
            return f"LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODES[{template}]", self.notice_template_codes.get(template, "")
        return "LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODE", self.notice_template_code

    def build_notice_params(
        self, *, phone: str, template_params: Mapping[str, str], template: str = EXPIRY_NOTICE
    ) -> dict[str, str]:
        _, code = self.notice_template(template)
        return self._params(phone=phone, template_code=code, template_param=template_params)

    def _params(self, *, phone: str, template_code: str, template_param: Mapping[str, str]) -> dict[str, str]:
        return {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": self.region_id,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": str(uuid.uuid4()),
            "SignatureVersion": "1.0",
            "TemplateCode": template_code,
            # Aliyun takes every template variable as a string.
            "TemplateParam": json.dumps(
                {k: str(v) for k, v in template_param.items()}, ensure_ascii=False, separators=(",", ":")
            ),
            "Timestamp": _utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": ALIYUN_API_VERSION,
        }

    def signed_url(self, params: Mapping[str, str]) -> str:
        # Built by hand, not via requests' params=, so that the bytes sent are exactly the
        # ones signed (requests would encode spaces as '+').
        base = self.endpoint if urllib.parse.urlsplit(self.endpoint).path else self.endpoint + "/"
        signature = aliyun_percent_encode(aliyun_signature(params, self._secret))
        return f"{base}?Signature={signature}&{aliyun_canonical_query(params)}"

    def send_code(self, *, phone: str, code: str, purpose: str) -> None:
        self._check_configured(("LAOWU_SMS_ALIYUN_TEMPLATE_CODE", self.template_code))
        self._deliver(self.build_params(phone=phone, code=code), phone=phone, purpose=purpose)

    def send_notice(
        self, *, phone: str, text: str, template_params: Mapping[str, str], template: str = EXPIRY_NOTICE
    ) -> None:
        # ``text`` is what the approved notice template renders to; Aliyun fills the template itself.
        self._check_configured(self.notice_template(template))
        params = self.build_notice_params(phone=phone, template_params=template_params, template=template)
        self._deliver(params, phone=phone, purpose=NOTICE_PURPOSE)

    def _check_configured(self, template: tuple[str, str]) -> None:
        missing = self._missing_settings(template)
        if missing:
            logger.error("阿里云短信未配置：缺少 %s", ", ".join(missing))
            raise SmsDeliveryError(f"阿里云短信未配置（缺少 {', '.join(missing)}）")

    def _deliver(self, params: Mapping[str, str], *, phone: str, purpose: str) -> None:
        url = self.signed_url(params)
        try:
            resp = requests.get(url, timeout=self.timeout)
        except requests.Timeout as exc:
            logger.warning("阿里云短信超时：%s %s", mask_mobile(phone), purpose)
            raise SmsDeliveryError("阿里云短信服务超时") from exc
        except requests.RequestException as exc:
            logger.warning("阿里云短信无法连接：%s %s：%s", mask_mobile(phone), purpose, type(exc).__name__)
            raise SmsDeliveryError(f"无法连接阿里云短信服务：{type(exc).__name__}") from exc
        try:
            data = resp.json()
        except ValueError as exc:
            raise SmsDeliveryError(f"阿里云短信服务返回了无法解析的应答（HTTP {resp.status_code}）") from exc
        if not isinstance(data, dict):
            raise SmsDeliveryError(f"阿里云短信服务返回了无法解析的应答（HTTP {resp.status_code}）")
        if data.get("Code") != "OK":
            provider_code = data.get("Code") or f"HTTP {resp.status_code}"
            message = data.get("Message") or ""
            logger.warning(
                "阿里云短信被拒绝：%s %s：%s %s (RequestId=%s)",
                mask_mobile(phone),
                purpose,
                provider_code,
                message,
                data.get("RequestId", ""),
            )
            raise SmsDeliveryError(f"阿里云短信发送失败：{provider_code} {message}".rstrip())
        logger.info(
            "阿里云短信已发送：%s %s (BizId=%s, RequestId=%s)",
            mask_mobile(phone),
            purpose,
            data.get("BizId", ""),
            data.get("RequestId", ""),
        )


# --------------------------------------------------------------------------- 腾讯云 SMS

TENCENT_API_VERSION = "2021-01-11"
TENCENT_CONTENT_TYPE = "application/json; charset=utf-8"


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac_sha256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def tencent_signature(
    *, secret_key: str, service: str, host: str, content_type: str, payload: bytes, timestamp: int
) -> str:
    """TC3-HMAC-SHA256 signature (hex) of a POST to ``/`` signing ``content-type;host``."""
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            _sha256_hex(payload),
        ]
    )
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            f"{date}/{service}/tc3_request",
            _sha256_hex(canonical_request.encode("utf-8")),
        ]
    )
    secret_date = _hmac_sha256(("TC3" + secret_key).encode("utf-8"), date)
    secret_service = _hmac_sha256(secret_date, service)
    secret_signing = _hmac_sha256(secret_service, "tc3_request")
    return hmac.new(secret_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def tencent_authorization(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    content_type: str,
    payload: bytes,
    timestamp: int,
) -> str:
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    signature = tencent_signature(
        secret_key=secret_key,
        service=service,
        host=host,
        content_type=content_type,
        payload=payload,
        timestamp=timestamp,
    )
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


def _now_timestamp() -> int:
    # One seam for tests that need a stale timestamp.
    return int(time.time())


class TencentSmsBackend:
    """腾讯云短信 ``SendSms`` (API 2021-01-11, TC3-HMAC-SHA256)."""

    service = "sms"

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        template_id: str,
        region: str,
        endpoint: str,
        timeout: float,
        notice_template_id: str = "",
        notice_template_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.secret_id = secret_id
        self._secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.template_id = template_id
        self.notice_template_id = notice_template_id
        self.notice_template_ids = dict(notice_template_ids or {})
        self.region = region
        self.endpoint = endpoint
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> TencentSmsBackend:
        return cls(
            secret_id=settings.LAOWU_SMS_TENCENT_SECRET_ID,
            secret_key=settings.LAOWU_SMS_TENCENT_SECRET_KEY,
            sdk_app_id=settings.LAOWU_SMS_TENCENT_APP_ID,
            sign_name=settings.LAOWU_SMS_TENCENT_SIGN_NAME,
            template_id=settings.LAOWU_SMS_TENCENT_TEMPLATE_ID,
            region=settings.LAOWU_SMS_TENCENT_REGION,
            endpoint=settings.LAOWU_SMS_TENCENT_ENDPOINT,
            timeout=settings.LAOWU_SMS_TIMEOUT,
            notice_template_id=settings.LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_ID,
            notice_template_ids=settings.LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_IDS,
        )

    def __repr__(self) -> str:
        return f"<TencentSmsBackend secret_id={self.secret_id!r} endpoint={self.endpoint!r}>"

    def _missing_settings(self, template: tuple[str, str]) -> list[str]:
        pairs = [
            ("LAOWU_SMS_TENCENT_SECRET_ID", self.secret_id),
            ("LAOWU_SMS_TENCENT_SECRET_KEY", self._secret_key),
            ("LAOWU_SMS_TENCENT_APP_ID", self.sdk_app_id),
            ("LAOWU_SMS_TENCENT_SIGN_NAME", self.sign_name),
            template,
            ("LAOWU_SMS_TENCENT_REGION", self.region),
            ("LAOWU_SMS_TENCENT_ENDPOINT", self.endpoint),
        ]
        return [name for name, value in pairs if not value]

    def build_request(self, *, phone: str, code: str) -> tuple[str, dict[str, str], bytes]:
        """URL, headers and the exact body bytes that were signed."""
        return self._request(phone=phone, template_id=self.template_id, params=[code, str(code_ttl_minutes())])

    def notice_template(self, template: str) -> tuple[str, str]:
        """The setting that names ``template``'s approved template id, and that id ("" if unset)."""
        if template in self.notice_template_ids or template != EXPIRY_NOTICE:
            return f"LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_IDS[{template}]", self.notice_template_ids.get(template, "")
        return "LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_ID", self.notice_template_id

    def build_notice_request(
        self, *, phone: str, template_params: Mapping[str, str], template: str = EXPIRY_NOTICE
    ) -> tuple[str, dict[str, str], bytes]:
        # Tencent's template variables are positional ({1}, {2}, …): the mapping's order is theirs.
        _, template_id = self.notice_template(template)
        return self._request(phone=phone, template_id=template_id, params=[str(v) for v in template_params.values()])

    def _request(self, *, phone: str, template_id: str, params: list[str]) -> tuple[str, dict[str, str], bytes]:
        body = {
            "PhoneNumberSet": [f"+86{phone}"],
            "SmsSdkAppId": self.sdk_app_id,
            "SignName": self.sign_name,
            "TemplateId": template_id,
            "TemplateParamSet": params,
        }
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        host = urllib.parse.urlsplit(self.endpoint).netloc
        timestamp = _now_timestamp()
        headers = {
            "Content-Type": TENCENT_CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": TENCENT_API_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
            "Authorization": tencent_authorization(
                secret_id=self.secret_id,
                secret_key=self._secret_key,
                service=self.service,
                host=host,
                content_type=TENCENT_CONTENT_TYPE,
                payload=payload,
                timestamp=timestamp,
            ),
        }
        return self.endpoint, headers, payload

    def send_code(self, *, phone: str, code: str, purpose: str) -> None:
        self._check_configured(("LAOWU_SMS_TENCENT_TEMPLATE_ID", self.template_id))
        self._deliver(self.build_request(phone=phone, code=code), phone=phone, purpose=purpose)

    def send_notice(
        self, *, phone: str, text: str, template_params: Mapping[str, str], template: str = EXPIRY_NOTICE
    ) -> None:
        # ``text`` is what the approved notice template renders to; Tencent fills the template itself.
        self._check_configured(self.notice_template(template))
        request = self.build_notice_request(phone=phone, template_params=template_params, template=template)
        self._deliver(request, phone=phone, purpose=NOTICE_PURPOSE)

    def _check_configured(self, template: tuple[str, str]) -> None:
        missing = self._missing_settings(template)
        if missing:
            logger.error("腾讯云短信未配置：缺少 %s", ", ".join(missing))
            raise SmsDeliveryError(f"腾讯云短信未配置（缺少 {', '.join(missing)}）")

    def _deliver(self, request: tuple[str, dict[str, str], bytes], *, phone: str, purpose: str) -> None:
        url, headers, payload = request
        try:
            resp = requests.post(url, data=payload, headers=headers, timeout=self.timeout)
        except requests.Timeout as exc:
            logger.warning("腾讯云短信超时：%s %s", mask_mobile(phone), purpose)
            raise SmsDeliveryError("腾讯云短信服务超时") from exc
        except requests.RequestException as exc:
            logger.warning("腾讯云短信无法连接：%s %s：%s", mask_mobile(phone), purpose, type(exc).__name__)
            raise SmsDeliveryError(f"无法连接腾讯云短信服务：{type(exc).__name__}") from exc
        try:
            data = resp.json()
        except ValueError as exc:
            raise SmsDeliveryError(f"腾讯云短信服务返回了无法解析的应答（HTTP {resp.status_code}）") from exc
        response = data.get("Response") if isinstance(data, dict) else None
        if not isinstance(response, dict):
            raise SmsDeliveryError(f"腾讯云短信服务返回了无法解析的应答（HTTP {resp.status_code}）")
        request_id = response.get("RequestId", "")
        error = response.get("Error")
        if error:
            err_code = error.get("Code", "") if isinstance(error, dict) else str(error)
            err_msg = error.get("Message", "") if isinstance(error, dict) else ""
            logger.warning(
                "腾讯云短信被拒绝：%s %s：%s %s (RequestId=%s)",
                mask_mobile(phone),
                purpose,
                err_code,
                err_msg,
                request_id,
            )
            raise SmsDeliveryError(f"腾讯云短信发送失败：{err_code} {err_msg}".rstrip())
        statuses = response.get("SendStatusSet")
        status = statuses[0] if isinstance(statuses, list) and statuses else None
        if not isinstance(status, dict) or status.get("Code") != "Ok":
            st_code = status.get("Code", "") if isinstance(status, dict) else "NoSendStatus"
            st_msg = status.get("Message", "") if isinstance(status, dict) else ""
            logger.warning(
                "腾讯云短信未送出：%s %s：%s %s (RequestId=%s)",
                mask_mobile(phone),
                purpose,
                st_code,
                st_msg,
                request_id,
            )
            raise SmsDeliveryError(f"腾讯云短信发送失败：{st_code} {st_msg}".rstrip())
        logger.info(
            "腾讯云短信已发送：%s %s (SerialNo=%s, RequestId=%s)",
            mask_mobile(phone),
            purpose,
            status.get("SerialNo", ""),
            request_id,
        )
