"""Errors of the control layer: the model refusing a change or a lookup."""

from __future__ import annotations

from altus.errors import ServiceError, UserError


class ControlError(UserError):
    """Root of the control layer's family."""


class ResourceNotFound(ControlError):
    code = "ResourceNotFoundException"
    status = 404


class ResourceConflict(ControlError):
    code = "ResourceConflictException"
    status = 409


class ResourceInUse(ControlError):
    """The resource is changing (an event source mapping in a transition)."""

    code = "ResourceInUseException"


class InvalidParameterValue(ControlError):
    code = "InvalidParameterValueException"


class ValidationFailed(ControlError):
    """A value breaks a constraint of the API model (AWS's Coral validation)."""

    code = "ValidationException"


class InvalidRequestContent(ControlError):
    code = "InvalidRequestContentException"


class PreconditionFailed(ControlError):
    code = "PreconditionFailedException"
    status = 412


class StoreFailure(ServiceError):
    """The store could not apply a change; nothing was acknowledged."""
