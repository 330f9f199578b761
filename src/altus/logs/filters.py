"""CloudWatch Logs filter patterns, for FilterLogEvents: the syntax is ``patterns/``;
here a pattern that does not parse becomes AWS's refusal, and so does one whose
regex takes too long on an event (rather than leaving that event out unseen: the
caller learns which regex to simplify)."""

from __future__ import annotations

from altus.logs.errors import InvalidParameter
from altus.logs.patterns import FilterPattern, MatchTimeout, PatternError, compile_pattern

#: CloudWatch Logs' words for a pattern it cannot read.
INVALID = "Invalid filter pattern"


def compile_filter(pattern: str | None) -> FilterPattern | None:
    """The pattern (``search(message)`` says whether a message matches), or None for an
    empty one (everything matches); InvalidParameterException if it does not parse."""
    try:
        return compile_pattern(pattern)
    except PatternError:
        raise InvalidParameter(INVALID) from None


def too_slow(problem: MatchTimeout) -> InvalidParameter:
    """The refusal of a pattern whose regex took too long on an event."""
    return InvalidParameter(f"{INVALID}: {problem}; simplify the regular expression")
