"""The Logs service's errors, by the names of CloudWatch Logs' model."""

from __future__ import annotations

from altus.errors import UserError


class LogsError(UserError):
    """Root of the Logs service's family."""

    code = "InvalidParameterException"


class InvalidParameter(LogsError):
    code = "InvalidParameterException"


class ResourceNotFound(LogsError):
    code = "ResourceNotFoundException"


class Unserializable(LogsError):
    """A member of the wrong JSON type (awsJson's deserialisation failure)."""

    code = "SerializationException"
