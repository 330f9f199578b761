"""Request ids: UUID-shaped (version 4), unique, not secret.

``uuid.uuid4`` reads ``os.urandom``: a system call of ~10 µs here, paid twice per
invoke before. These ids identify requests and invocations in logs and headers; nothing
is guarded by their being unpredictable, so they come from the process's PRNG.
"""

from __future__ import annotations

import random
import uuid

_random = random.Random()


def request_id() -> str:
    return str(uuid.UUID(int=_random.getrandbits(128), version=4))
