"""What SNS signs (its canonical strings), and what endpoints see of a message: the
envelope's fields and their order, and Lambda's event."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from altus.sns import envelopes
from altus.sns.model import Message
from altus.sns.signing import Signer, string_to_sign


def test_strings_to_sign() -> None:
    notification = {
        "Type": "Notification",
        "MessageId": "id",
        "TopicArn": "arn",
        "Subject": None,
        "Message": "m",
        "Timestamp": "t",
        "UnsubscribeURL": "u",
    }
    assert string_to_sign(notification) == (
        b"Message\nm\nMessageId\nid\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n"
    )
    assert string_to_sign({**notification, "Subject": "s"}).startswith(
        b"Message\nm\nMessageId\nid\nSubject\ns\n"
    )
    confirmation = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "id",
        "Token": "tok",
        "TopicArn": "arn",
        "Message": "m",
        "SubscribeURL": "url",
        "Timestamp": "t",
    }
    assert string_to_sign(confirmation) == (
        b"Message\nm\nMessageId\nid\nSubscribeURL\nurl\nTimestamp\nt\nToken\ntok\n"
        b"TopicArn\narn\nType\nSubscriptionConfirmation\n"
    )


def test_envelopes_are_signed_with_the_certificate_served(tmp_path: Path) -> None:
    signer = Signer(tmp_path / "sns-signing.pem")
    urls = envelopes.Urls("http://127.0.0.1:9000", signer.certificate_name)
    message = Message(
        id="id-1",
        topic="arn:aws:sns:us-east-1:000000000000:t",
        kind="Notification",
        text="hello",
        subject="s",
        attributes={"a": {"Type": "String", "Value": "v"}},
        timestamp_ms=1_700_000_000_123,
    )
    sub = "arn:aws:sns:us-east-1:000000000000:t:0c9b1c4e-1111-4222-8333-444455556666"
    envelope = envelopes.notification(message, "sqs", sub, urls, signer, "2")
    assert envelope["Timestamp"] == "2023-11-14T22:13:20.123Z"
    assert envelope["SigningCertURL"] == (
        f"http://127.0.0.1:9000/_aws/sns/{signer.certificate_name}"
    )
    key = x509.load_pem_x509_certificate(signer.certificate).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(
        base64.b64decode(envelope["Signature"]),
        string_to_sign(envelope),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    # Kept for the owner alone, and the same key and certificate when read again.
    assert (tmp_path / "sns-signing.pem").stat().st_mode & 0o077 == 0
    again = Signer(tmp_path / "sns-signing.pem")
    assert again.certificate == signer.certificate

    event = json.loads(envelopes.lambda_event(message, sub, urls, signer))
    [record] = event["Records"]
    assert list(record) == ["EventSource", "EventVersion", "EventSubscriptionArn", "Sns"]
    assert record["Sns"]["SignatureVersion"] == "1"
    assert record["Sns"]["MessageAttributes"] == {"a": {"Type": "String", "Value": "v"}}
    key.verify(
        base64.b64decode(record["Sns"]["Signature"]),
        string_to_sign(record["Sns"]),
        padding.PKCS1v15(),
        hashes.SHA1(),
    )
