"""What a read returns, decided before any byte is read (pure): the byte range a
``Range`` header asks for, and the outcome of the conditional headers in S3's
precedence (RFC 7232's):

- ``If-Match`` fails: 412; if it holds, ``If-Unmodified-Since`` is not looked at;
- otherwise ``If-Unmodified-Since`` fails: 412;
- ``If-None-Match`` matches: 304 (a copy's source: 412); if it does not,
  ``If-Modified-Since`` is not looked at;
- otherwise ``If-Modified-Since`` fails: 304 (a copy's source: 412).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from altus.s3.errors import InvalidRange, NotModified, PreconditionFailed


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def byte_range(header: str | None, size: int) -> ByteRange | None:
    """The range a ``Range`` header asks of an object of ``size`` bytes; None for the
    whole object (no header, or one S3 ignores: not ``bytes=``, several ranges, not
    numbers, a last byte before the first). Raises InvalidRange (416) for a range that
    begins past the object's end, or an empty suffix."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    if (first and not first.isdigit()) or (last and not last.isdigit()) or not (first or last):
        return None
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(header, size)
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise _unsatisfiable(header, size)
    return ByteRange(start, min(end, size - 1))


def _unsatisfiable(header: str, size: int) -> InvalidRange:
    return InvalidRange(
        "The requested range is not satisfiable",
        RangeRequested=header,
        ActualObjectSize=str(size),
    )


def _etags(header: str) -> set[str]:
    return {part.strip().strip('"') for part in header.split(",") if part.strip()}


def _matches(header: str, etag: str) -> bool:
    wanted = _etags(header)
    return "*" in wanted or etag.strip('"') in wanted


def _seconds(moment: datetime.datetime) -> int:
    """HTTP dates have whole seconds: compare at that precision."""
    return int(moment.timestamp())


def check_conditions(
    etag: str,
    modified: datetime.datetime,
    *,
    if_match: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: datetime.datetime | None = None,
    if_unmodified_since: datetime.datetime | None = None,
    copy_source: bool = False,
) -> None:
    """Raise PreconditionFailed (412) or NotModified (304) where the conditions say so;
    for a copy's source every failure is a 412."""
    changed = _seconds(modified)
    if if_match is not None:
        if not _matches(if_match, etag):
            raise _failed("If-Match" if not copy_source else "x-amz-copy-source-If-Match")
    elif if_unmodified_since is not None and changed > _seconds(if_unmodified_since):
        raise _failed(
            "If-Unmodified-Since" if not copy_source else "x-amz-copy-source-If-Unmodified-Since"
        )
    if if_none_match is not None:
        if _matches(if_none_match, etag):
            if copy_source:
                raise _failed("x-amz-copy-source-If-None-Match")
            raise NotModified("Not Modified")
    elif if_modified_since is not None and changed <= _seconds(if_modified_since):
        if copy_source:
            raise _failed("x-amz-copy-source-If-Modified-Since")
        raise NotModified("Not Modified")


def _failed(condition: str) -> PreconditionFailed:
    return PreconditionFailed(
        "At least one of the pre-conditions you specified did not hold", Condition=condition
    )
