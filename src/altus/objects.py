"""What other services read stored objects through: Lambda takes a function's or a
layer's code from a bucket (``Code.S3Bucket``/``S3Key``/``S3ObjectVersion``). The object
store (``altus.s3``) implements it; readers find it as the platform's ``s3`` component,
so no service imports another.
"""

from __future__ import annotations

from typing import Protocol


class ObjectUnavailable(Exception):
    """The object cannot be read: ``code`` and ``message`` are S3's own error (NoSuchBucket,
    NoSuchKey, NoSuchVersion, EntityTooLarge), which Lambda quotes in its refusal."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ObjectSource(Protocol):
    async def fetch(self, bucket: str, key: str, version_id: str | None, limit: int) -> bytes:
        """The whole object (its latest version, or ``version_id``'s) of at most ``limit``
        bytes; raises ObjectUnavailable (EntityTooLarge past ``limit``)."""
        ...
