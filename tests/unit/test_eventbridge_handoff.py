"""``altus.events.handoff``: which service each target ARN goes to, as whom (the
service principal, or a role's session where requests are authenticated), and how its
failures are reported, with stand-in targets and identity."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, cast

import pytest

from altus.arns import Account
from altus.errors import ServiceError, UserError
from altus.events.handoff import HandOffFailed, hand_off, permanent
from altus.identity.authenticator import Identity, Principal
from altus.identity.errors import AccessDenied
from altus.targets import TargetRegistry

ACCOUNT = Account("us-east-1", "000000000000")
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:f"
RULE = "arn:aws:events:us-east-1:000000000000:rule/r"


class Recorder:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.error = error

    async def deliver(
        self,
        arn: str,
        body: str,
        attributes: Mapping[str, Mapping[str, str]] | None = None,
        *,
        trace: str | None = None,
    ) -> None:
        if self.error is not None:
            raise self.error
        self.calls.append(("deliver", arn, body, attributes))

    async def deliver_fifo(
        self, arn: str, body: str, attributes: Any, group: str, dedup: Any, *, trace: Any = None
    ) -> None:
        self.calls.append(("fifo", arn, body, group))

    async def invoke_as_service(
        self,
        service: str,
        source_arn: str,
        source_account: str,
        arn: str,
        payload: str,
        *,
        trace: str | None = None,
    ) -> None:
        self.calls.append(("service", service, source_arn, source_account, arn, payload))


class Stand:
    """An identity that enforces, allowing what ``allowed`` lists to roles, and every
    service its pushes (the targets' own policies) but those ``refused`` lists."""

    def __init__(self, allowed: set[str], refused: frozenset[str] = frozenset()) -> None:
        self.enforcing = True
        self.allowed = allowed
        self.refused = refused
        self.asked: list[tuple[str, str, str]] = []

    def authorize(self, principal: Principal, action: str, resource: str, *rest: Any) -> None:
        self.asked.append((principal.arn, action, resource))
        if action not in self.allowed:
            raise AccessDenied(f"User: {principal.arn} is not authorized to perform: {action}")

    def authorize_service(
        self, service: str, action: str, resource: str, *rest: Any, **kw: Any
    ) -> None:
        self.asked.append((service, action, resource))
        if action in self.refused:
            raise AccessDenied(f"The service {service} is not authorized to perform: {action}")


def run(registry: TargetRegistry, identity: Any, **kwargs: Any) -> None:
    defaults = {"service_principal": "events.amazonaws.com", "source_arn": RULE, "payload": "{}"}
    asyncio.run(hand_off(registry, cast(Identity, identity), ACCOUNT, **{**defaults, **kwargs}))


def test_a_function_without_a_role_is_invoked_as_the_service() -> None:
    registry, fn = TargetRegistry(), Recorder()
    registry.register("lambda", fn)
    run(registry, Stand(set()), target_arn=FUNCTION)
    assert fn.calls == [("service", "events.amazonaws.com", RULE, "000000000000", FUNCTION, "{}")]


def test_a_role_must_be_allowed_where_requests_are_authenticated() -> None:
    registry, fn = TargetRegistry(), Recorder()
    registry.register("lambda", fn)
    role = "arn:aws:iam::000000000000:role/path/runner"
    stand = Stand({"lambda:InvokeFunction"})
    run(
        registry,
        stand,
        target_arn=FUNCTION,
        role_arn=role,
        service_principal="scheduler.amazonaws.com",
    )
    assert stand.asked == [
        (
            "arn:aws:sts::000000000000:assumed-role/runner/scheduler",
            "lambda:InvokeFunction",
            FUNCTION,
        )
    ]
    assert fn.calls == [("deliver", FUNCTION, "{}", None)]
    with pytest.raises(HandOffFailed) as caught:
        run(registry, Stand(set()), target_arn=FUNCTION, role_arn=role)
    assert caught.value.code == "AccessDeniedException" and caught.value.permanent


def test_queues_fifo_queues_and_missing_services() -> None:
    registry, queues = TargetRegistry(), Recorder()
    registry.register("sqs", queues)
    queue = "arn:aws:sqs:us-east-1:000000000000:q"
    run(registry, Stand(set()), target_arn=queue, attributes={"a": {"DataType": "String"}})
    run(registry, Stand(set()), target_arn=queue + ".fifo", message_group_id="g")
    assert [call[0] for call in queues.calls] == ["deliver", "fifo"]
    with pytest.raises(HandOffFailed) as caught:
        run(registry, Stand(set()), target_arn=queue + ".fifo")
    assert caught.value.permanent
    with pytest.raises(HandOffFailed) as caught:
        run(
            registry,
            Stand(set()),
            target_arn="arn:aws:states:us-east-1:000000000000:stateMachine:s",
        )
    assert caught.value.permanent and caught.value.code == "ResourceNotFoundException"
    with pytest.raises(HandOffFailed) as caught:
        run(registry, Stand(set()), target_arn="arn:aws:ec2:us-east-1:000000000000:instance/i")
    assert caught.value.permanent


def test_service_faults_are_retryable() -> None:
    registry = TargetRegistry()
    registry.register("sns", Recorder(ServiceError("down")))
    with pytest.raises(HandOffFailed) as caught:
        run(registry, Stand(set()), target_arn="arn:aws:sns:us-east-1:000000000000:t")
    assert not caught.value.permanent and caught.value.message == "down"
    registry.register("sns", Recorder(RuntimeError("bug")))
    with pytest.raises(HandOffFailed) as caught:
        run(registry, Stand(set()), target_arn="arn:aws:sns:us-east-1:000000000000:t")
    assert not caught.value.permanent and caught.value.code == "InternalException"


class Conflict(UserError):
    code = "ResourceConflictException"
    status = 409


class Invalid(UserError):
    code = "InvalidParameterValueException"


class Forbidden(UserError):
    code = "AccessDeniedException"
    status = 403


class Gone(UserError):
    code = "ResourceNotFoundException"
    status = 404


def test_only_permissions_missing_resources_and_invalid_records_are_permanent() -> None:
    assert permanent(Forbidden("no")) and permanent(Gone("no")) and permanent(Invalid("no"))
    assert not permanent(Conflict("a function being updated"))
    assert not permanent(ServiceError("down"))
    registry = TargetRegistry()
    registry.register("sns", Recorder(Conflict("busy")))
    with pytest.raises(HandOffFailed) as caught:
        run(registry, Stand(set()), target_arn="arn:aws:sns:us-east-1:000000000000:t")
    assert not caught.value.permanent


class Trust:
    def __init__(self, trusted: set[str]) -> None:
        self.trusted = trusted

    def assumable_by(self, arn: str, service: str) -> bool:
        return arn in self.trusted and service == "events.amazonaws.com"


def test_a_role_must_trust_the_service_where_roles_are_checked() -> None:
    registry, fn = TargetRegistry(), Recorder()
    registry.register("lambda", fn)
    role = "arn:aws:iam::000000000000:role/runner"
    stand = Stand({"lambda:InvokeFunction"})
    with pytest.raises(HandOffFailed) as caught:
        run(registry, stand, target_arn=FUNCTION, role_arn=role, roles=Trust(set()))
    assert caught.value.code == "AccessDeniedException" and caught.value.permanent
    assert fn.calls == [] and stand.asked == []
    run(registry, stand, target_arn=FUNCTION, role_arn=role, roles=Trust({role}))
    assert fn.calls == [("deliver", FUNCTION, "{}", None)]


class Policied(Recorder):
    def resource_policies(self, arn: str) -> list[Mapping[str, Any]]:
        return [{"Statement": [{"Effect": "Allow", "Resource": arn}]}]


class Seen(Stand):
    def __init__(self) -> None:
        super().__init__({"sqs:SendMessage"})
        self.policies: list[Any] = []

    def authorize(self, principal: Principal, action: str, resource: str, *rest: Any) -> None:
        self.policies.append(rest[0] if rest else None)
        super().authorize(principal, action, resource)


def test_a_policy_source_target_gives_its_policies() -> None:
    registry, queues = TargetRegistry(), Policied()
    registry.register("sqs", queues)
    queue = "arn:aws:sqs:us-east-1:000000000000:q"
    stand = Seen()
    run(registry, stand, target_arn=queue, role_arn="arn:aws:iam::000000000000:role/r")
    assert stand.policies == [[{"Statement": [{"Effect": "Allow", "Resource": queue}]}]]


def test_a_hung_target_times_out_retryably() -> None:
    class Hung(Recorder):
        async def deliver(
            self,
            arn: str,
            body: str,
            attributes: Mapping[str, Mapping[str, str]] | None = None,
            *,
            trace: str | None = None,
        ) -> None:
            await asyncio.Event().wait()

    registry = TargetRegistry()
    registry.register("sns", Hung())
    with pytest.raises(HandOffFailed) as caught:
        run(registry, Stand(set()), target_arn="arn:aws:sns:us-east-1:000000000000:t", timeout=0.01)
    assert caught.value.code == "Timeout" and not caught.value.permanent


def test_a_queue_takes_a_services_push_only_where_its_policy_allows_it() -> None:
    registry, queues = TargetRegistry(), Recorder()
    registry.register("sqs", queues)
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT.account_id}:q"
    with pytest.raises(HandOffFailed) as refused:
        run(registry, Stand(set(), frozenset({"sqs:SendMessage"})), target_arn=queue)
    assert refused.value.code == "AccessDeniedException" and refused.value.permanent
    assert queues.calls == []
    run(registry, Stand(set()), target_arn=queue)
    assert [call[0] for call in queues.calls] == ["deliver"]
