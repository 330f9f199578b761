"""Message signatures, as SNS signs what it sends to HTTP/S endpoints, queues and
functions: RSA over a canonical string of the message's fields, with a certificate the
receiver fetches from ``SigningCertURL``.

The string to sign is ``<name>\\n<value>\\n`` for each signed field in byte order of
the names: a Notification's ``Message``, ``MessageId``, ``Subject`` (when it has one),
``Timestamp``, ``TopicArn``, ``Type``; a (Un)SubscriptionConfirmation's ``Message``,
``MessageId``, ``SubscribeURL``, ``Timestamp``, ``Token``, ``TopicArn``, ``Type``.
SignatureVersion ``1`` is SHA1withRSA, ``2`` SHA256withRSA (a topic attribute).

Altus makes the key and a self-signed certificate once per data directory
(``sns-signing.pem``, readable by the owner only) and serves the certificate itself: a
validator that insists on a certificate from an amazonaws.com host refuses it.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from altus.store.secrets import key_file

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
_CERTIFICATE_MARK = b"-----BEGIN CERTIFICATE-----"
_YEARS = 10


def string_to_sign(fields: Mapping[str, str | None]) -> bytes:
    """The canonical string of a message as SNS signs it (``fields`` by their envelope
    names; which ones count follows from ``Type``)."""
    kind = fields.get("Type")
    names = NOTIFICATION_FIELDS if kind == "Notification" else CONFIRMATION_FIELDS
    out = []
    for name in names:
        value = fields.get(name)
        if value is None:
            continue
        out.append(f"{name}\n{value}\n")
    return "".join(out).encode()


def _make() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Altus SNS message signing")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * _YEARS))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem_key + certificate.public_bytes(serialization.Encoding.PEM)


class Signer:
    """The data directory's signing key and certificate, made on first use."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @functools.cached_property
    def _material(self) -> tuple[rsa.RSAPrivateKey, bytes]:
        data = key_file(self._path, _make)
        at = data.index(_CERTIFICATE_MARK)
        key = serialization.load_pem_private_key(data[:at], password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{self._path} holds no RSA key")
        return key, data[at:] + b"\n"

    @property
    def certificate(self) -> bytes:
        """The certificate, PEM."""
        return self._material[1]

    @functools.cached_property
    def certificate_name(self) -> str:
        """Its file name as SigningCertURL ends: ``SimpleNotificationService-<hash>.pem``."""
        digest = hashlib.sha256(self.certificate).hexdigest()[:32]
        return f"SimpleNotificationService-{digest}.pem"

    def sign(self, fields: Mapping[str, str | None], version: str) -> str:
        """The base64 ``Signature`` of a message's fields."""
        # SHA1 is what SignatureVersion 1 (the default) is defined with.
        algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()
        return _signature(self._material[0], string_to_sign(fields), algorithm)


def _signature(key: rsa.RSAPrivateKey, data: bytes, algorithm: hashes.HashAlgorithm) -> str:
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), algorithm)).decode()
