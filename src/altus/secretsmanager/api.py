"""Secrets Manager's operations: members in, members out. The component keeps the rules
(labels, idempotency, deletion); this module reads requests and shapes answers, with
only the fields that have a value, as Secrets Manager answers."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from altus.api.service import PRINCIPAL
from altus.api.spec import Call, Members
from altus.errors import AltusError
from altus.identity.errors import AccessDenied
from altus.secretsmanager import filters, passwords, policy
from altus.secretsmanager.component import SecretsManager
from altus.secretsmanager.errors import (
    InvalidNextToken,
    InvalidParameter,
    ResourceNotFound,
    SecretsError,
)
from altus.secretsmanager.listing import Key, page
from altus.secretsmanager.model import DEFAULT_KEY, Secret, Value, Version

#: Page sizes when the caller names none.
DEFAULT_PAGE = 100
DEFAULT_BATCH = 20

_SORT_KEYS: dict[str, Callable[[Secret], Key]] = {
    "created-date": lambda s: (s.created_ms, s.arn),
    "last-changed-date": lambda s: (s.changed_ms, s.arn),
    "last-accessed-date": lambda s: (s.accessed_ms or 0, s.arn),
    "name": lambda s: (s.name,),
}


def _date(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)


def _value(input: Members) -> Value | None:
    """The request's value; both kinds at once are refused, as AWS refuses them."""
    text, binary = input.get("SecretString"), input.get("SecretBinary")
    if text is not None and binary is not None:
        raise InvalidParameter(
            "You can't specify both a binary secret value and a string secret value in the "
            "same secret."
        )
    found: Value | None = text if text is not None else binary
    return found


def _tags(listed: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    tags = []
    for tag in listed or []:
        if "Key" not in tag:
            raise InvalidParameter("A tag must have a Key.")
        tags.append((tag["Key"], tag.get("Value", "")))
    return tags


def _described(secret: Secret, stages_member: str) -> Members:
    """A secret as DescribeSecret (``VersionIdsToStages``) and ListSecrets
    (``SecretVersionsToStages``) show it."""
    shown: Members = {
        "ARN": secret.arn,
        "Name": secret.name,
        "CreatedDate": _date(secret.created_ms),
        "LastChangedDate": _date(secret.changed_ms),
    }
    if secret.description is not None:
        shown["Description"] = secret.description
    if secret.kms_key_id:
        shown["KmsKeyId"] = secret.kms_key_id
    if secret.type is not None:
        shown["Type"] = secret.type
    if secret.accessed_ms is not None:
        shown["LastAccessedDate"] = _date(secret.accessed_ms)
    if secret.deleted_ms is not None:
        shown["DeletedDate"] = _date(secret.deleted_ms)
    if secret.tags:
        shown["Tags"] = [{"Key": k, "Value": v} for k, v in secret.tags]
    stages = secret.stages()
    if stages:
        shown[stages_member] = stages
    return shown


def _fetched(arn: str, name: str, version: Version, value: Value) -> Members:
    shown: Members = {
        "ARN": arn,
        "Name": name,
        "VersionId": version.id,
        "CreatedDate": _date(version.created_ms),
    }
    shown["SecretString" if isinstance(value, str) else "SecretBinary"] = value
    if version.stages:
        shown["VersionStages"] = list(version.stages)
    return shown


def _check_replication(input: Members) -> None:
    """Replicas live in other regions or accounts: Altus serves one of each."""
    if input.get("AddReplicaRegions"):
        raise InvalidParameter(
            "Invalid replica region: Altus serves one region, so a secret has no replicas."
        )
    if input.get("CrossAccountPrimaryARN"):
        raise InvalidParameter(
            "Altus serves one account, so a secret can't replicate one of another account."
        )


# --- secrets and their values ---------------------------------------------------------------


async def create_secret(sm: SecretsManager, call: Call, input: Members) -> Members:
    _check_replication(input)
    secret, version_id = await sm.create(
        input["Name"],
        token=input.get("ClientRequestToken"),
        value=_value(input),
        description=input.get("Description"),
        kms_key_id=input.get("KmsKeyId"),
        secret_type=input.get("Type"),
        tags=_tags(input.get("Tags")),
    )
    answer: Members = {"ARN": secret.arn, "Name": secret.name}
    if version_id is not None:
        answer["VersionId"] = version_id
    return answer


async def get_secret_value(sm: SecretsManager, call: Call, input: Members) -> Members:
    found = await sm.read_value(
        input["SecretId"], stage=input.get("VersionStage"), version_id=input.get("VersionId")
    )
    version = Version(found.version_id, found.stages, found.created_ms)
    return _fetched(found.arn, found.name, version, found.value)


async def put_secret_value(sm: SecretsManager, call: Call, input: Members) -> Members:
    secret, version = await sm.put_value(
        input["SecretId"],
        token=input.get("ClientRequestToken"),
        value=_value(input),
        stages=input.get("VersionStages") or (),
    )
    answer: Members = {"ARN": secret.arn, "Name": secret.name, "VersionId": version.id}
    if version.stages:
        answer["VersionStages"] = list(version.stages)
    return answer


async def update_secret(sm: SecretsManager, call: Call, input: Members) -> Members:
    secret, version_id = await sm.update(
        input["SecretId"],
        token=input.get("ClientRequestToken"),
        value=_value(input),
        description=input.get("Description"),
        kms_key_id=input.get("KmsKeyId"),
        secret_type=input.get("Type"),
    )
    answer: Members = {"ARN": secret.arn, "Name": secret.name}
    if version_id is not None:
        answer["VersionId"] = version_id
    return answer


async def describe_secret(sm: SecretsManager, call: Call, input: Members) -> Members:
    return _described(sm.find(input["SecretId"]), "VersionIdsToStages")


async def list_secrets(sm: SecretsManager, call: Call, input: Members) -> Members:
    chosen = _filtered(sm, input.get("Filters"), input.get("IncludePlannedDeletion", False))
    shown, token = page(
        chosen,
        _SORT_KEYS[input.get("SortBy", "created-date")],
        input.get("NextToken"),
        input.get("MaxResults", DEFAULT_PAGE),
        descending=input.get("SortOrder") == "desc",
    )
    answer: Members = {"SecretList": [_described(s, "SecretVersionsToStages") for s in shown]}
    if token is not None:
        answer["NextToken"] = token
    return answer


def _filtered(
    sm: SecretsManager, chosen: list[dict[str, Any]] | None, planned_deletion: bool
) -> list[Secret]:
    for one in chosen or []:
        if "Key" not in one or not one.get("Values"):
            raise InvalidParameter("Each filter must have a Key and at least one value.")
    region = sm.account.region
    return [
        s
        for s in sm.secrets()
        if (planned_deletion or not s.scheduled) and filters.matches(s, chosen or [], region)
    ]


async def list_secret_version_ids(sm: SecretsManager, call: Call, input: Members) -> Members:
    secret = sm.find(input["SecretId"])
    listed = [v for v in secret.versions if v.stages or input.get("IncludeDeprecated")]
    shown, token = page(
        listed,
        lambda v: (v.seq,),
        input.get("NextToken"),
        input.get("MaxResults", DEFAULT_PAGE),
    )
    entries = []
    for version in shown:
        entry: Members = {
            "VersionId": version.id,
            "CreatedDate": _date(version.created_ms),
            "KmsKeyIds": [version.kms_key_id or DEFAULT_KEY],
        }
        if version.stages:
            entry["VersionStages"] = list(version.stages)
        if version.accessed_ms is not None:
            entry["LastAccessedDate"] = _date(version.accessed_ms)
        entries.append(entry)
    answer: Members = {"Versions": entries, "ARN": secret.arn, "Name": secret.name}
    if token is not None:
        answer["NextToken"] = token
    return answer


async def update_secret_version_stage(sm: SecretsManager, call: Call, input: Members) -> Members:
    secret = await sm.move_stage(
        input["SecretId"],
        input["VersionStage"],
        move_to=input.get("MoveToVersionId"),
        remove_from=input.get("RemoveFromVersionId"),
    )
    return {"ARN": secret.arn, "Name": secret.name}


async def delete_secret(sm: SecretsManager, call: Call, input: Members) -> Members:
    arn, name, when = await sm.delete(
        input["SecretId"],
        window_days=input.get("RecoveryWindowInDays"),
        force=bool(input.get("ForceDeleteWithoutRecovery")),
    )
    answer: Members = {"Name": name, "DeletionDate": _date(when)}
    if arn is not None:
        answer["ARN"] = arn
    return answer


async def restore_secret(sm: SecretsManager, call: Call, input: Members) -> Members:
    secret = await sm.restore(input["SecretId"])
    return {"ARN": secret.arn, "Name": secret.name}


async def tag_resource(sm: SecretsManager, call: Call, input: Members) -> Members:
    await sm.tag(input["SecretId"], _tags(input["Tags"]))
    return {}


async def untag_resource(sm: SecretsManager, call: Call, input: Members) -> Members:
    await sm.untag(input["SecretId"], input["TagKeys"])
    return {}


async def get_random_password(sm: SecretsManager, call: Call, input: Members) -> Members:
    return {
        "RandomPassword": passwords.generate(
            input.get("PasswordLength", passwords.DEFAULT_LENGTH),
            exclude=input.get("ExcludeCharacters", ""),
            numbers=not input.get("ExcludeNumbers", False),
            punctuation=not input.get("ExcludePunctuation", False),
            uppercase=not input.get("ExcludeUppercase", False),
            lowercase=not input.get("ExcludeLowercase", False),
            space=input.get("IncludeSpace", False),
            each_type=input.get("RequireEachIncludedType", True),
        )
    }


async def batch_get_secret_value(sm: SecretsManager, call: Call, input: Members) -> Members:
    """Values of up to 20 secrets, named or found by filters; a secret that cannot be read
    (not there, scheduled for deletion, not allowed) is an entry of ``Errors``, not a
    failure of the call."""
    ids, chosen = input.get("SecretIdList"), input.get("Filters")
    if (ids is None) == (chosen is None):
        raise InvalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.")
    if ids is not None and "MaxResults" in input:
        raise InvalidParameter(
            "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is "
            "provided."
        )
    principal = call.request.scope.get(PRINCIPAL)
    context = _request_context(call)
    token: str | None = None
    if chosen is not None:
        # Finding secrets by filters is listing them: the caller needs ListSecrets too.
        sm.authorize(principal, "secretsmanager:ListSecrets", None, context)
        found, token = page(
            _filtered(sm, chosen, False),
            _SORT_KEYS["created-date"],
            input.get("NextToken"),
            input.get("MaxResults", DEFAULT_BATCH),
        )
        ids = [s.arn for s in found]
    elif input.get("NextToken"):
        raise InvalidNextToken()
    values, errors = [], []
    for secret_id in dict.fromkeys(ids or []):
        try:
            sm.authorize(principal, "secretsmanager:GetSecretValue", sm.find(secret_id), context)
            got = await sm.read_value(secret_id)
        except (SecretsError, AccessDenied) as error:
            errors.append(_batch_error(secret_id, error))
            continue
        version = Version(got.version_id, got.stages, got.created_ms)
        values.append(_fetched(got.arn, got.name, version, got.value))
    answer: Members = {"SecretValues": values, "Errors": errors}
    if token is not None:
        answer["NextToken"] = token
    return answer


def _request_context(call: Call) -> dict[str, str]:
    """The request's own condition keys, as the framework gives them to the call's own
    authorisation."""
    scope = call.request.scope
    context = {"aws:SecureTransport": "true" if scope.get("scheme") == "https" else "false"}
    client = scope.get("client")
    if client:
        context["aws:SourceIp"] = client[0]
    return context


def _batch_error(secret_id: str, error: AltusError) -> Members:
    return {"SecretId": secret_id, "ErrorCode": error.code, "Message": error.message}


# --- resource policies ------------------------------------------------------------------------


async def put_resource_policy(sm: SecretsManager, call: Call, input: Members) -> Members:
    name = policy.check_name(input.get("PolicyName"))
    secret = await sm.put_policy(
        input["SecretId"],
        input["ResourcePolicy"],
        block_public=bool(input.get("BlockPublicPolicy")),
    )
    return {"ARN": secret.arn, "Name": secret.name, "PolicyName": name}


async def get_resource_policy(sm: SecretsManager, call: Call, input: Members) -> Members:
    secret = sm.live(input["SecretId"])
    name = input.get("PolicyName") or policy.DEFAULT_NAME
    if name != policy.DEFAULT_NAME:
        raise ResourceNotFound(f"Secrets Manager can't find the resource policy {name}.")
    answer: Members = {"ARN": secret.arn, "Name": secret.name, "PolicyName": name}
    if secret.policy is not None:
        answer["ResourcePolicy"] = secret.policy
    return answer


async def delete_resource_policy(sm: SecretsManager, call: Call, input: Members) -> Members:
    name = policy.check_name(input.get("PolicyName"))
    secret = await sm.delete_policy(input["SecretId"])
    return {"ARN": secret.arn, "Name": secret.name, "PolicyName": name}


async def list_resource_policies(sm: SecretsManager, call: Call, input: Members) -> Members:
    secret = sm.live(input["SecretId"])
    if input.get("NextToken"):
        raise InvalidNextToken()  # a secret has one policy at most: no page follows a first
    names = [{"PolicyName": policy.DEFAULT_NAME}] if secret.policy is not None else []
    return {"ResourcePolicies": names}
