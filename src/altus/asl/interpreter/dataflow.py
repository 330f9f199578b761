"""A state's data in either query language: what it takes from its input, what it sends,
how its result becomes its output, and the variables it assigns.

JSONPath: ``InputPath`` -> ``Parameters`` (or ``ItemSelector``) -> the work ->
``ResultSelector`` -> ``ResultPath`` -> ``OutputPath``; a Catch places ``{Error, Cause}``
with its ``ResultPath``. JSONata: ``Arguments`` and ``Output`` with ``$states.input``,
``$states.result``, ``$states.errorOutput`` and ``$states.context``.

``Assign`` sees the variables as they were before the state (they change after it), and,
in JSONPath, the state's result (after ``ResultSelector``; a Pass's result; the input of
a Choice or Wait). Every error raised here carries AWS's prefix naming the state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.asl import jsonata_eval, paths, templates
from altus.asl.errors import StatesError
from altus.asl.interpreter.failures import raised
from altus.asl.interpreter.frames import JSONATA, Visit

#: What a state with no result passes on (the default of every JSONPath field is ``$``).
_ABSENT = object()


class DataFlow:
    """The data of one visit (``visit``) with the context object of one attempt."""

    def __init__(self, visit: Visit, context: Mapping[str, Any]) -> None:
        self.visit = visit
        self.state = visit.state
        self.context = dict(context)
        self.jsonata = visit.language == JSONATA

    # --- evaluation, with the state's prefix on every error -----------------------------

    def _fail(self, error: StatesError) -> Exception:
        return raised(self.visit.error(error))

    def read(self, path: str, data: Any, field: str) -> Any:
        try:
            return paths.read(
                path, data, context=self.context, variables=self.visit.variables, field=field
            )
        except StatesError as error:
            raise self._fail(error) from None

    def template(self, template: Any, data: Any, field: str) -> Any:
        try:
            return templates.evaluate(
                template,
                data,
                context=self.context,
                variables=self.visit.variables,
                chance=self.visit.run.chance,
                field=field,
            )
        except StatesError as error:
            raise self._fail(error) from None

    def expression(self, value: Any, field: str, **states: Any) -> Any:
        """A JSONata field (``{% ... %}`` strings anywhere in ``value``) with
        ``$states`` = ``states`` plus the context."""
        bound = {**states, "context": self.context}
        try:
            return jsonata_eval.evaluate(
                value,
                states=bound,
                variables=self.visit.variables,
                chance=self.visit.run.chance,
                field=field,
            )
        except StatesError as error:
            raise self._fail(error) from None

    def path_or_template(self, expression: str, data: Any, field: str) -> Any:
        """A ``...Path`` field that may also be an intrinsic function (``ErrorPath``)."""
        return self.template({"value.$": expression}, data, field)["value"]

    # --- the steps --------------------------------------------------------------------

    def effective_input(self) -> Any:
        """JSONPath: the input after ``InputPath`` (null: ``{}``); JSONata: the input."""
        data = self.visit.input
        if self.jsonata or "InputPath" not in self.state:
            return data
        path = self.state["InputPath"]
        return {} if path is None else self.read(path, data, "InputPath")

    def arguments(self, effective: Any, field: str = "Parameters") -> Any:
        """What the state sends: ``Parameters`` (``field``: ``ItemSelector``...) or
        ``Arguments``, else its effective input."""
        if self.jsonata:
            if "Arguments" in self.state:
                return self.expression(self.state["Arguments"], "Arguments", input=effective)
            return effective
        if field in self.state:
            return self.template(self.state[field], effective, field)
        return effective

    def select(self, result: Any) -> Any:
        """JSONPath ``ResultSelector`` on a raw result."""
        if self.jsonata or "ResultSelector" not in self.state:
            return result
        return self.template(self.state["ResultSelector"], result, "ResultSelector")

    def finish(self, result: Any = _ABSENT, *, default_to_input: bool = False) -> tuple[Any, Any]:
        """The output and the assigned variables of a state whose (selected) result is
        ``result`` (absent: a state without one, whose output is its input)."""
        data = self.visit.input
        if self.jsonata:
            states: dict[str, Any] = {"input": data}
            if result is not _ABSENT:
                states["result"] = result
            assign = self._assign_jsonata(self.state, states)
            if "Output" in self.state:
                output = self.expression(self.state["Output"], "Output", **states)
            elif result is _ABSENT or default_to_input:
                output = data
            else:
                output = result
            return output, assign
        effective = self.effective_input()
        basis = effective if result is _ABSENT else result
        assign = self._assign_jsonpath(self.state, basis)
        placed = effective if result is _ABSENT else self.place(self.state, data, result)
        return self.output_path(placed), assign

    def place(self, holder: Mapping[str, Any], data: Any, result: Any) -> Any:
        """JSONPath ``ResultPath`` of ``holder`` (a state or a catcher)."""
        if "ResultPath" not in holder:
            return result
        path = holder["ResultPath"]
        if path is None:
            return data
        try:
            return paths.place(path, data, result)
        except StatesError as error:
            raise self._fail(error) from None

    def output_path(self, data: Any) -> Any:
        if "OutputPath" not in self.state:
            return data
        path = self.state["OutputPath"]
        return {} if path is None else self.read(path, data, "OutputPath")

    def caught(self, catcher: Mapping[str, Any], error: StatesError) -> tuple[Any, Any]:
        """The output and variables of a state whose ``catcher`` caught ``error``."""
        error_output = error.output()
        data = self.visit.input
        if self.jsonata:
            states = {"input": data, "errorOutput": error_output}
            assign = self._assign_jsonata(catcher, states)
            if "Output" in catcher:
                return self.expression(catcher["Output"], "Output", **states), assign
            return error_output, assign
        assign = self._assign_jsonpath(catcher, error_output)
        return self.place(catcher, data, error_output), assign

    def choose(self, rule: Mapping[str, Any], effective: Any) -> Any:
        """The assignments of a Choice rule that matched (or of the state, for Default)."""
        if self.jsonata:
            return self._assign_jsonata(rule, {"input": self.visit.input})
        return self._assign_jsonpath(rule, effective)

    def _assign_jsonpath(self, holder: Mapping[str, Any], basis: Any) -> Any:
        if "Assign" not in holder:
            return {}
        return self.template(holder["Assign"], basis, "Assign")

    def _assign_jsonata(self, holder: Mapping[str, Any], states: Mapping[str, Any]) -> Any:
        if "Assign" not in holder:
            return {}
        return self.expression(holder["Assign"], "Assign", **states)

    def number(self, name: str, data: Any) -> Any:
        """A field given as a number, a ``<name>Path`` (JSONPath) or an expression
        (JSONata); None when absent."""
        if name in self.state:
            value = self.state[name]
            if self.jsonata:
                return self.expression(value, name, input=self.visit.input)
            return value
        path_name = f"{name}Path"
        if path_name in self.state:
            return self.read(self.state[path_name], data, path_name)
        return None
