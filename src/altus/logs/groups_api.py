"""The CloudWatch Logs operations that manage log groups: CreateLogGroup,
DeleteLogGroup, PutRetentionPolicy / DeleteRetentionPolicy, AssociateKmsKey /
DisassociateKmsKey, and tags, by the group's ARN (TagResource, UntagResource,
ListTagsForResource) and by its name (the legacy TagLogGroup, UntagLogGroup,
ListTagsLogGroup).

A KMS key is kept and shown, never used: Altus does not encrypt log events.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

from altus.api.spec import Call, Members
from altus.logs.api import group_named
from altus.logs.component import Logs
from altus.logs.errors import InvalidParameter, TooManyTags, Validation, group_not_found
from altus.logs.group_store import STANDARD, GroupSettings
from altus.logs.groups import with_tags, without_tags
from altus.logs.retention import check_days

#: Most tags a group may have.
MAX_TAGS = 50


def _name(body: Members) -> str:
    name = group_named(body)
    if name is None:
        raise InvalidParameter("logGroupName is required")
    return name


def _tags(given: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (given or {}).items()}


async def create_log_group(logs: Logs, call: Call, body: Members) -> Members:
    name = str(body["logGroupName"])
    if name.startswith("aws/"):
        # CloudWatch Logs keeps names beginning ``aws/`` (not ``/aws/``) for itself.
        raise InvalidParameter("Log group names can't start with the string aws/")
    if body.get("deletionProtectionEnabled"):
        raise InvalidParameter("deletionProtectionEnabled is not supported by Altus")
    settings = GroupSettings(
        name=name,
        created=logs.now_ms(),
        kms_key_id=body.get("kmsKeyId") or None,
        group_class=str(body.get("logGroupClass") or STANDARD),
        tags=_tags(body.get("tags")),
    )
    await logs.groups.create(settings)
    return {}


async def delete_log_group(logs: Logs, call: Call, body: Members) -> Members:
    await logs.groups.delete(_name(body))
    return {}


async def put_retention_policy(logs: Logs, call: Call, body: Members) -> Members:
    days = check_days(int(body["retentionInDays"]))
    await logs.groups.change(_name(body), lambda s: dataclasses.replace(s, retention_days=days))
    return {}


async def delete_retention_policy(logs: Logs, call: Call, body: Members) -> Members:
    await logs.groups.change(_name(body), lambda s: dataclasses.replace(s, retention_days=None))
    return {}


def _kms_target(logs: Logs, body: Members) -> str:
    """The group AssociateKmsKey / DisassociateKmsKey act on: ``logGroupName``, or a log
    group's ARN as ``resourceIdentifier`` (query results' keys are not kept here)."""
    name = body.get("logGroupName")
    identifier = body.get("resourceIdentifier")
    if name and identifier:
        raise InvalidParameter("Specify either logGroupName or resourceIdentifier, not both.")
    if name:
        return str(name)
    if identifier:
        found = _group_of_arn(logs, str(identifier).removesuffix(":*"))
        if found is None:
            raise InvalidParameter("resourceIdentifier must be a log group's ARN here.")
        return found
    raise InvalidParameter("Specify either logGroupName or resourceIdentifier.")


async def associate_kms_key(logs: Logs, call: Call, body: Members) -> Members:
    key = str(body["kmsKeyId"])
    await logs.groups.change(
        _kms_target(logs, body), lambda s: dataclasses.replace(s, kms_key_id=key)
    )
    return {}


async def disassociate_kms_key(logs: Logs, call: Call, body: Members) -> Members:
    await logs.groups.change(
        _kms_target(logs, body), lambda s: dataclasses.replace(s, kms_key_id=None)
    )
    return {}


# --- tags ------------------------------------------------------------------------------

_ARN = re.compile(r"arn:([^:]+):logs:([^:]*):([^:]*):log-group:([\.\-_/#A-Za-z0-9]+)")


def _group_of_arn(logs: Logs, arn: str) -> str | None:
    """The name of the log group ``arn`` is, if it is one of this account's and region's
    (``arn:<partition>:logs:<region>:<account>:log-group:<name>``)."""
    matched = _ARN.fullmatch(arn)
    if matched is None:
        return None
    partition, region, account, name = matched.groups()
    mine = logs.account
    if (partition, region, account) != (mine.partition, mine.region, mine.account_id):
        return None
    return name


def _tagged_group(logs: Logs, body: Members) -> str:
    """The group a tagging operation's ``resourceArn`` names. CloudWatch Logs answers an
    ARN it cannot use (a group's ``...:*`` ARN from DescribeLogGroups among them) with a
    ValidationException, and one of a group it does not have with ResourceNotFound."""
    arn = str(body["resourceArn"])
    if _ARN.fullmatch(arn) is None:
        raise Validation("Invalid resourceArn")
    name = _group_of_arn(logs, arn)
    if name is None:
        raise group_not_found()
    return name


def _tag(
    tags: Mapping[str, str], arn: str, *, legacy: bool = False
) -> Callable[[GroupSettings], GroupSettings]:
    """Add ``tags`` (replacing the values of keys it has), refused past 50 tags."""

    def how(settings: GroupSettings) -> GroupSettings:
        changed = with_tags(settings, tags)
        if len(changed.tags) > MAX_TAGS:
            message = f"A resource can have no more than {MAX_TAGS} tags."
            if legacy:  # TagLogGroup's model has no TooManyTagsException
                raise InvalidParameter(message)
            raise TooManyTags(message, resourceName=arn)
        return changed

    return how


async def tag_resource(logs: Logs, call: Call, body: Members) -> Members:
    name = _tagged_group(logs, body)
    tags = _tags(body["tags"])
    await logs.groups.change(name, _tag(tags, str(body["resourceArn"])))
    return {}


async def untag_resource(logs: Logs, call: Call, body: Members) -> Members:
    name = _tagged_group(logs, body)
    keys = {str(k) for k in body["tagKeys"]}
    await logs.groups.change(name, lambda s: without_tags(s, keys))
    return {}


async def list_tags_for_resource(logs: Logs, call: Call, body: Members) -> Members:
    group = await logs.groups.get(_tagged_group(logs, body))
    return {"tags": dict(group.settings.tags)}


async def tag_log_group(logs: Logs, call: Call, body: Members) -> Members:
    name = _name(body)
    await logs.groups.change(name, _tag(_tags(body["tags"]), name, legacy=True))
    return {}


async def untag_log_group(logs: Logs, call: Call, body: Members) -> Members:
    keys = {str(k) for k in body["tags"]}
    await logs.groups.change(_name(body), lambda s: without_tags(s, keys))
    return {}


async def list_tags_log_group(logs: Logs, call: Call, body: Members) -> Members:
    group = await logs.groups.get(_name(body))
    return {"tags": dict(group.settings.tags)}
