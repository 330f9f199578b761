"""Stacks as CloudFormation keeps them: the stack (its template, parameters, outputs,
status), its resources (physical ids, the properties they were last given, their
attributes), the operation in flight (what a restart must finish or roll back), change
sets and stack events.

Each is plain data with a JSON form (``to_json``/``from_json``): the store keeps a stack
as one document, rewritten whole after each step of a deployment, so what a restart finds
is always one consistent state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

# Stack statuses (the ones Altus enters).
CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
CREATE_COMPLETE = "CREATE_COMPLETE"
CREATE_FAILED = "CREATE_FAILED"
ROLLBACK_IN_PROGRESS = "ROLLBACK_IN_PROGRESS"
ROLLBACK_COMPLETE = "ROLLBACK_COMPLETE"
ROLLBACK_FAILED = "ROLLBACK_FAILED"
UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
UPDATE_COMPLETE_CLEANUP_IN_PROGRESS = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
UPDATE_COMPLETE = "UPDATE_COMPLETE"
UPDATE_FAILED = "UPDATE_FAILED"
UPDATE_ROLLBACK_IN_PROGRESS = "UPDATE_ROLLBACK_IN_PROGRESS"
UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
UPDATE_ROLLBACK_COMPLETE = "UPDATE_ROLLBACK_COMPLETE"
UPDATE_ROLLBACK_FAILED = "UPDATE_ROLLBACK_FAILED"
DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
DELETE_COMPLETE = "DELETE_COMPLETE"
DELETE_FAILED = "DELETE_FAILED"
REVIEW_IN_PROGRESS = "REVIEW_IN_PROGRESS"

#: Statuses in which a stack may be updated.
UPDATABLE = frozenset(
    {
        CREATE_COMPLETE,
        UPDATE_COMPLETE,
        UPDATE_ROLLBACK_COMPLETE,
        CREATE_FAILED,
        UPDATE_FAILED,
    }
)
#: Statuses in which the stack's resources and outputs are those of its last template
#: (the outputs are given, exports are held).
SETTLED = frozenset({CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE})

# Resource statuses.
DELETE_SKIPPED = "DELETE_SKIPPED"

#: What the pseudo-resource of the stack itself is in its events.
STACK_TYPE = "AWS::CloudFormation::Stack"

_Flat = TypeVar("_Flat", bound="Flat")


class Flat:
    """A record whose JSON form is its fields, as they are (no nested records)."""

    def to_json(self) -> dict[str, Any]:
        fields: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        return fields

    @classmethod
    def from_json(cls: type[_Flat], data: dict[str, Any]) -> _Flat:
        return cls(**data)


@dataclass
class Resource(Flat):
    """One resource of a stack, as last recorded."""

    logical_id: str
    type: str
    status: str
    reason: str | None = None
    physical_id: str | None = None
    #: The properties it was last given, resolved (what an update compares against and
    #: a rollback restores).
    properties: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    #: What its generated names derive from (a replacement gets a new seed).
    seed: str = ""
    updated: float = 0.0
    metadata: dict[str, Any] | None = None
    deletion_policy: str = "Delete"
    update_replace_policy: str = "Delete"
    #: Whether the current operation created it (``RetainExceptOnCreate`` deletes it on
    #: rollback all the same).
    created_now: bool = False
    #: The properties of an in-place update begun and not known to have ended (its call
    #: failed, or the server stopped during it): the service may hold them, or part of
    #: them, so a rollback changes it from these back to ``properties``.
    attempted: dict[str, Any] | None = None


@dataclass
class Parameter:
    key: str
    value: str
    resolved: str | None = None
    no_echo: bool = False


@dataclass
class Output:
    key: str
    value: str
    description: str | None = None
    export_name: str | None = None


@dataclass
class Snapshot:
    """A stack's deployed state before an update: what an update rollback returns to."""

    template: dict[str, Any]
    template_body: str
    parameters: list[Parameter]
    outputs: list[Output]
    resources: dict[str, Resource]
    description: str | None
    capabilities: list[str]
    tags: list[dict[str, str]]
    role_arn: str | None
    #: Each resource's dependencies in that template (what deletes run in reverse of).
    dependencies: dict[str, list[str]] = field(default_factory=dict)
    imports: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "template_body": self.template_body,
            "parameters": [asdict(p) for p in self.parameters],
            "outputs": [asdict(o) for o in self.outputs],
            "resources": {k: r.to_json() for k, r in self.resources.items()},
            "description": self.description,
            "capabilities": self.capabilities,
            "tags": self.tags,
            "role_arn": self.role_arn,
            "dependencies": self.dependencies,
            "imports": self.imports,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Snapshot:
        return cls(
            template=data["template"],
            template_body=data["template_body"],
            parameters=[Parameter(**p) for p in data["parameters"]],
            outputs=[Output(**o) for o in data["outputs"]],
            resources={k: Resource.from_json(r) for k, r in data["resources"].items()},
            description=data.get("description"),
            capabilities=list(data.get("capabilities") or []),
            tags=list(data.get("tags") or []),
            role_arn=data.get("role_arn"),
            dependencies={k: list(v) for k, v in (data.get("dependencies") or {}).items()},
            imports=list(data.get("imports") or []),
        )


@dataclass
class Operation:
    """The operation in flight on a stack: enough for a restart to finish it (a delete,
    a cleanup, a rollback) or to roll it back (a create or an update cut short)."""

    #: CREATE, UPDATE or DELETE: what was asked (the stack's status says how far it got).
    kind: str
    started: float
    token: str | None = None
    #: UPDATE: the stack before it (what a rollback restores).
    previous: Snapshot | None = None
    #: The old copies of resources replaced by this update (deleted at cleanup; restored
    #: by a rollback).
    replaced: dict[str, Resource] = field(default_factory=dict)
    #: Resources the new template no longer has (deleted at cleanup; restored by a
    #: rollback).
    removed: dict[str, Resource] = field(default_factory=dict)
    #: New resources and new copies a rollback made obsolete (deleted at its cleanup).
    discarded: dict[str, Resource] = field(default_factory=dict)
    #: Resources an earlier operation left to delete (the old copies and removed
    #: resources of an update that stopped at UPDATE_FAILED ...), by ``<id>@<seed>``:
    #: deleted when this operation ends, whichever way.
    leftovers: dict[str, Resource] = field(default_factory=dict)
    #: DELETE: logical ids the caller asked to keep (``RetainResources``).
    retain: list[str] = field(default_factory=list)
    #: Whether the caller turned rollback off (``DisableRollback``, ``OnFailure=DO_NOTHING``).
    disable_rollback: bool = False
    #: CREATE with ``OnFailure=DELETE``: delete the stack after rolling back.
    delete_on_failure: bool = False
    #: Why the stack is rolling back (the first failure), for the stack's final event.
    failure: str | None = None
    #: What the stack's rollback event said (DescribeStacks keeps saying it after).
    rollback_reason: str | None = None
    #: ContinueUpdateRollback's ``ResourcesToSkip``: left as they are by the rollback.
    skip: list[str] = field(default_factory=list)
    #: The failed template's dependencies (its new resources are deleted in reverse
    #: order at the rollback's cleanup).
    new_dependencies: dict[str, list[str]] = field(default_factory=dict)

    def garbage(self) -> dict[str, Resource]:
        """What is left to delete once the stack moves on from this operation, by
        ``<id>@<seed>``: old copies, removed and discarded resources, leftovers."""
        found = dict(self.leftovers)
        for resource in [*self.replaced.values(), *self.removed.values(), *self.discarded.values()]:
            found[f"{resource.logical_id}@{resource.seed}"] = resource
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "started": self.started,
            "token": self.token,
            "previous": self.previous.to_json() if self.previous is not None else None,
            "replaced": {k: r.to_json() for k, r in self.replaced.items()},
            "removed": {k: r.to_json() for k, r in self.removed.items()},
            "discarded": {k: r.to_json() for k, r in self.discarded.items()},
            "leftovers": {k: r.to_json() for k, r in self.leftovers.items()},
            "retain": self.retain,
            "disable_rollback": self.disable_rollback,
            "delete_on_failure": self.delete_on_failure,
            "failure": self.failure,
            "rollback_reason": self.rollback_reason,
            "skip": self.skip,
            "new_dependencies": self.new_dependencies,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Operation:
        previous = data.get("previous")
        return cls(
            kind=data["kind"],
            started=data["started"],
            token=data.get("token"),
            previous=Snapshot.from_json(previous) if previous is not None else None,
            replaced={k: Resource.from_json(r) for k, r in data.get("replaced", {}).items()},
            removed={k: Resource.from_json(r) for k, r in data.get("removed", {}).items()},
            discarded={k: Resource.from_json(r) for k, r in data.get("discarded", {}).items()},
            leftovers={k: Resource.from_json(r) for k, r in data.get("leftovers", {}).items()},
            retain=list(data.get("retain") or []),
            disable_rollback=bool(data.get("disable_rollback")),
            delete_on_failure=bool(data.get("delete_on_failure")),
            failure=data.get("failure"),
            rollback_reason=data.get("rollback_reason"),
            skip=list(data.get("skip") or []),
            new_dependencies={k: list(v) for k, v in (data.get("new_dependencies") or {}).items()},
        )


@dataclass
class Stack:
    stack_id: str
    name: str
    status: str
    created: float
    actor: str
    reason: str | None = None
    updated: float | None = None
    deleted: float | None = None
    description: str | None = None
    #: The template as it was given (GetTemplate's Original stage).
    template_body: str = ""
    #: The template after its transforms (what is deployed; GetTemplate's Processed).
    template: dict[str, Any] = field(default_factory=dict)
    parameters: list[Parameter] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    notification_arns: list[str] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    role_arn: str | None = None
    disable_rollback: bool = False
    termination_protection: bool = False
    timeout_minutes: int | None = None
    resources: dict[str, Resource] = field(default_factory=dict)
    #: Each resource's dependencies in its template (what deletes run in reverse of).
    dependencies: dict[str, list[str]] = field(default_factory=dict)
    #: The exports its template imports (``Fn::ImportValue``): they cannot change or go
    #: while it does.
    imports: list[str] = field(default_factory=list)
    operation: Operation | None = None
    #: The change set last executed on it.
    change_set_id: str | None = None
    #: How many events it has had (the next one's sequence number).
    events: int = 0

    def to_json(self) -> dict[str, Any]:
        data = {
            name: value
            for name, value in self.__dict__.items()
            if name not in ("resources", "operation", "parameters", "outputs")
        }
        data["parameters"] = [asdict(p) for p in self.parameters]
        data["outputs"] = [asdict(o) for o in self.outputs]
        data["resources"] = {k: r.to_json() for k, r in self.resources.items()}
        data["operation"] = self.operation.to_json() if self.operation is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stack:
        data = dict(data)
        operation = data.pop("operation", None)
        resources = data.pop("resources", {})
        parameters = data.pop("parameters", [])
        outputs = data.pop("outputs", [])
        stack = cls(**data)
        stack.parameters = [Parameter(**p) for p in parameters]
        stack.outputs = [Output(**o) for o in outputs]
        stack.resources = {k: Resource.from_json(r) for k, r in resources.items()}
        stack.operation = Operation.from_json(operation) if operation is not None else None
        return stack

    def snapshot(self) -> Snapshot:
        """Its deployed state, to return to if an update fails."""
        return Snapshot.from_json(
            Snapshot(
                template=self.template,
                template_body=self.template_body,
                parameters=self.parameters,
                outputs=self.outputs,
                resources=self.resources,
                description=self.description,
                capabilities=self.capabilities,
                tags=self.tags,
                role_arn=self.role_arn,
                dependencies=self.dependencies,
                imports=self.imports,
            ).to_json()
        )


@dataclass(frozen=True)
class StackEvent(Flat):
    stack_id: str
    event_id: str
    sequence: int
    stack_name: str
    logical_id: str
    physical_id: str | None
    resource_type: str
    timestamp: float
    status: str
    reason: str | None = None
    properties: str | None = None
    token: str | None = None


@dataclass
class ChangeSet:
    change_set_id: str
    name: str
    stack_id: str
    stack_name: str
    kind: str  # CREATE or UPDATE
    created: float
    status: str  # CREATE_PENDING, CREATE_IN_PROGRESS, CREATE_COMPLETE, FAILED, DELETE_*
    execution_status: str  # UNAVAILABLE, AVAILABLE, EXECUTE_*, OBSOLETE
    actor: str
    reason: str | None = None
    description: str | None = None
    template_body: str = ""
    template: dict[str, Any] = field(default_factory=dict)
    parameters: list[Parameter] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    notification_arns: list[str] = field(default_factory=list)
    tags: list[dict[str, str]] | None = None
    role_arn: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    on_stack_failure: str | None = None
    token: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["parameters"] = [asdict(p) for p in self.parameters]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChangeSet:
        data = dict(data)
        parameters = data.pop("parameters", [])
        change_set = cls(**data)
        change_set.parameters = [Parameter(**p) for p in parameters]
        return change_set
