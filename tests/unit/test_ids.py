"""Request ids are version-4 UUIDs, as Lambda's are, and do not repeat."""

from __future__ import annotations

import uuid

from altus.ids import request_id


def test_request_ids_are_version_4_uuids_in_canonical_form() -> None:
    seen = set()
    for _ in range(2000):
        text = request_id()
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == text
        seen.add(text)
    assert len(seen) == 2000
