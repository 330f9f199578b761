"""CloudFormation's errors, by the shape names of its model (the query protocol renders
each with the shape's legacy code: ``ChangeSetNotFound``, ``InvalidChangeSetStatus``)."""

from __future__ import annotations

from altus.errors import UserError


class CloudFormationError(UserError):
    """Root of the CloudFormation service's family."""

    code = "ValidationError"


class ValidationError(CloudFormationError):
    """What CloudFormation refuses as a ``ValidationError``: bad input, a stack that does
    not exist, a stack in a state that does not allow the operation."""

    code = "ValidationError"


class TemplateError(ValidationError):
    """A template CloudFormation cannot use: the message says why, as CloudFormation
    words it (``Template format error: ...`` for its form, ``Template error: ...`` for
    what it asks)."""


class AlreadyExists(CloudFormationError):
    code = "AlreadyExistsException"


class InsufficientCapabilities(CloudFormationError):
    code = "InsufficientCapabilitiesException"


class ChangeSetNotFound(CloudFormationError):
    code = "ChangeSetNotFoundException"
    status = 404


class InvalidChangeSetStatus(CloudFormationError):
    code = "InvalidChangeSetStatusException"


class LimitExceeded(CloudFormationError):
    code = "LimitExceededException"


class TokenAlreadyExists(CloudFormationError):
    code = "TokenAlreadyExistsException"


class InvalidOperation(CloudFormationError):
    code = "InvalidOperationException"


class AccessDenied(CloudFormationError):
    code = "AccessDenied"
    status = 403
