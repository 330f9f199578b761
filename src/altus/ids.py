"""Request ids: UUID-shaped (version 4), unique, not secret.

``uuid.uuid4`` reads ``os.urandom``: a system call of ~10 µs here, paid twice per
invoke before. These ids identify requests, invocations, Event invokes and queue
messages in logs, headers and answers; nothing is guarded by their being unpredictable
(receipt handles are, and stay random), so they come from the process's PRNG, and are
formatted without a ``uuid.UUID`` (a third of the cost).
"""

from __future__ import annotations

import random

_random = random.Random()
#: The version (4) and variant (RFC 4122) bits of a UUID, and the bits they replace.
_FIXED = (0x4 << 76) | (0x8 << 60)
_CLEARED = ~((0xF << 76) | (0xC << 60))


def request_id() -> str:
    text = "%032x" % ((_random.getrandbits(128) & _CLEARED) | _FIXED)
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
