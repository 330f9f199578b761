"""The grammar of DynamoDB's expressions, one for all four kinds, parsed by lark's LALR
parser. Each kind has its start rule: ``condition`` (ConditionExpression,
FilterExpression, KeyConditionExpression), ``update`` and ``projection``.

The grammar is the Developer Guide's ("Comparison operator and function reference",
"Update expressions", "Projection expressions"), with what DynamoDB's parser is seen to
do where the guide is silent:

- Precedence, lowest first: OR, AND, NOT, then the comparisons, BETWEEN, IN and
  functions; parentheses group. ``b BETWEEN a AND c AND a < b`` is
  ``(b BETWEEN a AND c) AND (a < b)``.
- Keywords are case-insensitive; function names are not (``LIST_APPEND(...)`` is an
  unknown function), and any name followed by ``(`` parses as a call, judged later.
- Names are ``[A-Za-z][A-Za-z0-9_]*``; placeholders ``#`` or ``:`` and then
  ``[A-Za-z0-9_]+``; a list index is digits only (``a[:i]``, ``a[-1]`` are syntax
  errors). Whitespace is space, tab, CR and LF.
- A SET value is one operand or two joined by ``+``/``-`` (``a + b + c`` is a syntax
  error), an operand a path, a value, a call or a parenthesised operand; a call's
  arguments are operands (``f(a + b)`` is a syntax error).
- ADD and DELETE take a path and a value placeholder, REMOVE paths only.

Two things are left to the checks after parsing (``structure``), because DynamoDB
reports them as it does: a bare operand where a condition belongs (only a function call
may stand alone: ``a`` is a syntax error, ``size(a)`` a misused function), and repeated
clauses (``SET ... SET ...``). Parentheses are kept in the tree (``cond_parens``,
``operand_parens``, ``value_parens``) for the redundant-parentheses check.

The grammar has shift/reduce conflicts between a parenthesised operand and a
parenthesised condition or SET value (``(a) = b`` against ``(a = b)``); lark resolves
them as shifts, which is the reading wanted: ``(f(x))`` is a parenthesised operand.
"""

from __future__ import annotations

import functools

from lark import Lark

GRAMMAR = r"""
condition: disjunction
update: clause+
projection: path ("," path)*

?disjunction: conjunction
    | disjunction OR conjunction -> or_
?conjunction: negation
    | conjunction AND negation -> and_
?negation: primary
    | NOT negation -> not_
?primary: comparison
    | between
    | membership
    | operand -> bare
    | "(" disjunction ")" -> cond_parens
comparison: operand (COMPARATOR | EQUALS) operand
between: operand BETWEEN operand AND operand
membership: operand IN "(" operand ("," operand)* ")"
?operand: path
    | VALUE
    | call
    | "(" operand ")" -> operand_parens
call: NAME "(" operand ("," operand)* ")"

?clause: SET set_action ("," set_action)* -> set_clause
    | REMOVE path ("," path)* -> remove_clause
    | ADD path VALUE ("," path VALUE)* -> add_clause
    | DELETE path VALUE ("," path VALUE)* -> delete_clause
set_action: path EQUALS set_value
?set_value: set_operand
    | set_operand (PLUS | MINUS) set_operand -> arithmetic
    | "(" set_value ")" -> value_parens
?set_operand: path
    | VALUE
    | set_call
    | "(" set_operand ")" -> operand_parens
set_call: NAME "(" set_operand ("," set_operand)* ")"

path: _name (("." _name) | ("[" INDEX "]"))*
_name: NAME | NAME_REF

SET: "set"i
REMOVE: "remove"i
ADD: "add"i
DELETE: "delete"i
AND: "and"i
OR: "or"i
NOT: "not"i
BETWEEN: "between"i
IN: "in"i
NAME: /[A-Za-z][A-Za-z0-9_]*/
NAME_REF: /#[A-Za-z0-9_]+/
VALUE: /:[A-Za-z0-9_]+/
INDEX: /[0-9]+/
COMPARATOR: "<>" | "<=" | ">=" | "<" | ">"
EQUALS: "="
PLUS: "+"
MINUS: "-"

%ignore /[ \t\r\n]+/
"""

#: The start rules, one per kind of expression.
STARTS = ("condition", "update", "projection")


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    """The LALR parser of :data:`GRAMMAR` (built once: building takes tens of ms).

    The basic lexer makes the keywords keywords everywhere (``SET a = set`` is a syntax
    error, as DynamoDB says); positions are kept for the syntax errors found after
    parsing."""
    return Lark(
        GRAMMAR,
        parser="lalr",
        lexer="basic",
        start=list(STARTS),
        propagate_positions=True,
        maybe_placeholders=False,
    )
