"""What the API Gateway providers of both flavours share: OpenAPI bodies read from the
template or from S3, patch operations (REST APIs' updates are ``patchOperations``),
tags as either flavour takes them, listings read page by page, and deletes that find the
resource already gone.

REST APIs (botocore ``apigateway``) update by patch operations: ``Patch`` collects them
from the difference between what a resource had and what it should have, so an update
sends one call with only what changed. HTTP and WebSocket APIs (``apigatewayv2``) update
by members; their providers send only the members that changed.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from altus.cloudformation.providers.base import (
    Properties,
    ProviderContext,
    ResourceFailed,
    ServiceFailed,
    required,
)

#: The most pages a listing is read for (a listing longer is not walked to its end).
MAX_PAGES = 200


def present(**members: Any) -> dict[str, Any]:
    """The members given (None left out: botocore refuses a None member)."""
    return {name: value for name, value in members.items() if value is not None}


def changed(old: Properties, new: Properties, *names: str) -> bool:
    """Whether any of ``names`` differs between ``old`` and ``new`` (added or removed
    counts)."""
    return any(old.get(name) != new.get(name) for name in names)


def json_text(value: Any) -> str:
    """A template's JSON value as the text an API takes (an OpenAPI body, a policy, a
    model's schema): objects serialised, text kept as written."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def json_object(value: Any, name: str) -> dict[str, Any]:
    """An object a template may also give as JSON text (the ``Json``-typed properties:
    ``StageVariables``, ``RouteSettings``, ``Parameters``)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ResourceFailed(f"Property {name} must be a JSON object") from None
    if not isinstance(value, Mapping):
        raise ResourceFailed(f"Property {name} must be an object")
    return dict(value)


def text_map(value: Any, name: str) -> dict[str, str]:
    """A map of text (absent: empty), booleans and numbers written as text."""
    if value is None:
        return {}
    return {str(key): patch_value(item) for key, item in json_object(value, name).items()}


def number(props: Properties, name: str) -> float | None:
    """A numeric property that may have a fraction (a throttle's rate limit)."""
    value = props.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ResourceFailed(f"Property {name} must be a number, not {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ResourceFailed(f"Property {name} must be a number, not {value!r}") from None


def tags_of(props: Properties, ctx: ProviderContext, name: str = "Tags") -> dict[str, str]:
    """The resource's tags as a map: the stack's, then its own, which a template writes as
    ``[{Key, Value}]`` (REST resources) or as a map (HTTP APIs and their stages)."""
    tags = dict(ctx.stack_tags)
    given = props.get(name)
    if isinstance(given, Mapping):
        tags.update({str(key): str(value) for key, value in given.items()})
    else:
        for tag in given or ():
            tags[str(tag["Key"])] = str(tag["Value"])
    return tags


async def definition(ctx: ProviderContext, props: Properties) -> bytes | None:
    """The OpenAPI document ``Body`` (an object, or JSON or YAML text) or
    ``BodyS3Location`` names, or None where neither is given. With the location's ETag
    (``ETag``; HTTP APIs spell it ``Etag``) the object must still have it, as API
    Gateway checks."""
    body = props.get("Body")
    if body is not None:
        return json_text(body).encode()
    location = props.get("BodyS3Location")
    if not location:
        return None
    required(location, "Bucket", "Key")
    bucket, key = str(location["Bucket"]), str(location["Key"])
    version = location.get("Version")
    found = await ctx.fetch(bucket, key, None if version is None else str(version))
    etag = location.get("ETag") or location.get("Etag")
    if etag:
        head = await ctx.call(
            "s3", "HeadObject", present(Bucket=bucket, Key=key, VersionId=version)
        )
        if str(head.get("ETag") or "").strip('"') != str(etag).strip('"'):
            raise ResourceFailed(
                f"The ETag of s3://{bucket}/{key} is not {etag}: the object has changed"
            )
    return found


async def gone_or(work: Awaitable[dict[str, Any]]) -> dict[str, Any] | None:
    """``work``'s answer, or None where the service says what it addresses is gone (a
    delete's success)."""
    try:
        return await work
    except ServiceFailed as failed:
        if failed.not_found:
            return None
        raise


async def listing(
    ctx: ProviderContext,
    service: str,
    operation: str,
    params: Mapping[str, Any],
    *,
    v2: bool = False,
) -> list[dict[str, Any]]:
    """Every item of a listing, page by page (REST: ``items`` and ``position``; HTTP APIs:
    ``Items`` and ``NextToken``), at most ``MAX_PAGES`` pages."""
    items_member, token_in, token_out = (
        ("Items", "NextToken", "NextToken") if v2 else ("items", "position", "position")
    )
    found: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = await ctx.call(service, operation, {**params, **present(**{token_in: token})})
        found.extend(page.get(items_member) or [])
        token = page.get(token_out)
        if not token:
            break
    return found


async def find(
    ctx: ProviderContext,
    service: str,
    operation: str,
    params: Mapping[str, Any],
    match: Callable[[dict[str, Any]], bool],
    *,
    v2: bool = False,
) -> list[dict[str, Any]]:
    """The items of a listing ``match`` picks (none where what is listed under is gone):
    how a delete finds what an interrupted create may have made."""
    try:
        items = await listing(ctx, service, operation, params, v2=v2)
    except ServiceFailed as failed:
        if failed.not_found:
            return []
        raise
    return [item for item in items if match(item)]


async def retag(
    ctx: ProviderContext,
    service: str,
    arn: str,
    old: Mapping[str, str],
    new: Mapping[str, str],
) -> None:
    """Untag the keys ``new`` lacks and tag what ``new`` adds or changes, in at most two
    calls (REST APIs' members are ``resourceArn``/``tags``/``tagKeys``, HTTP APIs'
    capitalised)."""
    v2 = service == "apigatewayv2"
    gone = sorted(set(old) - set(new))
    if gone:
        await ctx.call(
            service,
            "UntagResource",
            {"ResourceArn": arn, "TagKeys": gone} if v2 else {"resourceArn": arn, "tagKeys": gone},
        )
    added = {key: value for key, value in new.items() if old.get(key) != value}
    if added:
        await ctx.call(
            service,
            "TagResource",
            {"ResourceArn": arn, "Tags": added} if v2 else {"resourceArn": arn, "tags": added},
        )


async def sync_tags(
    ctx: ProviderContext, service: str, arn: str, wanted: Mapping[str, str]
) -> None:
    """Make the tags of ``arn`` be ``wanted`` (the stack's and the resource's own), from
    what it has now: a change of the stack's tags reaches it too."""
    v2 = service == "apigatewayv2"
    live = await ctx.call(service, "GetTags", {"ResourceArn": arn} if v2 else {"resourceArn": arn})
    await retag(ctx, service, arn, live.get("Tags" if v2 else "tags") or {}, wanted)


# --- patch operations -------------------------------------------------------------------


def escape(segment: str) -> str:
    """A path segment as patch paths write it (JSON pointer: ``~`` and ``/`` escaped)."""
    return segment.replace("~", "~0").replace("/", "~1")


def patch_value(value: Any) -> str:
    """A value as patch operations (and maps of text) carry it: booleans in JSON's
    spelling."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Patch:
    """Patch operations collected from differences, in the order they are found."""

    def __init__(self) -> None:
        self.operations: list[dict[str, str]] = []

    def __bool__(self) -> bool:
        return bool(self.operations)

    def replace(self, path: str, value: Any) -> None:
        self.operations.append({"op": "replace", "path": path, "value": patch_value(value)})

    def add(self, path: str, value: Any | None = None) -> None:
        operation = {"op": "add", "path": path}
        if value is not None:
            operation["value"] = patch_value(value)
        self.operations.append(operation)

    def remove(self, path: str) -> None:
        self.operations.append({"op": "remove", "path": path})

    def scalar(self, path: str, old: Any, new: Any, default: Any = None) -> None:
        """``path`` from ``old`` to ``new``; None for ``new`` removes it (or sets
        ``default``, where the member cannot be removed)."""
        if new == old or (new is None and old is None):
            return
        if new is not None:
            self.replace(path, new)
        elif default is not None:
            if patch_value(default) != patch_value(old):
                self.replace(path, default)
        else:
            self.remove(path)

    def items(self, path: str, old: Iterable[str], new: Iterable[str]) -> None:
        """A list of text from ``old`` to ``new``: each item added or removed by name
        (``/binaryMediaTypes/image~1png``)."""
        before, after = list(old), list(new)
        for item in before:
            if item not in after:
                self.remove(f"{path}/{escape(item)}")
        for item in after:
            if item not in before:
                self.add(f"{path}/{escape(item)}")

    def entries(self, path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """A map from ``old`` to ``new``: entries added, replaced and removed by key."""
        for key in old:
            if key not in new:
                self.remove(f"{path}/{escape(key)}")
        for key, value in new.items():
            if key not in old:
                self.add(f"{path}/{escape(key)}", value)
            elif patch_value(old[key]) != patch_value(value):
                self.replace(f"{path}/{escape(key)}", value)
