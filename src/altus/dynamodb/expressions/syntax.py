"""From text to lark's parse tree, and DynamoDB's words for text that does not parse.

DynamoDB reports a syntax error as ``Syntax error; token: "<t>", near: "<n>"``: the
token it stopped at (``<EOF>`` at the end) and the source from the start of the token
before it to the end of the token after it, as written. Quoted answers fix the rule:

- ``INVALID SYNTAX HERE`` -> token ``INVALID``, near ``INVALID SYNTAX`` (nothing before)
- ``ADD hits : incr`` -> token ``:``, near ``hits : incr``
- ``SET _123 = :v`` -> token ``_``, near ``SET _123`` (``_`` is no token's start, so it
  is a token of one character; ``123`` follows)
- ``... AND __typename`` -> token ``_``, near ``AND __``
- ``contains (themes, :theme`` -> token ``<EOF>``, near ``:theme``

The error position comes from lark (the first token the LALR parser cannot take, or
the first character its lexer cannot); the token boundaries around it are re-read here
with the grammar's own token shapes, a character the grammar has no token for being a
token of its own.

One syntax error is found after parsing: an operand standing where a condition belongs
(``a``, ``NOT a``, ``(a) AND b = c``). The grammar lets it through so that a function
call can stand alone; DynamoDB's parser stops at the token after the operand, and so
does this.
"""

from __future__ import annotations

import re

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from altus.dynamodb.expressions import errors
from altus.dynamodb.expressions.grammar import parser

# Whitespace (the grammar's: space, tab, CR, LF), then the next token: one of the
# grammar's terminals, longest first where they share a start, or else one character.
_NEXT = re.compile(
    r"[ \t\r\n]*(?:([#:][A-Za-z0-9_]+|[A-Za-z][A-Za-z0-9_]*|[0-9]+|<>|<=|>=|.))?", re.DOTALL
)


def parse_tree(text: str, start: str, kind: str) -> Tree[Token]:
    """The parse tree of ``text`` from the start rule ``start``; ExpressionProblem
    (``Invalid <kind>: ...``) if it is empty or does not parse."""
    if text == "":
        raise errors.invalid(kind, errors.EMPTY)
    try:
        tree = parser().parse(text, start=start)
    except UnexpectedCharacters as problem:
        at = problem.pos_in_stream
        raise syntax_error(text, at if at is not None else len(text), kind) from None
    except UnexpectedToken as problem:
        at = len(text) if problem.token.type == "$END" else problem.token.start_pos
        raise syntax_error(text, at if at is not None else len(text), kind) from None
    except UnexpectedInput:
        raise syntax_error(text, len(text), kind) from None
    _refuse_bare_operands(tree, text, kind)
    return tree


def syntax_error(text: str, offset: int, kind: str) -> errors.ExpressionProblem:
    """The syntax error of the token at (or first after) ``offset`` in ``text``."""
    spans = _spans(text)
    index = next((i for i, (begin, _) in enumerate(spans) if begin >= offset), len(spans))
    if index == len(spans):
        near = text[slice(*spans[-1])] if spans else ""
        return errors.invalid(kind, errors.syntax("<EOF>", near))
    begin, end = spans[index]
    first = spans[index - 1][0] if index > 0 else begin
    last = spans[index + 1][1] if index + 1 < len(spans) else end
    return errors.invalid(kind, errors.syntax(text[begin:end], text[first:last]))


def _spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each token of ``text``, as the error messages count them."""
    spans: list[tuple[int, int]] = []
    position = 0
    while (found := _NEXT.match(text, position)) is not None and found.group(1) is not None:
        spans.append(found.span(1))
        position = found.end()
    return spans


def _refuse_bare_operands(tree: Tree[Token], text: str, kind: str) -> None:
    """A syntax error for the first operand (in text order) that stands as a condition
    without being a function call."""
    first: int | None = None
    for node in tree.iter_subtrees():
        if node.data != "bare":
            continue
        operand = node.children[0]
        while isinstance(operand, Tree) and operand.data == "operand_parens":
            operand = operand.children[0]
        if isinstance(operand, Tree) and operand.data == "call":
            continue
        end = operand.end_pos if isinstance(operand, Token) else operand.meta.end_pos
        assert end is not None  # tokens from lark's lexer carry positions
        first = end if first is None else min(first, end)
    if first is not None:
        raise syntax_error(text, first, kind)
