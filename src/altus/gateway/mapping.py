"""HTTP APIs' parameter mapping: what an ``HTTP_PROXY`` integration's
``RequestParameters`` change in the request passed on. Pure: no I/O.

Keys are ``<action>:<where>``: ``append``, ``overwrite`` or ``remove`` of a
``header.<name>`` or ``querystring.<name>``, and ``overwrite:path``. Values are text in
which ``$request.header.<name>``, ``$request.querystring.<name>``, ``$request.path``,
``$request.path.<name>`` (a path parameter), ``$context.<name>`` and
``$stageVariables.<name>`` (each also as ``${...}``) stand for their values; a
``remove`` takes no value (``''``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

_VALUE = re.compile(
    r"\$\{?(request\.header\.[A-Za-z0-9_\-]+|request\.querystring\.[A-Za-z0-9_\-.]+"
    r"|request\.path(?:\.[A-Za-z0-9_\-]+)?|context\.[A-Za-z0-9_.]+"
    r"|stageVariables\.[A-Za-z0-9_\-.]+)\}?"
)


@dataclass(frozen=True, slots=True)
class Mapped:
    """The request as the integration gets it."""

    headers: list[tuple[str, str]]
    raw_query: str
    #: A new path (``overwrite:path``), else None: the one the integration would use.
    path: str | None


def apply(
    parameters: Mapping[str, str],
    *,
    headers: Sequence[tuple[str, str]],
    raw_query: str,
    path: str,
    path_parameters: Mapping[str, str],
    context: Mapping[str, str],
    stage_variables: Mapping[str, str],
) -> Mapped:
    """``headers`` and ``raw_query`` with ``parameters`` applied (values read from the
    request as it came, before any change)."""
    query = parse_qsl(raw_query, keep_blank_values=True)

    def source(name: str) -> str:
        kind, _, key = name.partition(".")
        if name == "request.path":
            return path
        if name.startswith("request.header."):
            wanted = name[len("request.header.") :].lower()
            return ",".join(v for n, v in headers if n.lower() == wanted)
        if name.startswith("request.querystring."):
            wanted = name[len("request.querystring.") :]
            return ",".join(v for n, v in query if n == wanted)
        if name.startswith("request.path."):
            return path_parameters.get(name[len("request.path.") :], "")
        if kind == "context":
            return context.get(key, "")
        if kind == "stageVariables":
            return stage_variables.get(key, "")
        return ""

    def value(text: str) -> str:
        return _VALUE.sub(lambda found: source(found.group(1)), text)

    out_headers = list(headers)
    out_query = list(query)
    new_path: str | None = None
    for key, raw in parameters.items():
        action, _, where = key.partition(":")
        if where == "path" and action == "overwrite":
            new_path = value(raw)
            continue
        kind, _, name = where.partition(".")
        if kind == "header":
            lowered = name.lower()
            if action in ("overwrite", "remove"):
                out_headers = [(n, v) for n, v in out_headers if n.lower() != lowered]
            if action in ("overwrite", "append"):
                out_headers.append((name, value(raw)))
        elif kind == "querystring":
            if action in ("overwrite", "remove"):
                out_query = [(n, v) for n, v in out_query if n != name]
            if action in ("overwrite", "append"):
                out_query.append((name, value(raw)))
    changed_query = out_query != query
    return Mapped(out_headers, urlencode(out_query) if changed_query else raw_query, new_path)
