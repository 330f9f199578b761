"""Validation of state machine definitions, as ValidateStateMachineDefinition reports it
(``diagnose``) and as CreateStateMachine / UpdateStateMachine refuse it (``check``).

The walk: the JSON text (``INVALID_JSON_DESCRIPTION`` when it does not parse, ``Definition
must be a valid JSON object`` when it is not an object, both recorded against AWS), the
machine's own fields, then each scope (the machine, each Parallel branch, each Map's
ItemProcessor) with its states (``validation_states``) and, after every state's own
checks, its transitions (``validation_graph``), as AWS lists them. State names are unique
across the whole definition, nested scopes included (``DUPLICATE_STATE_NAME``), and a JSON
object naming the same state twice is caught at parse time, before a dict keeps only one.

AWS's own texts are used where they are recorded (see each module's docstring); the
others keep their shapes. AWS says the diagnostics' wording and order may change."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from altus.asl import diagnostics as d
from altus.asl.definition import QUERY_LANGUAGES, Definition, DefinitionError, resolve_language
from altus.asl.diagnostics import Diagnostic
from altus.asl.validation_context import Context
from altus.asl.validation_graph import check_graph
from altus.asl.validation_states import check_state

#: ValidateStateMachineDefinition's default (and largest) maxResults.
MAX_RESULTS = 100
_TOP = frozenset(("Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"))
_NOT_AN_OBJECT = "Definition must be a valid JSON object"
#: How much of the text a JSON syntax error quotes.
_EXCERPT = 500


def diagnose(
    text: str,
    *,
    max_results: int = MAX_RESULTS,
    severity: str = d.WARNING,
    machine_type: str = "STANDARD",
) -> tuple[list[Diagnostic], bool]:
    """What ValidateStateMachineDefinition returns: the diagnostics (errors before
    warnings, so that a truncated list still has one when there is any), and whether they
    were cut at ``max_results`` (0 or less: the default, 100). ``severity`` ``ERROR`` leaves
    the warnings out; ``machine_type`` ``EXPRESS`` adds the Express-only rules. Never
    raises for a bad definition."""
    found = validate(text, machine_type=machine_type)[1]
    if severity == d.ERROR:
        found = [diagnostic for diagnostic in found if diagnostic.is_error]
    limit = max_results if max_results > 0 else MAX_RESULTS
    return found[:limit], len(found) > limit


def check(text: str, *, machine_type: str = "STANDARD") -> Definition:
    """The definition, if validation finds no error in it (warnings are fine); else
    ``DefinitionError`` with the message AWS's ``InvalidDefinition`` carries."""
    definition, found = validate(text, machine_type=machine_type)
    errors = tuple(diagnostic for diagnostic in found if diagnostic.is_error)
    if errors or definition is None:
        raise DefinitionError(d.invalid_definition_message(errors), errors)
    return definition


def validate(
    text: str, *, machine_type: str = "STANDARD"
) -> tuple[Definition | None, list[Diagnostic]]:
    """Every diagnostic of ``text`` (errors first), and the definition when it parsed as
    a JSON object (whether or not it has errors)."""
    try:
        root = _parse(text)
    except json.JSONDecodeError as error:
        return None, [_syntax_error(text, error)]
    except ValueError as error:
        return None, [Diagnostic(d.ERROR, d.INVALID_JSON_DESCRIPTION, str(error), None)]
    if not isinstance(root, Mapping):
        return None, [Diagnostic(d.ERROR, d.SCHEMA_VALIDATION_FAILED, _NOT_AN_OBJECT, None)]
    walker = _Walker(
        Context(
            language=resolve_language(root.get("QueryLanguage"), "JSONPath"),
            machine_type=machine_type,
        )
    )
    walker.machine(root)
    found = walker.finish()
    return Definition(root), [x for x in found if x.is_error] + [x for x in found if not x.is_error]


class _Walker:
    """Walks the scopes; graph checks run after every state of every scope was checked,
    the machine's scope first."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.pending: list[Callable[[], None]] = []
        ctx.visit_scope = lambda scope, location: self.scope(scope, location, top=False)

    def machine(self, root: Mapping[str, Any]) -> None:
        ctx = self.ctx
        ctx.allowed(root, _TOP, "/")
        ctx.required(root, ("States", "StartAt"), "/")
        if "Comment" in root:
            ctx.type_is(root["Comment"], "STRING", "/Comment")
        if "Version" in root:
            ctx.type_is(root["Version"], "STRING", "/Version")
        if "TimeoutSeconds" in root:
            ctx.integer(root["TimeoutSeconds"], "/TimeoutSeconds", 1)
        if "QueryLanguage" in root:
            ctx.one_of(root["QueryLanguage"], QUERY_LANGUAGES, "/QueryLanguage")
        self.scope(root, "", top=True)

    def scope(self, scope: Mapping[str, Any], location: str, top: bool) -> None:
        ctx = self.ctx
        if not top:
            ctx.required(scope, ("States", "StartAt"), location)
        start_at = scope.get("StartAt")
        if "StartAt" in scope:
            ctx.type_is(start_at, "STRING", f"{location}/StartAt")
        states = scope.get("States")
        if states is None or not ctx.type_is(states, "OBJECT", f"{location}/States"):
            return
        assert isinstance(states, Mapping)
        self.pending.append(lambda: check_graph(ctx, start_at, states, location, top))
        for name in getattr(states, "duplicates", ()):
            ctx.error(
                f"Duplicate State name: {name}", f"{location}/States/{name}", d.DUPLICATE_STATE_NAME
            )
        for name, state in states.items():
            here = f"{location}/States/{name}"
            if name in ctx.names:
                ctx.error(f"Duplicate State name: {name}", here, d.DUPLICATE_STATE_NAME)
            ctx.names.setdefault(name, here)
            check_state(ctx, name, state, here)

    def finish(self) -> list[Diagnostic]:
        for run in self.pending:
            run()
        return self.ctx.found + self.ctx.graph


# --- parsing -------------------------------------------------------------------------------


class _Object(dict[str, Any]):
    """A JSON object that remembers the names it held more than once (the last value
    wins, as in any JSON parser; a state named twice is still an error)."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    duplicates = []
    for key, value in pairs:
        if key in obj:
            duplicates.append(key)
        obj[key] = value
    if duplicates:
        obj.duplicates = tuple(duplicates)
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}': not a JSON value")


def _parse(text: str) -> Any:
    if not text.strip():
        return None  # AWS: "Definition must be a valid JSON object"
    return json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)


def _syntax_error(text: str, error: json.JSONDecodeError) -> Diagnostic:
    excerpt = (
        text
        if len(text) <= _EXCERPT
        else f"{text[:_EXCERPT]}[truncated {len(text) - _EXCERPT} chars]"
    )
    source = f'[Source: (String)"{excerpt}"; line: {error.lineno}, column: {error.colno}]'
    return Diagnostic(d.ERROR, d.INVALID_JSON_DESCRIPTION, error.msg, source)
