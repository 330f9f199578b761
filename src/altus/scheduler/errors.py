"""Scheduler's errors, by the shapes of its model (rest-json: ``x-amzn-ErrorType`` and
``Message``, each with the status the model gives it).

Texts: ``Schedule <name> does not exist.`` is AWS's own (seen in SDK bug reports); the
others follow its pattern where AWS's wording was not found, and say so.
"""

from __future__ import annotations

from altus.errors import ServiceError, UserError


class SchedulerError(UserError):
    """Root of the Scheduler service's family."""

    code = "ValidationException"


class ValidationException(SchedulerError):
    code = "ValidationException"


class ConflictException(SchedulerError):
    code = "ConflictException"
    status = 409


class ResourceNotFound(SchedulerError):
    code = "ResourceNotFoundException"
    status = 404


class InternalServer(ServiceError):
    """The store failed to write what the call asked: nothing of it was kept."""

    code = "InternalServerException"


def schedule_not_found(name: str) -> ResourceNotFound:
    return ResourceNotFound(f"Schedule {name} does not exist.")


def group_not_found(name: str) -> ResourceNotFound:
    # AWS's wording for a missing group was not found; this follows the schedule's.
    return ResourceNotFound(f"Schedule group {name} does not exist.")


def schedule_exists(name: str) -> ConflictException:
    return ConflictException(f"Schedule {name} already exists.")


def group_exists(name: str) -> ConflictException:
    return ConflictException(f"Schedule group {name} already exists.")


def token_reused() -> ConflictException:
    # AWS documents no error for a ClientToken repeated with other parameters (its
    # ConflictException is the nearest shape: "can cause an inconsistent state"); the
    # wording is Altus's.
    return ConflictException(
        "The ClientToken was already used for a request with other parameters."
    )
