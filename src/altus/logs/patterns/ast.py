"""The parsed forms of filter patterns (``build.py`` makes them, ``evaluate.py`` runs
them). A value keeps how it was written: a number, a glob (``*`` as a wildcard at its
start and end) or a regex."""

from __future__ import annotations

from dataclasses import dataclass

from altus.logs.timed_regex import Pattern as CompiledRegex

#: A JSON selector's steps after ``$``: member names and array indexes.
Selector = tuple[str | int, ...]


@dataclass(frozen=True)
class Glob:
    """A string value: equal to ``text``, or, with a leading or trailing ``*``, ending,
    starting or containing it (a ``*`` inside is itself, as the guide says: ``Ev*ent``
    matches only ``Ev*ent``). ``*`` alone matches any value."""

    text: str
    prefix_wild: bool
    suffix_wild: bool

    def matches(self, value: str) -> bool:
        if self.prefix_wild and self.suffix_wild:
            return self.text in value
        if self.prefix_wild:
            return value.endswith(self.text)
        if self.suffix_wild:
            return value.startswith(self.text)
        return value == self.text


@dataclass(frozen=True)
class Number:
    """A numeric value, and its text (``= 400`` also matches the string ``"400"``)."""

    value: float
    text: str


@dataclass(frozen=True)
class Regex:
    pattern: CompiledRegex


Value = Glob | Number | Regex


@dataclass(frozen=True)
class Terms:
    """An unstructured pattern: every ``required`` term, none of ``excluded``, and one
    of ``optional`` if any are given. A term is a substring (case-sensitive) or a regex."""

    required: tuple[str | Regex, ...]
    excluded: tuple[str | Regex, ...]
    optional: tuple[str | Regex, ...]


@dataclass(frozen=True)
class Compare:
    """``<field> <operator> <value>``; the field a JSON selector or a delimited name."""

    field: Selector | str
    operator: str
    value: Value


@dataclass(frozen=True)
class Check:
    """A JSON selector's ``IS NULL`` / ``IS TRUE`` / ``IS FALSE`` / ``EXISTS`` /
    ``NOT EXISTS``."""

    field: Selector
    check: str


@dataclass(frozen=True)
class And:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Condition, ...]


Condition = Compare | Check | And | Or


@dataclass(frozen=True)
class JsonPattern:
    condition: Condition


#: A space-delimited pattern's slot: ``...`` (any number of fields), or a field's name.
ELLIPSIS = "..."


@dataclass(frozen=True)
class DelimitedPattern:
    """The slots, in order (names, or :data:`ELLIPSIS`), and each slot's condition
    (None where it has none): a condition names its own slot's field only, as the
    syntax ties it to its slot, so each slot is checked on its own field."""

    slots: tuple[str, ...]
    conditions: tuple[Condition | None, ...]


Pattern = Terms | JsonPattern | DelimitedPattern
