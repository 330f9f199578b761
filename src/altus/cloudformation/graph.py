"""The order resources are created in: who depends on whom.

A resource depends on the resources it names in ``DependsOn`` and those its
``Properties``, ``Metadata``, ``CreationPolicy`` and ``UpdatePolicy`` refer to with
``Ref``, ``Fn::GetAtt`` or ``Fn::Sub`` (``${X}``, ``${X.Y}``); parameters and pseudo
parameters are not resources. Only resources whose condition holds take part. Of an
``Fn::If``, only the branch its condition takes counts: the other may name a resource
the template skips (its names must still exist). Anything else naming a skipped
resource, or a name that is neither a parameter, a pseudo parameter nor a resource, is
CloudFormation's ``Unresolved resource dependencies``; a cycle is ``Circular dependency
between resources``; an ``Fn::GetAtt`` of an attribute the resource's type does not
have is refused too. Outputs are checked the same way (they depend on nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from altus.cloudformation.errors import TemplateError
from altus.cloudformation.intrinsics import PSEUDO_PARAMETERS, function, sub_names

#: The attributes of a nested stack are its outputs: ``Outputs.<Name>``.
_STACK = "AWS::CloudFormation::Stack"


@dataclass
class _Walk:
    """What walking one block of the template found."""

    names: Mapping[str, Any]  # parameters
    resources: Mapping[str, Mapping[str, Any]]
    active: frozenset[str]
    conditions: Mapping[str, bool]
    attributes_of: Callable[[str], frozenset[str] | None]
    depends: set[str] = field(default_factory=set)
    unresolved: list[str] = field(default_factory=list)

    def missing(self, name: str) -> None:
        if name not in self.unresolved:
            self.unresolved.append(name)

    def name(self, name: str, live: bool) -> None:
        """A reference to ``name`` (a parameter, pseudo parameter or resource)."""
        if name in self.names or name in PSEUDO_PARAMETERS:
            return
        if name not in self.resources:
            self.missing(name)
        elif live:
            if name in self.active:
                self.depends.add(name)
            else:
                self.missing(name)

    def attribute(self, logical_id: str, attribute: Any, live: bool) -> None:
        """An ``Fn::GetAtt`` of ``logical_id`` (``attribute`` a string or a function)."""
        if logical_id not in self.resources:
            raise TemplateError(
                f"Template error: instance of Fn::GetAtt references undefined resource {logical_id}"
            )
        self.name(logical_id, live)
        if isinstance(attribute, str):
            kind = self.resources[logical_id].get("Type")
            if isinstance(kind, str) and not _has_attribute(kind, attribute, self.attributes_of):
                raise TemplateError(
                    f"Template error: resource {logical_id} does not support attribute type "
                    f"{attribute} in Fn::GetAtt"
                )
        else:
            self.walk(attribute, live)

    def walk(self, value: Any, live: bool) -> None:
        call = function(value)
        if call is None:
            if isinstance(value, Mapping):
                for item in value.values():
                    self.walk(item, live)
            elif isinstance(value, list):
                for item in value:
                    self.walk(item, live)
            return
        name, argument = call
        if name == "Ref":
            if isinstance(argument, str):
                self.name(argument, live)
            else:
                self.walk(argument, live)
        elif name == "Fn::GetAtt":
            self.get_att(argument, live)
        elif name == "Fn::Sub":
            self.sub(argument, live)
        elif name == "Fn::If":
            self.branch(argument, live)
        else:
            self.walk(argument, live)

    def get_att(self, argument: Any, live: bool) -> None:
        if isinstance(argument, str) and "." in argument:
            argument = argument.split(".", 1)
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
            self.attribute(argument[0], argument[1], live)
        else:
            self.walk(argument, live)  # refused as malformed when resolved

    def sub(self, argument: Any, live: bool) -> None:
        template: Any = argument
        local: Mapping[str, Any] = {}
        if isinstance(argument, list) and argument:
            template = argument[0]
            if len(argument) > 1 and isinstance(argument[1], Mapping):
                local = argument[1]
                self.walk(list(local.values()), live)
        if not isinstance(template, str):
            return
        for name, attribute in sub_names(template):
            if attribute is None and name in local:
                continue
            if attribute is None:
                self.name(name, live)
            elif f"{name}.{attribute}" not in local:
                self.attribute(name, attribute, live)

    def branch(self, argument: Any, live: bool) -> None:
        if not isinstance(argument, list) or len(argument) != 3 or not isinstance(argument[0], str):
            self.walk(argument, live)  # refused as malformed when resolved
            return
        name, when_true, when_false = argument
        if name not in self.conditions:
            raise TemplateError(f"Template error: unresolved condition dependency {name} in Fn::If")
        taken = bool(self.conditions[name])
        self.walk(when_true, live and taken)
        self.walk(when_false, live and not taken)


def _has_attribute(
    kind: str, attribute: str, attributes_of: Callable[[str], frozenset[str] | None]
) -> bool:
    if kind == _STACK and attribute.startswith("Outputs.") and len(attribute) > len("Outputs."):
        return True
    known = attributes_of(kind)
    if known is None or attribute in known:
        return True
    # A family of attributes is listed as ``Name.*`` (``SnapStartResponse.*``).
    return any(
        entry.endswith(".*")
        and attribute.startswith(entry[:-1])
        and len(attribute) > len(entry) - 1
        for entry in known
    )


def _holds(kind: str, name: str, entry: Mapping[str, Any], conditions: Mapping[str, bool]) -> bool:
    if "Condition" not in entry:
        return True
    condition = entry["Condition"]
    if not isinstance(condition, str) or condition not in conditions:
        raise TemplateError(
            f"Template format error: Unresolved condition dependency {condition} in the {kind} "
            f"block of the template ({name})"
        )
    return bool(conditions[condition])


def _unresolved(names: list[str], block: str) -> TemplateError:
    return TemplateError(
        f"Template format error: Unresolved resource dependencies [{', '.join(names)}] in the "
        f"{block} block of the template"
    )


def dependencies(
    template: Mapping[str, Any],
    conditions: Mapping[str, bool],
    attributes_of: Callable[[str], frozenset[str] | None],
) -> dict[str, frozenset[str]]:
    """For each resource whose condition holds (by ``conditions``, as
    ``conditions.evaluate`` gives them), the resources it depends on. ``attributes_of``
    gives a resource type's ``Fn::GetAtt`` names (None: a type whose attributes are not
    known, not checked). Raises ``TemplateError`` for unresolved names (in Resources or
    Outputs), unknown conditions, attributes a type does not have, and cycles."""
    resources = template.get("Resources") or {}
    parameters = template.get("Parameters") or {}
    if not isinstance(resources, Mapping) or not isinstance(parameters, Mapping):
        raise TemplateError("Template format error: Resources and Parameters must be objects")
    active = frozenset(
        logical_id
        for logical_id, resource in resources.items()
        if _holds("Resources", logical_id, resource, conditions)
    )
    found: dict[str, frozenset[str]] = {}
    unresolved: list[str] = []
    for logical_id, resource in resources.items():
        if logical_id not in active:
            continue
        walk = _Walk(parameters, resources, active, conditions, attributes_of)
        depends_on = resource.get("DependsOn", [])
        named = [depends_on] if isinstance(depends_on, str) else depends_on
        for name in named if isinstance(named, list) else []:
            if not isinstance(name, str):
                continue  # refused by templates.check
            if name in active:
                walk.depends.add(name)
            else:
                walk.missing(name)
        for part in (
            "Properties",
            "Metadata",
            "CreationPolicy",
            "UpdatePolicy",
            "DeletionPolicy",
            "UpdateReplacePolicy",
        ):
            walk.walk(resource.get(part), True)
        unresolved.extend(name for name in walk.unresolved if name not in unresolved)
        found[logical_id] = frozenset(walk.depends)
    if unresolved:
        raise _unresolved(unresolved, "Resources")
    _check_outputs(template, parameters, resources, active, conditions, attributes_of)
    cycle = _cycle(found, list(found))
    if cycle:
        raise TemplateError(f"Circular dependency between resources: [{', '.join(cycle)}]")
    return found


def _check_outputs(
    template: Mapping[str, Any],
    parameters: Mapping[str, Any],
    resources: Mapping[str, Any],
    active: frozenset[str],
    conditions: Mapping[str, bool],
    attributes_of: Callable[[str], frozenset[str] | None],
) -> None:
    outputs = template.get("Outputs") or {}
    if not isinstance(outputs, Mapping):
        raise TemplateError("Template format error: Outputs must be an object")
    walk = _Walk(parameters, resources, active, conditions, attributes_of)
    for name, output in outputs.items():
        if isinstance(output, Mapping) and _holds("Outputs", name, output, conditions):
            walk.walk({key: value for key, value in output.items() if key != "Condition"}, True)
    if walk.unresolved:
        raise _unresolved(walk.unresolved, "Outputs")


def _cycle(graph: Mapping[str, Iterable[str]], order: list[str]) -> list[str]:
    """The resources of a dependency cycle of ``graph`` (in ``order``), or [] if none.
    Iterative (a template's 500 resources would do for recursion, but there is no need)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in order:
        if start in state:
            continue
        path: list[str] = []
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ())))]
        state[start] = 1
        path.append(start)
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            target = pending.pop()
            if state.get(target) == 1:
                members = set(path[path.index(target) :])
                return [name for name in order if name in members]
            if target not in state and target in graph:
                state[target] = 1
                path.append(target)
                stack.append((target, sorted(graph[target])))
    return []


def reverse(deps: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    """Who depends on each resource: the dependents of every key of ``deps`` (deleted
    before it, updated after it)."""
    dependents: dict[str, set[str]] = {name: set() for name in deps}
    for name, targets in deps.items():
        for target in targets:
            dependents.setdefault(target, set()).add(name)
    return {name: frozenset(found) for name, found in dependents.items()}
