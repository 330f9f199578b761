"""PutParameter as a plan: from the request and the parameter as it is, the version to
write (or the refusal), computed without touching anything. The store writes the plan
only if the parameter is still as it was read.

What a new version takes from the old one when the request leaves it out, as Parameter
Store does: its type, description, allowed pattern, data type, key and tier (a tier
never goes down by itself: an advanced parameter stays advanced).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from altus.ssm import patterns
from altus.ssm.errors import (
    InvalidAllowedPattern,
    InvalidPolicyType,
    ParameterAlreadyExists,
    ParameterLimitExceeded,
    ParameterMaxVersionLimitExceeded,
    TooManyTags,
    ValidationException,
)
from altus.ssm.model import (
    ADVANCED,
    DEFAULT_KEY,
    EC2_IMAGE,
    INTELLIGENT,
    MAX_PARAMETERS,
    MAX_TAGS,
    MAX_VALUE,
    MAX_VERSIONS,
    SECURE_STRING,
    STANDARD,
    STRING,
    TEXT,
    Parameter,
    ParameterVersion,
    PutPlan,
)

#: The data types Altus validates as Parameter Store does.
DATA_TYPES = (TEXT, EC2_IMAGE)
#: Data types AWS's model lists that Altus does not validate yet: refused by name rather
#: than stored unchecked.
NOT_YET = (
    "aws:ssm:integration",
    "aws:region",
    "aws:account:id",
    "boolean",
    "integer",
    "float",
    "binary",
    "hostname",
    "email",
    "ipv4-address",
    "ipv6-address",
    "url",
    "json",
    "jsonc",
)
#: An AMI id: ``ami-`` and 8 or 17 hexadecimal digits.
AMI = re.compile(r"ami-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_NESTED = re.compile(r"\{\{.*\}\}", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Counts:
    """How many parameters of each tier the account has (for the tier limits)."""

    standard: int = 0
    advanced: int = 0


@dataclass(frozen=True, slots=True)
class Planned:
    """A plan, and whether to write it: an ``aws:ec2:image`` value that is not an AMI id
    is answered as a success and not written, as Parameter Store's asynchronous check
    does."""

    plan: PutPlan
    write: bool = True


def plan_put(
    name: str,
    input: Mapping[str, Any],
    current: Parameter | None,
    counts: Counts,
    caller: str,
    now_ms: int,
) -> Planned:
    """The version PutParameter makes of ``name`` (a checked name), from the request's
    members ``input`` and the parameter as it is; raises the error AWS answers with.
    The value's ``AllowedPattern`` match is left to the caller (it runs in a child)."""
    overwrite = bool(input.get("Overwrite"))
    if overwrite and input.get("Tags"):
        raise ValidationException(
            "Invalid request: tags and overwrite can't be used together. To create a "
            "parameter with tags, please remove overwrite flag. To update tags for an "
            "existing parameter, please use AddTagsToResource or RemoveTagsFromResource."
        )
    if "Policies" in input:
        raise InvalidPolicyType(
            "Altus does not apply parameter policies (Expiration, ExpirationNotification, "
            "NoChangeNotification) yet: put the parameter without Policies."
        )
    value: str = input["Value"]
    if _NESTED.search(value):
        raise ValidationException(
            "Parameter values can't reference or nest other parameters: a value can't "
            "include {{}} or {{ssm:parameter-name}}."
        )
    latest = current.latest if current is not None else None
    if latest is not None and not overwrite:
        raise ParameterAlreadyExists(
            "The parameter already exists. To overwrite this value, set the overwrite "
            "option in the request to true."
        )
    kind = input.get("Type") or (latest.type if latest is not None else None)
    if kind is None:
        raise ValidationException("A parameter type is required when you create a parameter.")
    key_id = _key(input.get("KeyId"), kind, latest)
    data_type = _data_type(input.get("DataType"), kind, latest)
    pattern = _kept(input, "AllowedPattern", latest, "allowed_pattern")
    if pattern and not patterns.compiles(pattern):
        raise InvalidAllowedPattern(
            f"Invalid AllowedPattern {pattern}: it is not a regular expression."
        )
    tier = _tier(input.get("Tier"), value, latest, counts)
    record = ParameterVersion(
        name=name,
        version=latest.version + 1 if latest is not None else 1,
        type=kind,
        value=value,
        tier=tier,
        data_type=data_type,
        modified_ms=now_ms,
        modified_by=caller,
        description=_kept(input, "Description", latest, "description"),
        allowed_pattern=pattern,
        key_id=key_id,
    )
    tags = _tags(input.get("Tags") or [])
    plan = PutPlan(
        record,
        expected=latest.version if latest is not None else None,
        drop=_dropped(current),
        tags=tags,
    )
    return Planned(plan, write=data_type != EC2_IMAGE or AMI.fullmatch(value) is not None)


def _kept(
    input: Mapping[str, Any], member: str, latest: ParameterVersion | None, field: str
) -> str:
    """A member as the request gives it, else as the latest version has it."""
    if member in input:
        return str(input[member])
    return str(getattr(latest, field)) if latest is not None else ""


def _key(given: str | None, kind: str, latest: ParameterVersion | None) -> str | None:
    if kind != SECURE_STRING:
        if given is not None:
            raise ValidationException("KeyId is required for SecureString type parameter only.")
        return None
    if given is not None:
        return given
    if latest is not None and latest.key_id is not None:
        return latest.key_id
    return DEFAULT_KEY


def _data_type(given: str | None, kind: str, latest: ParameterVersion | None) -> str:
    chosen = given or (latest.data_type if latest is not None else TEXT)
    if chosen in NOT_YET:
        raise ValidationException(
            f"Altus does not validate the data type {chosen} yet: the data types it "
            f"supports are {', '.join(DATA_TYPES)}."
        )
    if chosen not in DATA_TYPES:
        raise ValidationException(
            f"The following data type is not supported: {chosen} (Data type names are all "
            "lowercase.)"
        )
    if latest is not None and (latest.data_type == EC2_IMAGE) != (chosen == EC2_IMAGE):
        raise ValidationException(
            f"A parameter's data type can't be changed from {latest.data_type} to {chosen}: "
            f"{EC2_IMAGE} parameters keep their data type."
        )
    if chosen == EC2_IMAGE and kind != STRING:
        raise ValidationException(
            f"The data type {EC2_IMAGE} is supported only for String parameters."
        )
    return chosen


def _tier(given: str | None, value: str, latest: ParameterVersion | None, counts: Counts) -> str:
    was = latest.tier if latest is not None else None
    if given is None:
        tier = was or STANDARD
    elif given == INTELLIGENT:
        # Standard unless the request needs advanced: a value past 4 KB, an advanced
        # parameter already, or no room left among standard parameters.
        full = latest is None and counts.standard >= MAX_PARAMETERS[STANDARD]
        needs = len(value) > MAX_VALUE[STANDARD] or was == ADVANCED or full
        tier = ADVANCED if needs else STANDARD
    else:
        tier = given
    if was == ADVANCED and tier == STANDARD:
        raise ValidationException(
            "This parameter uses the advanced-parameter tier. You can't downgrade a "
            "parameter from the advanced-parameter tier to the standard-parameter tier. If "
            "necessary, you can delete the advanced parameter and recreate it as a standard "
            "parameter."
        )
    if len(value) > MAX_VALUE[tier]:
        if tier == STANDARD:
            raise ValidationException(
                "Standard tier parameters support a maximum parameter value of 4096 "
                "characters. To create a larger parameter value, upgrade the parameter to use "
                "the advanced-parameter tier. For more information, see "
                "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                "parameter-store-advanced-parameters.html"
            )
        raise ValidationException(
            "Advanced tier parameters support a maximum parameter value of 8192 characters."
        )
    if latest is None or was != tier:
        held = counts.standard if tier == STANDARD else counts.advanced
        if held >= MAX_PARAMETERS[tier]:
            if tier == STANDARD:
                raise ParameterLimitExceeded(
                    "You have reached the maximum number of standard parameters for this AWS "
                    "account and Region (10000). To add more parameters, either delete "
                    "existing parameters or upgrade to the advanced-parameter tier (charges "
                    "apply)."
                )
            raise ParameterLimitExceeded(
                "You have reached the maximum number of advanced parameters for this AWS "
                "account and Region (100000). To add more parameters, delete existing "
                "parameters."
            )
    return tier


def _tags(given: list[Mapping[str, str]]) -> dict[str, str]:
    tags = {tag["Key"]: tag["Value"] for tag in given}
    if len(tags) > MAX_TAGS:
        raise TooManyTags(f"A parameter can have at most {MAX_TAGS} tags.")
    return tags


def _dropped(current: Parameter | None) -> int | None:
    """The version that goes to make room (None while fewer than 100 are kept); raises
    if it carries a label."""
    if current is None or len(current.versions) < MAX_VERSIONS:
        return None
    oldest = current.versions[0]
    if current.labels_of(oldest):
        raise ParameterMaxVersionLimitExceeded(
            f"You attempted to create a new version of {current.name} by calling the "
            f"PutParameter API with the overwrite flag. Version {oldest}, the oldest version, "
            "can't be deleted because it has a label associated with it. Move the label to "
            "another version of the parameter, and try again."
        )
    return oldest
