"""Which route serves a request: HTTP APIs' routes and REST APIs' resource methods.

Both are compiled once per deployment into a tree by path segment, so a match costs the
depth of the path, not the number of routes. The precedence is API Gateway's:

- HTTP APIs ("Routing API requests"): a full match of route and method; then a route
  whose greedy variable (``{proxy+}``) takes the rest; then ``$default``. Among several,
  the most specific path wins, segment by segment (a literal beats ``{v}``, which beats a
  greedy variable), and for one path an exact method beats ``ANY`` (``ANY`` matches "the
  methods you haven't defined for a resource").
- REST APIs: the resource is chosen first (literal > ``{p}`` > ``{p+}``), then its method
  (the request's own, else ``ANY``); a resource without either is no match (403 Missing
  Authentication Token), as is a path no resource covers.

Path values are percent-decoded segment by segment (an encoded ``/`` stays inside its
segment); a greedy variable takes one segment or more, slashes kept. A trailing slash is
ignored (``/pets/`` is ``/pets``), except that HTTP APIs let a greedy variable take the
empty rest of ``/pets/`` when no route matches it in full.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

from altus.gateway.deployed import DEFAULT_ROUTE, Route
from altus.gateway.request import Matched

ANY = "ANY"
#: The methods a route key may name (HTTP APIs and REST methods alike).
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})
_VARIABLE = re.compile(r"\{([A-Za-z0-9._\-:]+)(\+?)\}")
#: Characters a literal path segment may hold (a URL path's, less braces).
_LITERAL = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%\-]+")


@dataclass(slots=True)
class _Node:
    """One path segment's position: routes that end here, by method, and the ways on."""

    literals: dict[str, _Node] = field(default_factory=dict)
    #: ``{name}`` children, in the order first seen.
    variables: list[tuple[str, _Node]] = field(default_factory=list)
    #: Routes whose greedy variable starts at this segment: name, routes by method.
    greedy: list[tuple[str, dict[str, Route]]] = field(default_factory=list)
    #: Routes that end exactly here, by method (``ANY`` included).
    here: dict[str, Route] = field(default_factory=dict)

    def variable(self, name: str) -> _Node:
        for known, node in self.variables:
            if known == name:
                return node
        node = _Node()
        self.variables.append((name, node))
        return node

    def greedy_methods(self, name: str) -> dict[str, Route]:
        for known, methods in self.greedy:
            if known == name:
                return methods
        made: dict[str, Route] = {}
        self.greedy.append((name, made))
        return made


def _template_segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _request_segments(path: str) -> list[str]:
    raw = path.split("?", 1)[0]
    if raw.endswith("/") and raw != "/":
        raw = raw[:-1]
    return raw.split("/")[1:] if raw != "/" else []


def _read_path(segments: Sequence[str]) -> str:
    """The path as routing reads it (``Matched.path``)."""
    joined = "/" + "/".join(segments)
    return unquote(joined) if "%" in joined else joined


def _build(routes: Sequence[Route]) -> tuple[_Node, Route | None]:
    root = _Node()
    default: Route | None = None
    for route in routes:
        if route.key == DEFAULT_ROUTE:
            default = route
            continue
        node = root
        segments = _template_segments(route.path)
        method = route.method.upper()
        for index, segment in enumerate(segments):
            variable = _VARIABLE.fullmatch(segment)
            if variable is None:
                node = node.literals.setdefault(segment, _Node())
            elif variable.group(2) and index == len(segments) - 1:
                node.greedy_methods(variable.group(1)).setdefault(method, route)
                break
            else:
                node = node.variable(variable.group(1))
        else:
            node.here.setdefault(method, route)
    return root, default


def _pick(methods: dict[str, Route], method: str) -> Route | None:
    return methods.get(method) or methods.get(ANY)


@dataclass(slots=True)
class _Search:
    """A depth-first walk in precedence order (literal, then variables, then greedy)."""

    segments: list[str]
    method: str
    #: REST: the first resource found decides, whether it has the method or not.
    resource_first: bool
    #: HTTP APIs walk twice: full matches first, greedy ones after.
    greedy: bool
    #: The request's path ends with a slash.
    trailing: bool = False
    found: Matched | None = None
    stop: bool = False

    def walk(self, node: _Node, depth: int, bound: list[tuple[str, str]]) -> None:
        if self.stop:
            return
        if depth == len(self.segments):
            if self.greedy and self.trailing and not self.resource_first:
                # HTTP APIs: "/handler/" is "ANY /handler/{proxy+}" with proxy "".
                for name, methods in node.greedy:
                    route = _pick(methods, self.method)
                    if route is not None:
                        self._finish(route, [*bound, (name, "")])
                        return
            if self.resource_first:
                if node.here:
                    self._finish(_pick(node.here, self.method), bound)
            elif not self.greedy:
                route = _pick(node.here, self.method)
                if route is not None:
                    self._finish(route, bound)
            return
        segment = self.segments[depth]
        if segment:
            child = node.literals.get(unquote(segment)) or node.literals.get(segment)
            if child is not None:
                self.walk(child, depth + 1, bound)
            for name, variable in node.variables:
                if self.stop:
                    return
                self.walk(variable, depth + 1, [*bound, (name, unquote(segment))])
        if self.stop or not self.greedy:
            return
        rest = "/".join(unquote(part) for part in self.segments[depth:])
        for name, methods in node.greedy:
            route = _pick(methods, self.method)
            if route is not None or self.resource_first:
                self._finish(route, [*bound, (name, rest)])
                return

    def _finish(self, route: Route | None, bound: list[tuple[str, str]]) -> None:
        self.stop = True
        if route is not None:
            self.found = Matched(route, dict(bound))


class HttpRoutes:
    """An HTTP API deployment's routes, compiled once."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._root, self._default = _build(routes)

    def match(self, method: str, path: str) -> Matched | None:
        """The route for a request (``path``: within the stage, as sent); None: 404."""
        segments = _request_segments(path)
        trailing = len(path) > 1 and path.endswith("/")
        method = method.upper()
        read = _read_path(segments)
        for greedy in (False, True):
            search = _Search(
                segments, method, resource_first=False, greedy=greedy, trailing=trailing
            )
            search.walk(self._root, 0, [])
            if search.found is not None:
                return replace(search.found, path=read)
        return Matched(self._default, {}, read) if self._default is not None else None


class RestResources:
    """A REST deployment's methods, by resource."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._root, _ = _build(routes)

    def match(self, method: str, path: str) -> Matched | None:
        """The method for a request; None: AWS's 403 Missing Authentication Token."""
        segments = _request_segments(path)
        search = _Search(segments, method.upper(), resource_first=True, greedy=True)
        search.walk(self._root, 0, [])
        found = search.found
        return replace(found, path=_read_path(segments)) if found is not None else None


def route_key_problem(key: str, websocket: bool = False) -> str | None:
    """Why a route key is invalid; None if it is valid."""
    if not key or key != key.strip():
        return "Route key must not be empty or padded with spaces."
    if key.startswith("$"):
        allowed = {"$connect", "$disconnect", "$default"} if websocket else {"$default"}
        return None if key in allowed else f"Route key {key} is not a supported route key."
    if websocket:
        return None
    method, _, path = key.partition(" ")
    if method not in METHODS:
        return f"Route key {key} must start with a valid HTTP method or ANY."
    return path_problem(path)


def path_problem(path: str) -> str | None:
    """Why a route's path (``/pets/{id}``) is invalid; None if it is valid."""
    if not path.startswith("/"):
        return f"Route path {path!r} must start with '/'."
    if path == "/":
        return None
    segments = path[1:].split("/")
    names: set[str] = set()
    for index, segment in enumerate(segments):
        if not segment:
            return f"Route path {path!r} must not have empty segments."
        variable = _VARIABLE.fullmatch(segment)
        if variable is None:
            if "{" in segment or "}" in segment or not _LITERAL.fullmatch(segment):
                return f"Route path {path!r} has an invalid segment {segment!r}."
            continue
        if variable.group(2) and index != len(segments) - 1:
            return f"Route path {path!r}: a greedy path variable must be the last segment."
        if variable.group(1) in names:
            return f"Route path {path!r} repeats the path variable {variable.group(1)!r}."
        names.add(variable.group(1))
    return None
