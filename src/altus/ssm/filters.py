"""The filters DescribeParameters and GetParametersByPath take, checked as each
operation allows them and matched against parameters.

Filters combine with AND, the values of one filter with OR. DescribeParameters takes
``Name`` (``Equals``, ``BeginsWith``, ``Contains``), ``Path`` (``OneLevel``,
``Recursive``), ``Type``, ``KeyId``, ``Tier``, ``DataType`` and ``tag:<key>`` (a tag
filter without values matches parameters that have the tag); GetParametersByPath
takes ``Type``, ``KeyId`` and ``Label`` (``Equals`` only). Unless said otherwise a
filter's options are ``Equals`` (the default) and ``BeginsWith``. The older ``Filters``
of DescribeParameters (``Name``, ``Type``, ``KeyId``) match with ``Equals``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from altus.ssm import names
from altus.ssm.errors import (
    InvalidFilterKey,
    InvalidFilterOption,
    InvalidFilterValue,
    ValidationException,
)
from altus.ssm.model import Parameter, ParameterVersion

EQUALS = "Equals"
BEGINS_WITH = "BeginsWith"
CONTAINS = "Contains"
ONE_LEVEL = "OneLevel"
RECURSIVE = "Recursive"

_PLAIN = (EQUALS, BEGINS_WITH)
#: Per operation: each key it takes, with its options (the first is the default).
DESCRIBE: Mapping[str, tuple[str, ...]] = {
    "Name": (EQUALS, BEGINS_WITH, CONTAINS),
    "Path": (ONE_LEVEL, RECURSIVE),
    "Type": _PLAIN,
    "KeyId": _PLAIN,
    "Tier": _PLAIN,
    "DataType": _PLAIN,
    "tag:": _PLAIN,
}
BY_PATH: Mapping[str, tuple[str, ...]] = {
    "Type": _PLAIN,
    "KeyId": _PLAIN,
    "Label": (EQUALS,),
}


@dataclass(frozen=True, slots=True)
class Filter:
    key: str
    option: str
    values: tuple[str, ...]


def _checked(given: Mapping[str, Any], allowed: Mapping[str, tuple[str, ...]]) -> Filter:
    key = str(given["Key"])
    kind = "tag:" if key.startswith("tag:") else key
    options = allowed.get(kind)
    if options is None:
        keys = ", ".join(k if k != "tag:" else "tag:<key>" for k in allowed)
        raise InvalidFilterKey(
            f"The following filter key is not valid: {key}. Valid filter keys include: [{keys}]."
        )
    option = str(given.get("Option") or options[0])
    if option not in options:
        raise InvalidFilterOption(
            f"The following filter option is not valid: {option}. Valid options include: "
            f"[{', '.join(options)}]."
        )
    values = tuple(given.get("Values") or ())
    if not values and kind != "tag:":
        raise InvalidFilterValue(f"The filter key {key} needs at least one value.")
    if kind == "Path":
        for value in values:
            try:
                names.checked_path(value)
            except ValidationException:
                raise InvalidFilterValue(
                    f"The following filter value is not valid: {value}. A Path value must "
                    "be a hierarchy that begins with a forward slash (/)."
                ) from None
    return Filter(key, option, values)


def describe_filters(input: Mapping[str, Any]) -> list[Filter]:
    """DescribeParameters' filters, from either of its members (not both)."""
    legacy = input.get("Filters")
    modern = input.get("ParameterFilters")
    if legacy and modern:
        raise ValidationException(
            "You can use either Filters or ParameterFilters in a single request."
        )
    if legacy:
        return [Filter(f["Key"], EQUALS, tuple(f["Values"])) for f in legacy]
    return [_checked(f, DESCRIBE) for f in modern or ()]


def path_filters(input: Mapping[str, Any]) -> list[Filter]:
    return [_checked(f, BY_PATH) for f in input.get("ParameterFilters") or ()]


def _text(option: str, values: Sequence[str], found: str | None) -> bool:
    if found is None:
        return False
    if option == BEGINS_WITH:
        return any(found.startswith(value) for value in values)
    if option == CONTAINS:
        return any(value in found for value in values)
    return found in values


def matches(parameter: Parameter, record: ParameterVersion, chosen: Sequence[Filter]) -> bool:
    """Whether ``record`` (a version of ``parameter``) passes every filter but ``Label``
    (which picks the version: see ``labelled``)."""
    for f in chosen:
        if f.key == "Label":
            continue
        if f.key.startswith("tag:"):
            tag = parameter.tags.get(f.key[4:])
            if tag is None or (f.values and not _text(f.option, f.values, tag)):
                return False
        elif f.key == "Path":
            recursive = f.option == RECURSIVE
            paths = [names.checked_path(value) for value in f.values]
            if not any(names.under(path, record.name, recursive) for path in paths):
                return False
        else:
            found = {
                "Name": record.name,
                "Type": record.type,
                "KeyId": record.key_id,
                "Tier": record.tier,
                "DataType": record.data_type,
            }[f.key]
            if not _text(f.option, f.values, found):
                return False
    return True


def labelled(parameter: Parameter, chosen: Sequence[Filter]) -> int | None:
    """The version a ``Label`` filter picks (the one carrying one of its labels): the
    latest if there is no such filter, None if no version of ``parameter`` has one."""
    wanted = [f for f in chosen if f.key == "Label"]
    if not wanted:
        return parameter.latest.version
    versions = {parameter.labels[v] for f in wanted for v in f.values if v in parameter.labels}
    return max(versions) if versions else None


def prefix(chosen: Sequence[Filter]) -> str:
    """A beginning every name the filters keep has ("" if they keep names of any
    beginning): the store then reads only names that begin so."""
    found = ""
    for f in chosen:
        if len(f.values) != 1:
            continue
        value = f.values[0]
        if f.key == "Name" and f.option in (EQUALS, BEGINS_WITH):
            candidate = value
        elif f.key == "Path" and names.checked_path(value) != "/":
            candidate = names.checked_path(value) + "/"
        else:
            continue
        if len(candidate) > len(found):
            found = candidate
    return found
