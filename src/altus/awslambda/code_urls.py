"""GetFunction's and GetLayerVersion's ``Code.Location``: a URL that downloads the
package with no credentials for ten minutes, as Lambda's presigned S3 URLs do. Altus
serves the package itself; the URL carries its expiry and an HMAC of the package and
expiry under a key kept in the data directory, so it works in every auth mode and only
until it expires."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from altus.clock import Clock
from altus.store.secrets import key_file

#: How long a location works (Lambda's: 10 minutes).
LIFETIME_SECONDS = 600
_HEX = frozenset("0123456789abcdef")


class CodeUrls:
    def __init__(self, data_dir: Path, clock: Clock) -> None:
        self._key = key_file(data_dir / "code-url.key", lambda: secrets.token_hex(32).encode())
        self._clock = clock

    def location(self, base_url: str, digest: str) -> str:
        expires = int(self._clock.now()) + LIFETIME_SECONDS
        signature = self._sign(digest, expires)
        return f"{base_url}/_altus/code/{digest}.zip?Expires={expires}&Signature={signature}"

    def _sign(self, digest: str, expires: int) -> str:
        return hmac.new(self._key, f"{digest}:{expires}".encode(), hashlib.sha256).hexdigest()

    def allows(self, digest: str, expires: str, signature: str) -> bool:
        if not (expires.isascii() and expires.isdigit() and len(expires) <= 12):
            return False
        if len(signature) != 64 or not set(signature) <= _HEX:
            return False
        if int(expires) < self._clock.now():
            return False
        return hmac.compare_digest(self._sign(digest, int(expires)), signature)

    def routes(self, zip_path: Callable[[str], Path]) -> list[BaseRoute]:
        async def download(request: Request) -> Response:
            digest = request.path_params["digest"]
            params = request.query_params
            if len(digest) != 64 or not set(digest) <= _HEX:
                return _not_found()
            if not self.allows(digest, params.get("Expires", ""), params.get("Signature", "")):
                return Response(
                    b"<Error><Code>AccessDenied</Code><Message>Request has expired or its "
                    b"signature does not match</Message></Error>",
                    403,
                    media_type="application/xml",
                )
            path = zip_path(digest)
            if not path.is_file():
                return _not_found()
            return FileResponse(path, media_type="application/zip")

        return [Route("/_altus/code/{digest}.zip", download, methods=["GET"])]


def _not_found() -> Response:
    return Response(
        b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
        b"</Error>",
        404,
        media_type="application/xml",
    )
