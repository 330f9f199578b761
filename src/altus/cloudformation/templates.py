"""Template bodies read (``parse``) and their structure checked (``check``).

A body is JSON (ECMA-404) when it looks like JSON (its first character is ``{`` or
``[``), else YAML 1.1 with CloudFormation's short-form tags: ``!X v`` is
``{"Fn::X": v}``, ``!Ref`` is ``Ref``, ``!Condition`` is ``Condition``, and ``!GetAtt
A.B.C`` splits at the first dot into ``["A", "B.C"]``. The YAML is PyYAML's safe
subset narrowed to what CloudFormation reads: no timestamps (``2010-09-09`` stays a
string), no ``binary``/``omap``/``pairs``/``set`` tags, no anchors, aliases or ``<<``
merges (an alias also repeats a node wherever it is named: a few hundred bytes of
nested aliases expand to gigabytes), and no duplicate keys. Scalar mapping keys are
strings, as they are in JSON (an account id written as a bare number is the key
``"123456789012"``).

``check`` is what CloudFormation refuses on validation, before anything is evaluated:
unknown sections, the format version, the Resources section and its logical ids,
attributes and policies, Outputs, Parameters, Mappings, the limits, and condition names
that exist. It checks a template after its transforms ran (``language_extensions``,
SAM), except that it lets pass what a declared transform consumes (``Globals``,
``Fn::ForEach``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

import yaml

from altus.cloudformation.errors import TemplateError
from altus.cloudformation.intrinsics import function
from altus.cloudformation.parameters import ATTRIBUTES, parameter_type

FORMAT_VERSION: Final = "2010-09-09"
SECTIONS: Final = frozenset(
    {
        "AWSTemplateFormatVersion",
        "Description",
        "Metadata",
        "Parameters",
        "Rules",
        "Mappings",
        "Conditions",
        "Transform",
        "Resources",
        "Outputs",
        "Hooks",
    }
)
RESOURCE_ATTRIBUTES: Final = frozenset(
    {
        "Type",
        "Properties",
        "DependsOn",
        "Condition",
        "DeletionPolicy",
        "UpdateReplacePolicy",
        "Metadata",
        "CreationPolicy",
        "UpdatePolicy",
    }
)
OUTPUT_ATTRIBUTES: Final = frozenset({"Description", "Value", "Export", "Condition"})
DELETION_POLICIES: Final = frozenset({"Delete", "Retain", "RetainExceptOnCreate", "Snapshot"})
REPLACE_POLICIES: Final = frozenset({"Delete", "Retain", "Snapshot"})
#: Functions a LanguageExtensions policy may be (resolved with the stack's values).
POLICY_FUNCTIONS: Final = frozenset({"Ref", "Fn::If", "Fn::FindInMap", "Fn::Sub", "Fn::Select"})
LANGUAGE_EXTENSIONS: Final = "AWS::LanguageExtensions"
SERVERLESS: Final = "AWS::Serverless-2016-10-31"
FOR_EACH: Final = "Fn::ForEach::"

MAX_RESOURCES: Final = 500
MAX_PARAMETERS: Final = 200
MAX_OUTPUTS: Final = 200
MAX_MAPPINGS: Final = 200
MAX_MAPPING_ATTRIBUTES: Final = 200
MAX_DESCRIPTION_BYTES: Final = 1024
MAX_LOGICAL_ID: Final = 255

_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")
_EXPORT_NAME = re.compile(r"[A-Za-z0-9:-]+")

#: The short-form tags and the key each stands for.
SHORT_FORMS: Final = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{name}": f"Fn::{name}"
        for name in (
            "Base64",
            "Cidr",
            "FindInMap",
            "GetAtt",
            "GetAZs",
            "ImportValue",
            "Join",
            "Select",
            "Split",
            "Sub",
            "Transform",
            "And",
            "Equals",
            "If",
            "Not",
            "Or",
        )
    },
}

_REFUSED_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("binary", "omap", "pairs", "set", "timestamp", "value")
}
_MERGE = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader narrowed to CloudFormation's YAML, with its short forms."""

    # No timestamps (and no "=" value scalars, which the safe loader cannot construct).
    yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag not in _REFUSED_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    yaml_constructors = {
        tag: constructor
        for tag, constructor in yaml.SafeLoader.yaml_constructors.items()
        if tag not in _REFUSED_TAGS
    }

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases are not supported", event.start_mark
            )
        return super().compose_node(parent, index)

    def flatten_mapping(self, node: Any) -> None:
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys (<<) are not supported", key_node.start_mark
                )

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, "expected a mapping", node.start_mark
            )
        self.flatten_mapping(node)
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _key(self.construct_object(key_node, deep=True))
            if key is None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a scalar", key_node.start_mark
                )
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, f"found duplicate key {key}", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


def _key(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    return None


def _short_form(key: str) -> Any:
    def construct(loader: _Loader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if key == "Fn::GetAtt" and "." in value:
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    return construct


for _tag, _name in SHORT_FORMS.items():
    _Loader.add_constructor(_tag, _short_form(_name))


def parse(body: str) -> dict[str, Any]:
    """The template ``body`` holds. Raises ``TemplateError`` (CloudFormation's words)
    for a body that is not well-formed JSON or YAML, or whose document is not a
    mapping."""
    source = body.removeprefix("\ufeff")
    document = _json(source) if source.lstrip()[:1] in ("{", "[") else _yaml(source)
    if not isinstance(document, dict):
        raise TemplateError("Template format error: unsupported structure.")
    return document


def _json(source: str) -> Any:
    def refuse(constant: str) -> Any:
        # NaN and Infinity are Python's extensions, not JSON.
        offset = max(source.find(constant), 0)
        line = source.count("\n", 0, offset) + 1
        column = offset - (source.rfind("\n", 0, offset) + 1) + 1
        raise TemplateError(
            f"Template format error: JSON not well-formed. (line {line}, column {column})"
        )

    try:
        return json.loads(source, parse_constant=refuse)
    except json.JSONDecodeError as error:
        raise TemplateError(
            "Template format error: JSON not well-formed. "
            f"(line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise TemplateError(
            "Template format error: JSON not well-formed. (nested too deeply)"
        ) from None


def _yaml(source: str) -> Any:
    try:
        return yaml.load(source, Loader=_Loader)  # a safe loader, narrowed
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = "" if mark is None else f" (line {mark.line + 1}, column {mark.column + 1})"
        raise TemplateError(f"Template format error: YAML not well-formed.{where}") from None
    except yaml.YAMLError:
        raise TemplateError("Template format error: YAML not well-formed.") from None
    except RecursionError:
        raise TemplateError(
            "Template format error: YAML not well-formed. (nested too deeply)"
        ) from None


def transforms(template: Mapping[str, Any]) -> list[str]:
    """The names of the transforms ``template`` declares, in order."""
    declared = template.get("Transform")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [
            item if isinstance(item, str) else str(item.get("Name"))
            for item in declared
            if isinstance(item, str | dict)
        ]
    return []


def check(template: Mapping[str, Any]) -> None:
    """Refuse, with ``TemplateError`` in CloudFormation's words, a template whose
    structure CloudFormation refuses on validation. Evaluates nothing."""
    declared = transforms(template)
    unknown = [key for key in template if key not in SECTIONS]
    if SERVERLESS in declared:
        unknown = [key for key in unknown if key != "Globals"]
    if unknown:
        raise TemplateError(
            "Template format error: Invalid template property or properties "
            f"[{', '.join(map(str, unknown))}]"
        )
    version = template.get("AWSTemplateFormatVersion", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise TemplateError(
            "Template format error: Unsupported value for AWSTemplateFormatVersion."
        )
    description = template.get("Description")
    if description is not None:
        if not isinstance(description, str):
            raise TemplateError("Template format error: Every Description member must be a string.")
        if len(description.encode()) > MAX_DESCRIPTION_BYTES:
            raise TemplateError(
                "Template format error: Description must be no longer than "
                f"{MAX_DESCRIPTION_BYTES} bytes"
            )
    conditions = _section(template, "Conditions")
    parameters = _check_parameters(_section(template, "Parameters"))
    _check_mappings(_section(template, "Mappings"))
    _check_conditions(conditions)
    _check_rules(_section(template, "Rules"))
    resources = _check_resources(
        template.get("Resources"), conditions, LANGUAGE_EXTENSIONS in declared
    )
    shared = sorted(set(resources) & set(parameters))
    if shared:
        raise TemplateError(
            f"Template format error: Logical IDs must be unique; [{', '.join(shared)}] name "
            "both a parameter and a resource"
        )
    _check_outputs(_section(template, "Outputs"), conditions, LANGUAGE_EXTENSIONS in declared)


def _section(template: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = template.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TemplateError(f"Template format error: {name} must be an object")
    return value


def _count(what: str, found: int, limit: int) -> None:
    if found > limit:
        raise TemplateError(
            f"Template format error: Number of {what}, {found}, is greater than maximum "
            f"allowed, {limit}"
        )


def _logical_id(kind: str, name: Any) -> None:
    if not isinstance(name, str) or not _ALPHANUMERIC.fullmatch(name):
        raise TemplateError(f"Template format error: {kind} name {name} is non alphanumeric.")
    if len(name) > MAX_LOGICAL_ID:
        raise TemplateError(
            f"Template format error: {kind} name {name} is longer than {MAX_LOGICAL_ID} characters."
        )


def _check_parameters(parameters: Mapping[str, Any]) -> Mapping[str, Any]:
    _count("parameters", len(parameters), MAX_PARAMETERS)
    for key, declaration in parameters.items():
        _logical_id("Parameter", key)
        if not isinstance(declaration, Mapping):
            raise TemplateError(
                "Template format error: Any Parameters member must be a JSON object."
            )
        for attribute in declaration:
            if attribute not in ATTRIBUTES:
                raise TemplateError(f"Invalid template parameter property '{attribute}'")
        parameter_type(key, declaration.get("Type"))
        default = declaration.get("Default")
        if default is not None and not isinstance(default, str | int | float):
            raise TemplateError("Template format error: Every Default member must be a string.")
        allowed = declaration.get("AllowedValues")
        if allowed is not None and (
            not isinstance(allowed, list)
            or any(not isinstance(item, str | int | float) for item in allowed)
        ):
            raise TemplateError(
                "Template format error: Every AllowedValues member must be a list of strings."
            )
    return parameters


def _check_mappings(mappings: Mapping[str, Any]) -> None:
    _count("mappings", len(mappings), MAX_MAPPINGS)
    for name, mapping in mappings.items():
        _logical_id("Mapping", name)
        if not isinstance(mapping, Mapping):
            raise TemplateError(
                f"Template format error: Every Mappings member {name} must be a map"
            )
        for key, attributes in mapping.items():
            if not isinstance(attributes, Mapping):
                raise TemplateError(
                    f"Template format error: Every Mappings member {key} must be a map"
                )
            _count(f"attributes in mapping {name}", len(attributes), MAX_MAPPING_ATTRIBUTES)
            for value in attributes.values():
                if not isinstance(value, str | int | float | list):
                    raise TemplateError(
                        "Template format error: Every Mappings attribute must be a String or a "
                        "List."
                    )


def _check_conditions(conditions: Mapping[str, Any]) -> None:
    for name, expression in conditions.items():
        if not isinstance(expression, Mapping):
            raise TemplateError(
                f"Template format error: Condition {name} must be a condition function"
            )
    unknown = [
        name for name in _condition_references(list(conditions.values())) if name not in conditions
    ]
    if unknown:
        raise TemplateError(
            f"Template format error: Unresolved condition dependencies [{', '.join(unknown)}] "
            "in the Conditions block of the template"
        )


def _condition_references(value: Any) -> Iterator[str]:
    """The names ``{"Condition": name}`` refers to inside condition expressions."""
    if isinstance(value, Mapping):
        if len(value) == 1 and isinstance(value.get("Condition"), str):
            yield value["Condition"]
            return
        for item in value.values():
            yield from _condition_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _condition_references(item)


def _check_rules(rules: Mapping[str, Any]) -> None:
    for name, rule in rules.items():
        assertions = rule.get("Assertions") if isinstance(rule, Mapping) else None
        if not isinstance(assertions, list) or not all(
            isinstance(item, Mapping) and "Assert" in item for item in assertions
        ):
            raise TemplateError(
                f"Template format error: Rule {name} must have Assertions, a list of objects "
                "each with an Assert member"
            )


def _check_if_conditions(value: Any, conditions: Mapping[str, Any]) -> None:
    """Every ``Fn::If`` in ``value`` names a condition of the template."""
    call = function(value)
    if call is not None and call[0] == "Fn::If":
        argument = call[1]
        if (
            isinstance(argument, list)
            and argument
            and isinstance(argument[0], str)
            and argument[0] not in conditions
        ):
            raise TemplateError(
                f"Template error: unresolved condition dependency {argument[0]} in Fn::If"
            )
    if isinstance(value, Mapping):
        for item in value.values():
            _check_if_conditions(item, conditions)
    elif isinstance(value, list):
        for item in value:
            _check_if_conditions(item, conditions)


def _check_condition_name(kind: str, name: str, value: Any, conditions: Mapping[str, Any]) -> None:
    if not isinstance(value, str) or value not in conditions:
        raise TemplateError(
            f"Template format error: Unresolved condition dependency {value} in the {kind} block "
            f"of the template ({name})"
        )


def _check_resources(
    section: Any, conditions: Mapping[str, Any], extended: bool
) -> Mapping[str, Any]:
    if not isinstance(section, Mapping) or not section:
        raise TemplateError("Template format error: At least one Resources member must be defined.")
    resources: Mapping[str, Any] = {
        key: value
        for key, value in section.items()
        if not (extended and str(key).startswith(FOR_EACH))
    }
    _count("resources", len(resources), MAX_RESOURCES)
    for logical_id, resource in resources.items():
        _logical_id("Resource", logical_id)
        if not isinstance(resource, Mapping):
            raise TemplateError(
                "Template format error: Any Resources member must be a JSON object."
            )
        if not isinstance(resource.get("Type"), str) or not resource["Type"]:
            raise TemplateError(
                "Template format error: Every Resources object must contain a Type member."
            )
        for attribute in resource:
            if attribute not in RESOURCE_ATTRIBUTES:
                raise TemplateError(f"Invalid template resource property '{attribute}'")
        properties = resource.get("Properties")
        if properties is not None and not isinstance(properties, Mapping):
            raise TemplateError(
                f"Template format error: Properties of resource {logical_id} must be an object"
            )
        depends_on = resource.get("DependsOn", [])
        if isinstance(depends_on, str):
            depends_on = [depends_on]
        if not isinstance(depends_on, list) or not all(
            isinstance(item, str) for item in depends_on
        ):
            raise TemplateError(
                f"Template format error: DependsOn of resource {logical_id} must be a string or "
                "a list of strings"
            )
        _check_policy(
            logical_id, "DeletionPolicy", resource.get("DeletionPolicy"), DELETION_POLICIES
        )
        _check_policy(
            logical_id, "UpdateReplacePolicy", resource.get("UpdateReplacePolicy"), REPLACE_POLICIES
        )
        if "Condition" in resource:
            _check_condition_name("Resources", logical_id, resource["Condition"], conditions)
        _check_if_conditions(resource, conditions)
    return resources


def _check_policy(logical_id: str, name: str, value: Any, allowed: frozenset[str]) -> None:
    if value is None:
        return
    call = function(value)
    if call is not None and call[0] in POLICY_FUNCTIONS:
        return  # LanguageExtensions: resolved with the stack's parameters and conditions
    if not isinstance(value, str) or value not in allowed:
        raise TemplateError(
            f"Template format error: Unrecognized {name} {value} for resource {logical_id}"
        )


def _check_outputs(
    outputs: Mapping[str, Any], conditions: Mapping[str, Any], extended: bool
) -> None:
    if extended:
        outputs = {
            key: value for key, value in outputs.items() if not str(key).startswith(FOR_EACH)
        }
    _count("outputs", len(outputs), MAX_OUTPUTS)
    for name, output in outputs.items():
        _logical_id("Output", name)
        if not isinstance(output, Mapping) or "Value" not in output:
            raise TemplateError(
                "Template format error: Every Outputs member must contain a Value object"
            )
        for attribute in output:
            if attribute not in OUTPUT_ATTRIBUTES:
                raise TemplateError(f"Invalid template output property '{attribute}'")
        if "Export" in output:
            export = output["Export"]
            export_name = export.get("Name") if isinstance(export, Mapping) else None
            if (
                export_name is None
                or (isinstance(export_name, str) and not _EXPORT_NAME.fullmatch(export_name))
                or not isinstance(export_name, str | Mapping)
            ):
                raise TemplateError(
                    f"Template format error: Output {name} is malformed. The Name field of every "
                    "Export member must be specified and consist only of alphanumeric characters, "
                    "colons, or hyphens."
                )
        if "Condition" in output:
            _check_condition_name("Outputs", name, output["Condition"], conditions)
        _check_if_conditions(output, conditions)
