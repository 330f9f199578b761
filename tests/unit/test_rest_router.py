"""The REST router: an operation from a method, a path and what the request carries."""

from __future__ import annotations

from typing import Any

import pytest

from altus.api.model import service_model
from altus.api.protocols.rest import Router


@pytest.fixture(scope="module")
def s3() -> Router:
    return Router(service_model("s3"))


@pytest.fixture(scope="module")
def lam() -> Router:
    return Router(service_model("lambda"))


def operation(
    router: Router, method: str, path: str, query: dict[str, list[str]], headers: dict[str, Any]
) -> str | None:
    found = router.match(method, path, query, headers)
    return None if found is None else found[0]


@pytest.mark.parametrize(
    ("method", "query", "headers", "expected"),
    [
        ("PUT", {}, {}, "PutObject"),
        ("PUT", {}, {"x-amz-copy-source": "b/k"}, "CopyObject"),
        ("PUT", {"partNumber": ["1"], "uploadId": ["u"]}, {}, "UploadPart"),
        (
            "PUT",
            {"partNumber": ["1"], "uploadId": ["u"]},
            {"x-amz-copy-source": "b/k"},
            "UploadPartCopy",
        ),
        ("PUT", {"tagging": [""]}, {}, "PutObjectTagging"),
        ("GET", {}, {}, "GetObject"),
        ("GET", {"uploadId": ["u"]}, {}, "ListParts"),
        ("DELETE", {}, {}, "DeleteObject"),
        ("DELETE", {"uploadId": ["u"]}, {}, "AbortMultipartUpload"),
        ("POST", {"uploads": [""]}, {}, "CreateMultipartUpload"),
        # A required member missing: still the operation its URI names, to be refused
        # for the member rather than answered as another operation.
        ("GET", {"attributes": [""]}, {}, "GetObjectAttributes"),
    ],
)
def test_one_uri_many_operations(
    s3: Router, method: str, query: dict[str, list[str]], headers: dict[str, Any], expected: str
) -> None:
    assert operation(s3, method, "/photos/2026/a.jpg", query, headers) == expected


def test_labels_are_decoded_after_matching(s3: Router) -> None:
    found = s3.match("GET", "/photos/a%2Fb%20c.jpg", {}, {})
    assert found == ("GetObject", {"Bucket": "photos", "Key": "a/b c.jpg"})


def test_longer_literal_paths_win(lam: Router) -> None:
    assert operation(lam, "GET", "/2021-10-31/functions/f/url", {}, {}) == "GetFunctionUrlConfig"
    assert operation(lam, "GET", "/2015-03-31/functions/f", {}, {}) == "GetFunction"
    assert operation(lam, "GET", "/2015-03-31/functions/f/", {}, {}) == "GetFunction"
    assert operation(lam, "GET", "/2015-03-31/nowhere", {}, {}) is None
    assert operation(lam, "PATCH", "/2015-03-31/functions/f", {}, {}) is None
