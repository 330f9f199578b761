"""X-Ray filter expressions (GetTraceSummaries' ``FilterExpression``), the part Altus
serves, compiled to a predicate over a trace's facts (``summary.TraceFacts``).

Served: the booleans ``ok``, ``error``, ``fault``, ``throttle`` (alone, or ``= true`` /
``= false``); the numbers ``responsetime``, ``duration`` and ``http.status``; the
strings ``http.url``, ``http.method``, ``http.useragent``, ``http.clientip``;
``annotation.<key>`` (string, number or boolean); ``service("name")``; compared with
``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` (numbers) and ``CONTAINS``, ``BEGINSWITH``,
``ENDSWITH`` (strings); combined with ``AND``, ``OR``, ``!`` and parentheses. The
``http.*`` keywords test the trace's entry point, as X-Ray's do. Anything else (the
complex keywords ``edge``, ``json``, ``group``, ``id``, a ``service(...) {...}`` body,
``user``, ``rootcause``...) is refused with InvalidRequestException naming it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from altus.xray.errors import InvalidRequest
from altus.xray.summary import TraceFacts

Predicate = Callable[[TraceFacts], bool]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op><=|>=|!=|=|<|>|&&|\|\||!|\(|\)|\{|\}|,)
    | (?P<word>[A-Za-z_][\w.\-]*)
    )""",
    re.VERBOSE,
)
_BOOLEANS = {"ok", "error", "fault", "throttle"}
_NUMBERS = {"responsetime", "duration", "http.status"}
_STRINGS = {"http.url", "http.method", "http.useragent", "http.clientip"}
_STRING_OPS = {"CONTAINS", "BEGINSWITH", "ENDSWITH"}
_COMPARE = {"=", "!=", "<", "<=", ">", ">="}
#: How deep ``!`` and parentheses may nest (the parser recurses once a level).
MAX_DEPTH = 64


def _tokens(text: str) -> list[tuple[str, str, int]]:
    found: list[tuple[str, str, int]] = []
    position = 0
    end = len(text.rstrip())  # once: trailing space ends the tokens (linear, not n^2)
    while position < end:
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise InvalidRequest(f"Invalid filter expression: unexpected character at {position}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    return found


def compile_filter(text: str) -> Predicate:
    """The predicate ``text`` means; InvalidRequest where it is not one Altus serves."""
    parser = _Parser(_tokens(text))
    predicate = parser.expression()
    if parser.index < len(parser.tokens):
        _, value, at = parser.tokens[parser.index]
        raise InvalidRequest(f"Invalid filter expression: unexpected '{value}' at {at}")
    return predicate


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, int]]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise InvalidRequest("Invalid filter expression: it ends too early")
        self.index += 1
        return token

    def _is(self, *values: str) -> bool:
        token = self.peek()
        return token is not None and token[0] in ("op", "word") and token[1].upper() in values

    def expression(self) -> Predicate:
        # A flat list, not nested closures: a long chain of ORs evaluates without
        # recursing once per operand.
        either = [self.conjunction()]
        while self._is("OR", "||"):
            self.take()
            either.append(self.conjunction())
        if len(either) == 1:
            return either[0]
        return lambda t: any(p(t) for p in either)

    def conjunction(self) -> Predicate:
        every = [self.unary()]
        while self._is("AND", "&&"):
            self.take()
            every.append(self.unary())
        if len(every) == 1:
            return every[0]
        return lambda t: all(p(t) for p in every)

    def unary(self) -> Predicate:
        if not self._is("!", "NOT", "("):
            return self.atom()
        _, opened, at = self.take()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidRequest(
                f"Invalid filter expression: nested more than {MAX_DEPTH} deep at {at}"
            )
        if opened == "(":
            inner = self.expression()
            _, value, at = self.take()
            if value != ")":
                raise InvalidRequest(f"Invalid filter expression: expected ')' at {at}")
        else:
            negated = self.unary()
            inner = lambda t: not negated(t)  # noqa: E731
        self.depth -= 1
        return inner

    def atom(self) -> Predicate:
        kind, word, at = self.take()
        if kind != "word":
            raise InvalidRequest(f"Invalid filter expression: unexpected '{word}' at {at}")
        keyword = word.lower()
        if keyword == "service":
            return self._service(at)
        if keyword in _BOOLEANS:
            return self._boolean(keyword)
        if keyword in _NUMBERS:
            op, value = self._comparison(word, number=True)
            return _compare_number(keyword, op, float(value))
        if keyword in _STRINGS:
            op, value = self._comparison(word, number=False)
            return _compare_string(keyword, op, value)
        if keyword.startswith("annotation.") and len(word) > len("annotation."):
            key = word[len("annotation.") :]
            op, value = self._comparison(word, number=None)
            return _compare_annotation(key, op, value)
        raise InvalidRequest(
            f"Unsupported filter expression keyword '{word}' at {at}: Altus serves ok, error, "
            "fault, throttle, responsetime, duration, http.status, http.url, http.method, "
            'http.useragent, http.clientip, annotation.<key> and service("name")'
        )

    def _service(self, at: int) -> Predicate:
        opened = self.take()
        name = self.take()
        closed = self.take()
        if opened[1] != "(" or name[0] != "string" or closed[1] != ")":
            raise InvalidRequest(
                f'Unsupported service() filter at {at}: Altus serves service("name") only'
            )
        if self._is("{"):
            raise InvalidRequest(f"Unsupported service() filter at {at}: a {{...}} body")
        wanted = _unquote(name[1])
        return lambda t: wanted in t.services

    def _boolean(self, keyword: str) -> Predicate:
        def value(t: TraceFacts) -> bool:
            if keyword == "ok":
                return not (t.fault or t.error or t.throttle)
            return bool(getattr(t, keyword))

        if self._is("=", "!="):
            op = self.take()[1]
            _, given, at = self.take()
            if given.lower() not in ("true", "false"):
                raise InvalidRequest(f"Invalid filter expression: expected true or false at {at}")
            want = given.lower() == "true"
            if op == "!=":
                want = not want
            return lambda t: value(t) is want
        return value

    def _comparison(self, word: str, number: bool | None) -> tuple[str, Any]:
        token = self.peek()
        if token is None or not (token[1] in _COMPARE or token[1].upper() in _STRING_OPS):
            raise InvalidRequest(f"Invalid filter expression: '{word}' needs a comparison")
        op = self.take()[1].upper()
        kind, text, at = self.take()
        if kind == "number":
            value: Any = float(text)
        elif kind == "string":
            value = _unquote(text)
        elif kind == "word" and text.lower() in ("true", "false"):
            value = text.lower() == "true"
        else:
            raise InvalidRequest(f"Invalid filter expression: expected a value at {at}")
        if number is True and (kind != "number" or op in _STRING_OPS):
            raise InvalidRequest(f"Invalid filter expression: '{word}' compares to a number")
        if number is False and kind != "string":
            raise InvalidRequest(f"Invalid filter expression: '{word}' compares to a string")
        if op in ("<", "<=", ">", ">=") and kind != "number":
            raise InvalidRequest(f"Invalid filter expression: '{op}' compares numbers")
        if op in _STRING_OPS and kind != "string":
            raise InvalidRequest(f"Invalid filter expression: '{op}' compares strings")
        return op, value


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _test(op: str, have: Any, want: Any) -> bool:
    if have is None:
        return False
    if op in _STRING_OPS:
        if not isinstance(have, str):
            return False
        if op == "CONTAINS":
            return want in have
        return have.startswith(want) if op == "BEGINSWITH" else have.endswith(want)
    if isinstance(want, float):
        if isinstance(have, bool) or not isinstance(have, int | float):
            return False
        have = float(have)
    elif type(have) is not type(want):
        return op == "!="
    if op == "=":
        return bool(have == want)
    if op == "!=":
        return bool(have != want)
    if op == "<":
        return bool(have < want)
    if op == "<=":
        return bool(have <= want)
    if op == ">":
        return bool(have > want)
    return bool(have >= want)


def _compare_number(keyword: str, op: str, want: float) -> Predicate:
    def have(t: TraceFacts) -> Any:
        if keyword == "responsetime":
            return t.response_time
        if keyword == "duration":
            return t.duration
        return t.http.get("status")

    return lambda t: _test(op, have(t), want)


def _compare_string(keyword: str, op: str, want: str) -> Predicate:
    field = keyword.split(".", 1)[1]
    return lambda t: _test(op, t.http.get(field), want)


def _compare_annotation(key: str, op: str, want: Any) -> Predicate:
    return lambda t: any(_test(op, value, want) for value in t.annotations.get(key, ()))
