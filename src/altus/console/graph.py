"""A state machine's definition drawn as a graph: the layout (pure: states in, boxes and
edges out, as data the tests look at) and its SVG, each state coloured by an outcome.

The layout is a simple layered one, top to bottom. Each state's layer is the longest
path to it from ``StartAt`` over forward edges (edges that close a loop, found by a depth
first walk, do not count); states of a layer are ordered by where their predecessors
are (one barycentre pass), and each layer is centred. A Parallel state is a box holding
its branches laid out side by side, a Map state a box holding its item processor: each
laid out the same way, recursively. Edges run from a box's bottom to the next box's top;
an edge back up (a retry loop through a Choice) runs down the right-hand side. Good
enough for the state machines people write by hand; no crossing minimisation beyond
that one pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

#: Sizes, in SVG units.
NODE_HEIGHT = 36
MIN_WIDTH = 110
CHAR_WIDTH = 7.0
LAYER_GAP = 44
NODE_GAP = 28
PAD = 14
HEADER = 26
MARKER = 10  # the start and end circles' radius

#: The start and end markers' keys among the states' names: no state has them (a name
#: holding a NUL is not drawn; Step Functions refuses control characters in names).
START = "\x00start"
END = "\x00end"


@dataclass(slots=True)
class Node:
    name: str
    #: The ASL ``Type`` (``Task``, ``Choice`` ...), or ``Start``/``End`` for the markers.
    kind: str
    x: float = 0.0
    y: float = 0.0
    width: float = MIN_WIDTH
    height: float = NODE_HEIGHT
    #: The container it is drawn in (a Parallel or Map state's name), if any.
    parent: str | None = None


@dataclass(slots=True)
class Edge:
    source: str
    target: str
    #: ``next``, ``choice``, ``default``, ``catch`` (how the definition names the hop).
    kind: str
    label: str = ""
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass(slots=True)
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    width: float
    height: float

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)


class BadDefinition(ValueError):
    """The definition is not a state machine this can draw (not JSON, no States)."""


def parse(definition: str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(definition, Mapping):
        return definition
    try:
        parsed = json.loads(definition)
    except ValueError as error:
        raise BadDefinition(f"the definition is not JSON: {error}") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("States"), dict):
        raise BadDefinition("the definition has no States")
    return parsed


def layout(definition: str | Mapping[str, Any]) -> Graph:
    """The whole machine: a start marker, its states, an end marker after every
    terminal state (``End``, Succeed, Fail)."""
    machine = parse(definition)
    block = _block(machine, parent=None, markers=True)
    return Graph(block.nodes, block.edges, block.width, block.height)


@dataclass(slots=True)
class _Block:
    nodes: list[Node]
    edges: list[Edge]
    width: float
    height: float


def _successors(name: str, state: Mapping[str, Any]) -> list[Edge]:
    out: list[Edge] = []
    kind = state.get("Type")
    if kind == "Choice":
        for index, rule in enumerate(state.get("Choices") or ()):
            if isinstance(rule, Mapping) and isinstance(rule.get("Next"), str):
                out.append(Edge(name, rule["Next"], "choice", _rule_label(rule, index)))
        if isinstance(state.get("Default"), str):
            out.append(Edge(name, state["Default"], "default", "Default"))
    elif isinstance(state.get("Next"), str):
        out.append(Edge(name, state["Next"], "next"))
    for catcher in state.get("Catch") or ():
        if isinstance(catcher, Mapping) and isinstance(catcher.get("Next"), str):
            errors = catcher.get("ErrorEquals") or []
            label = "Catch " + ", ".join(str(e) for e in errors)[:28]
            out.append(Edge(name, catcher["Next"], "catch", label))
    return out


def _rule_label(rule: Mapping[str, Any], index: int) -> str:
    """A Choice rule as a short label: ``$.n > 3``, its JSONata ``Condition``, or its
    number where it is compound."""
    if isinstance(rule.get("Condition"), str):
        return _clip(rule["Condition"], 30)
    variable = rule.get("Variable")
    if isinstance(variable, str):
        for key, value in rule.items():
            if key not in ("Variable", "Next", "Comment", "Assign", "Output"):
                return _clip(f"{variable} {_operator(key)} {json.dumps(value)}", 30)
    return f"Rule {index + 1}"


_OPERATORS = {"Equals": "==", "GreaterThan": ">", "LessThan": "<", "GreaterThanEquals": ">="}
_OPERATORS |= {"LessThanEquals": "<=", "Matches": "~"}


def _operator(key: str) -> str:
    for suffix, symbol in _OPERATORS.items():
        if key.endswith(suffix) and not key.endswith("Path"):
            return symbol
    return key


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _size(node: Node) -> None:
    node.width = max(MIN_WIDTH, len(node.name) * CHAR_WIDTH + 28)
    node.height = NODE_HEIGHT


def _inner_machines(state: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if state.get("Type") == "Parallel":
        return [b for b in state.get("Branches") or () if isinstance(b, Mapping)]
    if state.get("Type") == "Map":
        inner = state.get("ItemProcessor") or state.get("Iterator")
        return [inner] if isinstance(inner, Mapping) else []
    return []


def _block(machine: Mapping[str, Any], parent: str | None, markers: bool) -> _Block:
    states: Mapping[str, Any] = machine.get("States") or {}
    if not isinstance(states, Mapping):  # a branch's States of another shape: nothing drawn
        states = {}
    states = {k: v for k, v in states.items() if isinstance(v, Mapping) and "\x00" not in k}
    start = machine.get("StartAt")
    nodes: dict[str, Node] = {}
    inner: dict[str, list[_Block]] = {}
    edges: list[Edge] = []
    for name, state in states.items():
        node = Node(name, str(state.get("Type", "?")), parent=parent)
        _size(node)
        machines = _inner_machines(state)
        if machines:
            blocks = [_block(m, parent=name, markers=False) for m in machines]
            inner[name] = blocks
            node.width = max(
                node.width, sum(b.width for b in blocks) + NODE_GAP * (len(blocks) - 1) + 2 * PAD
            )
            node.height = HEADER + max(b.height for b in blocks) + PAD
        nodes[name] = node
        edges.extend(e for e in _successors(name, state) if e.target in states)
    if markers:
        nodes[START] = Node(START, "Start", width=2 * MARKER, height=2 * MARKER)
        nodes[END] = Node(END, "End", width=2 * MARKER, height=2 * MARKER)
        if isinstance(start, str) and start in states:
            edges.insert(0, Edge(START, start, "next"))
        for name, state in states.items():
            if state.get("End") is True or state.get("Type") in ("Succeed", "Fail"):
                edges.append(Edge(name, END, "next"))
    first = START if markers else start
    ranks = _ranks(list(nodes), edges, first if isinstance(first, str) else None)
    if markers:  # the end marker below everything
        ranks[END] = max((r for n, r in ranks.items() if n != END), default=0) + 1
    layers: dict[int, list[str]] = {}
    for name in nodes:
        layers.setdefault(ranks[name], []).append(name)
    order: dict[str, float] = {}
    rows: list[list[str]] = []
    for rank in sorted(layers):
        row = layers[rank]
        given = {n: float(i) for i, n in enumerate(row)}
        above = {
            n: [order[e.source] for e in edges if e.target == n and e.source in order] for n in row
        }
        row.sort(key=lambda n: sum(above[n]) / len(above[n]) if above[n] else given[n])
        for position, name in enumerate(row):
            order[name] = float(position)
        rows.append(row)
    widths = [sum(nodes[n].width for n in row) + NODE_GAP * (len(row) - 1) for row in rows]
    width = max(widths, default=MIN_WIDTH)
    y = 0.0
    for row, row_width in zip(rows, widths, strict=True):
        x = (width - row_width) / 2
        tallest = max(nodes[n].height for n in row)
        for name in row:
            node = nodes[name]
            node.x, node.y = x, y + (tallest - node.height) / 2
            x += node.width + NODE_GAP
        y += tallest + LAYER_GAP
    height = y - LAYER_GAP
    # Containers' contents, moved into their boxes.
    placed: list[Node] = []
    inner_edges: list[Edge] = []
    for name, node in nodes.items():
        placed.append(node)
        held = inner.get(name)
        if not held:
            continue
        used = sum(b.width for b in held) + NODE_GAP * (len(held) - 1)
        bx = node.x + (node.width - used) / 2
        for block in held:
            for child in block.nodes:
                child.x += bx
                child.y += node.y + HEADER
                placed.append(child)
            for edge in block.edges:
                edge.points = [(px + bx, py + node.y + HEADER) for px, py in edge.points]
                inner_edges.append(edge)
            bx += block.width + NODE_GAP
    _route(edges, nodes, ranks, width)
    # An edge back up runs down the right-hand side, past the widest layer.
    sides = sum(1 for e in edges if ranks[e.target] != ranks[e.source] + 1)
    extra = 16 + 6 * sides if sides else 0
    return _Block(placed, edges + inner_edges, width + extra, height)


def _ranks(names: Sequence[str], edges: Sequence[Edge], start: str | None) -> dict[str, int]:
    """Each node's layer: its longest path from ``start`` over edges that close no loop;
    nodes nothing reaches go below the rest, in their own order."""
    outgoing: dict[str, list[str]] = {n: [] for n in names}
    for edge in edges:
        outgoing[edge.source].append(edge.target)
    back: set[tuple[str, str]] = set()
    seen: set[str] = set()
    on_path: set[str] = set()

    def walk(root: str) -> None:
        # Iterative depth-first walk (definitions can be long chains: no recursion limit).
        stack: list[tuple[str, Iterable[str]]] = [(root, iter(outgoing[root]))]
        seen.add(root)
        on_path.add(root)
        while stack:
            current, children = stack[-1]
            child = next(iter(children), None)
            if child is None:
                stack.pop()
                on_path.discard(current)
                continue
            if child in on_path:
                back.add((current, child))
            elif child not in seen:
                seen.add(child)
                on_path.add(child)
                stack.append((child, iter(outgoing[child])))

    roots = ([start] if start in outgoing else []) + [n for n in names if n != start]
    for root in roots:
        if root not in seen:
            walk(root)
    incoming: dict[str, int] = {n: 0 for n in names}
    for edge in edges:
        if (edge.source, edge.target) not in back:
            incoming[edge.target] += 1
    rank = {n: 0 for n in names}
    ready = [n for n in names if incoming[n] == 0]
    while ready:
        current = ready.pop(0)
        for target in outgoing[current]:
            if (current, target) in back:
                continue
            rank[target] = max(rank[target], rank[current] + 1)
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    if start in rank:
        reached = _reachable(start, outgoing)
        below = max((rank[n] for n in reached), default=0) + 1
        for name in names:
            if name not in reached:
                rank[name] += below
    return rank


def _reachable(start: str, outgoing: Mapping[str, list[str]]) -> set[str]:
    found = {start}
    pending = [start]
    while pending:
        for target in outgoing[pending.pop()]:
            if target not in found:
                found.add(target)
                pending.append(target)
    return found


def _route(
    edges: Sequence[Edge], nodes: Mapping[str, Node], ranks: Mapping[str, int], width: float
) -> None:
    lane = 0
    for edge in edges:
        a, b = nodes[edge.source], nodes[edge.target]
        if ranks[b.name] == ranks[a.name] + 1:
            sx, sy = a.x + a.width / 2, a.y + a.height
            tx, ty = b.x + b.width / 2, b.y
            middle = ty - LAYER_GAP / 2
            edge.points = [(sx, sy), (sx, middle), (tx, middle), (tx, ty)]
        elif ranks[b.name] > ranks[a.name]:
            # Past the layers between: down the right-hand side, not through their boxes.
            lane += 1
            side = width + 8 + 6 * lane
            sx, sy = a.x + a.width / 2, a.y + a.height
            tx, ty = b.x + b.width / 2, b.y
            below, above = sy + LAYER_GAP / 3, ty - LAYER_GAP / 3
            edge.points = [
                (sx, sy),
                (sx, below),
                (side, below),
                (side, above),
                (tx, above),
                (tx, ty),
            ]
        else:
            lane += 1
            side = width + 8 + 6 * lane
            sy, ty = a.y + a.height / 2, b.y + b.height / 2
            edge.points = [(a.x + a.width, sy), (side, sy), (side, ty), (b.x + b.width, ty)]


# --- drawing --------------------------------------------------------------------------------

#: Outcomes a state is coloured by (CSS classes ``state-<outcome>``).
OUTCOMES = ("succeeded", "failed", "caught", "running", "cancelled", "notrun", "unknown")


def render(
    graph: Graph, outcomes: Mapping[str, str] | None = None, otherwise: str = "notrun"
) -> str:
    """The graph as SVG; each state a ``<g class="state state-<outcome>"
    data-state="<name>">`` (``otherwise`` where ``outcomes`` says nothing of it:
    ``unknown`` where they come from a history cut short)."""
    outcomes = outcomes or {}
    margin = 12
    width, height = graph.width + 2 * margin, graph.height + 2 * margin
    out = [
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="{-margin} {-margin} '
        f'{width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" role="img" '
        'aria-label="State machine graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>'
        "</defs>",
    ]
    containers = [
        n for n in graph.nodes if n.kind in ("Parallel", "Map") and n.height > NODE_HEIGHT
    ]
    for node in containers:
        out.append(_state(node, outcomes.get(node.name, otherwise), container=True))
    for edge in graph.edges:
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(edge.points)
        )
        out.append(
            f'<path class="edge edge-{edge.kind}" d="{path}" marker-end="url(#arrow)" '
            f'data-from="{_shown(edge.source)}" data-to="{_shown(edge.target)}"/>'
        )
        if edge.label and len(edge.points) >= 3:
            (x1, y1), (x2, y2) = edge.points[1], edge.points[2]
            out.append(
                f'<text class="edge-label" x="{(x1 + x2) / 2 + 4:.1f}" y="{(y1 + y2) / 2 - 3:.1f}">'
                f"{escape(edge.label)}</text>"
            )
    for node in graph.nodes:
        if node in containers:
            continue
        if node.kind in ("Start", "End"):
            cx, cy = node.x + node.width / 2, node.y + node.height / 2
            out.append(
                f'<circle class="marker marker-{node.kind.lower()}" cx="{cx:.1f}" cy="{cy:.1f}" '
                f'r="{MARKER}"><title>{node.kind}</title></circle>'
            )
            continue
        out.append(_state(node, outcomes.get(node.name, otherwise), container=False))
    out.append("</svg>")
    return "".join(out)


def _shown(name: str) -> str:
    """A node's name as an attribute holds it (the markers' as nothing)."""
    return "" if name in (START, END) else escape(name)


def _css(text: str) -> str:
    """``text`` as a CSS class name may hold it (the definition's words are anyone's)."""
    return re.sub(r"[^a-z0-9_-]", "", text.lower()) or "unknown"


def _state(node: Node, outcome: str, container: bool) -> str:
    name = escape(node.name)
    shape = "container" if container else "box"
    text_y = node.y + (16 if container else node.height / 2 + 4)
    anchor_x = node.x + (8 if container else node.width / 2)
    anchor = "start" if container else "middle"
    return (
        f'<g class="state state-{_css(outcome)} kind-{_css(node.kind)}" data-state="{name}" '
        f'data-outcome="{outcome}"><title>{name} ({escape(node.kind)}): {outcome}</title>'
        f'<rect class="{shape}" x="{node.x:.1f}" y="{node.y:.1f}" width="{node.width:.1f}" '
        f'height="{node.height:.1f}" rx="6"/>'
        f'<text x="{anchor_x:.1f}" y="{text_y:.1f}" text-anchor="{anchor}">{name}</text></g>'
    )


# --- an execution's outcome per state -------------------------------------------------------

_FAILED_EVENTS = ("Failed", "TimedOut", "Aborted")


def outcomes(events: Sequence[Mapping[str, Any]], execution_status: str) -> dict[str, str]:
    """Each state's outcome in an execution, from GetExecutionHistory's events (in order):
    ``succeeded`` (entered and left), ``caught`` (left after an error it caught),
    ``failed`` (an error it did not leave by, or a Fail state), ``running`` (entered, not
    yet left, the execution still going), ``cancelled`` (entered, the execution ended
    otherwise). A Map's iterations run its states many times: the worst outcome wins."""
    found: dict[str, str] = {}
    open_states: dict[str, bool] = {}  # entered, not left -> an error seen meanwhile
    rank = {"notrun": 0, "succeeded": 1, "running": 2, "caught": 3, "cancelled": 4, "failed": 5}

    def mark(name: str, outcome: str) -> None:
        if rank[outcome] >= rank.get(found.get(name, "notrun"), 0):
            found[name] = outcome

    for event in events:
        kind = str(event.get("type", ""))
        if kind.endswith("StateEntered"):
            details = event.get("stateEnteredEventDetails") or {}
            name = str(details.get("name", ""))
            open_states[name] = False
        elif kind.endswith("StateExited"):
            details = event.get("stateExitedEventDetails") or {}
            name = str(details.get("name", ""))
            errored = open_states.pop(name, False)
            mark(name, "caught" if errored else "succeeded")
        elif kind.endswith(_FAILED_EVENTS) and not kind.startswith("Execution"):
            for name in open_states:
                open_states[name] = True
    finished = execution_status not in ("RUNNING", "PENDING_REDRIVE")
    for name, errored in open_states.items():
        if not finished:
            mark(name, "running")
        elif execution_status == "FAILED":
            mark(name, "failed")
        elif errored:  # an error it did not leave by, yet the execution went on: caught
            mark(name, "caught")
        else:
            mark(name, "cancelled")
    for event in events:  # a Fail state is a failure however it is left
        if event.get("type") == "FailStateEntered":
            details = event.get("stateEnteredEventDetails") or {}
            mark(str(details.get("name", "")), "failed")
    return found
