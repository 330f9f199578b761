"""A template's parameters bound to the values a create, update or change set gives.

``bind`` settles each parameter of the template, in template order: the value given,
the stack's previous value (``UsePreviousValue``) or the ``Default``; checks it against
the parameter's type and constraints (``AllowedValues``, ``AllowedPattern``, ``Min`` /
``MaxLength``, ``Min`` / ``MaxValue``), each member of a list type on its own; and
fetches the SSM parameters that SSM-typed parameters name (their latest value, on every
bind: CloudFormation does not remember them). It returns the bound parameters (what
DescribeStacks shows) and the values ``Ref`` gives (``intrinsics.Scope.parameters``):
a string, or a list of trimmed strings for the list types.

``AllowedPattern`` is the template author's regular expression and a backtracking
engine can be made to run for ages on it, so each match runs on a worker thread with
the ``regex`` library's timeout (as ``altus.ssm.patterns`` does for SSM's own
AllowedPattern); a value that cannot be checked in ``MATCH_SECONDS`` does not match.

AWS-specific types (``AWS::EC2::VPC::Id`` ...) name things Altus does not hold, so
their values are taken as given.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import regex

from altus.cloudformation.errors import TemplateError, ValidationError
from altus.cloudformation.intrinsics import text

#: How long one value's AllowedPattern match may take.
MATCH_SECONDS: Final = 0.5
#: The longest parameter value, in bytes.
MAX_VALUE_BYTES: Final = 4096
#: What DescribeStacks, events and change sets show for a NoEcho parameter.
MASK: Final = "****"

#: The attributes a parameter declaration may have.
ATTRIBUTES: Final = frozenset(
    {
        "Type",
        "Default",
        "NoEcho",
        "AllowedValues",
        "AllowedPattern",
        "MaxLength",
        "MinLength",
        "MaxValue",
        "MinValue",
        "Description",
        "ConstraintDescription",
    }
)

#: The AWS-specific parameter types, and those of them that have a ``List<...>`` form.
AWS_TYPES: Final = frozenset(
    {
        "AWS::EC2::AvailabilityZone::Name",
        "AWS::EC2::Image::Id",
        "AWS::EC2::Instance::Id",
        "AWS::EC2::KeyPair::KeyName",
        "AWS::EC2::SecurityGroup::GroupName",
        "AWS::EC2::SecurityGroup::Id",
        "AWS::EC2::Subnet::Id",
        "AWS::EC2::Volume::Id",
        "AWS::EC2::VPC::Id",
        "AWS::Route53::HostedZone::Id",
    }
)
AWS_LIST_TYPES: Final = AWS_TYPES - {"AWS::EC2::KeyPair::KeyName"}

_SSM_NAME = "AWS::SSM::Parameter::Name"
_SSM_VALUE = re.compile(r"AWS::SSM::Parameter::Value<(.+)>")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class ParameterType:
    """What a parameter's ``Type`` means for its value."""

    name: str
    #: A list type: the value is split at commas, each member trimmed and checked.
    is_list: bool = False
    #: Each member must be a number (``Number``, ``List<Number>``).
    number: bool = False
    #: ``AWS::SSM::Parameter::Name``: the value names an SSM parameter that must exist.
    ssm_name: bool = False
    #: ``AWS::SSM::Parameter::Value<...>``: the value names the SSM parameter whose value
    #: ``Ref`` gives.
    ssm_value: bool = False


def _plain_type(name: str) -> ParameterType | None:
    if name == "String" or name in AWS_TYPES:
        return ParameterType(name)
    if name == "Number":
        return ParameterType(name, number=True)
    if name == "List<Number>":
        return ParameterType(name, is_list=True, number=True)
    if name == "CommaDelimitedList":
        return ParameterType(name, is_list=True)
    if name.startswith("List<") and name.endswith(">") and name[5:-1] in AWS_LIST_TYPES:
        return ParameterType(name, is_list=True)
    return None


def parameter_type(key: str, declared: Any) -> ParameterType:
    """The meaning of parameter ``key``'s declared ``Type``. Raises ``TemplateError``
    for a type CloudFormation does not know, and CloudFormation's ``ValidationError``
    for an SSM type whose inner type it does not support (``SecureString``)."""
    if not isinstance(declared, str):
        raise TemplateError(
            "Template format error: Every Parameters object must contain a Type member."
        )
    if declared == _SSM_NAME:
        return ParameterType(declared, ssm_name=True)
    match = _SSM_VALUE.fullmatch(declared)
    if match is not None:
        inner = match.group(1)
        plain = None if inner == "Number" else _plain_type(inner)
        if inner == "List<String>":
            plain = ParameterType(inner, is_list=True)
        if plain is None or plain.number:
            raise ValidationError(
                f"Parameters [{key}] referenced by template have types not supported by "
                "CloudFormation."
            )
        return ParameterType(declared, is_list=plain.is_list, ssm_value=True)
    plain = _plain_type(declared)
    if plain is None:
        raise TemplateError(f"Template format error: Unrecognized parameter type: {declared}")
    return plain


@dataclass(frozen=True)
class Bound:
    """One parameter as the stack holds it."""

    key: str
    #: What the caller gave (or the default, or the previous value); for SSM types, the
    #: SSM parameter's name.
    value: str
    #: SSM value types: the value fetched; else None.
    resolved: str | None
    no_echo: bool


def masked(bound: Bound) -> str:
    """The value as DescribeStacks, events and change sets show it: ``****`` for NoEcho."""
    return MASK if bound.no_echo else bound.value


def members(value: str) -> list[str]:
    """A list type's value: split at commas, each member trimmed."""
    return [member.strip() for member in value.split(",")]


async def bind(
    template: Mapping[str, Any],
    given: Mapping[str, str | None],
    previous: Mapping[str, str],
    ssm: Callable[[str], Awaitable[str | None]],
) -> tuple[list[Bound], dict[str, Any]]:
    """The template's parameters bound, in template order, and their values as ``Ref``
    gives them. ``given`` maps a key to its value, or to None for UsePreviousValue;
    ``previous`` holds the stack's current values; ``ssm`` gives an SSM parameter's
    value by name, or None if there is none. The values hold the template's parameters
    only: the caller adds the pseudo parameters before building a ``Scope``.

    Raises ``ValidationError`` (CloudFormation's words) for a key the template does not
    declare, parameters with no value, UsePreviousValue for a key with no previous
    value, a value breaking its type or constraints, and SSM parameters that do not
    exist; ``TemplateError`` for a declaration CloudFormation would refuse.
    """
    declared = template.get("Parameters") or {}
    if not isinstance(declared, Mapping):
        raise TemplateError("Template format error: Parameters must be an object")
    unknown = [key for key in given if key not in declared]
    if unknown:
        raise ValidationError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    chosen: list[tuple[str, Mapping[str, Any], ParameterType, str]] = []
    missing: list[str] = []
    for key, declaration in declared.items():
        if not isinstance(declaration, Mapping):
            raise TemplateError(
                "Template format error: Any Parameters member must be a JSON object."
            )
        kind = parameter_type(key, declaration.get("Type"))
        value = _value(key, declaration, given, previous)
        if value is None:
            missing.append(key)
        else:
            chosen.append((key, declaration, kind, value))
    if missing:
        raise ValidationError(f"Parameters: [{', '.join(missing)}] must have values")
    for key, declaration, kind, value in chosen:
        await _check(key, declaration, kind, value)
    return await _fetch(chosen, ssm)


def _value(
    key: str,
    declaration: Mapping[str, Any],
    given: Mapping[str, str | None],
    previous: Mapping[str, str],
) -> str | None:
    if key in given:
        value = given[key]
        if value is not None:
            return value
        if key not in previous:
            raise ValidationError(
                f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as "
                "true for a parameter key not in the previous template"
            )
        return previous[key]
    if "Default" in declaration:
        default = text(declaration["Default"])
        if default is None:
            raise TemplateError("Template format error: Every Default member must be a string.")
        return default
    return None


async def _fetch(
    chosen: list[tuple[str, Mapping[str, Any], ParameterType, str]],
    ssm: Callable[[str], Awaitable[str | None]],
) -> tuple[list[Bound], dict[str, Any]]:
    bound: list[Bound] = []
    values: dict[str, Any] = {}
    absent: list[str] = []
    for key, declaration, kind, value in chosen:
        resolved: str | None = None
        if kind.ssm_name or kind.ssm_value:
            fetched = await ssm(value)
            if fetched is None:
                absent.append(value)
                continue
            if kind.ssm_value:
                resolved = fetched
        no_echo = (text(declaration.get("NoEcho")) or "").lower() == "true"
        bound.append(Bound(key, value, resolved, no_echo))
        seen = resolved if resolved is not None else value
        values[key] = members(seen) if kind.is_list else seen
    if absent:
        raise ValidationError(
            f"Unable to fetch parameters [{', '.join(absent)}] from parameter store for this "
            "account."
        )
    return bound, values


async def _check(key: str, declaration: Mapping[str, Any], kind: ParameterType, value: str) -> None:
    """Refuse ``value`` if it breaks ``key``'s type or constraints (each member of a
    list type on its own)."""
    if len(value.encode()) > MAX_VALUE_BYTES:
        raise ValidationError(
            f"Parameter '{key}' exceeds the maximum parameter value length of "
            f"{MAX_VALUE_BYTES} bytes"
        )
    description = text(declaration.get("ConstraintDescription"))

    def refuse(problem: str) -> ValidationError:
        if description is not None:
            return ValidationError(f"Parameter '{key}' failed to satisfy constraint: {description}")
        return ValidationError(f"Parameter '{key}' {problem}")

    checked = members(value) if kind.is_list and not kind.ssm_value else [value]
    allowed = declaration.get("AllowedValues")
    if allowed is not None:
        if not isinstance(allowed, list) or any(text(item) is None for item in allowed):
            raise TemplateError(
                "Template format error: Every AllowedValues member must be a list of strings."
            )
        options = {text(item) for item in allowed}
        if any(member not in options for member in checked):
            raise refuse("must be one of AllowedValues")
    if kind.number:
        for member in checked:
            _number_check(key, declaration, member, refuse)
    else:
        for member in checked:
            _length_check(key, declaration, member, refuse)
    pattern = declaration.get("AllowedPattern")
    if pattern is not None:
        await _pattern_check(key, pattern, checked, description)


def _bound(key: str, declaration: Mapping[str, Any], name: str) -> Decimal | None:
    raw = declaration.get(name)
    if raw is None:
        return None
    number = text(raw)
    if number is None or isinstance(raw, bool) or not _NUMBER.fullmatch(number):
        raise TemplateError(f"Template error: Parameter '{key}' {name} must be a number")
    return Decimal(number)


def _number_check(
    key: str,
    declaration: Mapping[str, Any],
    member: str,
    refuse: Callable[[str], ValidationError],
) -> None:
    if not _NUMBER.fullmatch(member):
        raise refuse("must be a number")
    try:
        number = Decimal(member)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise refuse("must be a number") from None
    low, high = _bound(key, declaration, "MinValue"), _bound(key, declaration, "MaxValue")
    if low is not None and number < low:
        raise refuse(f"must be a number not less than {text(declaration['MinValue'])}")
    if high is not None and number > high:
        raise refuse(f"must be a number not greater than {text(declaration['MaxValue'])}")


def _length_check(
    key: str,
    declaration: Mapping[str, Any],
    member: str,
    refuse: Callable[[str], ValidationError],
) -> None:
    low, high = _bound(key, declaration, "MinLength"), _bound(key, declaration, "MaxLength")
    if low is not None and len(member) < low:
        raise refuse(f"must contain at least {text(declaration['MinLength'])} characters")
    if high is not None and len(member) > high:
        raise refuse(f"must contain at most {text(declaration['MaxLength'])} characters")


async def _pattern_check(
    key: str, pattern: Any, checked: list[str], description: str | None
) -> None:
    if not isinstance(pattern, str):
        raise TemplateError(f"Template error: Parameter '{key}' AllowedPattern must be a string")
    try:
        compiled = regex.compile(pattern)
    except (regex.error, RecursionError, OverflowError, ValueError):
        raise TemplateError(
            f"Template error: Parameter '{key}' AllowedPattern must be a valid regular expression."
        ) from None
    for member in checked:
        if not await asyncio.to_thread(_matches, compiled, member):
            # CloudFormation's words: the ConstraintDescription takes the pattern's place.
            problem = description if description is not None else f"must match pattern {pattern}"
            raise ValidationError(f"Malformed input-Parameter {key} {problem}")


def _matches(compiled: regex.Pattern[str], value: str) -> bool:
    try:
        return compiled.fullmatch(value, concurrent=True, timeout=MATCH_SECONDS) is not None
    except TimeoutError:
        return False
