"""What the integrations need from the rest of Altus, as small interfaces of their own:
the Lambda component (invoking a function as a role), the calls to Altus's own API (the
AWS SDK path), and the Step Functions service (child executions). The service's component
passes the real ones; unit tests pass fakes."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

from altus.api.selfcalls import SdkCaller, SdkFailure, SdkResponse, SdkUnreachable

__all__ = [
    "ChildExecutions",
    "Functions",
    "Invoked",
    "SdkCaller",
    "SdkFailure",
    "SdkResponse",
    "SdkUnreachable",
]

# --- functions -----------------------------------------------------------------------------


class Invoked(Protocol):
    """A function's answer (``altus.engine.results.InvokeResult``)."""

    @property
    def request_id(self) -> str: ...

    @property
    def payload(self) -> bytes: ...

    @property
    def executed_version(self) -> str: ...

    @property
    def function_error(self) -> str | None:
        """Lambda's ``X-Amz-Function-Error`` (``Unhandled``); None when it succeeded."""
        ...


class Functions(Protocol):
    """The Lambda component, as a service that invokes functions and waits for them."""

    def call_as_service(
        self,
        service: str,
        source_arn: str,
        source_account: str,
        arn: str,
        payload: bytes,
        *,
        role: str | None = None,
        trace: str | None = None,
    ) -> Awaitable[Invoked]:
        """A RequestResponse invoke of the function ``arn`` names (a name, a partial or a
        full ARN, qualified or not) made by ``service`` for ``source_arn``, as ``role``:
        the role's session must be allowed ``lambda:InvokeFunction`` where requests are
        authenticated. Raises an ``AltusError`` (ResourceNotFoundException,
        TooManyRequestsException, AccessDeniedException ...), possibly before anything
        is awaited. A function that fails is an answer, not an error."""
        ...


# --- calls to Altus's own API --------------------------------------------------------------


# --- child executions ----------------------------------------------------------------------


class ChildExecutions(Protocol):
    """The Step Functions service, as ``states:startExecution`` starts and waits for
    executions."""

    async def start(
        self,
        state_machine_arn: str,
        name: str | None,
        input: str,
        parent_execution_arn: str,
        role_arn: str,
        *,
        repeat: bool = False,
        wait: bool = False,
    ) -> tuple[str, float]:
        """Start an execution of ``state_machine_arn`` (a state machine, version or alias
        ARN) named ``name`` (None: a generated one) with ``input`` (JSON text), made as
        ``role_arn`` by the execution ``parent_execution_arn``; its ARN and start date
        (epoch seconds), once it is recorded. ``repeat``: the start may have been made
        before (a parent resumed after a restart): an execution of that name and input,
        running or closed, is taken as this one. ``wait``: the caller will ``wait`` for
        it (an EXPRESS one's end is then kept for it). Raises an ``AltusError`` with the
        service's error code (StateMachineDoesNotExist, ExecutionAlreadyExists,
        InvalidName, InvalidExecutionInput ...)."""
        ...

    async def wait(self, execution_arn: str) -> Mapping[str, Any]:
        """Wait for the execution to end (however long: the caller cancels), then its
        DescribeExecution members by the API's names (``executionArn``, ``status``,
        ``startDate``, ``stopDate``, ``input``, ``output``, ``error``, ``cause`` ...;
        dates as epoch seconds or datetimes). Raises an ``AltusError``
        (ExecutionDoesNotExist; for an EXPRESS execution, also when it was lost to a
        restart of the server, as AWS keeps no Express execution)."""
        ...
