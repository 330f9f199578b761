"""CloudWatch Logs' filter pattern syntax (``altus.logs.patterns``), against the guide's
examples: terms, JSON patterns, space-delimited patterns, regexes, and refusals."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from altus.logs.errors import InvalidParameter
from altus.logs.filters import compile_filter
from altus.logs.patterns import MatchTimeout, PatternError, compile_pattern


def hits(pattern: str, *messages: str) -> list[bool]:
    compiled = compile_pattern(pattern)
    assert compiled is not None
    return [compiled.search(m) for m in messages]


# --- terms ---------------------------------------------------------------------------


def test_terms_all_must_occur_case_sensitively() -> None:
    assert hits("ERROR", "[ERROR] fatal", "Exiting with ERRORCODE: -1", "error") == [
        True,
        True,
        False,
    ]
    assert hits("ERROR Exception", "[ERROR] Unhandled Exception", "[ERROR] x") == [True, False]


def test_phrases_exclusions_and_any_of() -> None:
    lines = ["ERROR WARN message", "ERROR message", "WARN message"]
    assert hits("?ERROR ?WARN", *lines) == [True, True, True]
    assert hits("ERROR WARN", *lines) == [True, False, False]
    assert hits("ERROR -WARN", *lines) == [False, True, False]
    assert hits('"ERROR message"', *lines) == [False, True, False]
    assert hits('"ERROR" -"Exiting"', "ERROR x", "Exiting with ERROR") == [True, False]
    assert hits('"ERROR" - "Exiting"', "ERROR x", "Exiting with ERROR") == [True, False]
    assert hits("pre-made", "hello from the pre-made group") == [True]


def test_regex_terms() -> None:
    assert hits("%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED", "[OK 200] AUTHORIZED", "no") == [
        True,
        True,
        False,
    ]
    assert hits(r"%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%", "from 10.0.0.1 in", "from x") == [
        True,
        False,
    ]
    assert hits("%^[hc]at%", "hat trick", "that") == [True, False]
    assert hits("%[Ee]rror|[Ff]ail%", "an error", "Fail!", "ok") == [True, True, False]


@given(st.text(alphabet="abcXYZ01_", min_size=1, max_size=6), st.text(max_size=40))
def test_a_word_matches_exactly_where_it_is_a_substring(word: str, message: str) -> None:
    assert hits(word, message) == [word in message]
    assert hits(f"-{word}", message) == [word not in message]


# --- JSON ----------------------------------------------------------------------------

EVENT = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "111.111.111.111",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "ThisFlag": True,
        "latency": 1500,
        "user": {"id": 1, "email": "John.Stiles@example.com"},
        "users": [{"id": 2, "email": "John.Doe@example.com"}],
        "actions": ["GET", "PUT", "DELETE"],
        "coordinates": [[0, 1, 2], [4, 5, 6]],
    }
)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ("{ $.eventType = UpdateTrail }", True),
        ("{ $.eventType = Update* }", True),
        ("{ $.eventType = *Trail }", True),
        ("{ $.eventType = *date* }", True),
        ("{ $.eventType = Up*Trail }", False),
        ("{ $.eventType != UpdateTrail }", False),
        ("{ $.sourceIPAddress != 123.123.* }", True),
        ('{ $.arrayKey[0] = "value" }', True),
        ("{ $.objectList[1].id = 2 }", True),
        ("{ $.objectList[5].id = 2 }", False),
        ("{ $.SomeObject IS NULL }", True),
        ("{ $.eventType IS NULL }", False),
        ("{ $.SomeOtherObject NOT EXISTS }", True),
        ("{ $.SomeObject EXISTS }", True),
        ("{ $.ThisFlag IS TRUE }", True),
        ("{ $.ThisFlag IS FALSE }", False),
        ("{ $.latency >= 500 }", True),
        ("{ $.latency < 10e3 }", True),
        ("{ $.latency > +1000 }", True),
        ("{ $.latency = 1500 }", True),
        ("{ $.latency != 1500 }", False),
        ("{ $.eventType > 3 }", False),
        ("{ $.users = 1 }", False),
        ("{ $.users != 1 }", False),
        ("{ $.missing != 1 }", False),
        ("{ $.eventType = %Update.*l% }", True),
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch'
            " && $.actions[2] = nomatch }",
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch)'
            " && $.actions[2] = nomatch }",
            False,
        ),
        ("{ $.coordinates[1][2] = 6 }", True),
    ],
)
def test_json_patterns(pattern: str, expected: bool) -> None:
    assert hits(pattern, EVENT) == [expected]


def test_json_patterns_never_match_other_messages() -> None:
    assert hits("{ $.a NOT EXISTS }", "not json", '{"a": 1}', "{}") == [False, False, True]


# --- space-delimited -------------------------------------------------------------------

APACHE = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /index.html HTTP/1.0" 404 5324',
    '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 403 355',
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ip, user, username, timestamp, request, status_code, bytes]", [True] * 3),
        ("[ip, user, username, timestamp, request, status_code]", [False] * 3),
        ("[..., status_code, bytes]", [True] * 3),
        ("[ip, user, ..., status_code, bytes]", [True] * 3),
        ("[ip, user, ...]", [True] * 3),
        (
            "[ip, user, username, timestamp, request, status_code, bytes > 1000]",
            [True, True, False],
        ),
        (
            "[ip, user, username, timestamp, request, status_code = 200, bytes]",
            [True, False, False],
        ),
        ("[ip, user, username, timestamp, request, status_code = 4*, bytes]", [False, True, True]),
        ("[ip, user, ..., request = *html*, status_code = 4*, bytes]", [False, True, False]),
        ("[..., status_code = 4* && status_code != 403, bytes]", [False, True, False]),
        ("[..., status_code = 200 || status_code = 403, bytes]", [True, False, True]),
        ("[..., request=*.html*, status_code=4*,]", [False, True, False]),
        ("[ip, ..., code = %40[34]%, bytes]", [False, True, True]),
        ('[ip, user = "-", ...]', [True] * 3),
    ],
)
def test_space_delimited_patterns(pattern: str, expected: list[bool]) -> None:
    assert hits(pattern, *APACHE) == expected


def test_space_delimited_or_on_words() -> None:
    lines = ["ERROR WARN message", "ERROR message", "WARN message"]
    assert hits("[w1=ERROR, w2]", *lines) == [False, True, False]
    assert hits("[w1=ERROR || w1=WARN, w2]", *lines) == [False, True, True]


# --- refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.a = }",
        "{ $.a = 1",
        "{ a = 1 }",
        "{ $.a > abc }",
        "{ $.a IS MAYBE }",
        "{ $.a = 1 && }",
        "[a, b",
        "[a, b > x]",
        "[a, c = 1 && d = 2]",
        '"unterminated',
        "%something!%",
        "%(group)%",
        "%é%",
        "ERROR ?",
        "-",
        "{ $.a = %x% || $.b = %y% || $.c = %z% }",
    ],
)
def test_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)
    with pytest.raises(InvalidParameter, match="Invalid filter pattern"):
        compile_filter(pattern)


def test_empty_matches_everything() -> None:
    assert compile_pattern("") is None and compile_pattern("   ") is None
    assert compile_filter(None) is None


# --- what a caller's pattern or event cannot do -----------------------------------------


def test_a_regex_that_takes_too_long_raises_match_timeout() -> None:
    # Exponential for a backtracking engine: the match is cut off, not left to run.
    compiled = compile_pattern("%a*a*a*a*a*a*a*a*a*c%")
    assert compiled is not None
    with pytest.raises(MatchTimeout) as raised:
        compiled.search("a" * 3000 + "bc")
    assert "a*a*a*a*a*a*a*a*a*c" in str(raised.value)
    assert compiled.search("ac")  # a quick match is a match


def test_many_ellipses_match_in_polynomial_time() -> None:
    message = " ".join(["w"] * 300)
    assert hits("[..., a = x, ..., b = y, ...]", message) == [False]
    assert hits("[a, ..., b, ..., c, ..., d, ..., e = zz]", message) == [False]
    assert hits("[..., a = w, ..., b = w, ..., c = w]", message) == [True]
    assert hits("[..., a = x, ..., b = w]", message + " x w", message + " x") == [True, False]
    assert hits("[..., a = x, ..., b = w]", "w x w w") == [True]


def test_a_condition_names_its_own_slot_only() -> None:
    with pytest.raises(PatternError, match="its own field"):
        compile_pattern("[a, b = 1 || a = 2]")
    assert hits("[a, b = 1 || b = 2]", "x 2", "x 3") == [True, False]


def test_numbers_past_a_float_and_documents_past_reading_do_not_raise() -> None:
    huge = '{"a": ' + "1" * 400 + "}"
    assert hits("{ $.a > 1 }", huge) == [False]  # not comparable as a number
    assert hits("{ $.a = 1 }", huge) == [False]
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    assert hits("{ $.a = 1 }", deep) == [False]  # not readable: not JSON
    assert hits("{ $.a NOT EXISTS }", deep) == [False]
