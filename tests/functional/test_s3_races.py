"""S3's writes and reads racing each other, made to interleave exactly: operations are
run on the server's loop with the store wrapped so that one call stops where another
must overtake it. Of racing Completes, Aborts and part uploads one wins and no object is
left naming deleted files; a read (GET, a copy's source, Lambda's fetch) keeps the bytes
of the version it found while that version is overwritten; files of refused or
abandoned writes are removed; DeleteObjects is one write; an unexpected failure is S3's
InternalError."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from starlette.requests import Request

from altus.api.spec import Call, Members
from altus.errors import AltusError
from altus.platform import Platform
from altus.s3 import multipart_api, objects_api
from altus.s3.component import ObjectStorage
from altus.testing import Harness

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    data = tmp_path_factory.mktemp("s3-races")
    with Harness(clock=None, data_dir=data, store=f"sqlite:{data / 'altus.db'}") as made:
        yield made


@pytest.fixture(scope="module")
def s3(harness: Harness) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=harness.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )


_made = iter(range(10_000))


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"race-{next(_made)}"
    s3.create_bucket(Bucket=name)
    return name


def call_of(component: ObjectStorage, operation: str) -> Call:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [],
        "query_string": b"",
        "client": ("127.0.0.1", 1),
    }
    return Call("s3", operation, "req-test", component.account, Request(scope))


class Body:
    """A request body as operations see it: a stream, and checksums its trailer gave."""

    def __init__(self, data: bytes, at_end: Callable[[], Awaitable[None]] | None = None) -> None:
        self.data = data
        self.at_end = at_end
        self.checksums: dict[str, str] = {}

    async def stream(self) -> AsyncIterator[bytes]:
        yield self.data
        if self.at_end is not None:
            await self.at_end()


class Wrapped:
    """The component's store, with some calls overridden by a test."""

    def __init__(self, real: Any, **overrides: Callable[..., Awaitable[Any]]) -> None:
        self._real = real
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        if name in self._overrides:
            return self._overrides[name]
        return getattr(self._real, name)


def on_loop(harness: Harness, work: Callable[[ObjectStorage], Awaitable[Any]]) -> Any:
    """Run ``work`` on the server's loop with the S3 component."""

    async def run(platform: Platform) -> Any:
        component: ObjectStorage = platform.component("s3")
        real = component.store
        try:
            return await work(component)
        finally:
            component.store = real

    return harness.call(run)


def data_files(harness: Harness) -> set[str]:
    root = Path(str(harness._settings.data_dir)) / "s3" / "data"
    return {entry.name for folder in root.iterdir() for entry in folder.iterdir()}


def two_part_upload(s3: Any, bucket: str, key: str) -> tuple[str, bytes, Members]:
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    one, two = os.urandom(5 * MIB), os.urandom(100)
    first = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=one)
    second = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=2, Body=two)
    listed = {
        "Parts": [
            {"PartNumber": 1, "ETag": first["ETag"]},
            {"PartNumber": 2, "ETag": second["ETag"]},
        ]
    }
    return upload, one + two, listed


def complete_members(bucket: str, key: str, upload: str, listed: Members) -> Members:
    return {"Bucket": bucket, "Key": key, "UploadId": upload, "MultipartUpload": listed}


async def outcome(work: Awaitable[Any]) -> str:
    try:
        await work
    except AltusError as error:
        return error.code
    return "ok"


# --- multipart uploads ------------------------------------------------------------------


def test_two_completes_of_one_upload_one_wins(harness: Harness, s3: Any, bucket: str) -> None:
    upload, data, listed = two_part_upload(s3, bucket, "k")
    members = complete_members(bucket, "k", upload, listed)

    async def work(component: ObjectStorage) -> list[str]:
        real = component.store
        arrived = 0
        both = asyncio.Event()

        async def parts(*args: Any) -> Any:  # both choose their parts before either writes
            nonlocal arrived
            found = await real.parts(*args)
            arrived += 1
            if arrived == 2:
                both.set()
            await asyncio.wait_for(both.wait(), 10)
            return found

        component.store = Wrapped(real, parts=parts)
        call = call_of(component, "CompleteMultipartUpload")
        complete = multipart_api.complete_multipart_upload
        return list(
            await asyncio.gather(
                outcome(complete(component, call, members)),
                outcome(complete(component, call, members)),
            )
        )

    assert sorted(on_loop(harness, work)) == ["NoSuchUpload", "ok"]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == data


def test_a_complete_overtaken_by_an_abort_is_refused(
    harness: Harness, s3: Any, bucket: str
) -> None:
    upload, _, listed = two_part_upload(s3, bucket, "k")
    members = complete_members(bucket, "k", upload, listed)

    async def work(component: ObjectStorage) -> str:
        real = component.store
        call = call_of(component, "CompleteMultipartUpload")

        async def parts(*args: Any) -> Any:  # the Abort lands after the parts are chosen
            found = await real.parts(*args)
            await multipart_api.abort_multipart_upload(
                component, call, {"Bucket": bucket, "Key": "k", "UploadId": upload}
            )
            return found

        component.store = Wrapped(real, parts=parts)
        return await outcome(multipart_api.complete_multipart_upload(component, call, members))

    assert on_loop(harness, work) == "NoSuchUpload"
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="k")
    assert raised.value.response["Error"]["Code"] == "NoSuchKey"


def test_a_complete_overtaken_by_a_part_upload_is_refused(
    harness: Harness, s3: Any, bucket: str
) -> None:
    upload, _, listed = two_part_upload(s3, bucket, "k")
    members = complete_members(bucket, "k", upload, listed)
    again = os.urandom(5 * MIB)

    async def work(component: ObjectStorage) -> str:
        real = component.store
        call = call_of(component, "CompleteMultipartUpload")

        async def parts(*args: Any) -> Any:  # part 1 is sent again meanwhile
            found = await real.parts(*args)
            await asyncio.to_thread(
                s3.upload_part, Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=again
            )
            return found

        component.store = Wrapped(real, parts=parts)
        return await outcome(multipart_api.complete_multipart_upload(component, call, members))

    assert on_loop(harness, work) == "InvalidPart"
    # The upload is still there, with the new part 1, and completes with it.
    etag = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload)["Parts"][0]["ETag"]
    listed["Parts"][0]["ETag"] = etag
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload, MultipartUpload=listed)
    body = s3.get_object(Bucket=bucket, Key="k")["Body"].read()
    assert body[: 5 * MIB] == again and len(body) == 5 * MIB + 100


# --- readers --------------------------------------------------------------------------------


def test_a_get_in_progress_outlives_an_overwrite(harness: Harness, s3: Any, bucket: str) -> None:
    upload, data, listed = two_part_upload(s3, bucket, "k")
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload, MultipartUpload=listed)

    async def work(component: ObjectStorage) -> bytes:
        call = call_of(component, "GetObject")
        out = await objects_api.get_object(component, call, {"Bucket": bucket, "Key": "k"})
        chunks = out["Body"]
        first = await anext(chunks)
        await asyncio.to_thread(s3.put_object, Bucket=bucket, Key="k", Body=b"new")
        return first + b"".join([chunk async for chunk in chunks])

    assert on_loop(harness, work) == data
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"new"


def overwrite_when_found(
    real: Any, s3: Any, bucket: str, key: str, replacement: bytes
) -> Callable[..., Awaitable[Any]]:
    """A ``find`` that lets ``key`` be overwritten (its files freed) once it has found
    the version, before the caller can open its files."""
    done = False

    async def find(*args: Any) -> Any:
        nonlocal done
        found = await real.find(*args)
        if not done and args[1] == key:
            done = True
            await asyncio.to_thread(s3.put_object, Bucket=bucket, Key=key, Body=replacement)
        return found

    return find


def test_a_version_found_is_read_though_overwritten_meanwhile(
    harness: Harness, s3: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"old bytes")

    async def work(component: ObjectStorage) -> bytes:
        component.store = Wrapped(
            component.store, find=overwrite_when_found(component.store, s3, bucket, "k", b"new")
        )
        call = call_of(component, "GetObject")
        out = await objects_api.get_object(component, call, {"Bucket": bucket, "Key": "k"})
        return b"".join([chunk async for chunk in out["Body"]])

    assert on_loop(harness, work) == b"old bytes"

    # Lambda's fetch of code too.
    s3.put_object(Bucket=bucket, Key="code", Body=b"old code")

    async def fetched(component: ObjectStorage) -> bytes:
        component.store = Wrapped(
            component.store,
            find=overwrite_when_found(component.store, s3, bucket, "code", b"new"),
        )
        return await component.fetch(bucket, "code", None, 1000)

    assert on_loop(harness, fetched) == b"old code"


def test_a_copy_whose_source_is_overwritten_meanwhile(
    harness: Harness, s3: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="source", Body=b"old source")

    async def work(component: ObjectStorage) -> str:
        component.store = Wrapped(
            component.store,
            find=overwrite_when_found(component.store, s3, bucket, "source", b"new"),
        )
        call = call_of(component, "CopyObject")
        members = {"Bucket": bucket, "Key": "copy", "CopySource": f"{bucket}/source"}
        return await outcome(objects_api.copy_object(component, call, members))

    assert on_loop(harness, work) == "ok"
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"old source"
    assert s3.get_object(Bucket=bucket, Key="source")["Body"].read() == b"new"


# --- files of writes that do not happen -------------------------------------------------------


def test_no_file_is_left_by_a_put_refused_or_abandoned(
    harness: Harness, s3: Any, bucket: str
) -> None:
    before = data_files(harness)

    async def bucket_gone(component: ObjectStorage) -> str:
        async def delete() -> None:  # the bucket goes while the body is on its way
            await component.delete_bucket(bucket)

        call = call_of(component, "PutObject")
        members = {"Bucket": bucket, "Key": "k", "Body": Body(b"data", delete)}
        return await outcome(objects_api.put_object(component, call, members))

    assert on_loop(harness, bucket_gone) == "NoSuchBucket"
    assert data_files(harness) == before

    s3.create_bucket(Bucket=bucket)

    async def cancelled(component: ObjectStorage) -> bool:
        call = call_of(component, "PutObject")
        members = {"Bucket": bucket, "Key": "k", "Body": Body(b"data")}
        async with component.locked(bucket, "k"):
            task = asyncio.ensure_future(objects_api.put_object(component, call, members))
            for _ in range(1000):  # bounded: until its body is on disk, waiting for the lock
                if len(data_files(harness)) > len(before):
                    break
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        return True

    assert on_loop(harness, cancelled)
    assert data_files(harness) == before


# --- DeleteObjects, failures --------------------------------------------------------------------


def test_delete_objects_is_one_write(harness: Harness, s3: Any, bucket: str) -> None:
    keys = [f"k{i}" for i in range(20)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    before = data_files(harness)

    async def work(component: ObjectStorage) -> tuple[int, Members]:
        real = component.store
        writes = 0

        def counted(name: str) -> Callable[..., Awaitable[Any]]:
            async def write(*args: Any) -> Any:
                nonlocal writes
                writes += 1
                return await getattr(real, name)(*args)

            return write

        names = ("apply", "add_version", "remove_version")
        component.store = Wrapped(real, **{name: counted(name) for name in names})
        call = call_of(component, "DeleteObjects")
        members = {"Bucket": bucket, "Delete": {"Objects": [{"Key": k} for k in keys]}}
        out = await objects_api.delete_objects(component, call, members)
        return writes, out

    writes, out = on_loop(harness, work)
    assert writes == 1 and len(out["Deleted"]) == len(keys)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    assert len(before - data_files(harness)) == len(keys)


def test_an_unexpected_failure_is_an_internal_error(harness: Harness, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")

    async def broken(*args: Any) -> Any:
        raise RuntimeError("the disk caught fire")

    async def work(component: ObjectStorage) -> tuple[str, int]:
        component.store = Wrapped(component.store, find=broken)
        try:
            await asyncio.to_thread(s3.get_object, Bucket=bucket, Key="k")
        except ClientError as error:
            return error.response["Error"]["Code"], error.response["ResponseMetadata"][
                "HTTPStatusCode"
            ]
        return "", 200

    assert on_loop(harness, work) == ("InternalError", 500)
