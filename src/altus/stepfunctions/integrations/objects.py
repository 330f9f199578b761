"""What the distributed Map's ``ItemReader`` and ``ResultWriter`` ask of S3
(``arn:aws:states:::s3:getObject``, ``s3:listObjectsV2``, ``s3:putObject``): the calls
themselves, as the execution's role, in the shapes the interpreter reads.

- ``getObject`` answers the object's text (the interpreter parses it as its
  ``ReaderConfig.InputType`` says: JSON, JSONL, CSV, a manifest).
- ``listObjectsV2`` answers every object under the prefix, all pages, each as the item AWS
  hands an iteration: ``{Etag, Key, LastModified (epoch seconds), Size, StorageClass}``.
- ``putObject`` writes ``Body`` (text: as it is; any other JSON value: its JSON text) and
  answers S3's response.

Failures are S3's, named as the optimized integrations name them (``S3.NoSuchKeyException``,
``S3.AmazonS3Exception``); the interpreter reports them as ``States.ItemReaderFailed`` or
``States.ResultWriterFailed``.
"""

from __future__ import annotations

import datetime
from typing import Any

from altus.asl.host import TaskRequest
from altus.stepfunctions.integrations.common import call_optimized, members, present, role_of
from altus.stepfunctions.integrations.ports import SdkCaller
from altus.stepfunctions.integrations.wire import as_text

#: The most pages of a listing read (a million objects at S3's thousand a page).
MAX_PAGES = 1000


class Objects:
    def __init__(self, calls: SdkCaller) -> None:
        self._calls = calls

    async def get_object(self, request: TaskRequest) -> str:
        params = present(members(request))
        response = await call_optimized(self._calls, "s3", "GetObject", params, role_of(request))
        return str(response.members.get("Body", ""))

    async def list_objects(self, request: TaskRequest) -> list[dict[str, Any]]:
        params = present(members(request))
        role = role_of(request)
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            response = await call_optimized(self._calls, "s3", "ListObjectsV2", params, role)
            page = response.members
            items += [_item(found) for found in page.get("Contents", [])]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
            params = {**params, "ContinuationToken": token}
        return items

    async def put_object(self, request: TaskRequest) -> dict[str, Any]:
        params = present(members(request))
        params["Body"] = as_text(params.get("Body", "")).encode()
        response = await call_optimized(self._calls, "s3", "PutObject", params, role_of(request))
        return response.members


def _item(found: dict[str, Any]) -> dict[str, Any]:
    modified = found.get("LastModified")
    seconds = (
        int(datetime.datetime.fromisoformat(modified.replace("Z", "+00:00")).timestamp())
        if isinstance(modified, str)
        else modified
    )
    return {
        "Etag": found.get("ETag"),
        "Key": found.get("Key"),
        "LastModified": seconds,
        "Size": found.get("Size"),
        "StorageClass": found.get("StorageClass", "STANDARD"),
    }
