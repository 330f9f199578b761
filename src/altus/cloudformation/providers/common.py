"""What the providers of many services share: members built from properties, the checks
CloudFormation words alike for every type, calls whose "not found" means the work is
done and waits for a resource to settle or go, paged listings, tags kept in step with
the template, and the two shapes of policy resources (one document put on each of
several queues or topics; one put on a single queue or bucket).

Each service spells the same ideas with its own operations and members (``TagResource``
with ``Tags: [{Key, Value}]``, ``AddTagsToStream`` with a map; ``Marker`` or
``NextToken``); the helpers here take those names as data, so one piece of logic serves
every service and a provider states only how its service differs.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from altus.cloudformation.providers.base import (
    POLLS,
    Current,
    Outcome,
    Properties,
    ProviderContext,
    ResourceFailed,
    ServiceFailed,
    backoff,
    boolean,
    required,
)

T = TypeVar("T")

#: The most pages a listing is read for unless its caller says otherwise.
MAX_PAGES = 200
#: How FIFO queues' and topics' names end.
FIFO = ".fifo"


# --- members ------------------------------------------------------------------------------


def present(**members: Any) -> dict[str, Any]:
    """The members given (None left out: botocore refuses a None member)."""
    return {name: value for name, value in members.items() if value is not None}


def json_text(value: Any) -> str:
    """A template's JSON value as the text an API takes (a policy document, an OpenAPI
    body, an event pattern): objects serialised compactly, text kept as written (as
    CloudFormation converts a template's YAML or JSON object before it submits it)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def changed(old: Properties, new: Properties, *names: str) -> list[str]:
    """Those of ``names`` whose value differs between ``old`` and ``new`` (added or
    removed counts), in the order given: empty (false) where none did."""
    return [name for name in names if old.get(name) != new.get(name)]


def known(type_name: str, props: Properties, names: Iterable[str]) -> None:
    """Refuse a property the type does not have, as CloudFormation words it."""
    allowed = set(names)
    for name in props:
        if name not in allowed:
            raise ResourceFailed(f"Encountered unsupported property {name} (in {type_name})")


def outcome(ident: Any, *attributes: str) -> Outcome:
    """The outcome of a resource whose physical id is ``ident`` (as text) and whose
    ``attributes`` each answer that id too (``Fn::GetAtt X.Arn`` of one whose Ref is its
    ARN)."""
    text = str(ident)
    return Outcome(text, {name: text for name in attributes})


def logical_name(ctx: ProviderContext, logical_id: str, max_length: int, prefix: str = "") -> str:
    """``<prefix><LogicalId>-<RANDOM>`` within ``max_length``: CloudFormation's generated
    name for the types it names without the stack's name (a secret; ``CFN-`` for a
    parameter). The random part is ``ctx.name``'s, so the same resource in the same
    attempt gets the same name again (an interrupted create is found by it)."""
    suffix = ctx.name(max_length=max_length).rsplit("-", 1)[-1]
    room = max(max_length - len(prefix) - len(suffix) - 1, 1)
    return f"{prefix}{logical_id[:room]}-{suffix}"


def fifo_name(
    ctx: ProviderContext, props: Properties, name: str, fifo: str, max_length: int
) -> str:
    """A queue's or topic's name: the template's (property ``name``), or the one
    CloudFormation generates, ending ``.fifo`` where the property ``fifo`` makes it a
    FIFO one (as SQS and SNS require), within ``max_length`` with the ending."""
    if props.get(name):
        return str(props[name])
    if boolean(props, fifo):
        return ctx.name(max_length=max_length - len(FIFO)) + FIFO
    return ctx.name(max_length=max_length)


# --- calls that find what they address gone -------------------------------------------------


async def gone_or(work: Awaitable[T]) -> T | None:
    """``work``'s result, or None where a service says what it addresses is gone (a
    delete's success; an operation the service does not serve is no such answer)."""
    try:
        return await work
    except ServiceFailed as failed:
        if failed.not_found:
            return None
        raise


async def quietly(
    ctx: ProviderContext, service: str, operation: str, params: Mapping[str, Any]
) -> dict[str, Any] | None:
    """A call whose "not found" means the work is done already: its answer, or None."""
    return await gone_or(ctx.call(service, operation, params))


async def refuse_taken(
    ctx: ProviderContext, service: str, operation: str, params: Mapping[str, Any], message: str
) -> None:
    """Refuse (AlreadyExists, ``message``) a name something already has, where
    ``operation`` finds it: checked before a create that would answer an existing
    resource of the name as if it had made it, so one made elsewhere is not taken over."""
    if await quietly(ctx, service, operation, params) is not None:
        raise ResourceFailed(message, "AlreadyExists")


async def settled(
    ctx: ProviderContext,
    service: str,
    operation: str,
    params: Mapping[str, Any],
    ready: Callable[[dict[str, Any]], bool],
    failure: str,
) -> dict[str, Any]:
    """Call ``operation`` (one that describes a resource) until ``ready`` says its answer
    shows the resource settled: that answer. ``ready`` raises ResourceFailed for a
    resource that never will; after ``POLLS`` polls this raises ResourceFailed(``failure``,
    NotStabilized)."""
    answer = await _poll(
        ctx,
        lambda: ctx.call(service, operation, params),
        lambda answer: answer is not None and ready(answer),
        failure,
        POLLS,
    )
    assert answer is not None
    return answer


async def wait_gone(
    ctx: ProviderContext,
    service: str,
    operation: str,
    params: Mapping[str, Any],
    failure: str,
    polls: int = POLLS,
) -> None:
    """Call ``operation`` (one that describes the resource) until the service says the
    resource is gone; raise ResourceFailed(``failure``, NotStabilized) where it is still
    there after ``polls`` polls."""
    await _poll(
        ctx,
        lambda: quietly(ctx, service, operation, params),
        lambda answer: answer is None,
        failure,
        polls,
    )


async def _poll(
    ctx: ProviderContext,
    describe: Callable[[], Awaitable[dict[str, Any] | None]],
    done: Callable[[dict[str, Any] | None], bool],
    failure: str,
    polls: int,
) -> dict[str, Any] | None:
    """``describe()`` until ``done`` says its answer is the one waited for, pausing
    between polls (``backoff``): that answer; ResourceFailed(``failure``, NotStabilized)
    after ``polls`` polls."""
    for poll in range(polls):
        answer = await describe()
        if done(answer):
            return answer
        await ctx.sleep(backoff(poll))
    raise ResourceFailed(failure, "NotStabilized")


# --- listings -----------------------------------------------------------------------------


async def paged(
    ctx: ProviderContext,
    service: str,
    operation: str,
    params: Mapping[str, Any],
    items: str,
    *,
    token: str = "NextToken",
    next_token: str | None = None,
    truncated: str | None = None,
    max_pages: int = MAX_PAGES,
    whole: bool = False,
) -> list[Any]:
    """Every item (the answers' ``items`` member) of a listing read page by page: each
    page asked for with the last answer's ``next_token`` (by default named as the
    request's ``token``), until an answer has none (or, with ``truncated``, says it is
    not truncated). At most ``max_pages`` pages are read: with ``whole``, a listing
    longer fails (ResourceFailed), otherwise what was read is answered."""
    found: list[Any] = []
    marker: Any = None
    for _ in range(max_pages):
        page = await ctx.call(service, operation, {**params, **present(**{token: marker or None})})
        found.extend(page.get(items) or [])
        marker = page.get(next_token or token)
        if not marker or (truncated is not None and not page.get(truncated)):
            return found
    if whole:
        raise ResourceFailed(
            f"{operation} did not finish listing within {max_pages} pages", "ServiceInternalError"
        )
    return found


# --- tags ---------------------------------------------------------------------------------


def tag_diff(
    before: Mapping[str, str], after: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """(the tags to set: new or changed values, the keys to remove, sorted) taking a
    resource's tags from ``before`` to ``after``."""
    setting = {key: value for key, value in after.items() if before.get(key) != value}
    return setting, sorted(set(before) - set(after))


@dataclass(frozen=True, slots=True)
class Tagging:
    """How one service tags its resources: the operations that tag, untag and list a
    resource's tags, the members the tags and the keys to remove go in, and the tags'
    shape: a list of pairs (``pair``: the pair's member names) or, with no ``pair``, a
    map. The members naming the resource are the caller's ``scope``."""

    service: str
    tag: str = "TagResource"
    untag: str = "UntagResource"
    listing: str = "ListTagsForResource"
    tags: str = "Tags"
    keys: str = "TagKeys"
    pair: tuple[str, str] | None = ("Key", "Value")

    def pairs(self, tags: Mapping[str, str]) -> list[dict[str, str]]:
        """``tags`` as a list of pairs, by this service's member names (``Key``/``Value``
        where it takes a map)."""
        key, value = self.pair or ("Key", "Value")
        return [{key: name, value: text} for name, text in tags.items()]

    def shaped(self, tags: Mapping[str, str]) -> list[dict[str, str]] | dict[str, str]:
        """``tags`` as this service's members carry them."""
        return dict(tags) if self.pair is None else self.pairs(tags)


async def retag(
    ctx: ProviderContext,
    tagging: Tagging,
    scope: Mapping[str, Any],
    before: Mapping[str, str],
    after: Mapping[str, str],
) -> None:
    """Take the tags of the resource ``scope`` names from ``before`` to ``after`` (the
    stack's tags and its own, as maps): the keys ``after`` lacks untagged, then what it
    adds or changes tagged; nothing is called where nothing changed."""
    setting, removing = tag_diff(before, after)
    if removing:
        await ctx.call(tagging.service, tagging.untag, {**scope, tagging.keys: removing})
    if setting:
        await ctx.call(
            tagging.service, tagging.tag, {**scope, tagging.tags: tagging.shaped(setting)}
        )


async def sync_tags(
    ctx: ProviderContext, tagging: Tagging, scope: Mapping[str, Any], wanted: Mapping[str, str]
) -> None:
    """Make the tags of the resource ``scope`` names ``wanted``, from the ones it has now
    (so a change of the stack's tags, or one made outside the stack, reaches it too). The
    ``aws:`` tags a service keeps are not the caller's to remove."""
    listed = await ctx.call(tagging.service, tagging.listing, scope)
    have = listed.get(tagging.tags) or {}
    await retag(
        ctx,
        tagging,
        scope,
        {key: value for key, value in have.items() if not key.startswith("aws:")},
        wanted,
    )


# --- policies put on other resources ------------------------------------------------------

#: A service's call putting a policy (text) on one of its resources (by its identifier).
PutPolicy = Callable[[ProviderContext, str, str], Awaitable[Any]]
#: A service's call taking a resource's policy away (its default policy again).
ResetPolicy = Callable[[ProviderContext, str], Awaitable[Any]]


class PolicyOnEach:
    """``type_name``: one policy document (``PolicyDocument``) put on each of the
    resources its property ``listed`` names (``AWS::SQS::QueuePolicy``'s ``Queues``). Its
    Ref (and ``Id``) is a name CloudFormation generates; an update puts the policy where
    it is new or rewritten and resets it where it was and no longer is; the delete resets
    it on each. ``put``, ``reset`` and ``text`` (the document as the service takes it)
    are the service's."""

    replaced_by: frozenset[str] = frozenset()
    attributes = frozenset({"Id"})

    def __init__(
        self,
        type_name: str,
        listed: str,
        put: PutPolicy,
        reset: ResetPolicy,
        text: Callable[[Any], str] = json_text,
    ) -> None:
        self.type_name, self.listed = type_name, listed
        self.put, self.reset, self.text = put, reset, text

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        await self._spread(ctx, {}, props)
        return outcome(ctx.name(), "Id")

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        await self._spread(ctx, current.properties, props)
        return outcome(current.physical_id or ctx.name(), "Id")

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        await self._spread(ctx, current.properties, None)

    def _targets(self, props: Properties) -> list[str]:
        return list(dict.fromkeys(str(target) for target in props.get(self.listed) or []))

    async def _spread(self, ctx: ProviderContext, old: Properties, new: Properties | None) -> None:
        """Take the policy from ``old``'s targets to ``new``'s (None: none, a delete)."""
        if new is not None:
            known(self.type_name, new, ("PolicyDocument", self.listed))
            required(new, "PolicyDocument", self.listed)
        new = new or {}
        before, after = self._targets(old), self._targets(new)
        policy = self.text(new.get("PolicyDocument") or "")
        rewritten = self.text(old.get("PolicyDocument") or "") != policy
        for target in after:
            if rewritten or target not in before:
                await self.put(ctx, target, policy)
        for target in before:
            if target not in after:
                await self.reset(ctx, target)


class PolicyOnOne:
    """``type_name``: one policy document (``PolicyDocument``) put on the one resource
    its other property names (``AWS::S3::BucketPolicy``'s ``Bucket``): ``properties`` are
    both, in the order the type requires them. Its Ref is that resource's identifier; an
    update puts the policy again where it changed; the delete resets it. ``put`` and
    ``reset`` are the service's."""

    attributes: frozenset[str] = frozenset()

    def __init__(
        self, type_name: str, properties: tuple[str, str], put: PutPolicy, reset: ResetPolicy
    ) -> None:
        self.type_name, self.properties = type_name, properties
        self.target = next(name for name in properties if name != "PolicyDocument")
        self.replaced_by = frozenset({self.target})
        self.put, self.reset = put, reset

    async def create(self, ctx: ProviderContext, logical_id: str, props: Properties) -> Outcome:
        return await self._put(ctx, {}, props)

    async def update(self, ctx: ProviderContext, current: Current, props: Properties) -> Outcome:
        return await self._put(ctx, current.properties, props)

    async def delete(self, ctx: ProviderContext, current: Current) -> None:
        target = current.physical_id or current.properties.get(self.target)
        if target:
            await self.reset(ctx, str(target))

    async def _put(self, ctx: ProviderContext, old: Properties, props: Properties) -> Outcome:
        """Put the policy on its resource, unless ``old`` (what it had) gives the same."""
        known(self.type_name, props, self.properties)
        required(props, *self.properties)
        target = str(props[self.target])
        policy = json_text(props["PolicyDocument"])
        if json_text(old.get("PolicyDocument") or "") != policy:
            await self.put(ctx, target, policy)
        return Outcome(target)
