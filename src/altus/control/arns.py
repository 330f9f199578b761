"""Function names, qualifiers and ARNs: parsing and formatting (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from altus.arns import Account
from altus.control.errors import InvalidParameterValue, ResourceNotFound, ValidationFailed

LATEST = "$LATEST"

# The forms AWS accepts wherever it takes a FunctionName: a bare name, a partial ARN
# (account:function:name) and a full ARN, each optionally ending in ":qualifier".
_FUNCTION_REF = re.compile(
    r"(?:arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:)?"
    r"(?:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?"
    r"(?:(?P<function>function):)?"
    r"(?P<name>[a-zA-Z0-9_-]+)"
    r"(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?"
)
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_VERSION = re.compile(r"\$LATEST|[0-9]+")
_ALIAS = re.compile(r"(?!^[0-9]+$)[a-zA-Z0-9_-]{1,128}")
_QUALIFIER = re.compile(r"[a-zA-Z0-9$_-]{1,128}")


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A parsed FunctionName: which function, and the qualifier it named (if any)."""

    name: str
    qualifier: str | None


def parse_function_ref(
    value: str, account: Account, query_qualifier: str | None = None
) -> FunctionRef:
    """Parse any FunctionName form AWS accepts, merged with a ``?Qualifier=``.

    Raises ValidationFailed for a malformed value, InvalidParameterValue when the name's
    qualifier and the query's disagree, and ResourceNotFound for an ARN of another
    account or region (which cannot name a function here).
    """
    match = _FUNCTION_REF.fullmatch(value) if len(value) <= 170 else None
    if match is None:
        raise ValidationFailed(
            f"1 validation error detected: Value '{value}' at 'functionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
            "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
        )
    name = match["name"]
    if len(name) > 64:
        raise ValidationFailed(
            f"1 validation error detected: Value '{value}' at 'functionName' failed to "
            "satisfy constraint: Member must have length less than or equal to 64"
        )
    if (match["region"] and match["region"] != account.region) or (
        match["account"] and match["account"] != account.account_id
    ):
        raise ResourceNotFound(f"Function not found: {value}")
    qualifier = match["qualifier"]
    if query_qualifier is not None and query_qualifier != "":
        check_qualifier(query_qualifier)
        if qualifier is not None and qualifier != query_qualifier:
            raise InvalidParameterValue(
                "The derived qualifier from the function name does not match the "
                "specified qualifier."
            )
        qualifier = query_qualifier
    return FunctionRef(name=name, qualifier=qualifier)


def parse_unqualified(value: str, account: Account) -> str:
    """A FunctionName where AWS refuses a qualifier (e.g. CreateAlias, PublishVersion)."""
    ref = parse_function_ref(value, account)
    if ref.qualifier is not None:
        raise InvalidParameterValue(
            f"Unsupported qualifier in function name: {value}. "
            "Qualifiers are not allowed for this operation."
        )
    return ref.name


def check_function_name(name: str) -> None:
    """A name for a new function: 1-64 of letters, digits, hyphens and underscores."""
    if not _NAME.fullmatch(name):
        raise ValidationFailed(
            f"1 validation error detected: Value '{name}' at 'functionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "[a-zA-Z0-9-_]+ and have length less than or equal to 64"
        )


def check_qualifier(qualifier: str) -> None:
    if not _QUALIFIER.fullmatch(qualifier):
        raise ValidationFailed(
            f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "(|[a-zA-Z0-9$_-]+)"
        )


def is_version(qualifier: str) -> bool:
    """``$LATEST`` or a published version number (anything else is an alias name)."""
    return _VERSION.fullmatch(qualifier) is not None


def check_alias_name(name: str) -> None:
    if not _ALIAS.fullmatch(name):
        raise ValidationFailed(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        )
