"""SMS backends against local fakes of 阿里云 and 腾讯云 that verify signatures themselves."""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import multiprocessing
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from laowu.integrations.sms import SmsDeliveryError, get_sms_backend
from laowu.integrations.sms import backends as sms_backends
from laowu.integrations.sms.backends import (
    AliyunDysmsBackend,
    ConsoleBackend,
    FileOutboxBackend,
    TencentSmsBackend,
    aliyun_percent_encode,
    aliyun_signature,
    aliyun_string_to_sign,
    tencent_authorization,
    tencent_signature,
    verification_text,
)

from .fake_servers import (
    AliyunSmsFake,
    FakeResponse,
    RecordedRequest,
    TencentSmsFake,
    closed_port_url,
    pop_signature,
)

PHONE = "13800138000"
EXPECTED_TEXT = "【相城区劳务自管自律平台】您的验证码为123456，5分钟内有效。如非本人操作，请忽略本短信。"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def aliyun() -> Iterator[AliyunSmsFake]:
    with AliyunSmsFake() as fake:
        yield fake


@pytest.fixture
def aliyun_settings(settings, aliyun: AliyunSmsFake):
    settings.LAOWU_SMS_BACKEND = "aliyun"
    settings.LAOWU_SMS_ALIYUN_ACCESS_KEY_ID = aliyun.access_key_id
    settings.LAOWU_SMS_ALIYUN_ACCESS_KEY_SECRET = aliyun.access_key_secret
    settings.LAOWU_SMS_ALIYUN_SIGN_NAME = aliyun.sign_name
    settings.LAOWU_SMS_ALIYUN_TEMPLATE_CODE = aliyun.template_code
    settings.LAOWU_SMS_ALIYUN_ENDPOINT = aliyun.url + "/"
    settings.LAOWU_SMS_TIMEOUT = 5.0
    return settings


@pytest.fixture
def tencent() -> Iterator[TencentSmsFake]:
    with TencentSmsFake() as fake:
        yield fake


@pytest.fixture
def tencent_settings(settings, tencent: TencentSmsFake):
    settings.LAOWU_SMS_BACKEND = "tencent"
    settings.LAOWU_SMS_TENCENT_SECRET_ID = tencent.secret_id
    settings.LAOWU_SMS_TENCENT_SECRET_KEY = tencent.secret_key
    settings.LAOWU_SMS_TENCENT_APP_ID = tencent.sdk_app_id
    settings.LAOWU_SMS_TENCENT_SIGN_NAME = tencent.sign_name
    settings.LAOWU_SMS_TENCENT_TEMPLATE_ID = tencent.template_id
    settings.LAOWU_SMS_TENCENT_REGION = tencent.region
    settings.LAOWU_SMS_TENCENT_ENDPOINT = tencent.url + "/"
    settings.LAOWU_SMS_TIMEOUT = 5.0
    return settings


# --------------------------------------------------------------------------- message text


def test_verification_text_is_the_platform_message() -> None:
    assert verification_text("123456") == EXPECTED_TEXT


def test_verification_text_follows_code_ttl(settings) -> None:
    settings.LAOWU_SMS_CODE_TTL_SECONDS = 600
    assert "10分钟内有效" in verification_text("123456")


# --------------------------------------------------------------------------- file outbox


def test_file_outbox_appends_one_utf8_json_line_per_message(settings, tmp_path: Path) -> None:
    outbox = tmp_path / "nested" / "dir" / "sms-outbox.jsonl"
    settings.LAOWU_SMS_BACKEND = "file"
    settings.LAOWU_SMS_OUTBOX = outbox
    backend = get_sms_backend()
    assert isinstance(backend, FileOutboxBackend)

    backend.send_code(phone=PHONE, code="123456", purpose="password_reset")
    backend.send_code(phone="13900139000", code="654321", purpose="register")

    raw = outbox.read_bytes()
    # Chinese stays readable in the file, not \\u escapes.
    assert "验证码为123456".encode() in raw
    lines = raw.decode("utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {"time", "phone", "code", "purpose", "text"}
    assert first["phone"] == PHONE
    assert first["code"] == "123456"
    assert first["purpose"] == "password_reset"
    assert first["text"] == EXPECTED_TEXT
    sent_at = dt.datetime.fromisoformat(first["time"])
    assert sent_at.tzinfo is not None
    assert abs((dt.datetime.now(dt.UTC) - sent_at).total_seconds()) < 60
    assert second["phone"] == "13900139000"
    assert second["code"] == "654321"
    assert (outbox.stat().st_mode & 0o777) == 0o600


def test_file_outbox_logs_without_the_code(settings, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings.LAOWU_SMS_OUTBOX = tmp_path / "outbox.jsonl"
    caplog.set_level(logging.INFO, logger="laowu.sms")
    FileOutboxBackend.from_settings().send_code(phone=PHONE, code="987123", purpose="login")
    records = [r for r in caplog.records if r.name == "laowu.sms"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert "138****8000" in message
    assert PHONE not in message
    assert "987123" not in message


def test_file_outbox_waits_for_the_lock(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.jsonl"
    outbox.touch()
    backend = FileOutboxBackend(outbox)
    with outbox.open("ab") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        sender = threading.Thread(
            target=backend.send_code, kwargs={"phone": PHONE, "code": "111111", "purpose": "login"}
        )
        sender.start()
        time.sleep(0.3)
        # Another process's lock must hold the write back.
        assert sender.is_alive()
        assert outbox.read_bytes() == b""
        fcntl.flock(holder, fcntl.LOCK_UN)
    sender.join(timeout=5)
    assert not sender.is_alive()
    assert json.loads(outbox.read_text(encoding="utf-8"))["code"] == "111111"


def _send_batch(path: str, worker: int, count: int) -> None:
    backend = FileOutboxBackend(path)
    for i in range(count):
        backend.send_code(phone=f"139{worker:04d}{i:04d}", code=f"{worker}{i:05d}", purpose="register")


def test_file_outbox_concurrent_processes_write_whole_lines(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.jsonl"
    ctx = multiprocessing.get_context("fork")  # children inherit the configured Django settings
    workers = [ctx.Process(target=_send_batch, args=(str(outbox), w, 40)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=30)
        assert p.exitcode == 0
    records = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 160
    assert len({r["code"] for r in records}) == 160


def test_file_outbox_unwritable_path_is_a_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(SmsDeliveryError):
        FileOutboxBackend(blocker / "outbox.jsonl").send_code(phone=PHONE, code="123456", purpose="login")


# --------------------------------------------------------------------------- console


def test_console_backend_prints_the_message(settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings.LAOWU_SMS_BACKEND = "console"
    settings.LAOWU_SMS_OUTBOX = tmp_path / "outbox.jsonl"
    backend = get_sms_backend()
    assert isinstance(backend, ConsoleBackend)
    backend.send_code(phone=PHONE, code="123456", purpose="password_reset")
    out = capsys.readouterr().out
    assert EXPECTED_TEXT in out
    assert PHONE in out
    assert not settings.LAOWU_SMS_OUTBOX.exists()


# --------------------------------------------------------------------------- 阿里云 signing


def test_aliyun_percent_encoding_is_rfc3986() -> None:
    assert aliyun_percent_encode("a b*c~d/e+f:g") == "a%20b%2Ac~d%2Fe%2Bf%3Ag"
    assert aliyun_percent_encode("相") == "%E7%9B%B8"


def test_aliyun_signature_matches_the_published_example() -> None:
    # The worked example in Aliyun's dysms "HTTP 协议及签名" documentation, in the documentation's
    # (unsorted) order: the signer must sort.
    params = {
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "AccessKeyId": "testId",
        "SignatureVersion": "1.0",
        "Timestamp": "2017-07-12T02:42:19Z",
        "Format": "XML",
        "Action": "SendSms",
        "Version": "2017-05-25",
        "RegionId": "cn-hangzhou",
        "PhoneNumbers": "15300000001",
        "SignName": "阿里云短信测试专用",
        "TemplateParam": '{"customer":"test"}',
        "TemplateCode": "SMS_71390007",
        "OutId": "123",
    }
    assert aliyun_signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_signature_hand_derived_vector() -> None:
    params = {
        "AccessKeyId": "testKeyId",
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": "13800000000",
        "RegionId": "cn-hangzhou",
        "SignName": "相城区劳务",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_465000001",
        "TemplateParam": '{"code":"123456"}',
        "Timestamp": "2025-01-02T03:04:05Z",
        "Version": "2017-05-25",
    }
    # Written out by hand: sorted keys, UTF-8 %XX for 相城区劳务, %3A for ':' and so on.
    canonical = (
        "AccessKeyId=testKeyId&Action=SendSms&Format=JSON&PhoneNumbers=13800000000&RegionId=cn-hangzhou"
        "&SignName=%E7%9B%B8%E5%9F%8E%E5%8C%BA%E5%8A%B3%E5%8A%A1&SignatureMethod=HMAC-SHA1"
        "&SignatureNonce=0f8fad5b-d9cb-469f-a165-70867728950e&SignatureVersion=1.0&TemplateCode=SMS_465000001"
        "&TemplateParam=%7B%22code%22%3A%22123456%22%7D&Timestamp=2025-01-02T03%3A04%3A05Z&Version=2017-05-25"
    )
    # The canonical string holds only unreserved characters, '%', '=' and '&', so encoding it again is just:
    string_to_sign = "GET&%2F&" + canonical.replace("%", "%25").replace("=", "%3D").replace("&", "%26")
    expected = base64.b64encode(hmac.new(b"testSecret&", string_to_sign.encode(), hashlib.sha1).digest()).decode()

    assert aliyun_string_to_sign(params) == string_to_sign
    assert aliyun_signature(params, "testSecret") == expected


# --------------------------------------------------------------------------- 阿里云 against the fake


def test_aliyun_sends_a_correctly_signed_request(aliyun_settings, aliyun: AliyunSmsFake) -> None:
    backend = get_sms_backend()
    assert isinstance(backend, AliyunDysmsBackend)
    backend.send_code(phone=PHONE, code="123456", purpose="password_reset")
    backend.send_code(phone=PHONE, code="654321", purpose="password_reset")  # fresh nonce each time

    assert aliyun.delivered == [(PHONE, "123456"), (PHONE, "654321")]
    query = aliyun.requests[0].query
    assert query["Action"] == "SendSms"
    assert query["Format"] == "JSON"
    assert query["RegionId"] == "cn-hangzhou"
    assert query["SignName"] == "相城区劳务自管自律平台"
    assert json.loads(query["TemplateParam"]) == {"code": "123456"}
    assert aliyun.requests[0].method == "GET"
    assert dt.datetime.strptime(query["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    assert uuid.UUID(query["SignatureNonce"]).version == 4
    assert query["SignatureNonce"] != aliyun.requests[1].query["SignatureNonce"]


def test_aliyun_encodes_spaces_and_reserved_characters(aliyun_settings, aliyun: AliyunSmsFake, settings) -> None:
    # A sign name with a space, '*' and '~' exercises the three places where form
    # encoding and Aliyun's RFC 3986 encoding differ; the fake's signature check catches any slip.
    aliyun.sign_name = "相城 劳务*平台~"
    settings.LAOWU_SMS_ALIYUN_SIGN_NAME = aliyun.sign_name
    get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")
    assert aliyun.delivered == [(PHONE, "123456")]
    raw = aliyun.requests[0].raw_query
    assert "%20" in raw and "%2A" in raw and "~" in raw and "+" not in raw.replace("%2B", "")


def test_aliyun_wrong_secret_is_refused(aliyun_settings, aliyun: AliyunSmsFake, settings) -> None:
    settings.LAOWU_SMS_ALIYUN_ACCESS_KEY_SECRET = "not-the-secret"
    with pytest.raises(SmsDeliveryError, match="SignatureDoesNotMatch"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")
    assert aliyun.delivered == []
    assert len(aliyun.requests) == 1


def test_aliyun_unknown_access_key_is_refused(aliyun_settings, aliyun: AliyunSmsFake, settings) -> None:
    settings.LAOWU_SMS_ALIYUN_ACCESS_KEY_ID = "LTAI-someone-else"
    with pytest.raises(SmsDeliveryError, match=r"InvalidAccessKeyId\.NotFound"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")


def test_aliyun_stale_timestamp_is_refused(
    aliyun_settings, aliyun: AliyunSmsFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sms_backends, "_utcnow", lambda: dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    with pytest.raises(SmsDeliveryError, match=r"InvalidTimeStamp\.Expired"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")


@pytest.mark.parametrize(
    ("setting", "value", "provider_code"),
    [
        ("LAOWU_SMS_ALIYUN_TEMPLATE_CODE", "SMS_000000000", "isv.SMS_TEMPLATE_ILLEGAL"),
        ("LAOWU_SMS_ALIYUN_SIGN_NAME", "别人的签名", "isv.SMS_SIGNATURE_ILLEGAL"),
    ],
)
def test_aliyun_business_errors_carry_the_provider_code(
    aliyun_settings, aliyun: AliyunSmsFake, settings, setting: str, value: str, provider_code: str
) -> None:
    setattr(settings, setting, value)
    with pytest.raises(SmsDeliveryError, match=re.escape(provider_code)):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")


def test_aliyun_flow_control_error(aliyun_settings, aliyun: AliyunSmsFake) -> None:
    aliyun.refuse_with = "isv.BUSINESS_LIMIT_CONTROL"
    with pytest.raises(SmsDeliveryError) as excinfo:
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")
    assert "isv.BUSINESS_LIMIT_CONTROL" in str(excinfo.value)
    assert "触发分钟级流控" in str(excinfo.value)


def test_aliyun_illegal_number(aliyun_settings, aliyun: AliyunSmsFake) -> None:
    with pytest.raises(SmsDeliveryError, match=r"isv\.MOBILE_NUMBER_ILLEGAL"):
        get_sms_backend().send_code(phone="12345", code="123456", purpose="login")


def test_aliyun_non_json_reply(aliyun_settings, aliyun: AliyunSmsFake) -> None:
    aliyun.override = FakeResponse(502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
    with pytest.raises(SmsDeliveryError, match="502"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")


def test_aliyun_server_down(aliyun_settings, settings) -> None:
    settings.LAOWU_SMS_ALIYUN_ENDPOINT = closed_port_url() + "/"
    with pytest.raises(SmsDeliveryError, match="无法连接"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")


def test_aliyun_timeout(aliyun_settings, aliyun: AliyunSmsFake, settings) -> None:
    aliyun.delay = 3.0
    settings.LAOWU_SMS_TIMEOUT = 0.3
    started = time.monotonic()
    with pytest.raises(SmsDeliveryError, match="超时"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")
    assert time.monotonic() - started < 2.0
    assert aliyun.delivered == []


def test_aliyun_missing_configuration_sends_nothing(aliyun_settings, aliyun: AliyunSmsFake, settings) -> None:
    settings.LAOWU_SMS_ALIYUN_ACCESS_KEY_SECRET = ""
    with pytest.raises(SmsDeliveryError, match="LAOWU_SMS_ALIYUN_ACCESS_KEY_SECRET"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")
    assert aliyun.requests == []


def test_aliyun_endpoint_without_trailing_slash(aliyun_settings, aliyun: AliyunSmsFake, settings) -> None:
    settings.LAOWU_SMS_ALIYUN_ENDPOINT = aliyun.url
    get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")
    assert aliyun.requests[0].path == "/"
    assert aliyun.delivered == [(PHONE, "123456")]


def test_aliyun_secret_never_appears_in_logs_or_errors(
    aliyun_settings, aliyun: AliyunSmsFake, settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = aliyun.access_key_secret
    backend = get_sms_backend()
    backend.send_code(phone=PHONE, code="123456", purpose="login")
    aliyun.refuse_with = "isv.BUSINESS_LIMIT_CONTROL"
    with pytest.raises(SmsDeliveryError) as excinfo:
        backend.send_code(phone=PHONE, code="123456", purpose="login")
    assert secret not in caplog.text
    assert secret not in str(excinfo.value)
    assert secret not in repr(backend)
    assert all(secret not in r.raw_query for r in aliyun.requests)


# --------------------------------------------------------------------------- 腾讯云 signing


def test_tencent_signature_matches_the_published_example() -> None:
    # The worked example in Tencent Cloud's "签名方法 v3" documentation (CVM DescribeInstances);
    # the documentation masks the key with asterisks and the published signature is of that masked key.
    payload = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    assert hashlib.sha256(payload).hexdigest() == "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    kwargs = {
        "secret_key": "Gu5t9xGARNpq86cd98joQYCN3*******",
        "service": "cvm",
        "host": "cvm.tencentcloudapi.com",
        "content_type": "application/json; charset=utf-8",
        "payload": payload,
        "timestamp": 1551113065,
    }
    expected = "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    assert tencent_signature(**kwargs) == expected
    assert tencent_authorization(secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******", **kwargs) == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={expected}"
    )


# --------------------------------------------------------------------------- 腾讯云 against the fake


def test_tencent_sends_a_correctly_signed_request(tencent_settings, tencent: TencentSmsFake) -> None:
    backend = get_sms_backend()
    assert isinstance(backend, TencentSmsBackend)
    backend.send_code(phone=PHONE, code="123456", purpose="password_reset")

    assert tencent.delivered == [("+86" + PHONE, ["123456", "5"])]
    request = tencent.requests[0]
    assert request.json() == {
        "PhoneNumberSet": ["+86" + PHONE],
        "SmsSdkAppId": tencent.sdk_app_id,
        "SignName": "相城区劳务自管自律平台",
        "TemplateId": tencent.template_id,
        "TemplateParamSet": ["123456", "5"],
    }
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.headers["host"] == urllib.parse.urlsplit(tencent.url).netloc
    assert request.headers["x-tc-action"] == "SendSms"
    assert request.headers["x-tc-version"] == "2021-01-11"
    assert request.headers["x-tc-region"] == "ap-guangzhou"
    assert abs(int(request.headers["x-tc-timestamp"]) - time.time()) < 60
    assert request.headers["authorization"].startswith(f"TC3-HMAC-SHA256 Credential={tencent.secret_id}/")


def test_tencent_wrong_secret_is_refused(tencent_settings, tencent: TencentSmsFake, settings) -> None:
    settings.LAOWU_SMS_TENCENT_SECRET_KEY = "not-the-key"
    with pytest.raises(SmsDeliveryError, match=r"AuthFailure\.SignatureFailure"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")
    assert tencent.delivered == []


def test_tencent_stale_timestamp_is_refused(
    tencent_settings, tencent: TencentSmsFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sms_backends, "_now_timestamp", lambda: int(time.time()) - 3600)
    with pytest.raises(SmsDeliveryError, match=r"AuthFailure\.SignatureExpire"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")


def test_tencent_unknown_template_is_refused(tencent_settings, tencent: TencentSmsFake, settings) -> None:
    settings.LAOWU_SMS_TENCENT_TEMPLATE_ID = "999999"
    with pytest.raises(SmsDeliveryError, match=r"FailedOperation\.TemplateIncorrectOrUnapproved"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")


def test_tencent_per_number_failure_is_a_delivery_error(tencent_settings, tencent: TencentSmsFake) -> None:
    # Tencent answers without Response.Error when only the number was refused.
    tencent.refuse_with = "LimitExceeded.PhoneNumberDailyLimit"
    with pytest.raises(SmsDeliveryError, match=r"LimitExceeded\.PhoneNumberDailyLimit"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")


def test_tencent_incorrect_number(tencent_settings, tencent: TencentSmsFake) -> None:
    with pytest.raises(SmsDeliveryError, match=r"InvalidParameterValue\.IncorrectPhoneNumber"):
        get_sms_backend().send_code(phone="1380013", code="123456", purpose="login")


def test_tencent_non_json_reply(tencent_settings, tencent: TencentSmsFake) -> None:
    tencent.override = FakeResponse(503, b"Service Unavailable", "text/plain")
    with pytest.raises(SmsDeliveryError, match="503"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")


def test_tencent_json_without_response_object(tencent_settings, tencent: TencentSmsFake) -> None:
    tencent.override = FakeResponse.json({"unexpected": True})
    with pytest.raises(SmsDeliveryError):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")


def test_tencent_server_down(tencent_settings, settings) -> None:
    settings.LAOWU_SMS_TENCENT_ENDPOINT = closed_port_url() + "/"
    with pytest.raises(SmsDeliveryError, match="无法连接"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")


def test_tencent_timeout(tencent_settings, tencent: TencentSmsFake, settings) -> None:
    tencent.delay = 3.0
    settings.LAOWU_SMS_TIMEOUT = 0.3
    started = time.monotonic()
    with pytest.raises(SmsDeliveryError, match="超时"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")
    assert time.monotonic() - started < 2.0


def test_tencent_missing_configuration_sends_nothing(tencent_settings, tencent: TencentSmsFake, settings) -> None:
    settings.LAOWU_SMS_TENCENT_APP_ID = ""
    with pytest.raises(SmsDeliveryError, match="LAOWU_SMS_TENCENT_APP_ID"):
        get_sms_backend().send_code(phone=PHONE, code="123456", purpose="login")
    assert tencent.requests == []


def test_tencent_secret_never_appears_in_logs_or_errors(
    tencent_settings, tencent: TencentSmsFake, settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    backend = get_sms_backend()
    backend.send_code(phone=PHONE, code="123456", purpose="login")
    tencent.refuse_with = "LimitExceeded.PhoneNumberDailyLimit"
    with pytest.raises(SmsDeliveryError) as excinfo:
        backend.send_code(phone=PHONE, code="123456", purpose="login")
    secret = tencent.secret_key
    assert secret not in caplog.text
    assert secret not in str(excinfo.value)
    assert secret not in repr(backend)
    assert all(secret.encode() not in r.body and secret not in str(r.headers) for r in tencent.requests)


# --------------------------------------------------------------------------- registry


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("file", FileOutboxBackend),
        ("console", ConsoleBackend),
        ("aliyun", AliyunDysmsBackend),
        ("tencent", TencentSmsBackend),
        ("Aliyun", AliyunDysmsBackend),
        ("laowu.integrations.sms.backends.ConsoleBackend", ConsoleBackend),
    ],
)
def test_get_sms_backend_picks_by_setting(settings, name: str, cls: type) -> None:
    settings.LAOWU_SMS_BACKEND = name
    assert isinstance(get_sms_backend(), cls)


@pytest.mark.parametrize("name", ["", "carrier-pigeon", "laowu.integrations.sms.backends.NoSuchBackend"])
def test_get_sms_backend_rejects_unknown(settings, name: str) -> None:
    settings.LAOWU_SMS_BACKEND = name
    with pytest.raises(ImproperlyConfigured):
        get_sms_backend()


def test_get_sms_backend_reads_settings_at_call_time(settings, tmp_path: Path) -> None:
    settings.LAOWU_SMS_BACKEND = "file"
    settings.LAOWU_SMS_OUTBOX = tmp_path / "a.jsonl"
    get_sms_backend().send_code(phone=PHONE, code="111111", purpose="login")
    settings.LAOWU_SMS_OUTBOX = tmp_path / "b.jsonl"
    get_sms_backend().send_code(phone=PHONE, code="222222", purpose="login")
    assert json.loads((tmp_path / "a.jsonl").read_text(encoding="utf-8"))["code"] == "111111"
    assert json.loads((tmp_path / "b.jsonl").read_text(encoding="utf-8"))["code"] == "222222"


# --------------------------------------------------------------------------- notifications (证照到期提醒)

NOTICE_PARAMS = {
    "cert": "资质证书",
    "holder": "苏州测试建筑劳务有限公司",
    "date": "2027-01-05",
    "status": "还有30天到期",
}
NOTICE_TEXT = (
    "【相城区劳务自管自律平台】您单位的资质证书（苏州测试建筑劳务有限公司）有效期至2027-01-05，"
    "还有30天到期，请及时办理延续并在平台更新信息。"
)


class AliyunNoticeFake(AliyunSmsFake):
    """The same dysms endpoint with a notice template approved as well (variables by name).

    Requests for the code template go to the parent; notice requests are checked here the
    way Aliyun checks them, with the fake's own signature code.
    """

    notice_template_code = "SMS_465000002"
    notice_variables = ("cert", "holder", "date", "status")

    def __init__(self) -> None:
        super().__init__()
        self.notices: list[tuple[str, dict[str, str]]] = []

    def handle(self, request: RecordedRequest) -> FakeResponse:
        params = dict(urllib.parse.parse_qsl(request.raw_query, keep_blank_values=True))
        if params.get("TemplateCode") != self.notice_template_code:
            return super().handle(request)
        if params.get("AccessKeyId") != self.access_key_id:
            return self._error("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        if params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return self._error("InvalidAction.NotFound", "Specified api is not found.", 404)
        sent_at = dt.datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        if abs((dt.datetime.now(dt.UTC) - sent_at).total_seconds()) > self.max_skew_seconds:
            return self._error("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if not hmac.compare_digest(
            pop_signature(params, self.access_key_secret, request.method), params.get("Signature", "")
        ):
            return self._error("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        if params.get("SignName") != self.sign_name:
            return self._error("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名", 200)
        variables = json.loads(params.get("TemplateParam") or "null")
        if (
            not isinstance(variables, dict)
            or set(variables) != set(self.notice_variables)
            or not all(isinstance(v, str) and 0 < len(v) <= 35 for v in variables.values())
        ):
            return self._error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值", 200)
        if not re.match(r"^1[3-9]\d{9}$", params.get("PhoneNumbers", "")):
            return self._error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", 200)
        with self._lock:
            self.notices.append((params["PhoneNumbers"], variables))
        return FakeResponse.json({"Code": "OK", "Message": "OK", "BizId": "1^0", "RequestId": str(uuid.uuid4())})


class TencentNoticeFake(TencentSmsFake):
    """The same Tencent endpoint with a notice template of four positional variables."""

    notice_template_id = "2000002"

    def __init__(self) -> None:
        super().__init__()
        self.notices: list[tuple[str, list[str]]] = []

    def handle(self, request: RecordedRequest) -> FakeResponse:
        try:
            body = request.json()
        except ValueError:
            body = {}
        if body.get("TemplateId") != self.notice_template_id:
            return super().handle(request)
        refused = self._check_auth(request)  # the parent's TC3 signature check
        if refused is not None:
            return refused
        if body.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist.")
        if body.get("SignName") != self.sign_name:
            return self._error("FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误。")
        params = body.get("TemplateParamSet")
        if not isinstance(params, list) or len(params) != 4 or not all(isinstance(p, str) for p in params):
            return self._error("InvalidParameterValue.TemplateParameterFormatError", "模板参数格式错误。")
        [phone] = body.get("PhoneNumberSet") or [""]
        # Like Tencent, a refused number is a per-number status, not a request error.
        ok = phone.startswith("+86") and bool(re.match(r"^1[3-9]\d{9}$", phone[3:]))
        code = "Ok" if ok else "InvalidParameterValue.IncorrectPhoneNumber"
        if ok:
            with self._lock:
                self.notices.append((phone, params))
        status = {"SerialNo": str(uuid.uuid4()), "PhoneNumber": phone, "Code": code, "Message": code}
        return FakeResponse.json({"Response": {"SendStatusSet": [status], "RequestId": str(uuid.uuid4())}})


@pytest.fixture
def aliyun_notice(settings) -> Iterator[AliyunNoticeFake]:
    with AliyunNoticeFake() as fake:
        settings.LAOWU_SMS_BACKEND = "aliyun"
        settings.LAOWU_SMS_ALIYUN_ACCESS_KEY_ID = fake.access_key_id
        settings.LAOWU_SMS_ALIYUN_ACCESS_KEY_SECRET = fake.access_key_secret
        settings.LAOWU_SMS_ALIYUN_SIGN_NAME = fake.sign_name
        settings.LAOWU_SMS_ALIYUN_TEMPLATE_CODE = fake.template_code
        settings.LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODE = fake.notice_template_code
        settings.LAOWU_SMS_ALIYUN_ENDPOINT = fake.url + "/"
        settings.LAOWU_SMS_TIMEOUT = 5.0
        yield fake


@pytest.fixture
def tencent_notice(settings) -> Iterator[TencentNoticeFake]:
    with TencentNoticeFake() as fake:
        settings.LAOWU_SMS_BACKEND = "tencent"
        settings.LAOWU_SMS_TENCENT_SECRET_ID = fake.secret_id
        settings.LAOWU_SMS_TENCENT_SECRET_KEY = fake.secret_key
        settings.LAOWU_SMS_TENCENT_APP_ID = fake.sdk_app_id
        settings.LAOWU_SMS_TENCENT_SIGN_NAME = fake.sign_name
        settings.LAOWU_SMS_TENCENT_TEMPLATE_ID = fake.template_id
        settings.LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_ID = fake.notice_template_id
        settings.LAOWU_SMS_TENCENT_REGION = fake.region
        settings.LAOWU_SMS_TENCENT_ENDPOINT = fake.url + "/"
        settings.LAOWU_SMS_TIMEOUT = 5.0
        yield fake


def test_file_outbox_writes_the_notice_text(settings, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outbox = tmp_path / "outbox.jsonl"
    settings.LAOWU_SMS_BACKEND = "file"
    settings.LAOWU_SMS_OUTBOX = outbox
    caplog.set_level(logging.INFO, logger="laowu.sms")
    backend = get_sms_backend()
    backend.send_code(phone=PHONE, code="123456", purpose="login")
    backend.send_notice(phone=PHONE, text=NOTICE_TEXT, template_params=NOTICE_PARAMS)

    code, notice = (json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines())
    assert code["code"] == "123456"
    assert set(notice) == {"time", "phone", "purpose", "template", "text", "params"}
    assert (notice["phone"], notice["purpose"], notice["text"]) == (PHONE, "notice", NOTICE_TEXT)
    assert notice["template"] == "expiry"  # a caller that names no template sends the expiry one
    assert notice["params"] == NOTICE_PARAMS
    assert dt.datetime.fromisoformat(notice["time"]).tzinfo is not None
    assert NOTICE_TEXT.encode() in outbox.read_bytes()  # readable, not \\u escapes
    assert (outbox.stat().st_mode & 0o777) == 0o600
    assert all(PHONE not in r.getMessage() for r in caplog.records)


def test_file_outbox_notice_unwritable_is_a_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(SmsDeliveryError):
        FileOutboxBackend(blocker / "o.jsonl").send_notice(phone=PHONE, text=NOTICE_TEXT, template_params={})


def test_console_prints_the_notice(settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings.LAOWU_SMS_BACKEND = "console"
    get_sms_backend().send_notice(phone=PHONE, text=NOTICE_TEXT, template_params=NOTICE_PARAMS)
    out = capsys.readouterr().out
    assert NOTICE_TEXT in out and PHONE in out and "notice:expiry" in out


def test_aliyun_notice_uses_the_notice_template(aliyun_notice: AliyunNoticeFake) -> None:
    backend = get_sms_backend()
    backend.send_notice(phone=PHONE, text=NOTICE_TEXT, template_params=NOTICE_PARAMS)
    # The code template still works beside it.
    backend.send_code(phone=PHONE, code="123456", purpose="login")

    assert aliyun_notice.notices == [(PHONE, NOTICE_PARAMS)]
    assert aliyun_notice.delivered == [(PHONE, "123456")]
    query = aliyun_notice.requests[0].query
    assert query["TemplateCode"] == "SMS_465000002"
    assert json.loads(query["TemplateParam"]) == NOTICE_PARAMS
    assert query["SignName"] == "相城区劳务自管自律平台" and query["Action"] == "SendSms"


def test_aliyun_notice_signature_is_checked(aliyun_notice: AliyunNoticeFake, settings) -> None:
    settings.LAOWU_SMS_ALIYUN_ACCESS_KEY_SECRET = "not-the-secret"
    with pytest.raises(SmsDeliveryError, match="SignatureDoesNotMatch"):
        get_sms_backend().send_notice(phone=PHONE, text=NOTICE_TEXT, template_params=NOTICE_PARAMS)
    assert aliyun_notice.notices == []


def test_aliyun_notice_refused_variables(aliyun_notice: AliyunNoticeFake) -> None:
    with pytest.raises(SmsDeliveryError, match=r"isv\.INVALID_JSON_PARAM"):
        get_sms_backend().send_notice(phone=PHONE, text=NOTICE_TEXT, template_params={"cert": "资质证书"})


def test_aliyun_notice_template_not_configured(aliyun_notice: AliyunNoticeFake, settings) -> None:
    settings.LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODE = ""
    backend = get_sms_backend()
    with pytest.raises(SmsDeliveryError, match="LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODE"):
        backend.send_notice(phone=PHONE, text=NOTICE_TEXT, template_params=NOTICE_PARAMS)
    assert aliyun_notice.requests == []
    backend.send_code(phone=PHONE, code="123456", purpose="login")  # codes do not need it
    assert aliyun_notice.delivered == [(PHONE, "123456")]


def test_aliyun_named_notice_uses_its_own_template_code(aliyun_notice: AliyunNoticeFake, settings) -> None:
    settings.LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODE = "SMS_EXPIRY"
    settings.LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODES = {"filing_rejected": aliyun_notice.notice_template_code}
    get_sms_backend().send_notice(
        phone=PHONE, text=NOTICE_TEXT, template_params=NOTICE_PARAMS, template="filing_rejected"
    )
    assert aliyun_notice.notices == [(PHONE, NOTICE_PARAMS)]
    assert aliyun_notice.requests[0].query["TemplateCode"] == aliyun_notice.notice_template_code


def test_aliyun_named_notice_without_its_template_is_not_sent(aliyun_notice: AliyunNoticeFake, settings) -> None:
    # The expiry template is configured, but another notice never falls back to it: the
    # provider would send the expiry text with the wrong variables.
    settings.LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODES = {}
    with pytest.raises(SmsDeliveryError, match=r"LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODES\[filing_approved\]"):
        get_sms_backend().send_notice(
            phone=PHONE, text=NOTICE_TEXT, template_params=NOTICE_PARAMS, template="filing_approved"
        )
    assert aliyun_notice.requests == []


def test_tencent_named_notice_uses_its_own_template_id(tencent_notice: TencentNoticeFake, settings) -> None:
    settings.LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_ID = "1999999"
    settings.LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_IDS = {"award_decided": tencent_notice.notice_template_id}
    get_sms_backend().send_notice(
        phone=PHONE, text=NOTICE_TEXT, template_params=NOTICE_PARAMS, template="award_decided"
    )
    assert tencent_notice.notices == [("+86" + PHONE, list(NOTICE_PARAMS.values()))]


def test_tencent_named_notice_without_its_template_is_not_sent(tencent_notice: TencentNoticeFake) -> None:
    with pytest.raises(SmsDeliveryError, match=r"LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_IDS\[award_decided\]"):
        get_sms_backend().send_notice(
            phone=PHONE, text=NOTICE_TEXT, template_params=NOTICE_PARAMS, template="award_decided"
        )
    assert tencent_notice.requests == []


def test_tencent_notice_uses_the_notice_template_in_order(tencent_notice: TencentNoticeFake) -> None:
    backend = get_sms_backend()
    backend.send_notice(phone=PHONE, text=NOTICE_TEXT, template_params=NOTICE_PARAMS)
    backend.send_code(phone=PHONE, code="123456", purpose="login")

    assert tencent_notice.notices == [("+86" + PHONE, list(NOTICE_PARAMS.values()))]
    assert tencent_notice.delivered == [("+86" + PHONE, ["123456", "5"])]
    body = tencent_notice.requests[0].json()
    assert body["TemplateId"] == "2000002"
    assert body["TemplateParamSet"] == ["资质证书", "苏州测试建筑劳务有限公司", "2027-01-05", "还有30天到期"]
    assert tencent_notice.requests[0].headers["x-tc-action"] == "SendSms"


def test_tencent_notice_signature_is_checked(tencent_notice: TencentNoticeFake, settings) -> None:
    settings.LAOWU_SMS_TENCENT_SECRET_KEY = "not-the-key"
    with pytest.raises(SmsDeliveryError, match=r"AuthFailure\.SignatureFailure"):
        get_sms_backend().send_notice(phone=PHONE, text=NOTICE_TEXT, template_params=NOTICE_PARAMS)
    assert tencent_notice.notices == []


def test_tencent_notice_template_not_configured(tencent_notice: TencentNoticeFake, settings) -> None:
    settings.LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_ID = ""
    with pytest.raises(SmsDeliveryError, match="LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_ID"):
        get_sms_backend().send_notice(phone=PHONE, text=NOTICE_TEXT, template_params=NOTICE_PARAMS)
    assert tencent_notice.requests == []


def test_tencent_notice_incorrect_number(tencent_notice: TencentNoticeFake) -> None:
    with pytest.raises(SmsDeliveryError, match=r"InvalidParameterValue\.IncorrectPhoneNumber"):
        get_sms_backend().send_notice(phone="1380013", text=NOTICE_TEXT, template_params=NOTICE_PARAMS)
