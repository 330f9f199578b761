"""Checks of the values inside states: paths (JSONPath states), payload templates with their
``.$`` fields and intrinsic functions, and JSONata expressions.

Paths and intrinsic calls are checked by the grammar that evaluates them
(``altus.asl.paths``, ``altus.asl.intrinsics``): what validation admits is what runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.asl import diagnostics as d
from altus.asl import intrinsics, paths
from altus.asl.validation_context import Context

# --- paths and intrinsics: the evaluators' own grammar ------------------------------------


def is_path(value: object) -> bool:
    """A Path: JSONPath from the input (``$``), the context (``$$``) or a variable
    (``$name``), with wildcards, filters and slices allowed."""
    return isinstance(value, str) and paths.is_path(value)


def is_reference_path(value: object, *, root_only: bool = False) -> bool:
    """A Reference Path: a path that names a single node (names and indexes only); from
    the input only (``$``, not ``$$`` or a variable) where ``root_only`` (ResultPath)."""
    if not isinstance(value, str):
        return False
    return paths.is_reference_path(
        value, allow_context=not root_only, allow_variables=not root_only
    )


def looks_like_path(value: object) -> bool:
    return isinstance(value, str) and (value == "$" or value.startswith(("$.", "$$.", "$[")))


def is_intrinsic(value: object) -> bool:
    """A valid call of one of the intrinsic functions (known name, arguments, nesting)."""
    return (
        isinstance(value, str)
        and intrinsics.is_intrinsic(value)
        and intrinsics.check(value) is None
    )


def check_path(ctx: Context, value: object, field: str, location: str, *, nullable: bool) -> None:
    """InputPath / OutputPath: a Path, or null where the field allows it."""
    if value is None and nullable:
        return
    if not is_path(value):
        ctx.error(f"The value for the field '{field}' must be a valid JSONPath", location)


def check_reference_path(
    ctx: Context,
    value: object,
    field: str,
    location: str,
    *,
    nullable: bool = False,
    intrinsic: bool = False,
    root_only: bool = False,
) -> None:
    """ResultPath (``root_only``), ItemsPath, the ``*Path`` fields of Wait, Task, Map and
    Fail, a Choice rule's Variable: a Reference Path (an intrinsic function where
    ``intrinsic``)."""
    if value is None and nullable:
        return
    if is_reference_path(value, root_only=root_only) or (intrinsic and is_intrinsic(value)):
        return
    ctx.error(f"The value for the field '{field}' must be a valid ReferencePath", location)


# --- payload templates ---------------------------------------------------------------------


def check_template(ctx: Context, template: object, location: str) -> None:
    """A JSONPath payload template (Parameters, ResultSelector, ItemSelector, Assign):
    every ``name.$`` field holds a path or an intrinsic function (an error otherwise); a
    field without ``.$`` whose value looks like one is taken literally (NO_DOLLAR)."""
    if isinstance(template, list):
        for index, item in enumerate(template):
            check_template(ctx, item, f"{location}[{index}]")
        return
    if not isinstance(template, Mapping):
        return
    for key, value in template.items():
        here = f"{location}/{key}"
        if key.endswith(".$"):
            if not (is_path(value) or is_intrinsic(value)):
                ctx.error(
                    f"The value for the field '{key}' must be a valid JSONPath or a valid "
                    "intrinsic function call",
                    here,
                )
        elif looks_like_path(value) or (isinstance(value, str) and is_intrinsic(value)):
            ctx.warn(
                d.NO_DOLLAR,
                f"The value of the field '{key}' looks like a JSONPath or an intrinsic "
                "function, but its name does not end with '.$': it is used as is",
                here,
            )
        else:
            check_template(ctx, value, here)


def check_static_result(ctx: Context, result: object, location: str) -> None:
    """A Pass state's Result is never evaluated: a ``.$`` field in it is a mistake."""
    if isinstance(result, list):
        for index, item in enumerate(result):
            check_static_result(ctx, item, f"{location}[{index}]")
    elif isinstance(result, Mapping):
        for key, value in result.items():
            here = f"{location}/{key}"
            if key.endswith(".$") and (is_path(value) or is_intrinsic(value)):
                ctx.warn(
                    d.PASS_RESULT_IS_STATIC,
                    f"The field '{key}' of a Pass state's Result is not evaluated: "
                    "use Parameters to take values from the input",
                    here,
                )
            else:
                check_static_result(ctx, value, here)


def warn_no_path(ctx: Context, value: object, field: str, location: str) -> None:
    """A literal field (Timestamp, Error, Cause) whose value looks like a path."""
    if looks_like_path(value):
        ctx.warn(
            d.NO_PATH,
            f"The value of the field '{field}' looks like a JSONPath, but the field name "
            f"does not end with 'Path': use '{field}Path' to read it from the input",
            location,
        )


# --- JSONata ---------------------------------------------------------------------------------


def check_jsonata(ctx: Context, value: Any, location: str) -> None:
    """Every string of a JSONata field's value that opens ``{%`` closes ``%}`` and holds
    an expression that parses."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_jsonata(ctx, item, f"{location}[{index}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_jsonata(ctx, item, f"{location}/{key}")
    elif isinstance(value, str) and value.startswith("{%"):
        if not value.endswith("%}") or len(value) < 4:
            ctx.error(
                "The JSONata expression must be enclosed in '{%' and '%}'",
                location,
                d.INVALID_JSONATA_EXPRESSION,
            )
            return
        problem = _jsonata_problem(value[2:-2])
        if problem is not None:
            code, message = problem
            ctx.error(message, location, code)


def _jsonata_problem(expression: str) -> tuple[str, str] | None:
    if expression.strip() == "$$":
        return d.UNSUPPORTED_JSONATA_EXPRESSION, "Reference to '$$' is not supported."
    import jsonata  # deferred: a JSONPath-only definition never pays for the parser

    try:
        jsonata.Jsonata(expression)
    except Exception as error:  # the parser's own error, whatever its class
        return d.INVALID_JSONATA_EXPRESSION, str(error)
    return None
