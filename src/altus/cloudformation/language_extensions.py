"""The ``AWS::LanguageExtensions`` transform, run as a pre-pass over a template.

What it adds to the language, and what ``expand`` does with it:

- ``Fn::ForEach::<Loop>: [Identifier, Collection, {OutputKey: OutputValue}]`` in
  Resources, Conditions and Outputs (and at any depth inside them: resource
  properties) is replaced by one copy of the fragment per item of the collection, in
  which ``${Identifier}`` is the item, ``&{Identifier}`` the item with every
  non-alphanumeric character removed (for logical ids made of CIDRs and the like) and
  ``{"Ref": "Identifier"}`` the item. Loops nest; the collection is a list or a
  function of the parameters (``Ref`` to a ``CommaDelimitedList``, ``Fn::FindInMap``,
  ``Fn::Split`` ...) and must be known before anything is created.
- ``Ref`` and ``Fn::GetAtt`` may take a function (``Ref: {Fn::Sub: "Subnet${Id}"}``),
  and a resource's ``Condition`` may be an ``Fn::FindInMap`` whose ``DefaultValue`` is
  ``AWS::NoValue``: these are resolved here, so that the dependency graph sees names.
- ``Fn::Length`` and ``Fn::ToJsonString`` over what is known here are replaced by their
  value; the rest is left for ``intrinsics.resolve``, which knows both (as it knows
  ``Fn::FindInMap``'s ``DefaultValue``).
- ``DeletionPolicy`` and ``UpdateReplacePolicy`` may be ``Ref`` to a parameter or
  ``Fn::If`` on a condition: resolved here when the parameters' values are given.

What is "known here" is the parameters' values (and pseudo parameters) given to
``expand_with``; ``expand`` has none, and then uses a parameter's ``Default`` for a
ForEach collection alone (a ``Ref`` elsewhere is left to ``resolve``). The transform is
taken out of ``Transform`` when done.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any, Final, NoReturn

from altus.cloudformation import conditions as conditions_section
from altus.cloudformation.errors import TemplateError
from altus.cloudformation.intrinsics import NO_VALUE, Scope, Unresolvable, function, resolve, text
from altus.cloudformation.parameters import members, parameter_type
from altus.cloudformation.templates import FOR_EACH, LANGUAGE_EXTENSIONS, transforms

#: The sections Fn::ForEach may be used in.
SECTIONS: Final = ("Conditions", "Resources", "Outputs")
#: How deep loops may nest (CloudFormation allows 5 inside the outermost).
MAX_DEPTH: Final = 6
_NON_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


class _Unknown:
    """Resources and exports as the transform sees them: not known yet."""

    def ref(self, logical_id: str) -> NoReturn:
        raise Unresolvable(logical_id)

    def attribute(self, logical_id: str, name: str) -> NoReturn:
        raise Unresolvable(f"{logical_id}.{name}")


def _no_export(name: str) -> NoReturn:
    raise Unresolvable(name)


def expand(template: dict[str, Any]) -> dict[str, Any]:
    """``template`` with the LanguageExtensions transform applied (a copy; the input is
    not changed), knowing no parameter values (ForEach collections that ``Ref`` a
    parameter use its ``Default``). A template that does not declare the transform is
    returned as a copy unchanged. Raises ``TemplateError``."""
    return expand_with(template, None)


def expand_with(
    template: Mapping[str, Any], parameters: Mapping[str, Any] | None
) -> dict[str, Any]:
    """``expand`` knowing ``parameters`` (the parameters' values and pseudo parameters,
    as ``intrinsics.Scope.parameters`` holds them): their ``Ref`` are resolved wherever
    the transform resolves, and the conditions are evaluated for policies' ``Fn::If``."""
    result = copy.deepcopy(dict(template))
    if LANGUAGE_EXTENSIONS not in transforms(result):
        return result
    expander = _Expander(result, parameters)
    for section in SECTIONS:
        value = result.get(section)
        if isinstance(value, Mapping):
            result[section] = expander.mapping(value, {}, 0, top=section)
    expander.static_pass(result)
    if parameters is not None:
        expander.policies(result)
    _drop_transform(result)
    return result


def _drop_transform(template: dict[str, Any]) -> None:
    declared = template.get("Transform")
    if declared == LANGUAGE_EXTENSIONS:
        del template["Transform"]
    elif isinstance(declared, list):
        remaining = [item for item in declared if item != LANGUAGE_EXTENSIONS]
        if remaining:
            template["Transform"] = remaining
        else:
            del template["Transform"]


class _Expander:
    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, Any] | None) -> None:
        self.template = template
        self.parameters = parameters
        declared = template.get("Parameters") or {}
        self.declared: Mapping[str, Any] = declared if isinstance(declared, Mapping) else {}
        mappings = template.get("Mappings") or {}
        self.mappings: Mapping[str, Any] = mappings if isinstance(mappings, Mapping) else {}
        resources = template.get("Resources") or {}
        self.resource_ids = {key for key in resources if not str(key).startswith(FOR_EACH)}
        self.loops: set[str] = set()

    # Fn::ForEach

    def mapping(
        self, value: Mapping[str, Any], bound: dict[str, str], depth: int, top: str = ""
    ) -> dict[str, Any]:
        """``value`` with its ForEach keys expanded (and those of everything inside)."""
        result: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, str) and key.startswith(FOR_EACH):
                for out_key, out_value in self.loop(key, item, bound, depth).items():
                    if out_key in result or out_key in value:
                        raise TemplateError(
                            f"Template format error: {key} generates the key {out_key}, which "
                            f"already exists{f' in {top}' if top else ''}"
                        )
                    result[out_key] = out_value
            else:
                result[key] = self.value(item, bound, depth)
        return result

    def value(self, value: Any, bound: dict[str, str], depth: int) -> Any:
        if isinstance(value, Mapping):
            return self.mapping(value, bound, depth)
        if isinstance(value, list):
            return [self.value(item, bound, depth) for item in value]
        return value

    def loop(self, key: str, definition: Any, bound: dict[str, str], depth: int) -> dict[str, Any]:
        name = key[len(FOR_EACH) :]
        if depth >= MAX_DEPTH:
            raise TemplateError(f"Template format error: {key} nests loops deeper than {MAX_DEPTH}")
        if (
            not isinstance(definition, list)
            or len(definition) != 3
            or not isinstance(definition[0], str)
            or not isinstance(definition[2], Mapping)
        ):
            raise TemplateError(
                f"Template format error: {key} must be a list of an identifier, a collection "
                "and an object (the fragment to repeat)"
            )
        identifier, collection, fragment = definition
        if depth == 0:
            if name in self.loops or name in self.resource_ids or name in self.declared:
                raise TemplateError(
                    f"Template format error: the loop name {name} of {key} must be unique in "
                    "the template, and no parameter's or resource's logical ID"
                )
            self.loops.add(name)
        if identifier in bound or identifier in self.declared or identifier in self.resource_ids:
            raise TemplateError(
                f"Template format error: the identifier {identifier} of {key} must differ from "
                "the enclosing loops' identifiers and every parameter's and resource's logical ID"
            )
        items = self.collection(key, _substitute(collection, bound))
        expanded: dict[str, Any] = {}
        for item in items:
            inner = {**bound, identifier: item}
            copied = _substitute(fragment, {identifier: item})
            for out_key, out_value in self.mapping(copied, inner, depth + 1).items():
                if out_key in expanded:
                    raise TemplateError(
                        f"Template format error: {key} generates the key {out_key} more than once"
                    )
                expanded[out_key] = out_value
        return expanded

    def collection(self, key: str, collection: Any) -> list[str]:
        try:
            items = resolve(collection, self.scope(defaults=True))
        except Unresolvable:
            items = None
        if not isinstance(items, list) or any(text(item) is None for item in items):
            raise TemplateError(
                f"Template format error: the collection of {key} must be a list of strings "
                "known before any resource is created"
            )
        return [str(text(item)) for item in items]

    def scope(self, defaults: bool = False, conditions: Mapping[str, bool] | None = None) -> Scope:
        known: dict[str, Any] = dict(self.parameters or {})
        if self.parameters is None and defaults:
            for key, declaration in self.declared.items():
                if (
                    isinstance(declaration, Mapping)
                    and text(declaration.get("Default")) is not None
                ):
                    kind = parameter_type(key, declaration.get("Type"))
                    default = str(text(declaration["Default"]))
                    known[key] = members(default) if kind.is_list else default
        return Scope(known, self.mappings, conditions or {}, _Unknown(), _no_export)

    # What the transform resolves in place.

    def static_pass(self, template: dict[str, Any]) -> None:
        scope = self.scope()
        for section in SECTIONS:
            value = template.get(section)
            if isinstance(value, Mapping):
                template[section] = _simplify(value, scope)
        resources = template.get("Resources")
        if isinstance(resources, Mapping):
            for resource in resources.values():
                if isinstance(resource, dict) and isinstance(resource.get("Condition"), Mapping):
                    condition = _attempt(resource["Condition"], scope)
                    if condition is NO_VALUE:
                        del resource["Condition"]
                    elif isinstance(condition, str):
                        resource["Condition"] = condition

    def policies(self, template: dict[str, Any]) -> None:
        resources = template.get("Resources")
        if not isinstance(resources, Mapping):
            return
        pending = [
            (logical_id, resource, name)
            for logical_id, resource in resources.items()
            if isinstance(resource, dict)
            for name in ("DeletionPolicy", "UpdateReplacePolicy")
            if function(resource.get(name)) is not None
        ]
        if not pending:
            return
        truths = conditions_section.evaluate(template, self.parameters or {})
        scope = self.scope(conditions=truths)
        for logical_id, resource, name in pending:
            try:
                policy = resolve(resource[name], scope)
            except Unresolvable:
                raise TemplateError(
                    f"Template error: the {name} of resource {logical_id} must be resolvable "
                    "from parameters and conditions"
                ) from None
            if policy is NO_VALUE:
                del resource[name]
            elif isinstance(policy, str):
                resource[name] = policy
            else:
                raise TemplateError(
                    f"Template format error: Unrecognized {name} {policy} for resource {logical_id}"
                )


def _substitute(value: Any, bound: Mapping[str, str]) -> Any:
    """A copy of ``value`` with each identifier of ``bound`` replaced by its item:
    ``${Id}`` and ``&{Id}`` in every key and string, ``{"Ref": "Id"}`` as a whole."""
    if not bound:
        return copy.deepcopy(value)
    if isinstance(value, Mapping):
        if len(value) == 1 and isinstance(value.get("Ref"), str) and value["Ref"] in bound:
            return bound[value["Ref"]]
        return {_text(key, bound): _substitute(item, bound) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, bound) for item in value]
    if isinstance(value, str):
        return _text(value, bound)
    return value


def _text(value: Any, bound: Mapping[str, str]) -> Any:
    if not isinstance(value, str):
        return value
    for identifier, item in bound.items():
        value = value.replace("${" + identifier + "}", item)
        value = value.replace("&{" + identifier + "}", _NON_ALPHANUMERIC.sub("", item))
    return value


def _attempt(value: Any, scope: Scope) -> Any:
    """``value`` resolved if it can be here, else None."""
    try:
        return resolve(value, scope)
    except (Unresolvable, TemplateError):
        return None


def _simplify(value: Any, scope: Scope) -> Any:
    """``value`` with the functions the transform resolves replaced by their value:
    ``Ref``'s and ``Fn::GetAtt``'s function arguments, ``Fn::Length`` and
    ``Fn::ToJsonString`` (when all they hold is known here)."""
    call = function(value)
    if call is not None:
        name, argument = call
        if name == "Ref" and isinstance(argument, Mapping):
            resolved = _attempt(argument, scope)
            return {"Ref": resolved if isinstance(resolved, str) else _simplify(argument, scope)}
        if name == "Fn::GetAtt" and isinstance(argument, list):
            parts = []
            for part in argument:
                resolved = _attempt(part, scope) if isinstance(part, Mapping) else part
                parts.append(resolved if isinstance(resolved, str) else _simplify(part, scope))
            return {"Fn::GetAtt": parts}
        if name in ("Fn::Length", "Fn::ToJsonString"):
            resolved = _attempt(value, scope)
            if resolved is not None:
                return resolved
        return {name: _simplify(argument, scope)}
    if isinstance(value, Mapping):
        return {key: _simplify(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [_simplify(item, scope) for item in value]
    return value
