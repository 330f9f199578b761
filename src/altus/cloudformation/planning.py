"""What a change set shows: the resources a template would add, modify (in place or by
replacement) and remove, computed before anything changes.

Properties are resolved against the stack as it is: a reference to a resource that will
be added or replaced has no value yet, so a property made of one is a *dynamic* change
(``Evaluation: Dynamic``), and a replacement property changed that way is
``Replacement: Conditional``, as CloudFormation shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.cloudformation import intrinsics
from altus.cloudformation.deployer import Target
from altus.cloudformation.errors import CloudFormationError
from altus.cloudformation.model import Resource
from altus.cloudformation.providers.base import Provider


class _Before:
    """``intrinsics.Resources`` over the stack as deployed, where the resources that will
    get new physical ids have none yet."""

    def __init__(self, resources: Mapping[str, Resource], renewed: set[str]) -> None:
        self._resources = resources
        self._renewed = renewed

    def ref(self, logical_id: str) -> Any:
        found = self._resources.get(logical_id)
        if found is None or logical_id in self._renewed or found.physical_id is None:
            raise intrinsics.Unresolvable(logical_id)
        return found.physical_id

    def attribute(self, logical_id: str, name: str) -> Any:
        found = self._resources.get(logical_id)
        if found is None or logical_id in self._renewed or name not in found.attributes:
            raise intrinsics.Unresolvable(f"{logical_id}.{name}")
        return found.attributes[name]


def changes(
    resources: Mapping[str, Resource],
    target: Target,
    providers: Mapping[str, Provider],
    exports: Any,
) -> list[dict[str, Any]]:
    """The change set's ``Changes`` for deploying ``target`` over ``resources`` (the
    stack's current ones; empty for a new stack)."""
    renewed: set[str] = set()
    scope = intrinsics.Scope(
        parameters=target.values,
        mappings=target.template.get("Mappings") or {},
        conditions=target.conditions,
        resources=_Before(resources, renewed),
        exports=exports,
        azs=target.azs,
    )
    found: list[dict[str, Any]] = []
    for logical_id in _order(target.dependencies):
        declared = target.template["Resources"][logical_id]
        kind = declared["Type"]
        current = resources.get(logical_id)
        if current is None or current.type != kind:
            renewed.add(logical_id)
            found.append(_change("Add", logical_id, None, kind))
            continue
        provider = providers[kind]
        details: list[dict[str, Any]] = []
        replacement = "False"
        wanted = declared.get("Properties") or {}
        for name in sorted(set(wanted) | set(current.properties)):
            dynamic = False
            try:
                value = (
                    intrinsics.resolve(wanted[name], scope)
                    if name in wanted
                    else intrinsics.NO_VALUE
                )
            except intrinsics.Unresolvable:
                dynamic = True
                value = None
            except CloudFormationError:
                dynamic = True
                value = None
            if value is intrinsics.NO_VALUE:
                value = None
            if not dynamic and value == current.properties.get(name):
                continue
            recreation = "Never"
            if name in provider.replaced_by:
                recreation = "Conditionally" if dynamic else "Always"
                if recreation == "Always":
                    replacement = "True"
                elif replacement != "True":
                    replacement = "Conditional"
            details.append(
                {
                    "Target": {
                        "Attribute": "Properties",
                        "Name": name,
                        "RequiresRecreation": recreation,
                    },
                    "Evaluation": "Dynamic" if dynamic else "Static",
                    "ChangeSource": "ResourceReference" if dynamic else "DirectModification",
                }
            )
        if not details:
            continue
        if replacement == "True":
            renewed.add(logical_id)
        change = _change("Modify", logical_id, current.physical_id, kind)
        change["ResourceChange"]["Replacement"] = replacement
        change["ResourceChange"]["Scope"] = ["Properties"]
        change["ResourceChange"]["Details"] = details
        found.append(change)
    for logical_id, current in resources.items():
        if logical_id not in target.dependencies:
            found.append(_change("Remove", logical_id, current.physical_id, current.type))
    return found


def _change(action: str, logical_id: str, physical_id: str | None, kind: str) -> dict[str, Any]:
    change: dict[str, Any] = {
        "Action": action,
        "LogicalResourceId": logical_id,
        "ResourceType": kind,
        "Scope": [],
        "Details": [],
    }
    if physical_id is not None:
        change["PhysicalResourceId"] = physical_id
    if action == "Remove":
        change["PolicyAction"] = "Delete"
    return {"Type": "Resource", "ResourceChange": change}


def _order(dependencies: Mapping[str, frozenset[str]]) -> list[str]:
    """The resources, each after those it depends on (validation refused cycles)."""
    ordered: list[str] = []
    placed: set[str] = set()
    remaining = sorted(dependencies)
    for _ in range(len(remaining) + 1):  # bounded: each round places at least one
        if not remaining:
            break
        ready = [
            n
            for n in remaining
            if all(d in placed or d not in dependencies for d in dependencies[n])
        ]
        if not ready:
            ordered.extend(remaining)
            break
        ordered.extend(ready)
        placed.update(ready)
        remaining = [n for n in remaining if n not in placed]
    return ordered
