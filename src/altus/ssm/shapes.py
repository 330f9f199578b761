"""Parameters as SSM's answers show them: ``Parameter`` (GetParameter and friends),
``ParameterMetadata`` (DescribeParameters) and ``ParameterHistory``.

A SecureString read without ``WithDecryption`` shows its ciphertext, base64-encoded,
as AWS shows the KMS ciphertext: never the value.
"""

from __future__ import annotations

import base64
import datetime

from altus.api.spec import Members
from altus.arns import Account
from altus.ssm import names
from altus.ssm.model import ParameterVersion


def modified(record: ParameterVersion) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(record.modified_ms / 1000, datetime.UTC)


def shown_value(record: ParameterVersion, decrypt: bool) -> str:
    if record.sealed is None or decrypt:
        return record.value
    # The stored Fernet token is URL-safe base64 of the ciphertext: shown in the
    # standard alphabet, as AWS shows a KMS ciphertext blob.
    return base64.b64encode(base64.urlsafe_b64decode(record.sealed)).decode()


def parameter(
    account: Account, record: ParameterVersion, decrypt: bool, selector: str | None = None
) -> Members:
    shown: Members = {
        "Name": record.name,
        "Type": record.type,
        "Value": shown_value(record, decrypt),
        "Version": record.version,
        "LastModifiedDate": modified(record),
        "ARN": names.arn(account, record.name),
        "DataType": record.data_type,
    }
    if selector is not None:
        shown["Selector"] = selector
    return shown


def _described(record: ParameterVersion) -> Members:
    shown: Members = {
        "Name": record.name,
        "Type": record.type,
        "LastModifiedDate": modified(record),
        "LastModifiedUser": record.modified_by,
        "Version": record.version,
        "Tier": record.tier,
        "Policies": [],
        "DataType": record.data_type,
    }
    if record.key_id is not None:
        shown["KeyId"] = record.key_id
    if record.description:
        shown["Description"] = record.description
    if record.allowed_pattern:
        shown["AllowedPattern"] = record.allowed_pattern
    return shown


def metadata(account: Account, record: ParameterVersion) -> Members:
    return {"ARN": names.arn(account, record.name), **_described(record)}


def history(record: ParameterVersion, decrypt: bool) -> Members:
    return {
        **_described(record),
        "Value": shown_value(record, decrypt),
        "Labels": list(record.labels),
    }
