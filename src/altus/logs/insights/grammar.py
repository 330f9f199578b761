"""The grammar of CloudWatch Logs Insights' query language (the commands Altus serves),
parsed by lark's LALR parser with its contextual lexer: a keyword (``by``, ``as``,
``desc``, ``like`` ...) is one only where the grammar expects it, and ``/`` is a regex
where a value may start and division after one.

A query is commands joined by ``|``; ``#`` starts a comment to the end of the line.
Field names are ``@name``, dotted JSON paths (``a.b.0``) or anything in backquotes;
strings take single or double quotes; regexes ``/.../`` (``(?<name>...)`` groups as
``parse`` uses them); durations (``bin(5m)``) are numbers with a unit.
"""

from __future__ import annotations

import functools

from lark import Lark

GRAMMAR = r"""
query: command ("|" command)*
?command: fields_cmd | display_cmd | filter_cmd | stats_cmd | sort_cmd | limit_cmd
    | parse_cmd | dedup_cmd
fields_cmd: FIELDS named_expr ("," named_expr)*
display_cmd: DISPLAY field ("," field)*
filter_cmd: FILTER expr
stats_cmd: STATS named_expr ("," named_expr)* [BY named_expr ("," named_expr)*]
sort_cmd: SORT [BY] sort_key ("," sort_key)*
sort_key: expr [ASC | DESC]
limit_cmd: LIMIT NUMBER
parse_cmd: PARSE [source] STRING AS field ("," field)* -> parse_glob
    | PARSE [source] REGEX -> parse_regex
// Not an expression: after one, ``/`` divides (after a field, a regex would be taken
// for a division's operands).
source: NAME | QUOTED_NAME
dedup_cmd: DEDUP field ("," field)*
named_expr: expr [AS field]

?expr: or_expr
?or_expr: and_expr | or_expr OR and_expr -> or_
?and_expr: not_expr | and_expr AND not_expr -> and_
?not_expr: comparison | NOT not_expr -> not_
?comparison: sum
    | sum COMPARATOR sum -> compare
    | sum LIKE (STRING | REGEX) -> like
    | sum NOT LIKE (STRING | REGEX) -> not_like
    | sum MATCHES REGEX -> like
    | sum IN list -> in_
    | sum NOT IN list -> not_in
?sum: product | sum ADD_OP product -> arithmetic
?product: unary | product MUL_OP unary -> arithmetic
?unary: atom | "-" unary -> negate
?atom: NUMBER -> number
    | DURATION -> duration
    | STRING -> string
    | field
    | call
    | list
    | "(" expr ")"
list: "[" [expr ("," expr)*] "]"
call: NAME "(" [argument ("," argument)*] ")"
?argument: expr | STAR -> star
field: NAME | QUOTED_NAME

FIELDS: "fields"i
DISPLAY: "display"i
FILTER: "filter"i
STATS: "stats"i
SORT: "sort"i
LIMIT: "limit"i
PARSE: "parse"i
DEDUP: "dedup"i
BY: "by"i
AS: "as"i
ASC: "asc"i
DESC: "desc"i
AND: "and"i
OR: "or"i
NOT: "not"i
LIKE: "like"i
IN: "in"i
MATCHES.2: "=~"
STAR: "*"
COMPARATOR: "!=" | "<=" | ">=" | "==" | "=" | "<" | ">"
ADD_OP: "+" | "-"
MUL_OP: "*" | "/" | "%" | "^"
DURATION.2: /\d+(\.\d+)?(UNITS)(?![A-Za-z0-9_])/
NUMBER: /\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?/
NAME: /@?[A-Za-z_@$][A-Za-z0-9_.@$]*/
QUOTED_NAME: /`[^`]+`/
STRING: /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/
REGEX: /\/(?:[^\/\\\n]|\\.)+\/[a-z]*/

%ignore /[ \t\r\n]+/
%ignore /#[^\n]*/
"""

#: The units a duration takes (``bin(5m)``, ``30seconds``), longest spelling first.
UNITS = (
    "ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|months?|mo"
    "|quarters?|q|years?|y"
)


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    """The LALR parser of :data:`GRAMMAR` (built once), keeping positions: a column's
    name is its expression as written, and a syntax error says where it is."""
    return Lark(
        GRAMMAR.replace("UNITS", UNITS),
        parser="lalr",
        lexer="contextual",
        start="query",
        propagate_positions=True,
    )
