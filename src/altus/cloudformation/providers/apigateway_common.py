"""What the API Gateway providers of both flavours share: OpenAPI bodies read from the
template or from S3, maps and numbers as the APIs take them, tags as either flavour
takes them, listings read page by page, what a delete addresses (found again after an
interrupted create), and patch operations (REST APIs' updates are ``patchOperations``).

REST APIs (botocore ``apigateway``) update by patch operations: ``Patch`` collects them
from the difference between what a resource had and what it should have, so an update
sends one call with only what changed. HTTP and WebSocket APIs (``apigatewayv2``) update
by members; their providers send only the members that changed. The two flavours name
the same members differently (``items``/``position``, ``Items``/``NextToken``;
``resourceArn``, ``ResourceArn``): the service's name picks the spelling.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from altus.cloudformation.providers.base import (
    Current,
    Properties,
    ProviderContext,
    ResourceFailed,
    required,
)
from altus.cloudformation.providers.common import (
    Tagging,
    gone_or,
    json_text,
    paged,
    present,
    sync_tags,
)

#: REST APIs' tags (``GetTags``; members ``resourceArn``, ``tags``, ``tagKeys``) and HTTP
#: APIs' (the same, capitalised); both flavours' tags are maps.
REST_TAGS = Tagging("apigateway", listing="GetTags", tags="tags", keys="tagKeys", pair=None)
HTTP_TAGS = Tagging("apigatewayv2", listing="GetTags", pair=None)


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


def strings(props: Properties, name: str) -> dict[str, str] | None:
    """A map-of-text property as ``text_map`` reads it, or None where it is absent."""
    return None if props.get(name) is None else text_map(props[name], name)


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


def texts(props: Properties, **members: str) -> dict[str, str]:
    """API members (``member=property``) as the text of required properties (refused, in
    the order given, where missing)."""
    required(props, *members.values())
    return {member: str(props[prop]) for member, prop in members.items()}


def rest_api_id(props: Properties) -> str:
    """The REST API a part's properties name (empty where they name none)."""
    return str(props.get("RestApiId") or "")


async def delete_part(ctx: ProviderContext, api_id: str, operation: str, **ids: str) -> None:
    """``operation`` (a REST API part's ``Delete<Kind>``) of the part ``ids`` name under
    the API ``api_id``; one already gone is no failure."""
    await gone_or(ctx.call("apigateway", operation, {"restApiId": api_id, **ids}))


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


def api_arn(ctx: ProviderContext, path: str) -> str:
    """The ARN of an API Gateway resource of either flavour by its path
    (``restapis/<id>``, ``apis/<id>/stages/<name>``): what its tags are kept on."""
    return f"arn:{ctx.partition}:apigateway:{ctx.region}::/{path}"


async def sync_api_tags(
    ctx: ProviderContext, service: str, path: str, wanted: Mapping[str, str]
) -> None:
    """Make the tags of the resource at ``path`` (of either flavour, ``service``)
    ``wanted`` (the stack's and the resource's own), from what it has now."""
    if service == "apigatewayv2":
        await sync_tags(ctx, HTTP_TAGS, {"ResourceArn": api_arn(ctx, path)}, wanted)
    else:
        await sync_tags(ctx, REST_TAGS, {"resourceArn": api_arn(ctx, path)}, wanted)


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


async def listing(
    ctx: ProviderContext, service: str, operation: str, params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Every item of a listing, page by page (REST: ``items`` and ``position``; HTTP APIs:
    ``Items`` and ``NextToken``), at most ``MAX_PAGES`` pages."""
    if service == "apigatewayv2":
        return await paged(ctx, service, operation, params, "Items", token="NextToken")
    return await paged(ctx, service, operation, params, "items", token="position")


async def targets(
    ctx: ProviderContext,
    current: Current,
    service: str,
    operation: str,
    params: Mapping[str, Any],
    match: Mapping[str, Any] | None,
    *,
    ident: str = "id",
    every: bool = False,
) -> list[str]:
    """The ids a delete addresses: ``current``'s physical id; where the create may not
    have finished (no physical id), those (``ident``) of the items of the listing
    ``operation`` whose members are ``match``'s (none where what is listed under is
    gone, or where ``match`` is None: nothing to find the resource by). Every such item
    where ``every`` (a name this resource alone has: the generated one); else only one
    that alone matches (a name several have is left alone)."""
    if current.physical_id is not None:
        return [current.physical_id]
    if match is None:
        return []
    items = await gone_or(listing(ctx, service, operation, params)) or []
    found = [item for item in items if all(item.get(k) == v for k, v in match.items())]
    if every or len(found) == 1:
        return [str(item[ident]) for item in found]
    return []


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
        self._append("add", path, value)

    def remove(self, path: str, value: Any | None = None) -> None:
        self._append("remove", path, value)

    def _append(self, op: str, path: str, value: Any | None) -> None:
        operation = {"op": op, "path": path}
        if value is not None:
            operation["value"] = patch_value(value)
        self.operations.append(operation)

    async def send(self, ctx: ProviderContext, operation: str, target: Mapping[str, str]) -> None:
        """``operation`` (a REST API's ``Update<Kind>``) of what ``target``'s members
        name, with these operations; nothing is called where there are none."""
        if self.operations:
            await ctx.call("apigateway", operation, {**target, "patchOperations": self.operations})

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

    def items(
        self, path: str, old: Iterable[str], new: Iterable[str], *, by_value: bool = False
    ) -> None:
        """A list of text from ``old`` to ``new``: each item removed or added by name
        (``/binaryMediaTypes/image~1png``) or, ``by_value``, with its value (an API key's
        ``/stages``, whose items are ``<api>/<stage>``)."""
        before, after = list(old), list(new)
        for op, items, others in (("remove", before, after), ("add", after, before)):
            for item in items:
                if item in others:
                    continue
                if by_value:
                    self._append(op, path, item)
                else:
                    self._append(op, f"{path}/{escape(item)}", None)

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
