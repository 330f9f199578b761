"""IAM's errors, by the shapes of its model (their codes and statuses come from there)."""

from __future__ import annotations

from altus.errors import UserError


class IamError(UserError):
    """Root of the IAM service's family."""

    code = "ValidationError"


class ValidationError(IamError):
    code = "ValidationError"


class InvalidAction(IamError):
    code = "InvalidAction"


class NoSuchEntity(IamError):
    code = "NoSuchEntityException"


class EntityAlreadyExists(IamError):
    code = "EntityAlreadyExistsException"


class MalformedPolicyDocument(IamError):
    code = "MalformedPolicyDocumentException"


class InvalidInput(IamError):
    code = "InvalidInputException"


class DeleteConflict(IamError):
    code = "DeleteConflictException"


class LimitExceeded(IamError):
    code = "LimitExceededException"


class UnmodifiableEntity(IamError):
    code = "UnmodifiableEntityException"
