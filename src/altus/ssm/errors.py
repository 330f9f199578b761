"""SSM's errors, by the shapes of its model (awsJson 1.1: every one a 400 with
``__type`` and its message)."""

from __future__ import annotations

from altus.errors import UserError


class SsmError(UserError):
    """Root of the SSM service's family."""

    code = "ValidationException"


class ValidationException(SsmError):
    code = "ValidationException"


class Unserializable(SsmError):
    """A member of the wrong JSON type (awsJson's deserialisation failure)."""

    code = "SerializationException"


class ParameterNotFound(SsmError):
    code = "ParameterNotFound"

    def __init__(self, message: str = "") -> None:
        # AWS answers GetParameter and DeleteParameter of a missing parameter with an
        # empty message (SDKs print "... operation: " and JS SDKs show null).
        super().__init__(message)


class ParameterAlreadyExists(SsmError):
    code = "ParameterAlreadyExists"


class ParameterVersionNotFound(SsmError):
    code = "ParameterVersionNotFound"


class ParameterLimitExceeded(SsmError):
    code = "ParameterLimitExceeded"


class ParameterMaxVersionLimitExceeded(SsmError):
    code = "ParameterMaxVersionLimitExceeded"


class ParameterVersionLabelLimitExceeded(SsmError):
    code = "ParameterVersionLabelLimitExceeded"


class HierarchyLevelLimitExceeded(SsmError):
    code = "HierarchyLevelLimitExceededException"


class InvalidAllowedPattern(SsmError):
    code = "InvalidAllowedPatternException"


class ParameterPatternMismatch(SsmError):
    code = "ParameterPatternMismatchException"


class InvalidPolicyType(SsmError):
    code = "InvalidPolicyTypeException"


class TooManyUpdates(SsmError):
    code = "TooManyUpdates"


class InvalidFilterKey(SsmError):
    code = "InvalidFilterKey"


class InvalidFilterOption(SsmError):
    code = "InvalidFilterOption"


class InvalidFilterValue(SsmError):
    code = "InvalidFilterValue"


class InvalidNextToken(SsmError):
    code = "InvalidNextToken"


class InvalidResourceType(SsmError):
    code = "InvalidResourceType"


class InvalidResourceId(SsmError):
    code = "InvalidResourceId"


class TooManyTags(SsmError):
    code = "TooManyTagsError"


class ReservedName(SsmError):
    """A parameter name under AWS's own ``aws`` prefix, which no one may write: AWS
    answers AccessDeniedException (400), not a validation error."""

    code = "AccessDeniedException"
