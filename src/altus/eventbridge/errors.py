"""EventBridge's errors, by the shapes of its model (awsJson 1.1: ``__type`` and
``message``; each a 400 as EventBridge answers them, but an internal failure), and the
texts EventBridge words them in."""

from __future__ import annotations

from altus.errors import UserError


class EventBridgeError(UserError):
    """Root of the EventBridge service's family."""

    code = "ValidationException"


class ValidationException(EventBridgeError):
    """What the model refuses (Coral's words), and what EventBridge checks itself."""

    code = "ValidationException"


class ResourceNotFound(EventBridgeError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExists(EventBridgeError):
    code = "ResourceAlreadyExistsException"


class InvalidEventPattern(EventBridgeError):
    code = "InvalidEventPatternException"


class LimitExceeded(EventBridgeError):
    code = "LimitExceededException"


class ConcurrentModification(EventBridgeError):
    code = "ConcurrentModificationException"


class PolicyLengthExceeded(EventBridgeError):
    code = "PolicyLengthExceededException"


class InternalException(EventBridgeError):
    """The store failed to write what the call asked: nothing of it was kept."""

    code = "InternalException"
    status = 500
    fault = "Service"


def bus_not_found(name: str) -> ResourceNotFound:
    return ResourceNotFound(f"Event bus {name} does not exist.")


def rule_not_found(name: str, bus: str) -> ResourceNotFound:
    return ResourceNotFound(f"Rule {name} does not exist on EventBus {bus}.")
