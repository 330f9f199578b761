"""Where a function's or a layer's package comes from: the request itself (``ZipFile``)
or an object in a bucket (``S3Bucket``, ``S3Key``, ``S3ObjectVersion``), read through the
object store (``altus.objects``) when the platform has one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.control.errors import InvalidParameterValue
from altus.objects import ObjectSource, ObjectUnavailable

#: The largest package read from a bucket: a zip no larger than what it may unzip to.
MAX_S3_PACKAGE_BYTES = 262_144_000


class CodeSource:
    def __init__(self, objects: ObjectSource | None = None) -> None:
        self._objects = objects

    async def zip_of(self, source: Mapping[str, Any], what: str) -> bytes:
        """The zip a Code or Content member names. Raises InvalidParameterValue, with
        S3's own error quoted where the object cannot be read, as Lambda words it."""
        bucket, key = source.get("S3Bucket"), source.get("S3Key")
        data = source.get("ZipFile")
        if data and (bucket or key):
            raise InvalidParameterValue(
                f"Please provide only one source for {what}: ZipFile, or S3Bucket and S3Key."
            )
        if data:
            assert isinstance(data, bytes)  # the API model's blob, decoded
            return data
        if not bucket or not key:
            if bucket or key:
                raise InvalidParameterValue(f"Please provide both S3Bucket and S3Key for {what}.")
            raise InvalidParameterValue(f"Please provide a source for {what}: ZipFile or S3.")
        if self._objects is None:
            raise InvalidParameterValue(
                "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error "
                "Message: The specified bucket does not exist"
            )
        try:
            return await self._objects.fetch(
                bucket, key, source.get("S3ObjectVersion"), MAX_S3_PACKAGE_BYTES
            )
        except ObjectUnavailable as error:
            raise InvalidParameterValue(
                f"Error occurred while GetObject. S3 Error Code: {error.code}. "
                f"S3 Error Message: {error.message}"
            ) from None
