"""A state machine definition that passed validation: the parsed JSON object, with the
few top-level facts everyone reads (``StartAt``, ``States``, the query language, the
execution timeout). Build one with ``altus.asl.validation.check``: a ``Definition`` made
any other way has not been validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from altus.asl.diagnostics import Diagnostic

JSONPATH = "JSONPath"
JSONATA = "JSONata"
QUERY_LANGUAGES = (JSONPATH, JSONATA)


def resolve_language(declared: object, inherited: str) -> str:
    """The query language a ``QueryLanguage`` field gives: absent, the inherited one;
    exactly ``"JSONPath"``, JSONPath; anything else (``"JSONata"``, but also a misspelt or
    non-string value, which validation reports) JSONata, as AWS resolves it."""
    if declared is None:
        return inherited
    return JSONPATH if declared == JSONPATH else JSONATA


@dataclass(frozen=True)
class Definition:
    raw: Mapping[str, Any]

    @property
    def start_at(self) -> str:
        value: str = self.raw["StartAt"]
        return value

    @property
    def states(self) -> Mapping[str, Mapping[str, Any]]:
        value: Mapping[str, Mapping[str, Any]] = self.raw["States"]
        return value

    @property
    def query_language(self) -> str:
        """The machine's language: ``JSONPath`` (the default) or ``JSONata``."""
        return resolve_language(self.raw.get("QueryLanguage"), JSONPATH)

    @property
    def timeout_seconds(self) -> int | None:
        value = self.raw.get("TimeoutSeconds")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def state_language(self, state: Mapping[str, Any]) -> str:
        """A state's language: its own ``QueryLanguage``, else the machine's. A state inside
        a Parallel branch or a Map's ItemProcessor inherits the machine's language, not the
        enclosing state's (recorded against AWS)."""
        return resolve_language(state.get("QueryLanguage"), self.query_language)


class DefinitionError(Exception):
    """A definition with at least one ERROR diagnostic. ``message`` is the text of AWS's
    ``InvalidDefinition`` error; ``diagnostics`` are all that validation found."""

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = diagnostics
