"""The Logs service's errors, by the names of CloudWatch Logs' model, and the words
CloudWatch Logs answers its commonest refusals with."""

from __future__ import annotations

from altus.errors import UserError


class LogsError(UserError):
    """Root of the Logs service's family."""

    code = "InvalidParameterException"


class InvalidParameter(LogsError):
    code = "InvalidParameterException"


class ResourceNotFound(LogsError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExists(LogsError):
    code = "ResourceAlreadyExistsException"


class TooManyTags(LogsError):
    """More than 50 tags on a resource (``resourceName`` says which)."""

    code = "TooManyTagsException"


class Validation(LogsError):
    """What CloudWatch Logs refuses outside its model's own checks: an ARN the tagging
    operations cannot use (``Invalid resourceArn``, as for a group's ``...:*`` ARN)."""

    code = "ValidationException"


class MalformedQuery(LogsError):
    """A Logs Insights query that does not parse (``queryCompileError`` says where)."""

    code = "MalformedQueryException"


class LimitExceeded(LogsError):
    code = "LimitExceededException"


class Unserializable(LogsError):
    """A member of the wrong JSON type (awsJson's deserialisation failure)."""

    code = "SerializationException"


def group_not_found() -> ResourceNotFound:
    return ResourceNotFound("The specified log group does not exist.")


def query_not_found() -> ResourceNotFound:
    return ResourceNotFound("The specified query does not exist.")


def stream_not_found() -> ResourceNotFound:
    return ResourceNotFound("The specified log stream does not exist.")
