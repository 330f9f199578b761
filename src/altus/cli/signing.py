"""The CLI's requests signed with SigV4 (botocore's signer, as boto3 signs), so that they
pass a server that runs with ``--auth iam``: an ``httpx.Auth`` that signs each request
with an access key for the service it calls."""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from altus.identity.keys import read_credentials

#: Headers an intermediary may change, so they are never signed (botocore's list).
_UNSIGNED = {"user-agent", "expect", "connection", "transfer-encoding", "accept-encoding"}


class SigV4(httpx.Auth):
    requires_request_body = True

    def __init__(self, key_id: str, secret: str, region: str, service: str = "lambda") -> None:
        self._credentials = Credentials(key_id, secret)
        self._region = region
        self._service = service

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        service = request.extensions.get("altus_service", self._service)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _UNSIGNED}
        signable = AWSRequest(
            method=request.method, url=str(request.url), data=request.content, headers=headers
        )
        SigV4Auth(self._credentials, service, self._region).add_auth(signable)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in signable.headers:
                request.headers[name] = signable.headers[name]
        yield request


def local_credentials(data_dir: str | Path | None = None) -> SigV4 | None:
    """Signing with the administrator key ``altus up`` wrote into its data directory
    (``data_dir``, else ``ALTUS_DATA_DIR``, else ``.altus``) in the region written with
    it, if the key is there."""
    folder = Path(data_dir or os.environ.get("ALTUS_DATA_DIR") or ".altus")
    found = read_credentials(folder / "credentials")
    if found is None:
        return None
    key_id, secret, region = found
    return SigV4(key_id, secret, region or "us-east-1")
