"""DynamoDB's PartiQL statements, parsed (``partiql_syntax``) and built into the forms the
rest of the service already serves: a WHERE clause is an expression ``Condition``, an
UPDATE's SET and REMOVE an expression ``Update``, values are attribute values. One
evaluator (``expressions.evaluate``, ``expressions.update``) serves both languages, and
the checks the expression language makes on its operands (``expressions.checks``) are
made here too, worded bare as PartiQL words them (the conformance suite: "Incorrect
operand type for operator or function; operator or function: <, operand type: BOOL").
Pure: no I/O, no tables (``partiql_plans`` meets the tables).

**The translation.** ``a = b``, ``<>`` (and ``!=``), ``<``, ``<=``, ``>``, ``>=``,
``BETWEEN``, ``IN`` (a list in brackets or parentheses), ``AND``, ``OR``, ``NOT`` and
the functions ``begins_with``, ``contains``, ``attribute_type``, ``attribute_exists``,
``attribute_not_exists`` (function names are case-insensitive) and ``size`` are the
expression language's own. ``a IS MISSING`` is ``attribute_not_exists(a)``, ``IS NOT
MISSING`` ``attribute_exists(a)``; ``IS NULL`` and the other type tests are
``attribute_type`` (whether ``IS NULL`` is also true of a missing attribute, as in
PartiQL's own semantics, is not verified: here it is not). ``SET a = v``, ``SET a = a +
v``, ``list_append`` and ``if_not_exists`` are SET actions; ``SET s = set_add(s,
<<...>>)`` and ``set_delete`` are ADD and DELETE actions; ``REMOVE`` is REMOVE.

**Values.** A number literal is checked as DynamoDB checks numbers, its problem followed
by where it sits: "... under root" for the literal itself, "under root.k" inside a map,
"under root[1]" inside a list (the conformance suite's record). ``?`` takes the next of
the request's ``Parameters``: too few is "Number of parameters in request and statement
don't match."; too many are accepted, as DynamoDB Local accepts them (whether DynamoDB
refuses them is not verified). A set literal holds strings or numbers only.

**Texts** not found recorded from DynamoDB itself are marked ``# text not verified``;
those from DynamoDB Local's PartiQL messages say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree

from altus.dynamodb.errors import ValidationException
from altus.dynamodb.expressions import checks
from altus.dynamodb.expressions import errors as expression_errors
from altus.dynamodb.expressions.ast import (
    Action,
    AddAction,
    And,
    Arithmetic,
    AttributeValue,
    Between,
    Call,
    Comparison,
    Condition,
    DeleteAction,
    Function,
    In,
    Not,
    Operand,
    Or,
    Path,
    RemoveAction,
    SetAction,
    Update,
    Value,
)
from altus.dynamodb.expressions.errors import ExpressionProblem
from altus.dynamodb.partiql_syntax import NOT_WELL_FORMED, SyntaxProblem, parse_tree
from altus.dynamodb.values import ValueProblem, check_value, number, number_text, type_of

__all__ = [
    "Delete",
    "Exists",
    "Insert",
    "Modify",
    "Select",
    "Source",
    "Statement",
    "parse",
]

#: DynamoDB's texts (the conformance suite; the first as DynamoDB Local records it).
PARAMETER_COUNT = "Number of parameters in request and statement don't match."
ALIASING = "Aliasing is not supported"
EMPTY_COMPONENT = "Path component cannot be an empty string"
FROM_COMPONENTS = "A path may contain at most 2 components in the FROM clause"
#: DynamoDB Local's texts (its PartiQL messages); DynamoDB's: not verified.
STAR_AND_OTHERS = "Other attributes should not be present in the projection when '*' is used."
INSERT_RETURNING = "RETURNING is not supported in INSERT"
INSERT_MANY = (
    "Unsupported operation: Inserting multiple items in a single statement is not supported, "
    'use "INSERT INTO tableName VALUE item" instead'
)
INSERT_NOT_TUPLE = (
    "Unsupported format in item expression. Please use struct format {...} to express item "
    "values for insert statement."
)
MISSING_VALUE = "MISSING must be compared using IS operator"
EMPTY_BAG = "Empty bags are not supported"
BAG_TYPES = "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"
IS_OPERAND = "The left hand side argument to IS must be a Variable Reference, Literal, or Path"
#: The type names IS takes, and what each is as an attribute type.
IS_TYPES = {
    "NULL": "NULL",
    "BOOLEAN": "BOOL",
    "BLOB": "B",
    "STRING": "S",
    "NUMERIC": "N",
    "STRUCT": "M",
    "TUPLE": "M",
    "LIST": "L",
}
#: PartiQL's other type names: IS parses them, DynamoDB refuses them.
_OTHER_TYPE_WORDS = """
BOOL SMALLINT INT2 INTEGER2 INT4 INTEGER4 INT8 INTEGER8 INT INTEGER BIGINT FLOAT REAL
DOUBLE_PRECISION DECIMAL DEC TIMESTAMP CHARACTER CHAR VARCHAR CHARACTER_VARYING SYMBOL CLOB
SEXP BAG ANY DATE TIME
"""
OTHER_TYPES = frozenset(_OTHER_TYPE_WORDS.split())
CONDITION_FUNCTIONS = frozenset(
    {"attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains"}
)
#: Altus's bound on a statement's nesting, so that no statement exhausts Python's stack
#: (DynamoDB bounds statements by length only: 8192 characters).
MAX_DEPTH = 200
#: The kind the expression checks are run under: its prefix is taken off their texts.
_KIND = "PartiQL"


def malformed(detail: str) -> ValidationException:
    """The ValidationException of a statement that is not well formed."""
    return ValidationException(NOT_WELL_FORMED + detail)


# --- statements ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """What a statement reads or writes: a table, or (SELECT) one of its indexes."""

    table: str
    index: str | None = None


@dataclass(frozen=True, slots=True)
class Select:
    source: Source
    #: The paths to return (None: ``*``, the whole item).
    projection: tuple[Path, ...] | None
    where: Condition | None
    #: ORDER BY: each attribute and whether it is descending.
    order: tuple[tuple[Path, bool], ...] = ()


@dataclass(frozen=True, slots=True)
class Insert:
    source: Source
    item: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Modify:
    """UPDATE (either form)."""

    source: Source
    update: Update
    where: Condition | None
    #: ``ALL OLD``, ``ALL NEW``, ``MODIFIED OLD``, ``MODIFIED NEW`` or None.
    returning: str | None = None


@dataclass(frozen=True, slots=True)
class Delete:
    source: Source
    where: Condition | None
    returning: str | None = None


@dataclass(frozen=True, slots=True)
class Exists:
    """``EXISTS(SELECT ...)``: a transaction's condition check."""

    select: Select


Statement = Select | Insert | Modify | Delete | Exists


def parse(text: str, parameters: Sequence[Mapping[str, Any]] | None = None) -> Statement:
    """The statement ``text`` says, its ``?`` bound to ``parameters`` in order;
    ValidationException with DynamoDB's text if it is not one DynamoDB runs."""
    try:
        tree, tokens = parse_tree(text)
    except SyntaxProblem as problem:
        raise malformed(problem.detail) from None
    _check_depth(tree)
    marks = sorted(token.start_pos or 0 for token in tokens if token.type == "QMARK")
    given = list(parameters or ())
    if len(given) < len(marks):
        raise ValidationException(PARAMETER_COUNT)
    bound: dict[int, AttributeValue] = {}
    for mark, value in zip(marks, given, strict=False):
        try:
            bound[mark] = check_value(value)
        except ValueProblem as problem:
            raise ValidationException(problem.message) from None
    statement = tree.children[0]
    assert isinstance(statement, Tree)
    return _Builder(bound).statement(statement)


def _check_depth(tree: Tree[Token]) -> None:
    """Refuse a tree deeper than :data:`MAX_DEPTH` (walked without recursion)."""
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        if level > MAX_DEPTH:
            raise malformed("The statement is nested too deeply")  # text not verified
        stack.extend((child, level + 1) for child in _trees(node))


def _bare(check: Any, *args: Any) -> None:
    """Run an expression check, its problem worded without ``Invalid <kind>: ``."""
    try:
        check(*args, _KIND)
    except ExpressionProblem as problem:
        raise ValidationException(problem.message.removeprefix(f"Invalid {_KIND}: ")) from None


def _subtree(tree: Tree[Token], name: str) -> Tree[Token] | None:
    return next(
        (child for child in tree.children if isinstance(child, Tree) and child.data == name),
        None,
    )


def _trees(tree: Tree[Token]) -> list[Tree[Token]]:
    return [child for child in tree.children if isinstance(child, Tree)]


def _has(tree: Tree[Token], kind: str) -> bool:
    return any(isinstance(child, Token) and child.type == kind for child in tree.children)


def _unquote(text: str, quote: str) -> str:
    return text[1:-1].replace(quote * 2, quote)


class _Builder:
    """One statement's tree, built; ``bound`` holds each ``?``'s value by position."""

    def __init__(self, bound: Mapping[int, AttributeValue]) -> None:
        self.bound = bound

    # --- statements ---

    def statement(self, tree: Tree[Token]) -> Statement:
        if tree.data == "select":
            return self.select(tree)
        if tree.data == "exists":
            (select,) = _trees(tree)
            return Exists(self.select(select))
        if tree.data == "insert_many":
            raise ValidationException(INSERT_MANY)
        if tree.data == "insert":
            return self.insert(tree)
        if tree.data in ("update", "from_update"):
            return self.modify(tree)
        assert tree.data == "delete", tree.data
        return self.delete(tree)

    def select(self, tree: Tree[Token]) -> Select:
        source = self.source(tree)
        projection_tree = _subtree(tree, "projection")
        assert projection_tree is not None
        items = _trees(projection_tree)
        stars = [item for item in items if item.data == "star"]
        if stars and len(items) > 1:
            raise ValidationException(STAR_AND_OTHERS)
        projection = None if stars else tuple(self.path(item) for item in items)
        order: list[tuple[Path, bool]] = []
        order_tree = _subtree(tree, "order_by")
        if order_tree is not None:
            for key in _trees(order_tree):
                (path,) = _trees(key)
                order.append((self.path(path), _has(key, "DESC")))
        return Select(source, projection, self.where(tree), tuple(order))

    def insert(self, tree: Tree[Token]) -> Insert:
        source = self.source(tree, aliases=False)
        if _subtree(tree, "returning") is not None:
            raise ValidationException(INSERT_RETURNING)
        value = [child for child in _trees(tree) if child.data not in ("source", "returning")]
        if value[0].data != "tuple":
            raise ValidationException(INSERT_NOT_TUPLE)
        item: dict[str, Any] = {}
        for pair in _trees(value[0]):
            name, member = self.pair(pair, "root", item)
            # The attribute's own value is "root" in the number texts (conformance suite).
            item[name] = self.literal(member, "root")
        return Insert(source, item)

    def modify(self, tree: Tree[Token]) -> Modify:
        source = self.source(tree)
        actions: list[Action] = []
        for clause in _trees(tree):
            if clause.data == "set_clause":
                actions.extend(self.assignment(item) for item in _trees(clause))
            elif clause.data == "remove_clause":
                actions.extend(RemoveAction(self.path(item)) for item in _trees(clause))
        update = Update(tuple(actions))
        _bare(checks.check_update, update)
        return Modify(source, update, self.where(tree), self.returning(tree))

    def delete(self, tree: Tree[Token]) -> Delete:
        source = self.source(tree)
        returning = self.returning(tree)
        if returning is not None and returning != "ALL OLD":
            raise ValidationException(
                f"Invalid returning clause: RETURNING {returning} *. Only RETURNING ALL OLD * "
                "is allowed in DELETE statements."
            )
        return Delete(source, self.where(tree), returning)

    def source(self, tree: Tree[Token], *, aliases: bool = True) -> Source:
        found = _subtree(tree, "source")
        assert found is not None
        names = [
            name
            for token in found.children
            if isinstance(token, Token) and (name := self.ident(token)) is not None
        ]
        if len(names) > 2:
            raise ValidationException(FROM_COMPONENTS)
        if aliases and _subtree(tree, "alias") is not None:
            raise ValidationException(ALIASING)
        return Source(names[0], names[1] if len(names) == 2 else None)

    def where(self, tree: Tree[Token]) -> Condition | None:
        found = _subtree(tree, "where")
        if found is None:
            return None
        (condition,) = _trees(found)
        return self.condition(condition)

    def returning(self, tree: Tree[Token]) -> str | None:
        found = _subtree(tree, "returning")
        if found is None:
            return None
        words = [token.type for token in found.children if isinstance(token, Token)]
        return f"{words[1]} {words[2]}"

    # --- names and paths ---

    def ident(self, token: Token) -> str | None:
        """A name (None for the DOT between names)."""
        if token.type == "NAME":
            return str(token)
        if token.type == "QUOTED":
            name = _unquote(str(token), '"')
            if not name:
                raise ValidationException(EMPTY_COMPONENT)
            return name
        return None

    def path(self, tree: Tree[Token]) -> Path:
        elements: list[str | int] = []
        for token in tree.children:
            assert isinstance(token, Token)
            if token.type == "NUMBER":
                if not token.isdigit():
                    raise malformed("Expected an integer list index")  # text not verified
                elements.append(int(token))
            elif token.type == "STRING":
                elements.append(_unquote(str(token), "'"))
            else:
                name = self.ident(token)
                if name is not None:
                    elements.append(name)
        return Path(tuple(elements))

    # --- values ---

    def literal(self, tree: Tree[Token], path: str) -> AttributeValue:
        """A value written in the statement, checked as an attribute value."""
        try:
            return check_value(self.value(tree, path))
        except ValueProblem as problem:
            raise ValidationException(problem.message) from None

    def value(self, tree: Tree[Token], path: str) -> AttributeValue:
        kind = tree.data
        tokens = [child for child in tree.children if isinstance(child, Token)]
        if kind == "string":
            return {"S": _unquote(str(tokens[0]), "'")}
        if kind in ("number", "negative"):
            sign = "-" if kind == "negative" else ""
            try:
                return {"N": number_text(number(sign + str(tokens[-1])))}
            except ValueProblem as problem:
                raise ValidationException(f"{problem.message} under {path}") from None
        if kind in ("true", "false"):
            return {"BOOL": kind == "true"}
        if kind == "null":
            return {"NULL": True}
        if kind == "missing":
            raise ValidationException(MISSING_VALUE)
        if kind == "parameter":
            return self.bound[tokens[0].start_pos or 0]
        if kind == "list":
            return {
                "L": [self.value(member, f"{path}[{at}]") for at, member in enumerate(_trees(tree))]
            }
        if kind == "tuple":
            members: dict[str, Any] = {}
            for pair in _trees(tree):
                name, member = self.pair(pair, path, members)
                members[name] = self.value(member, f"{path}.{name}")
            return {"M": members}
        assert kind == "bag", kind
        return self.bag(tree, path)

    def pair(
        self, tree: Tree[Token], path: str, seen: Mapping[str, Any]
    ) -> tuple[str, Tree[Token]]:
        """A map literal's member: its name (a string, not one ``seen`` before) and value."""
        key, member = _trees(tree)
        name = self.value(key, path)
        if type_of(name) != "S":
            raise ValidationException(  # DynamoDB Local's text
                f"Tuple keys must be of type String. Actual type: {type_of(name)} under {path}"
            )
        if name["S"] in seen:
            raise ValidationException(  # DynamoDB Local's text
                f"Duplicate keys in tuple. Key: {name['S']} under {path}"
            )
        return str(name["S"]), member

    def bag(self, tree: Tree[Token], path: str) -> AttributeValue:
        members = _trees(tree)
        if not members:
            raise ValidationException(EMPTY_BAG)
        if any(member.data not in ("string", "number", "negative") for member in members):
            raise ValidationException(BAG_TYPES)
        values = [self.value(member, path) for member in members]
        kinds = {type_of(value) for value in values}
        if len(kinds) > 1:
            raise ValidationException(BAG_TYPES)  # text not verified for a mixed bag
        if kinds == {"S"}:
            return {"SS": [value["S"] for value in values]}
        return {"NS": [value["N"] for value in values]}

    # --- conditions ---

    def condition(self, tree: Tree[Token]) -> Condition:
        kind = tree.data
        parts = _trees(tree)
        if kind in ("or_", "and_"):
            joined = [self.condition(part) for part in parts]
            flat: list[Condition] = []
            chain = Or if kind == "or_" else And
            for part in joined:
                flat.extend(part.conditions if isinstance(part, chain) else (part,))
            return chain(tuple(flat))
        if kind == "not_":
            return Not(self.condition(parts[0]))
        if kind == "parens":
            return self.condition(parts[0])
        leaf, negated = self.leaf(tree)
        _bare(checks.check_condition, leaf)
        return Not(leaf) if negated else leaf

    def leaf(self, tree: Tree[Token]) -> tuple[Comparison | Between | In | Function, bool]:
        """A comparison or function, and whether NOT applies to it."""
        kind = tree.data
        negated = _has(tree, "NOT")
        if kind == "comparison":
            left, operator, right = tree.children
            assert isinstance(left, Tree) and isinstance(right, Tree)
            sign = "<>" if str(operator) == "!=" else str(operator)
            return Comparison(sign, self.operand(left), self.operand(right)), False
        if kind == "between":
            subject, low, high = self.operands(tree)
            return Between(subject, low, high), negated
        if kind == "in_":
            choices = _subtree(tree, "in_list")
            assert choices is not None
            return In(self.operands(tree)[0], tuple(self.operands(choices))), negated
        if kind == "is_":
            return self.is_(tree, negated)
        assert kind == "bare_call", kind
        return self.function(_trees(tree)[0]), False

    def operands(self, tree: Tree[Token]) -> list[Operand]:
        return [
            self.operand(child)
            for child in _trees(tree)
            if child.data not in ("in_list", "is_type")
        ]

    def operand(self, tree: Tree[Token]) -> Operand:
        if tree.data == "path":
            return self.path(tree)
        if tree.data == "call":
            name, args = self.call(tree)
            if name == "size":
                return Call(name, args)
            if name in CONDITION_FUNCTIONS:
                raise ValidationException(expression_errors.misused_function(name))
            raise ValidationException(f"Unrecognized function: {name}")  # DynamoDB Local's
        return Value(_placeholder(tree), self.literal(tree, "root"))

    def call(self, tree: Tree[Token]) -> tuple[str, tuple[Operand, ...]]:
        name = str(tree.children[0]).lower()
        return name, tuple(self.operand(child) for child in _trees(tree))

    def function(self, tree: Tree[Token]) -> Function:
        name, args = self.call(tree)
        if name == "size":
            raise ValidationException(expression_errors.misused_function(name))
        if name not in CONDITION_FUNCTIONS:
            raise ValidationException(f"Unrecognized function: {name}")  # DynamoDB Local's
        return Function(name, args)

    def is_(self, tree: Tree[Token], negated: bool) -> tuple[Function, bool]:
        (subject,) = self.operands(tree)
        if not isinstance(subject, Path):
            raise ValidationException(IS_OPERAND)  # DynamoDB Local's text
        type_tree = _subtree(tree, "is_type")
        assert type_tree is not None
        words = [str(token).upper() for token in type_tree.children if isinstance(token, Token)]
        name = "_".join(words)
        if name == "MISSING":
            present = "attribute_exists" if negated else "attribute_not_exists"
            return Function(present, (subject,)), False
        if name not in IS_TYPES:
            if name not in OTHER_TYPES:
                raise malformed("Expected type name")
            raise ValidationException(  # DynamoDB Local's text
                f"Unsupported data type for IS operator: {' '.join(words)}. Supported data types "
                "are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"
            )
        return Function("attribute_type", (subject, Value(name, {"S": IS_TYPES[name]}))), negated

    # --- updates ---

    def assignment(self, tree: Tree[Token]) -> Action:
        target_tree, value = _trees(tree)
        target = self.path(target_tree)
        if value.data in ("plus", "minus"):
            left, right = _trees(value)
            sign = "+" if value.data == "plus" else "-"
            return SetAction(
                target, Arithmetic(sign, self.set_operand(left), self.set_operand(right))
            )
        if value.data == "call":
            name, args = self.call_in_set(value)
            if name in ("set_add", "set_delete"):
                return _set_action(name, target, args)
            return SetAction(target, Call(name, args))
        return SetAction(target, self.set_operand(value))

    def set_operand(self, tree: Tree[Token]) -> Operand:
        if tree.data == "call":
            name, args = self.call_in_set(tree)
            if name in ("set_add", "set_delete"):
                raise ValidationException(expression_errors.misused_function(name))
            return Call(name, args)
        return self.operand(tree)

    def call_in_set(self, tree: Tree[Token]) -> tuple[str, tuple[Operand, ...]]:
        name = str(tree.children[0]).lower()
        if name in CONDITION_FUNCTIONS or name == "size":
            raise ValidationException(expression_errors.not_in_update(name))
        if name not in ("list_append", "if_not_exists", "set_add", "set_delete"):
            raise ValidationException(f"Unrecognized function: {name}")  # DynamoDB Local's
        return name, tuple(self.set_operand(child) for child in _trees(tree))


def _placeholder(tree: Tree[Token]) -> str:
    """How a value is named in texts: its first token as written (``?`` for a
    parameter)."""
    first = next(iter(tree.scan_values(lambda token: isinstance(token, Token))), None)
    return str(first) if first is not None else tree.data


def _set_action(name: str, target: Path, args: tuple[Operand, ...]) -> Action:
    """``SET s = set_add(s, <<...>>)`` as ADD, ``set_delete`` as DELETE (DynamoDB Local's
    texts for the forms it refuses)."""
    word = name.upper()
    if len(args) != 2:
        raise ValidationException(f"{word} must have exactly two arguments")
    first, second = args
    if first != target:
        raise ValidationException(f"The first argument to {word} must equal the assignment value")
    if not isinstance(second, Value) or type_of(second.value) not in ("SS", "NS", "BS"):
        raise ValidationException(f"The second argument to {word} must be a value with type SET")
    return AddAction(target, second) if name == "set_add" else DeleteAction(target, second)
