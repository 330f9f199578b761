"""The grammar of CloudWatch Logs' filter patterns (FilterLogEvents' ``filterPattern``),
parsed by lark's LALR parser with its contextual lexer (so ``IS``, ``NULL``, ``EXISTS``
are keywords only where a keyword may stand, and a value may be ``TRUE``).

Three start rules, chosen by the pattern's first character (``syntax.py``):

- ``terms``: words, ``"quoted phrases"`` and ``%regex%``, each optionally marked ``?``
  (any of these) or ``-`` (none of these).
- ``json_pattern``: ``{ $.a.b[0] = "v" && ($.n > 3 || $.c NOT EXISTS) }``; ``&&`` binds
  tighter than ``||``, as the guide says.
- ``delimited_pattern``: ``[ip, user, ..., status = 4* || status = 5*, bytes > 1000]``;
  an empty slot (``[a, , c]``, a trailing comma) is a field of no name.

A value (the right side of a comparison) is a ``"quoted string"``, a ``%regex%`` or a
bare run of characters (``4*``, ``123.123.*``, ``-1.5e3``); whether a bare value is a
number is decided after parsing (``build.py``), so one token serves both.
"""

from __future__ import annotations

import functools

from lark import Lark

GRAMMAR = r"""
terms: term*
term: SIGN? (PHRASE | REGEX | WORD)
SIGN: "?" | "-"
PHRASE: /"(?:[^"\\]|\\.)*"/
WORD: /[^\s"%?\-]\S*/
REGEX: /%(?:[^%\\]|\\.)+%/

json_pattern: "{" _json_or "}"
_json_or: json_and | json_or
json_or: json_and ("||" json_and)+
?json_and: json_atom | json_and_many
json_and_many: json_atom ("&&" json_atom)+
?json_atom: "(" _json_or ")" | json_test
json_test: SELECTOR COMPARATOR value -> json_compare
    | SELECTOR IS NULL -> json_null
    | SELECTOR IS TRUE -> json_true
    | SELECTOR IS FALSE -> json_false
    | SELECTOR EXISTS -> json_exists
    | SELECTOR NOT EXISTS -> json_not_exists
SELECTOR: /\$(\.[A-Za-z0-9_\-@]+|\[[0-9]+\])*/

delimited_pattern: "[" [slot] ("," [slot])* "]"
?slot: ELLIPSIS -> ellipsis
    | NAME -> named
    | _delim_or -> condition
_delim_or: delim_and | delim_or
delim_or: delim_and ("||" delim_and)+
?delim_and: delim_atom | delim_and_many
delim_and_many: delim_atom ("&&" delim_atom)+
?delim_atom: "(" _delim_or ")" | delim_compare
delim_compare: NAME COMPARATOR value
ELLIPSIS: "..."
NAME: /[A-Za-z0-9_]+/

value: PHRASE | REGEX | BARE
BARE: /[^\s"%(){}\[\],&|=!<>]+/
COMPARATOR: "!=" | "<=" | ">=" | "=" | "<" | ">"
IS: "IS"i
NULL: "NULL"i
TRUE: "TRUE"i
FALSE: "FALSE"i
EXISTS: "EXISTS"i
NOT: "NOT"i

%ignore /[ \t\r\n]+/
"""

STARTS = ("terms", "json_pattern", "delimited_pattern")


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    """The LALR parser of :data:`GRAMMAR` (built once: building takes tens of ms)."""
    return Lark(GRAMMAR, parser="lalr", lexer="contextual", start=list(STARTS))
