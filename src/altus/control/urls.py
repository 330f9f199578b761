"""Function URL configurations: one per function (unqualified) or alias (the model's
qualifier pattern refuses versions and $LATEST).

A URL is found by its id, on every request to it, so the service keeps an index from
ids to the functions that own them, rebuilt for a function whenever it changes.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from altus.control.arns import is_version
from altus.control.errors import ResourceConflict, ResourceNotFound, ValidationFailed
from altus.control.functions import FunctionService
from altus.control.model import UrlConfig

URL = "url"
_ALPHABET = string.ascii_lowercase + string.digits
_MISSING = "The resource you requested does not exist."


def new_url_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(32))


def url_time() -> str:
    """Function URL times as Lambda writes them: ``2021-10-27T17:40:52.081186Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def function_url(url_id: str, base_url: str, domain: str | None, region: str) -> str:
    """The address a URL answers at. Path-based on the API's own address by default, so
    it works with no DNS; ``<url-id>.lambda-url.<region>.<domain>`` with a wildcard
    domain."""
    base = base_url.rstrip("/")
    if domain is None:
        return f"{base}/lambda-url/{url_id}/"
    scheme, _, authority = base.partition("://")
    port = authority.rpartition(":")[2] if ":" in authority.rsplit("]", 1)[-1] else ""
    suffix = f":{port}" if port else ""
    return f"{scheme}://{url_id}.lambda-url.{region}.{domain}{suffix}/"


class UrlService:
    def __init__(self, functions: FunctionService) -> None:
        self._functions = functions
        self._index: dict[str, tuple[str, str]] = {}  # url id -> (function, qualifier key)
        functions.on_change(self._reindex)

    def start(self) -> None:
        for record in self._functions.records():
            self._reindex(record.name)

    def _reindex(self, name: str) -> None:
        for url_id in [u for u, (f, _) in self._index.items() if f == name]:
            del self._index[url_id]
        try:
            record = self._functions.record(name)
        except ResourceNotFound:
            return
        for qualifier, document in record.attached.get(URL, {}).items():
            self._index[document["url_id"]] = (name, qualifier)

    # --- the data plane ------------------------------------------------------------------

    def find(self, url_id: str) -> UrlConfig | None:
        owner = self._index.get(url_id)
        if owner is None:
            return None
        try:
            document = self._functions.record(owner[0]).attachment(URL, owner[1])
        except ResourceNotFound:
            return None
        return UrlConfig.from_record(document) if document is not None else None

    # --- commands --------------------------------------------------------------------------

    def get(self, name: str, qualifier: str | None) -> UrlConfig:
        key = self._key(name, qualifier)
        document = self._functions.record(name).attachment(URL, key)
        if document is None:
            raise ResourceNotFound(_MISSING)
        return UrlConfig.from_record(document)

    def list(self, name: str) -> list[UrlConfig]:
        documents = self._functions.record(name).attached.get(URL, {})
        return [UrlConfig.from_record(d) for _, d in sorted(documents.items())]

    async def create(self, name: str, qualifier: str | None, body: Mapping[str, Any]) -> UrlConfig:
        key = self._key(name, qualifier)
        now = url_time()
        config = UrlConfig(
            function=name,
            qualifier=qualifier,
            url_id=new_url_id(),
            auth_type=body["AuthType"],
            invoke_mode=body.get("InvokeMode") or "BUFFERED",
            cors=_cors(body.get("Cors")),
            creation_time=now,
            last_modified_time=now,
        )

        def created(document: dict[str, Any] | None) -> dict[str, Any]:
            self._key(name, qualifier)  # the alias may have gone meanwhile
            if document is not None:
                arn = self._functions.account.function_arn(name, qualifier)
                raise ResourceConflict(
                    f"Failed to create function url config for [functionArn = {arn}]. "
                    "Error message:  FunctionUrlConfig exists for this Lambda function"
                )
            return config.to_record()

        await self._functions.attach(name, URL, key, created)
        return config

    async def update(self, name: str, qualifier: str | None, body: Mapping[str, Any]) -> UrlConfig:
        key = self._key(name, qualifier)
        changes: dict[str, Any] = {"last_modified_time": url_time()}
        if body.get("AuthType"):
            changes["auth_type"] = body["AuthType"]
        if body.get("InvokeMode"):
            changes["invoke_mode"] = body["InvokeMode"]
        if "Cors" in body:
            changes["cors"] = _cors(body["Cors"])

        def updated(document: dict[str, Any] | None) -> dict[str, Any]:
            current = self.get(name, qualifier)
            return current.replace(**changes).to_record()

        document = await self._functions.attach(name, URL, key, updated)
        assert document is not None
        return UrlConfig.from_record(document)

    async def delete(self, name: str, qualifier: str | None) -> None:
        key = self._key(name, qualifier)
        self.get(name, qualifier)

        def deleted(document: dict[str, Any] | None) -> None:
            self.get(name, qualifier)

        await self._functions.attach(name, URL, key, deleted)

    def _key(self, name: str, qualifier: str | None) -> str:
        record = self._functions.record(name)
        if qualifier is None:
            return ""
        if is_version(qualifier):  # $LATEST or a number: the model's pattern refuses both
            raise ValidationFailed(
                f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                "((?!^\\d+$)^[0-9a-zA-Z-_]+$)"
            )
        if qualifier not in record.aliases:
            raise ResourceNotFound(
                f"Function not found: {self._functions.account.function_arn(name, qualifier)}"
            )
        return qualifier


def _cors(cors: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(cors) if cors else None
