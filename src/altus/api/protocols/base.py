"""The interface of a wire protocol, and the bits of a request every protocol reads.

A protocol knows, for one service: which operation a request names, how its members are
laid out on the wire (parsed, converted to the model's types and checked), how output
members and errors are laid out on the way back. It never knows what an operation does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from altus.api.errors import ErrorView, view
from altus.api.spec import Call, Members, ServiceSpec
from altus.api.validate import Problem, Unreadable, check
from altus.errors import AltusError


class WireProtocol(ABC):
    """One protocol of one service."""

    name = ""

    def __init__(self, spec: ServiceSpec, model: Any) -> None:
        self.spec = spec
        self.model = model
        self.overrides = spec.overrides

    @abstractmethod
    async def operation(self, request: Request) -> str | None:
        """The model's name of the operation ``request`` calls; None if it names none of
        the model's (``UnknownOperation`` is then answered in this protocol)."""

    @abstractmethod
    async def parse(self, request: Request, operation: Any) -> Members:
        """The operation's input members, of the model's types and within its
        constraints; raises the service's own errors for anything else."""

    @abstractmethod
    def respond(self, call: Call, operation: Any, output: Members) -> Response:
        """The response carrying ``output`` (the operation's output members)."""

    @abstractmethod
    def error(self, request: Request, request_id: str, error: AltusError) -> Response:
        """The response reporting ``error`` as the service's model shapes it."""

    # --- shared by the implementations ---------------------------------------------------

    def checked(self, request: Request, operation: Any, members: Members) -> Members:
        """``members`` (with those the request implies) checked against the operation's
        input shape, with the service's wording for what fails."""
        shape = operation.input_shape
        if shape is None:
            return {}
        if self.spec.implied is not None:
            members = self.spec.implied(request, members)
        try:
            result, problems = check(shape, members, self.overrides)
        except Unreadable as error:
            raise self.spec.violations.unreadable(error) from None
        if problems:
            raise self.spec.violations.invalid(problems)
        return result

    def unreadable(self, member: str, path: str, expected: str) -> AltusError:
        return self.spec.violations.unreadable(Unreadable(member, path, expected))

    def invalid(self, problems: list[Problem]) -> AltusError:
        return self.spec.violations.invalid(problems)

    def view(self, error: AltusError) -> ErrorView:
        return view(self.model, self.overrides, error, self.spec.default_error_shape)


def request_id_header(request_id: str) -> dict[str, str]:
    return {"x-amzn-RequestId": request_id}
