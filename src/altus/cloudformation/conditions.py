"""The Conditions section evaluated, and the Rules section checked, for a parameter set.

``evaluate`` gives every condition of a template its truth for the stack's parameter
values (and pseudo parameters). A condition is ``Fn::And``, ``Fn::Or`` (2 to 10
operands each), ``Fn::Not``, ``Fn::Equals`` or a ``{"Condition": name}`` reference to
another condition; references are followed (a cycle is a ``TemplateError``). Inside,
values come from ``Ref`` to parameters and pseudo parameters, ``Fn::FindInMap`` and the
functions that compute with them alone (``Fn::Select``, ``Fn::Join``, ``Fn::Split``,
``Fn::Sub`` ...); a reference to a resource (``Ref``, ``Fn::GetAtt``, ``${X}``), an
import or an ``Fn::If`` is refused, since conditions are settled before any resource
exists.

``check_rules`` runs the Rules section (CDK's ``CheckBootstrapVersion`` among them): a
rule whose ``RuleCondition`` holds has each ``Assert`` evaluated with the rule
functions (``Fn::Contains``, ``Fn::EachMemberEquals``, ``Fn::EachMemberIn``,
``Fn::RefAll``, ``Fn::ValueOf``, ``Fn::ValueOfAll`` and the condition functions), and
the first that fails refuses the operation with its ``AssertDescription``.
``Fn::RefAll`` lists the values the stack's own parameters of that type were given
(Altus holds no EC2 to list), and ``Fn::ValueOf``/``Fn::ValueOfAll`` (attributes of
such things) are refused as not supported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NoReturn

from altus.cloudformation.errors import TemplateError, ValidationError
from altus.cloudformation.intrinsics import (
    CONDITION_FUNCTIONS,
    MAX_OPERANDS,
    MIN_OPERANDS,
    Scope,
    comparable,
    function,
    references,
    resolve,
    text,
)

#: Functions a condition's values may not use: they need resources, or other conditions.
_REFUSED: Final = frozenset({"Fn::GetAtt", "Fn::ImportValue", "Fn::If", "Fn::Transform"})
#: The rule functions that evaluate to a boolean.
_RULE_TESTS: Final = frozenset({"Fn::Contains", "Fn::EachMemberEquals", "Fn::EachMemberIn"})
_RULE_VALUES: Final = frozenset({"Fn::RefAll", "Fn::ValueOf", "Fn::ValueOfAll"})


class _NoResources:
    """Resources as conditions and rules see them: none."""

    def ref(self, logical_id: str) -> NoReturn:
        raise _resource_error([logical_id])

    def attribute(self, logical_id: str, name: str) -> NoReturn:
        raise _resource_error([logical_id])


def _no_exports(name: str) -> NoReturn:
    raise TemplateError("Template error: Fn::ImportValue cannot be used in the Conditions block")


def _resource_error(names: list[str]) -> TemplateError:
    return TemplateError(
        f"Template format error: Unresolved dependencies [{', '.join(names)}]. Cannot "
        "reference resources in the Conditions block of the template"
    )


def _section(template: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = template.get(name) or {}
    if not isinstance(value, Mapping):
        raise TemplateError(f"Template format error: {name} must be an object")
    return value


def evaluate(template: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, bool]:
    """Every condition of ``template``, by name in template order, with its truth for
    ``parameters`` (the parameters' values and the pseudo parameters, as
    ``intrinsics.Scope.parameters`` holds them). Raises ``TemplateError`` for an
    expression CloudFormation refuses, a reference to a resource or to an unknown
    condition, and a cycle of conditions."""
    definitions = _section(template, "Conditions")
    scope = Scope(parameters, _section(template, "Mappings"), {}, _NoResources(), _no_exports)
    truths: dict[str, bool] = {}
    visiting: list[str] = []

    def named(name: str) -> bool:
        if name in truths:
            return truths[name]
        if name not in definitions:
            raise TemplateError(
                f"Template format error: Unresolved condition dependencies [{name}] in the "
                "Conditions block of the template"
            )
        if name in visiting:
            cycle = visiting[visiting.index(name) :]
            raise TemplateError(
                f"Template error: Circular dependency between conditions: [{', '.join(cycle)}]"
            )
        visiting.append(name)
        truths[name] = expression(definitions[name])
        visiting.pop()
        return truths[name]

    def expression(node: Any) -> bool:
        if isinstance(node, Mapping) and len(node) == 1 and "Condition" in node:
            name = node["Condition"]
            if not isinstance(name, str):
                raise TemplateError("Template error: every Condition reference must be a string")
            return named(name)
        call = function(node)
        if call is None or call[0] not in CONDITION_FUNCTIONS:
            raise TemplateError(
                "Template error: every condition must be a condition function (Fn::And, "
                "Fn::Equals, Fn::Not, Fn::Or) or a Condition reference"
            )
        name, argument = call
        if name == "Fn::Equals":
            left, right = _operands(name, argument, 2, 2)
            return bool(value(left) == value(right))
        if name == "Fn::Not":
            (operand,) = _operands(name, argument, 1, 1)
            return not expression(operand)
        operands = [
            expression(item) for item in _operands(name, argument, MIN_OPERANDS, MAX_OPERANDS)
        ]
        return all(operands) if name == "Fn::And" else any(operands)

    def value(node: Any) -> Any:
        _refuse_outside(node, parameters, "Conditions")
        if (call := function(node)) is not None and call[0] in CONDITION_FUNCTIONS:
            return comparable(expression(node))
        return comparable(resolve(node, scope))

    for name in definitions:
        named(name)
    return {name: truths[name] for name in definitions}


def _operands(name: str, argument: Any, low: int, high: int) -> list[Any]:
    if not isinstance(argument, list) or not low <= len(argument) <= high:
        count = str(low) if low == high else f"between {low} and {high}"
        raise TemplateError(
            f"Template error: every {name} object requires a list of {count} parameters"
        )
    return argument


def _refuse_outside(node: Any, parameters: Mapping[str, Any], block: str) -> None:
    """Refuse a value that refers to anything but parameters (and pseudo parameters)."""
    unknown = sorted(
        name for name in references(node) if name not in parameters and name != "AWS::NoValue"
    )
    if unknown:
        raise _resource_error(unknown)
    stack = [node]
    while stack:
        item = stack.pop()
        call = function(item)
        if call is not None and call[0] in _REFUSED:
            raise TemplateError(
                f"Template error: {call[0]} cannot be used in the {block} block of the template"
            )
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def check_rules(template: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
    """Run the template's Rules for ``parameters`` (values and pseudo parameters).
    Raises ``ValidationError`` with the ``AssertDescription`` of the first assertion
    that fails, and ``TemplateError`` for a rule CloudFormation refuses."""
    rules = _section(template, "Rules")
    declared = _section(template, "Parameters")
    scope = Scope(parameters, _section(template, "Mappings"), {}, _NoResources(), _no_exports)
    evaluator = _Rules(scope, declared)
    for name, rule in rules.items():
        if not isinstance(rule, Mapping) or not isinstance(rule.get("Assertions"), list):
            raise TemplateError(f"Template format error: Rule {name} must have an Assertions list")
        if "RuleCondition" in rule and not evaluator.test(rule["RuleCondition"]):
            continue
        for assertion in rule["Assertions"]:
            if not isinstance(assertion, Mapping) or "Assert" not in assertion:
                raise TemplateError(
                    f"Template format error: every assertion of rule {name} needs an Assert"
                )
            if not evaluator.test(assertion["Assert"]):
                description = text(assertion.get("AssertDescription"))
                raise ValidationError(
                    description or f"Template error: assertion of rule {name} failed"
                )


class _Rules:
    """The rule functions, over the stack's parameters."""

    def __init__(self, scope: Scope, declared: Mapping[str, Any]) -> None:
        self.scope = scope
        self.declared = declared

    def test(self, node: Any) -> bool:
        call = function(node) or _rule_call(node)
        if call is None:
            raise TemplateError(
                "Template error: every rule condition and assertion must be a rule function"
            )
        name, argument = call
        if name == "Fn::Not":
            (operand,) = _operands(name, argument, 1, 1)
            return not self.test(operand)
        if name in ("Fn::And", "Fn::Or"):
            operands = [
                self.test(item) for item in _operands(name, argument, MIN_OPERANDS, MAX_OPERANDS)
            ]
            return all(operands) if name == "Fn::And" else any(operands)
        if name == "Fn::Equals":
            left, right = _operands(name, argument, 2, 2)
            return bool(comparable(self.value(left)) == comparable(self.value(right)))
        if name in _RULE_TESTS:
            left, right = (self.value(item) for item in _operands(name, argument, 2, 2))
            return _rule_test(name, left, right)
        raise TemplateError(f"Template error: {name} is not a rule function that gives a boolean")

    def value(self, node: Any) -> Any:
        call = _rule_call(node)
        if call is not None and call[0] in _RULE_VALUES:
            return self.rule_value(*call)
        if call is not None and call[0] in _RULE_TESTS:
            return self.test(node)
        if (plain := function(node)) is not None and plain[0] in CONDITION_FUNCTIONS:
            return self.test(node)
        if isinstance(node, list):
            return [self.value(item) for item in node]
        _refuse_outside(node, self.scope.parameters, "Rules")
        return resolve(node, self.scope)

    def rule_value(self, name: str, argument: Any) -> Any:
        if name == "Fn::RefAll":
            kind = self.value(argument)
            found: list[Any] = []
            for key, declaration in self.declared.items():
                if isinstance(declaration, Mapping) and declaration.get("Type") == kind:
                    given = self.scope.parameters.get(key)
                    found.extend(given if isinstance(given, list) else [given])
            return found
        raise TemplateError(
            f"Template error: {name} is not supported: Altus holds no attributes of "
            "AWS-specific parameter values to look up"
        )


def _rule_call(node: Any) -> tuple[str, Any] | None:
    if isinstance(node, Mapping) and len(node) == 1:
        ((name, argument),) = node.items()
        if name in _RULE_TESTS or name in _RULE_VALUES:
            return name, argument
    return None


def _rule_test(name: str, left: Any, right: Any) -> bool:
    members = [comparable(item) for item in (left if isinstance(left, list) else [left])]
    if name == "Fn::Contains":
        return comparable(right) in members
    if name == "Fn::EachMemberEquals":
        return all(member == comparable(right) for member in members)
    allowed = [comparable(item) for item in (right if isinstance(right, list) else [right])]
    return all(member in allowed for member in members)
