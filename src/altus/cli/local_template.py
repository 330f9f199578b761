"""What ``altus local`` reads of a template: a function as Lambda is to run it (runtime,
handler, memory, timeout, environment, layers), without deploying the template. Pure: no
file is read and nothing is called.

SAM functions take what they lack from ``Globals.Function`` as SAM merges it: a scalar
of the function's own wins, maps merge (the function's keys win), lists are the global
items then the function's. ``AWS::Lambda::Function`` has no globals.

Values may be intrinsic functions. Those that need only the template are evaluated
(``Ref`` and ``Fn::Sub`` of parameters and pseudo parameters, ``Fn::Join``,
``Fn::FindInMap``, ``Fn::If`` on conditions of parameters ...), by CloudFormation's own
evaluator (``altus.cloudformation.intrinsics``); what needs a deployed resource
(``Fn::GetAtt``, a ``Ref`` to a resource, ``Fn::ImportValue``) cannot be known locally. An
environment variable holding one is dropped with a warning, as ``sam local`` does; a
runtime or handler holding one is an error.

``--env-vars`` files are ``sam local``'s: ``{"Parameters": {VAR: value}, "<LogicalId>":
{VAR: value}}``; the function's own entry wins over ``Parameters``, and, as with sam, only
variables the template declares for the function are overridden.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from altus.cli.client import CliError
from altus.cloudformation.errors import TemplateError
from altus.cloudformation.intrinsics import (
    NO_VALUE,
    Scope,
    Unresolvable,
    condition,
    resolve,
    text,
)

SAM_FUNCTION = "AWS::Serverless::Function"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
FUNCTION_TYPES = (SAM_FUNCTION, LAMBDA_FUNCTION)
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")

#: Lambda's defaults where a template says nothing.
DEFAULT_MEMORY = 128
DEFAULT_TIMEOUT = 3


class LocalError(CliError):
    """What stops an ``altus local`` command: a template, option or file it cannot use,
    a stack that cannot be created (one line, as every CLI error)."""


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A template's function as it is to be created locally."""

    logical_id: str
    #: The FunctionName the template gives (a literal), else the logical id.
    name: str
    runtime: str
    handler: str
    memory_size: int
    timeout: int
    environment: dict[str, str]
    #: The logical ids of the template's layers it uses, in order.
    layers: tuple[str, ...]
    #: What could not be honoured locally (dropped variables, layers from elsewhere).
    warnings: tuple[str, ...]


def _section(template: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    found = template.get(name)
    return found if isinstance(found, Mapping) else {}


# --- parameters --------------------------------------------------------------------------


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``--parameter-overrides`` values: ``Key=Value`` or sam's
    ``ParameterKey=Key,ParameterValue=Value``, several to an argument when separated by
    spaces (quoted values keep theirs). LocalError for anything else."""
    found: dict[str, str] = {}
    for item in items:
        try:
            tokens = shlex.split(item)
        except ValueError as error:
            raise LocalError(f"--parameter-overrides: {error}: {item!r}") from None
        for token in tokens:
            if token.startswith("ParameterKey="):
                key_part, sep, value_part = token.partition(",ParameterValue=")
                key = key_part.removeprefix("ParameterKey=")
                if not sep or not key:
                    raise LocalError(
                        "--parameter-overrides wants Key=Value or "
                        f"ParameterKey=Key,ParameterValue=Value, got {token!r}"
                    )
                found[key] = value_part
                continue
            key, sep, value = token.partition("=")
            if not sep or not key:
                raise LocalError(
                    f"--parameter-overrides wants Key=Value or "
                    f"ParameterKey=Key,ParameterValue=Value, got {token!r}"
                )
            found[key] = value
    return found


def pseudo_parameters(region: str, account: str, stack_name: str) -> dict[str, Any]:
    """The pseudo parameters' values for a template run under ``stack_name``."""
    return {
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": stack_name,
        "AWS::StackId": (
            f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/"
            "00000000-0000-0000-0000-000000000000"
        ),
        "AWS::NotificationARNs": [],
    }


def parameter_values(
    template: Mapping[str, Any], overrides: Mapping[str, str], pseudo: Mapping[str, Any]
) -> dict[str, Any]:
    """The template's parameters: an override, else the default (list types split on
    commas, as CloudFormation gives them), and the pseudo parameters. A parameter with
    neither has no value (a ``Ref`` to it cannot be resolved). LocalError for an override
    of a parameter the template does not declare."""
    declared = _section(template, "Parameters")
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise LocalError(
            f"Parameters: [{', '.join(unknown)}] do not exist in the template"
        )  # CloudFormation's words for the same mistake
    values: dict[str, Any] = dict(pseudo)
    for key, declaration in declared.items():
        if not isinstance(declaration, Mapping):
            continue
        raw = overrides.get(key)
        if raw is None:
            raw = text(declaration.get("Default"))
        if raw is None:
            continue
        kind = str(declaration.get("Type", "String"))
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            values[key] = [part.strip() for part in raw.split(",")] if raw else []
        else:
            values[key] = raw
    return values


# --- scope -------------------------------------------------------------------------------


class _NoResources:
    """Nothing is deployed: every resource reference is unknown (and a parameter without
    a value is said to be one)."""

    def __init__(self, parameters: frozenset[str]) -> None:
        self._parameters = parameters

    def ref(self, logical_id: str) -> Any:
        if logical_id in self._parameters:
            raise Unresolvable(
                f"parameter {logical_id} has no value (give one with --parameter-overrides)"
            )
        raise Unresolvable(f"Ref {logical_id} needs a deployed resource")

    def attribute(self, logical_id: str, name: str) -> Any:
        raise Unresolvable(f"Fn::GetAtt {logical_id}.{name} needs a deployed resource")


def _no_exports(name: str) -> Any:
    raise Unresolvable(f"Fn::ImportValue {name} needs a deployed stack")


class _Conditions(Mapping[str, bool]):
    """The template's conditions, each evaluated when first asked for (they may refer to
    each other); one that cannot be evaluated locally is false."""

    def __init__(self, declared: Mapping[str, Any]) -> None:
        self._declared = declared
        self._known: dict[str, bool] = {}
        self._open: set[str] = set()
        #: Set once the scope holding these conditions exists.
        self.scope: Scope | None = None

    def __getitem__(self, name: str) -> bool:
        if name in self._known:
            return self._known[name]
        if name not in self._declared or name in self._open or self.scope is None:
            raise KeyError(name)
        self._open.add(name)
        try:
            value = condition(self._declared[name], self.scope)
        except (TemplateError, Unresolvable, KeyError):
            value = False
        finally:
            self._open.discard(name)
        self._known[name] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._declared)

    def __len__(self) -> int:
        return len(self._declared)

    def __contains__(self, name: object) -> bool:
        return name in self._declared


def local_scope(template: Mapping[str, Any], parameters: Mapping[str, Any]) -> Scope:
    """What intrinsic functions see locally: the parameters (pseudo ones included), the
    mappings and conditions; no resource and no export."""
    conditions = _Conditions(_section(template, "Conditions"))
    declared = frozenset(_section(template, "Parameters"))
    scope = Scope(
        parameters,
        _section(template, "Mappings"),
        conditions,
        _NoResources(declared),
        _no_exports,
    )
    conditions.scope = scope
    return scope


def _why(error: Exception) -> str:
    if isinstance(error, TemplateError):
        return error.message
    return str(error.args[0]) if error.args else type(error).__name__


# --- functions ---------------------------------------------------------------------------


def _resources(template: Mapping[str, Any]) -> Mapping[str, Any]:
    return _section(template, "Resources")


def functions_of(template: Mapping[str, Any]) -> list[str]:
    """The logical ids of the template's functions (SAM and Lambda), in its order."""
    return [
        logical_id
        for logical_id, resource in _resources(template).items()
        if isinstance(resource, Mapping) and resource.get("Type") in FUNCTION_TYPES
    ]


def merge_globals(globals_: Any, own: Any) -> Any:
    """SAM's merge of a global value with a resource's own: maps merged (own keys win),
    lists concatenated (globals first), else the resource's own."""
    if isinstance(globals_, Mapping) and isinstance(own, Mapping):
        merged = dict(globals_)
        for key, value in own.items():
            merged[key] = merge_globals(globals_.get(key), value) if key in globals_ else value
        return merged
    if isinstance(globals_, list) and isinstance(own, list):
        return [*globals_, *own]
    return own


def function_properties(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    """The function's properties, ``Globals.Function`` merged into a SAM function's.
    LocalError if the template has no such function."""
    resource = _resources(template).get(logical_id)
    if not isinstance(resource, Mapping) or resource.get("Type") not in FUNCTION_TYPES:
        known = ", ".join(functions_of(template)) or "none"
        raise LocalError(f"the template has no function {logical_id} (its functions: {known})")
    properties = resource.get("Properties")
    own = dict(properties) if isinstance(properties, Mapping) else {}
    if resource["Type"] != SAM_FUNCTION:
        return own
    globals_ = template.get("Globals")
    shared = globals_.get("Function") if isinstance(globals_, Mapping) else None
    if not isinstance(shared, Mapping):
        return own
    merged = dict(shared)
    for key, value in own.items():
        merged[key] = merge_globals(shared[key], value) if key in shared else value
    return merged


def _required_text(properties: Mapping[str, Any], key: str, logical_id: str, scope: Scope) -> str:
    try:
        value = text(resolve(properties.get(key), scope))
    except (TemplateError, Unresolvable) as error:
        raise LocalError(
            f"{key} of {logical_id} cannot be resolved locally: {_why(error)}"
        ) from None
    if not value:
        raise LocalError(f"{logical_id} has no {key}: altus local runs zip functions only")
    return value


def _number(
    properties: Mapping[str, Any], key: str, default: int, logical_id: str, scope: Scope
) -> int:
    raw = properties.get(key)
    if raw is None:
        return default
    try:
        value = text(resolve(raw, scope))
        return int(value) if value is not None else default
    except (TemplateError, Unresolvable, ValueError) as error:
        why = _why(error) if not isinstance(error, ValueError) else "not a whole number"
        raise LocalError(f"{key} of {logical_id} cannot be resolved locally: {why}") from None


def environment(
    variables: Any, scope: Scope, logical_id: str, overrides: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """The variables' values and warnings: each resolved where it can be, else dropped
    (a warning says which and why); an override replaces a declared variable's value."""
    out: dict[str, str] = {}
    warnings: list[str] = []
    for name, raw in variables.items() if isinstance(variables, Mapping) else ():
        if name in overrides:
            out[name] = overrides[name]
            continue
        try:
            value = resolve(raw, scope)
        except (TemplateError, Unresolvable) as error:
            warnings.append(f"{logical_id}: environment variable {name} is dropped: {_why(error)}")
            continue
        if value is NO_VALUE:
            continue
        shown = text(value)
        if shown is None:
            warnings.append(f"{logical_id}: environment variable {name} is dropped: not a string")
            continue
        out[name] = shown
    return out, warnings


def env_overrides(document: Mapping[str, Any], logical_id: str) -> dict[str, str]:
    """What an ``--env-vars`` document sets for ``logical_id``: its ``Parameters``, then
    its own entry over them. Values as sam writes them: text, numbers as written,
    booleans ``true``/``false``; anything else (a list, a map, null) is an empty string."""
    out: dict[str, str] = {}
    for section in ("Parameters", logical_id):
        entries = document.get(section)
        if isinstance(entries, Mapping):
            for name, value in entries.items():
                out[str(name)] = text(value) or ""
    return out


def _layers(
    template: Mapping[str, Any], items: Any, scope: Scope, logical_id: str
) -> tuple[list[str], list[str]]:
    resources = _resources(template)
    found: list[str] = []
    warnings: list[str] = []
    for item in items if isinstance(items, list) else ():
        target = item.get("Ref") if isinstance(item, Mapping) and len(item) == 1 else None
        declared = resources.get(target) if isinstance(target, str) else None
        if isinstance(declared, Mapping) and declared.get("Type") in LAYER_TYPES:
            assert isinstance(target, str)
            found.append(target)
            continue
        try:
            shown = text(resolve(item, scope)) or str(item)
        except (TemplateError, Unresolvable) as error:
            shown = f"({_why(error)})"
        warnings.append(f"{logical_id}: layer {shown} is not one of the template's: skipped")
    return found, warnings


def function_spec(
    template: Mapping[str, Any],
    logical_id: str,
    parameters: Mapping[str, Any],
    env_document: Mapping[str, Any] | None = None,
) -> FunctionSpec:
    """The function ``logical_id`` as it is to be created locally. LocalError if the
    template has no such function, or its runtime or handler cannot be known."""
    properties = function_properties(template, logical_id)
    scope = local_scope(template, parameters)
    if properties.get("PackageType") == "Image" or "ImageUri" in properties:
        raise LocalError(f"{logical_id} is an image function: altus local runs zip functions")
    variables = properties.get("Environment")
    declared = variables.get("Variables") if isinstance(variables, Mapping) else None
    overrides = env_overrides(env_document or {}, logical_id)
    env, warnings = environment(declared, scope, logical_id, overrides)
    layers, layer_warnings = _layers(template, properties.get("Layers"), scope, logical_id)
    name = properties.get("FunctionName")
    return FunctionSpec(
        logical_id=logical_id,
        name=name if isinstance(name, str) and name else logical_id,
        runtime=_required_text(properties, "Runtime", logical_id, scope),
        handler=_required_text(properties, "Handler", logical_id, scope),
        memory_size=_number(properties, "MemorySize", DEFAULT_MEMORY, logical_id, scope),
        timeout=_number(properties, "Timeout", DEFAULT_TIMEOUT, logical_id, scope),
        environment=env,
        layers=tuple(layers),
        warnings=tuple(warnings + layer_warnings),
    )


def uses_nodejs(template: Mapping[str, Any]) -> bool:
    """Whether any function of the template names a Node.js runtime (literally)."""
    for logical_id in functions_of(template):
        runtime = function_properties(template, logical_id).get("Runtime")
        if isinstance(runtime, str) and runtime.startswith("nodejs"):
            return True
    return False
