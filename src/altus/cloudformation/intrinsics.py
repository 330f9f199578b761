"""CloudFormation's intrinsic functions, evaluated against what a stack knows.

``resolve`` turns a template value (a resource's properties, an output's value, a
policy) into plain data: every ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``,
``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap`` (with LanguageExtensions'
``DefaultValue``), ``Fn::If``, ``Fn::Base64``, ``Fn::GetAZs``, ``Fn::Cidr``,
``Fn::ImportValue``, ``Fn::Length``, ``Fn::ToJsonString`` and condition function is
evaluated, and ``AWS::NoValue`` removes the key (in a mapping) or the item (in a list)
it stands in. It is pure: what it cannot know by itself (a resource's physical id or
attributes, another stack's exports) it asks the ``Scope`` for, and a resource not made
yet makes the lookup raise ``Unresolvable``, which ``resolve`` lets through.

Only the taken branch of an ``Fn::If`` is resolved: the other may name a resource its
condition skipped. Strings holding dynamic references (``{{resolve:...}}``) are left as
they are (``dynamic`` replaces them once the deployer is ready to fetch them).

Errors are ``TemplateError`` worded as CloudFormation words them (``Template error:
...``); ``references`` lists the names a value refers to, for the dependency graph.
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Final, Protocol

from altus.cloudformation.errors import TemplateError


class _NoValue:
    """What ``AWS::NoValue`` resolves to before the mapping or list holding it drops it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_VALUE"


#: The sentinel ``{"Ref": "AWS::NoValue"}`` resolves to (also when an ``Fn::If`` branch
#: is it); a mapping drops the key holding it, a list the item.
NO_VALUE: Final = _NoValue()

#: The pseudo parameters a template may ``Ref`` (their values come with the parameters).
PSEUDO_PARAMETERS: Final = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)

#: The functions that evaluate to a boolean (in Conditions, and wherever they appear).
CONDITION_FUNCTIONS: Final = frozenset({"Fn::And", "Fn::Or", "Fn::Not", "Fn::Equals"})

#: The names a one-key mapping is a function call by.
FUNCTIONS: Final = frozenset(
    {
        "Ref",
        "Fn::GetAtt",
        "Fn::Sub",
        "Fn::Join",
        "Fn::Select",
        "Fn::Split",
        "Fn::FindInMap",
        "Fn::If",
        "Fn::Base64",
        "Fn::GetAZs",
        "Fn::Cidr",
        "Fn::ImportValue",
        "Fn::Length",
        "Fn::ToJsonString",
        "Fn::Transform",
        *CONDITION_FUNCTIONS,
    }
)

#: ``${Name}``, ``${Resource.Attribute}`` and ``${!Literal}`` in an ``Fn::Sub`` string.
SUB_VARIABLE: Final = re.compile(r"\$\{([^}]*)\}")
#: How many operands ``Fn::And`` and ``Fn::Or`` take.
MIN_OPERANDS, MAX_OPERANDS = 2, 10


class Unresolvable(Exception):
    """A value not known yet: a resource not created (its physical id, an attribute),
    an export not there. The deployer resolves the value again once it is."""


class Resources(Protocol):
    """The stack's resources, as intrinsic functions see them."""

    def ref(self, logical_id: str) -> Any:
        """What ``Ref`` to the resource gives (its physical id, or what its type
        documents). Raises ``Unresolvable`` when it is not known yet; what it raises
        for a name that is no resource is the implementation's (the dependency graph
        refuses such names before anything is resolved)."""
        ...

    def attribute(self, logical_id: str, name: str) -> Any:
        """The resource's attribute ``name`` (``Fn::GetAtt``). Raises
        ``Unresolvable`` when it is not known yet."""
        ...


@dataclass(frozen=True)
class Scope:
    """Everything a value may refer to.

    ``parameters`` holds the template parameters' values (a string, or a list of
    strings for list types) and the pseudo parameters (``AWS::Region``,
    ``AWS::AccountId``, ``AWS::StackName``, ``AWS::StackId``, ``AWS::Partition``,
    ``AWS::URLSuffix``, ``AWS::NotificationARNs``). ``exports`` gives an export's value
    for ``Fn::ImportValue`` and raises ``ValidationError("No export named X found")``
    itself. ``azs`` are the region's availability zones (``Fn::GetAZs``); left empty,
    they are ``<region>a``, ``<region>b`` and ``<region>c``.
    """

    parameters: Mapping[str, Any]
    mappings: Mapping[str, Any]
    conditions: Mapping[str, bool]
    resources: Resources
    exports: Callable[[str], Any]
    azs: Sequence[str] = ()

    def __post_init__(self) -> None:
        region = self.parameters.get("AWS::Region")
        if not self.azs and isinstance(region, str) and region:
            object.__setattr__(self, "azs", zones(region))


def zones(region: str) -> tuple[str, ...]:
    """The availability zones Altus gives a region: ``a``, ``b`` and ``c``."""
    return (f"{region}a", f"{region}b", f"{region}c")


def function(value: Any) -> tuple[str, Any] | None:
    """``(name, argument)`` if ``value`` is a function call (a mapping whose only key
    names a function), else None."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((name, argument),) = value.items()
        if name in FUNCTIONS:
            return name, argument
    return None


def resolve(value: Any, scope: Scope) -> Any:
    """``value`` with every intrinsic function evaluated against ``scope`` and every
    ``AWS::NoValue`` removed (``value`` itself may resolve to ``NO_VALUE``). The input is
    not changed; nothing of it is shared with the result. Raises ``TemplateError`` for a
    function used wrongly, and lets ``Unresolvable`` (and the exports' errors) through."""
    call = function(value)
    if call is not None:
        name, argument = call
        return _HANDLERS[name](argument, scope)
    if isinstance(value, Mapping):
        resolved = {}
        for key, item in value.items():
            result = resolve(item, scope)
            if result is not NO_VALUE:
                resolved[key] = result
        return resolved
    if isinstance(value, list | tuple):
        return [result for item in value if (result := resolve(item, scope)) is not NO_VALUE]
    return value


def text(value: Any) -> str | None:
    """A scalar as CloudFormation reads it where it wants a string (numbers and booleans
    as they are written in JSON), or None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def comparable(value: Any) -> Any:
    """``value`` as ``Fn::Equals`` compares it: scalars as their text, lists item by
    item (so ``1`` written in YAML equals the parameter value ``"1"``)."""
    if isinstance(value, list | tuple):
        return [comparable(item) for item in value]
    if isinstance(value, Mapping):
        return {key: comparable(item) for key, item in value.items()}
    scalar = text(value)
    return value if scalar is None else scalar


def condition(value: Any, scope: Scope) -> bool:
    """The truth of a condition expression: a condition function, or a ``{"Condition":
    name}`` reference to one of ``scope.conditions``."""
    if isinstance(value, Mapping) and len(value) == 1 and "Condition" in value:
        name = value["Condition"]
        if not isinstance(name, str) or name not in scope.conditions:
            raise TemplateError(f"Template error: unresolved condition dependency {name}")
        return bool(scope.conditions[name])
    call = function(value)
    if call is not None and call[0] in CONDITION_FUNCTIONS:
        return bool(_HANDLERS[call[0]](call[1], scope))
    if isinstance(value, bool):
        return value
    raise TemplateError(
        "Template error: every condition operand must be a condition function "
        "(Fn::And, Fn::Equals, Fn::Not, Fn::Or) or a Condition reference"
    )


def references(value: Any) -> set[str]:
    """Every name a ``Ref``, ``Fn::GetAtt`` or ``Fn::Sub`` (``${X}``, ``${X.Y}``) in
    ``value`` refers to: parameters, pseudo parameters and resources alike (the caller
    sorts them out). Both branches of an ``Fn::If`` count."""
    found: set[str] = set()
    _collect(value, found)
    return found


def sub_names(template: str) -> list[tuple[str, str | None]]:
    """The variables of an ``Fn::Sub`` string in order: ``(name, None)`` for ``${Name}``
    and ``(resource, attribute)`` for ``${Resource.Attribute}``; ``${!Literal}`` is
    none."""
    found: list[tuple[str, str | None]] = []
    for match in SUB_VARIABLE.finditer(template):
        inner = match.group(1)
        if inner.startswith("!"):
            continue
        name = inner.strip()
        if "." in name:
            resource, attribute = name.split(".", 1)
            found.append((resource, attribute))
        else:
            found.append((name, None))
    return found


def _collect(value: Any, found: set[str]) -> None:
    call = function(value)
    if call is not None:
        name, argument = call
        if name == "Ref":
            if isinstance(argument, str):
                found.add(argument)
            else:
                _collect(argument, found)
            return
        if name == "Fn::GetAtt":
            if isinstance(argument, str):
                found.add(argument.split(".", 1)[0])
                return
            if isinstance(argument, list) and argument:
                if isinstance(argument[0], str):
                    found.add(argument[0])
                    argument = argument[1:]
                _collect(argument, found)
            return
        if name == "Fn::Sub":
            local: Mapping[str, Any] = {}
            template = argument
            if isinstance(argument, list) and argument:
                template = argument[0]
                if len(argument) > 1 and isinstance(argument[1], Mapping):
                    local = argument[1]
                    _collect(list(local.values()), found)
            if isinstance(template, str):
                found.update(name for name, _ in sub_names(template) if name not in local)
            return
        _collect(argument, found)
        return
    if isinstance(value, Mapping):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found)


# The functions, each given its argument and the scope.


def _string(value: Any, message: str) -> str:
    scalar = text(value)
    if scalar is None:
        raise TemplateError(message)
    return scalar


def _ref(argument: Any, scope: Scope) -> Any:
    # LanguageExtensions lets the name be a function that resolves to a string.
    name = resolve(argument, scope) if isinstance(argument, Mapping) else argument
    if not isinstance(name, str) or not name:
        raise TemplateError("Template error: every Ref object must have a single String value.")
    if name == "AWS::NoValue":
        return NO_VALUE
    if name in scope.parameters:
        return copy.deepcopy(scope.parameters[name])
    return scope.resources.ref(name)


_GETATT_FORM = "Template error: every Fn::GetAtt object requires two non-empty parameters"


def _get_att(argument: Any, scope: Scope) -> Any:
    if isinstance(argument, str):
        if "." not in argument:
            raise TemplateError(_GETATT_FORM)
        argument = argument.split(".", 1)
    if not isinstance(argument, list) or len(argument) != 2:
        raise TemplateError(_GETATT_FORM)
    logical_id, name = (resolve(part, scope) for part in argument)
    if not isinstance(logical_id, str) or not isinstance(name, str) or not logical_id or not name:
        raise TemplateError(_GETATT_FORM)
    return scope.resources.attribute(logical_id, name)


_SUB_FORM = (
    "Template error: One or more Fn::Sub intrinsic functions don't specify expected "
    "arguments. Specify a string as first argument, and an optional second argument to "
    "specify a mapping of values to replace in the string"
)


def _sub(argument: Any, scope: Scope) -> str:
    variables: Mapping[str, Any] = {}
    template = argument
    if isinstance(argument, list):
        if len(argument) not in (1, 2):
            raise TemplateError(_SUB_FORM)
        template = argument[0]
        if len(argument) == 2:
            if not isinstance(argument[1], Mapping):
                raise TemplateError(_SUB_FORM)
            variables = argument[1]
    if not isinstance(template, str):
        raise TemplateError(_SUB_FORM)
    values: dict[str, str] = {}

    def variable(name: str) -> str:
        if name in values:
            return values[name]
        if name in variables:
            value = resolve(variables[name], scope)
        elif "." in name:
            resource, attribute = name.split(".", 1)
            value = scope.resources.attribute(resource, attribute)
        else:
            value = _ref(name, scope)
        values[name] = _string(
            value, f"Template error: variable {name} in Fn::Sub expression must be a string"
        )
        return values[name]

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner.startswith("!"):
            return "${" + inner[1:] + "}"
        name = inner.strip()
        if not name:
            raise TemplateError(_SUB_FORM)
        return variable(name)

    return SUB_VARIABLE.sub(replace, template)


_JOIN_FORM = (
    "Template error: every Fn::Join object requires two parameters, (1) a string "
    "delimiter and (2) a list of strings to be joined or a function that returns a list "
    "of strings (such as Fn::GetAZs) to be joined."
)


def _join(argument: Any, scope: Scope) -> str:
    if not isinstance(argument, list) or len(argument) != 2 or not isinstance(argument[0], str):
        raise TemplateError(_JOIN_FORM)
    items = resolve(argument[1], scope)
    if not isinstance(items, list):
        raise TemplateError(_JOIN_FORM)
    return argument[0].join(_string(item, _JOIN_FORM) for item in items)


_SPLIT_FORM = (
    "Template error: every Fn::Split object requires two parameters, (1) a string "
    "delimiter and (2) a string to be split or a function that returns a string to be split."
)


def _split(argument: Any, scope: Scope) -> list[str]:
    if not isinstance(argument, list) or len(argument) != 2:
        raise TemplateError(_SPLIT_FORM)
    delimiter = argument[0]
    if not isinstance(delimiter, str) or not delimiter:
        raise TemplateError(_SPLIT_FORM)
    source = _string(resolve(argument[1], scope), _SPLIT_FORM)
    return source.split(delimiter)


_SELECT_FORM = (
    "Template error: every Fn::Select object requires two parameters, (1) an index and "
    "(2) a list of strings or a function that returns a list of strings"
)


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    return None


def _select(argument: Any, scope: Scope) -> Any:
    if not isinstance(argument, list) or len(argument) != 2:
        raise TemplateError(_SELECT_FORM)
    index = _integer(resolve(argument[0], scope))
    items = resolve(argument[1], scope)
    if index is None or not isinstance(items, list):
        raise TemplateError(_SELECT_FORM)
    if not 0 <= index < len(items):
        raise TemplateError(
            f"Template error: Fn::Select cannot select nonexistent value at index {index}"
        )
    return items[index]


#: An Fn::FindInMap without a DefaultValue.
NO_DEFAULT: Final = object()

_FIND_IN_MAP_FORM = (
    "Template error: every Fn::FindInMap object requires three parameters, the map name, "
    "map key and the attribute for return value"
)


def _find_in_map(argument: Any, scope: Scope) -> Any:
    if not isinstance(argument, list) or len(argument) not in (3, 4):
        raise TemplateError(_FIND_IN_MAP_FORM)
    default: Any = NO_DEFAULT
    if len(argument) == 4:
        option = argument[3]
        if not isinstance(option, Mapping) or set(option) != {"DefaultValue"}:
            raise TemplateError(
                "Template error: the fourth parameter of Fn::FindInMap must be a "
                "DefaultValue object"
            )
        default = option["DefaultValue"]
    keys = [_string(resolve(key, scope), _FIND_IN_MAP_FORM) for key in argument[:3]]
    found: Any = scope.mappings
    for key in keys:
        if not isinstance(found, Mapping) or key not in found:
            if default is not NO_DEFAULT:
                return resolve(default, scope)
            raise TemplateError(f"Template error: Unable to get mapping for {'::'.join(keys)}")
        found = found[key]
    return copy.deepcopy(found)


_IF_FORM = (
    "Template error: every Fn::If object requires three parameters, (1) a condition "
    "name, (2) the value if the condition is true and (3) the value if it is false"
)


def _if(argument: Any, scope: Scope) -> Any:
    if not isinstance(argument, list) or len(argument) != 3 or not isinstance(argument[0], str):
        raise TemplateError(_IF_FORM)
    name = argument[0]
    if name not in scope.conditions:
        raise TemplateError(f"Template error: unresolved condition dependency {name} in Fn::If")
    return resolve(argument[1] if scope.conditions[name] else argument[2], scope)


def _base64(argument: Any, scope: Scope) -> str:
    value = _string(
        resolve(argument, scope), "Template error: every Fn::Base64 object must have a String value"
    )
    return base64.b64encode(value.encode()).decode()


def _get_azs(argument: Any, scope: Scope) -> list[str]:
    region = _string(
        resolve(argument, scope), "Template error: Fn::GetAZs requires a region name (a string)"
    )
    if region and region != scope.parameters.get("AWS::Region"):
        return list(zones(region))
    if not scope.azs:
        raise TemplateError("Template error: Fn::GetAZs has no region to list the zones of")
    return list(scope.azs)


_CIDR_FORM = (
    "Template error: every Fn::Cidr object requires three parameters, (1) an IP block in "
    "CIDR notation, (2) the count of subnets (1 to 256) and (3) the subnet's host bits"
)


def _cidr(argument: Any, scope: Scope) -> list[str]:
    if not isinstance(argument, list) or len(argument) != 3:
        raise TemplateError(_CIDR_FORM)
    block, count, bits = (resolve(part, scope) for part in argument)
    count, bits = _integer(count), _integer(bits)
    if not isinstance(block, str) or count is None or bits is None or not 1 <= count <= 256:
        raise TemplateError(_CIDR_FORM)
    try:
        network = ipaddress.ip_network(block.strip(), strict=False)
    except ValueError:
        raise TemplateError(f"Template error: Fn::Cidr: {block} is not a CIDR block") from None
    prefix = network.max_prefixlen - bits
    if bits < 0 or prefix < network.prefixlen:
        raise TemplateError(
            f"Template error: Fn::Cidr: {bits} host bits do not fit in {network.with_prefixlen}"
        )
    subnets = [str(subnet) for subnet in islice(network.subnets(new_prefix=prefix), count)]
    if len(subnets) < count:
        raise TemplateError(
            f"Template error: Fn::Cidr: {network.with_prefixlen} holds fewer than {count} "
            f"subnets of /{prefix}"
        )
    return subnets


def _import_value(argument: Any, scope: Scope) -> Any:
    name = _string(
        resolve(argument, scope),
        "Template error: every Fn::ImportValue object must have a single String value",
    )
    return scope.exports(name)


def _length(argument: Any, scope: Scope) -> int:
    items = resolve(argument, scope)
    if not isinstance(items, list):
        raise TemplateError(
            "Template error: Fn::Length requires a list or a function that returns a list"
        )
    return len(items)


def _to_json_string(argument: Any, scope: Scope) -> str:
    value = resolve(argument, scope)
    if not isinstance(value, Mapping | list):
        raise TemplateError("Template error: Fn::ToJsonString requires an object or a list")
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TemplateError(f"Template error: Fn::ToJsonString: {error}") from None


def _transform(argument: Any, scope: Scope) -> Any:
    raise TemplateError(
        "Template error: Fn::Transform must be processed (its macro run) before the "
        "template's functions are resolved"
    )


def _operands(name: str, argument: Any, low: int, high: int) -> list[Any]:
    if not isinstance(argument, list) or not low <= len(argument) <= high:
        count = str(low) if low == high else f"between {low} and {high}"
        raise TemplateError(
            f"Template error: every {name} object requires a list of {count} parameters"
        )
    return argument


def _and(argument: Any, scope: Scope) -> bool:
    operands = _operands("Fn::And", argument, MIN_OPERANDS, MAX_OPERANDS)
    return all([condition(operand, scope) for operand in operands])


def _or(argument: Any, scope: Scope) -> bool:
    operands = _operands("Fn::Or", argument, MIN_OPERANDS, MAX_OPERANDS)
    return any([condition(operand, scope) for operand in operands])


def _not(argument: Any, scope: Scope) -> bool:
    (operand,) = _operands("Fn::Not", argument, 1, 1)
    return not condition(operand, scope)


def _equals(argument: Any, scope: Scope) -> bool:
    left, right = _operands("Fn::Equals", argument, 2, 2)
    return bool(comparable(resolve(left, scope)) == comparable(resolve(right, scope)))


_HANDLERS: Final[dict[str, Callable[[Any, Scope], Any]]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::FindInMap": _find_in_map,
    "Fn::If": _if,
    "Fn::Base64": _base64,
    "Fn::GetAZs": _get_azs,
    "Fn::Cidr": _cidr,
    "Fn::ImportValue": _import_value,
    "Fn::Length": _length,
    "Fn::ToJsonString": _to_json_string,
    "Fn::Transform": _transform,
    "Fn::And": _and,
    "Fn::Or": _or,
    "Fn::Not": _not,
    "Fn::Equals": _equals,
}
