"""The macros CloudFormation runs on a template before it deploys it:
``AWS::Serverless-2016-10-31`` (SAM, through the aws-sam-translator library, offline: its
bundled managed-policy map, no call to AWS) and ``AWS::Include`` (a snippet from S3 spliced
in where ``Fn::Transform`` asks, or merged into the template at the top level).
``AWS::LanguageExtensions`` is in ``language_extensions.py``."""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from altus.cloudformation import templates
from altus.cloudformation.errors import TemplateError

# The translator logs a warning per run about metrics it was never asked to publish, and
# its feature toggles' defaults: noise in a server's log, nothing an operator acts on.
logging.getLogger("samtranslator").setLevel(logging.ERROR)

SERVERLESS = "AWS::Serverless-2016-10-31"
INCLUDE = "AWS::Include"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
KNOWN = frozenset({SERVERLESS, INCLUDE, LANGUAGE_EXTENSIONS})

#: Reads an object of the built-in S3: (bucket, key) -> its bytes; raises TemplateError.
Fetch = Callable[[str, str], Awaitable[bytes]]


def names(template: Mapping[str, Any]) -> list[str]:
    """The transforms a template's ``Transform`` section names, in order (a top-level
    ``AWS::Include`` is given as ``{Name, Parameters}``)."""
    declared = template.get("Transform")
    if declared is None:
        return []
    items = declared if isinstance(declared, list) else [declared]
    found: list[str] = []
    for item in items:
        name = item.get("Name") if isinstance(item, dict) else item
        if not isinstance(name, str):
            raise TemplateError("Template format error: Transform must be a string or a list")
        if name not in KNOWN:
            raise TemplateError(
                f"Template format error: Unsupported transform {name}: Altus runs "
                + ", ".join(sorted(KNOWN))
            )
        found.append(name)
    return found


def location(url: str) -> tuple[str, str]:
    """The bucket and key an ``s3://`` URI or an S3 URL (path-style on any host, or
    virtual-hosted ``<bucket>.s3[.<region>].amazonaws.com``) names."""
    if url.startswith("s3://"):
        bucket, _, key = url[5:].partition("/")
    else:
        match = re.match(r"^https?://([^/]+)/(.*)$", url)
        if match is None:
            raise TemplateError(f"Template format error: {url} is not an S3 location")
        host, path = match.groups()
        virtual = re.match(r"^(.+)\.s3[.-]", host)
        if virtual is not None and "amazonaws" in host:
            bucket, key = virtual.group(1), path
        else:
            bucket, _, key = path.partition("/")
    key = key.split("?", 1)[0]
    if not bucket or not key:
        raise TemplateError(f"Template format error: {url} is not an S3 location")
    return bucket, key


async def include(template: dict[str, Any], fetch: Fetch) -> dict[str, Any]:
    """Splice every ``Fn::Transform: {Name: AWS::Include, Parameters: {Location}}`` in
    ``template`` (and a top-level ``AWS::Include``, whose snippet's sections are merged
    in)."""
    declared = template.get("Transform")
    items = declared if isinstance(declared, list) else [declared] if declared else []
    for item in items:
        if isinstance(item, dict) and item.get("Name") == INCLUDE:
            snippet = await _snippet(item.get("Parameters"), fetch)
            if not isinstance(snippet, dict):
                raise TemplateError("Template format error: the included snippet is not an object")
            for section, value in snippet.items():
                if isinstance(value, dict) and isinstance(template.get(section), dict):
                    template[section] = {**template[section], **value}
                else:
                    template[section] = value
    result = await _splice(template, fetch, 0)
    assert isinstance(result, dict)
    kept = [
        item
        for item in items
        if not (isinstance(item, dict) and item.get("Name") == INCLUDE) and item != INCLUDE
    ]
    if "Transform" in result:
        if kept:
            result["Transform"] = kept if len(kept) > 1 else kept[0]
        else:
            del result["Transform"]
    return result


async def _splice(value: Any, fetch: Fetch, depth: int) -> Any:
    if depth > 64:
        raise TemplateError("Template format error: AWS::Include nested too deep")
    if isinstance(value, dict):
        transform = value.get("Fn::Transform")
        if len(value) == 1 and isinstance(transform, dict) and transform.get("Name") == INCLUDE:
            return await _splice(
                await _snippet(transform.get("Parameters"), fetch), fetch, depth + 1
            )
        return {key: await _splice(item, fetch, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [await _splice(item, fetch, depth + 1) for item in value]
    return value


async def _snippet(parameters: Any, fetch: Fetch) -> Any:
    url = parameters.get("Location") if isinstance(parameters, dict) else None
    if not isinstance(url, str):
        raise TemplateError(
            "Template format error: AWS::Include needs Parameters with a Location (an S3 URI)"
        )
    bucket, key = location(url)
    body = await fetch(bucket, key)
    try:
        return templates.parse(body.decode())
    except UnicodeDecodeError:
        raise TemplateError(f"Template format error: {url} is not text") from None


# --- SAM ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _session(region: str) -> Any:
    import boto3

    return boto3.Session(region_name=region)


def _translator(region: str, partition: str) -> Any:
    """A translator for one template (it keeps state while it works: not shared)."""
    from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    policies = get_bundled_managed_policy_map(partition)
    return Translator(policies, Parser(), boto_session=_session(region))


def _translate(
    template: dict[str, Any], values: Mapping[str, Any], region: str, partition: str
) -> dict[str, Any]:
    from samtranslator.model.exceptions import (
        InvalidDocumentException,
        InvalidEventException,
        InvalidResourceException,
        InvalidTemplateException,
    )

    translator = _translator(region, partition)
    try:
        translated: dict[str, Any] = translator.translate(
            copy.deepcopy(template), parameter_values=dict(values)
        )
    except (
        InvalidDocumentException,
        InvalidTemplateException,
        InvalidResourceException,
        InvalidEventException,
    ) as error:
        message = getattr(error, "message", None) or str(error)
        # The document's error counts its causes; CloudFormation's message lists them.
        causes = [getattr(c, "message", None) or str(c) for c in getattr(error, "causes", [])]
        text = " ".join([message, *causes])
        raise TemplateError(f"Transform {SERVERLESS} failed with: {text}") from None
    return translated


async def serverless(
    template: dict[str, Any], values: Mapping[str, Any], region: str, partition: str
) -> dict[str, Any]:
    """``template`` as SAM expands it (``values``: parameters and pseudo parameters, which
    the translator resolves where SAM properties need them). Runs on a thread: the
    translator is plain Python work of tens of milliseconds."""
    return await asyncio.to_thread(_translate, template, values, region, partition)
