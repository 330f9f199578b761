"""SigV4 verification against requests botocore signs: in the Authorization header and
presigned, for a REST path with an ARN in it (encoded twice in the canonical request), a
JSON-protocol POST, S3's single encoding; and what a tampered, re-keyed, mis-scoped or
stale request gets."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from altus.identity import sigv4
from altus.identity.errors import IncompleteSignature, InvalidSignature, SignatureExpired

KEY, SECRET = "AKIAALTUSTESTKEY0001", "altus/test+secret/0123456789abcdefghijklmn"
HOST = "127.0.0.1:9000"


def signed(
    method: str,
    url: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    service: str = "lambda",
    auth: type[SigV4Auth] = SigV4Auth,
    token: str | None = None,
) -> tuple[str, bytes, bytes, list[tuple[bytes, bytes]], bytes]:
    """(method, raw path, query, headers, body) of a request botocore signed, as a
    server receives it."""
    request = AWSRequest(method, url, data=body, headers={"Host": HOST, **(headers or {})})
    credentials = Credentials(KEY, SECRET, token)
    signer = (
        SigV4QueryAuth(credentials, service, "us-east-1", expires=60)
        if auth is SigV4QueryAuth
        else auth(credentials, service, "us-east-1")
    )
    signer.add_auth(request)
    parts = urlsplit(request.url)
    wire = [(k.encode(), str(v).encode()) for k, v in request.headers.items()]
    return method, parts.path.encode(), parts.query.encode(), wire, body


def check(
    request: tuple[str, bytes, bytes, list[tuple[bytes, bytes]], bytes],
    secret: str = SECRET,
    *,
    s3: bool = False,
    now: datetime.datetime | None = None,
) -> sigv4.Signed:
    method, path, query, headers, body = request
    found = sigv4.parse(query, headers)
    assert found is not None
    sigv4.check_time(found, now or datetime.datetime.now(datetime.UTC), 5)
    sigv4.verify(found, secret, method, path, query, headers, body, s3=s3)
    return found


ARN_PATH = (
    "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations"
)


def test_an_invoke_by_arn_signed_in_the_header_verifies() -> None:
    request = signed("POST", f"http://{HOST}{ARN_PATH}?Qualifier=live", b'{"a": 1}')
    found = check(request)
    assert (found.access_key, found.region, found.service) == (KEY, "us-east-1", "lambda")
    assert not found.presigned


def test_a_json_protocol_post_verifies_and_a_tampered_body_does_not() -> None:
    headers = {
        "X-Amz-Target": "AmazonSQS.SendMessage",
        "Content-Type": "application/x-amz-json-1.0",
    }
    request = signed(
        "POST", f"http://{HOST}/", b'{"QueueUrl":"q","MessageBody":"hi"}', headers, service="sqs"
    )
    check(request)
    method, path, query, wire, _ = request
    with pytest.raises(InvalidSignature, match="does not match the signature you provided"):
        check((method, path, query, wire, b'{"QueueUrl":"q","MessageBody":"ho"}'))


def test_another_secret_and_another_path_do_not_verify() -> None:
    request = signed("GET", f"http://{HOST}/2015-03-31/functions/")
    with pytest.raises(InvalidSignature):
        check(request, secret="not the secret")
    method, _, query, wire, body = request
    with pytest.raises(InvalidSignature):
        check((method, b"/2015-03-31/functions/other", query, wire, body))


def test_a_presigned_url_verifies_until_it_expires() -> None:
    request = signed(
        "GET", f"http://{HOST}/2015-03-31/functions/f?Qualifier=1", auth=SigV4QueryAuth
    )
    found = check(request)
    assert found.presigned and found.expires == 60
    with pytest.raises(SignatureExpired, match="Request has expired"):
        check(request, now=datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=120))


def test_s3_signs_its_path_once() -> None:
    headers = {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    request = signed(
        "PUT",
        f"http://{HOST}/bucket/a%20key/with%2Bplus",
        b"data",
        headers,
        service="s3",
        auth=S3SigV4Auth,
    )
    check(request, s3=True)
    with pytest.raises(InvalidSignature):
        check(request, s3=False)


def test_a_stale_request_is_refused_with_aws_wording() -> None:
    request = signed("GET", f"http://{HOST}/2015-03-31/functions/")
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=10)
    with pytest.raises(SignatureExpired) as raised:
        check(request, now=later)
    found = sigv4.parse(request[2], request[3])
    assert found is not None
    assert raised.value.message.startswith(
        f"Signature expired: {found.amz_date} is now earlier than "
    )
    assert raised.value.message.endswith(" - 5 min.)")
    earlier = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
    with pytest.raises(SignatureExpired, match=r"^Signature not yet current: .* \+ 5 min\.\)$"):
        check(request, now=earlier)


def test_no_credentials_is_none_and_malformed_ones_say_what_is_missing() -> None:
    assert sigv4.parse(b"", [(b"host", HOST.encode())]) is None
    with pytest.raises(IncompleteSignature) as raised:
        sigv4.parse(b"", [(b"authorization", b"AWS4-HMAC-SHA256 Signature=abc")])
    message = raised.value.message
    assert "requires 'Credential' parameter." in message
    assert "requires 'SignedHeaders' parameter." in message
    assert "either a 'X-Amz-Date' or a 'Date' header." in message
    assert message.endswith("Authorization=AWS4-HMAC-SHA256 Signature=abc")
    with pytest.raises(IncompleteSignature, match="X-Amz-Expires must be less than a week"):
        sigv4.parse(
            b"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k%2F20260101%2Fus-east-1%2Flambda"
            b"%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=604801"
            b"&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
            [],
        )


def test_the_session_token_is_read_and_signed() -> None:
    request = signed("GET", f"http://{HOST}/2015-03-31/functions/", token="session-token-1")
    found = check(request)
    assert found.session_token == "session-token-1"
    assert "x-amz-security-token" in found.signed_headers


def test_auth_mode_follows_where_the_server_listens() -> None:
    from altus.identity.authenticator import resolve_mode

    assert resolve_mode("auto", "127.0.0.1") == "open"
    assert resolve_mode("auto", "::1") == "open"
    assert resolve_mode("auto", "localhost") == "open"
    assert resolve_mode("auto", "0.0.0.0") == "iam"
    assert resolve_mode("auto", "example.internal") == "iam"
    assert resolve_mode("open", "0.0.0.0") == "open"
    assert resolve_mode("iam", "127.0.0.1") == "iam"


def test_the_body_is_always_bound_to_the_signature() -> None:
    """A captured signature cannot carry another body: not by declaring the original
    body's hash, nor by declaring the payload unsigned (S3's way) outside S3."""
    method, path, query, wire, body = signed(
        "POST", f"http://{HOST}/", b"Action=GetCallerIdentity&Version=2011-06-15", service="sts"
    )
    other = b"Action=AssumeRole&Version=2011-06-15&RoleArn=x&RoleSessionName=xx"
    declared = hashlib.sha256(body).hexdigest().encode()
    for header in (declared, b"UNSIGNED-PAYLOAD"):
        forged = [*wire, (b"x-amz-content-sha256", header)]
        found = sigv4.parse(query, forged)
        assert found is not None
        with pytest.raises(InvalidSignature):
            sigv4.verify(found, SECRET, method, path, query, forged, other)
    # A presigned URL outside S3 is bound to its (empty) body too.
    method, path, query, wire, body = signed(
        "POST",
        f"http://{HOST}/?Action=GetCallerIdentity&Version=2011-06-15",
        service="sts",
        auth=SigV4QueryAuth,
    )
    found = sigv4.parse(query, wire)
    assert found is not None
    sigv4.verify(found, SECRET, method, path, query, wire, b"")
    with pytest.raises(InvalidSignature):
        sigv4.verify(found, SECRET, method, path, query, wire, other)


def test_hostile_signatures_and_dates_are_refused_not_crashed_on() -> None:
    method, path, query, wire, body = signed("GET", f"http://{HOST}/2015-03-31/functions/")
    found = sigv4.parse(query, wire)
    assert found is not None
    hostile = dataclasses.replace(found, signature="é" * 64)
    with pytest.raises(InvalidSignature):
        sigv4.verify(hostile, SECRET, method, path, query, wire, body)
    far = dataclasses.replace(found, amz_date="99991231T235959Z", date="99991231", expires=60)
    with pytest.raises(SignatureExpired):
        sigv4.check_time(far, datetime.datetime.now(datetime.UTC), 5)
