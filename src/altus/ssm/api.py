"""Parameter Store's operations: members in, members out.

Names are checked as Parameter Store checks them (``names``), versions are planned
(``planning``) and written by the component, listings page through ``scan``. A
parameter is read by name, by ARN, or either with a selector (``name:3``,
``name:prod``).
"""

from __future__ import annotations

import contextlib
from typing import Any

from altus.api import paging
from altus.api.spec import Call, Members
from altus.ssm import filters, names, reference, scan, shapes
from altus.ssm.component import Ssm
from altus.ssm.errors import (
    InvalidNextToken,
    InvalidResourceId,
    InvalidResourceType,
    ParameterNotFound,
    ParameterVersionNotFound,
    SsmError,
    TooManyTags,
    ValidationException,
)
from altus.ssm.model import MAX_TAGS, Parameter

#: Page sizes when the caller names none.
BY_PATH_PAGE = 10
DESCRIBE_PAGE = 10
HISTORY_PAGE = 50


async def put_parameter(ssm: Ssm, call: Call, input: Members) -> Members:
    if input["Value"] == "":
        # The model no longer says so (the member is sensitive): AWS still refuses it,
        # in Coral's words without the value.
        raise ValidationException(
            "1 validation error detected: Value at 'value' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1."
        )
    name = names.checked_new_name(ssm.account, input["Name"])
    record = await ssm.put(name, input, ssm.caller(call))
    return {"Version": record.version, "Tier": record.tier}


async def get_parameter(ssm: Ssm, call: Call, input: Members) -> Members:
    decrypt = bool(input.get("WithDecryption"))
    if reference.is_reference(input["Name"]):
        secret = await reference.read(ssm.secrets, input["Name"], decrypt, ssm.principal(call))
        return {"Parameter": secret}
    ref = names.parse_reference(ssm.account, input["Name"])
    record = await ssm.resolve(ref)
    return {"Parameter": shapes.parameter(ssm.account, record, decrypt, ref.selector)}


async def get_parameters(ssm: Ssm, call: Call, input: Members) -> Members:
    asked = list(dict.fromkeys(input["Names"]))
    decrypt = bool(input.get("WithDecryption"))
    secrets = [text for text in asked if reference.is_reference(text)]
    if secrets and not decrypt:
        raise ValidationException(reference.NEEDS_DECRYPTION)
    refs: dict[str, names.Reference] = {}
    for text in asked:
        if text not in secrets:
            # A name no parameter can have is answered among the invalid.
            with contextlib.suppress(ValidationException):
                refs[text] = names.parse_reference(ssm.account, text)
    ssm.authorize(
        call,
        "ssm:GetParameters",
        [ref.name for ref in refs.values()] + [reference.parse(t).name for t in secrets],
    )
    found: list[Members] = []
    invalid: list[str] = []
    for text in asked:
        try:
            if text in secrets:
                principal = ssm.principal(call)
                found.append(await reference.read(ssm.secrets, text, decrypt, principal))
            elif text in refs:
                ref = refs[text]
                record = await ssm.resolve(ref)
                found.append(shapes.parameter(ssm.account, record, decrypt, ref.selector))
            else:
                invalid.append(text)
        except (ParameterNotFound, ParameterVersionNotFound):
            invalid.append(text)
    return {"Parameters": found, "InvalidParameters": invalid}


async def get_parameters_by_path(ssm: Ssm, call: Call, input: Members) -> Members:
    path = names.checked_path(input["Path"])
    chosen = filters.path_filters(input)
    recursive = bool(input.get("Recursive"))
    decrypt = bool(input.get("WithDecryption"))

    async def keep(parameter: Parameter) -> Members | None:
        if not names.under(path, parameter.name, recursive):
            return None
        number = filters.labelled(parameter, chosen)
        if number is None:
            return None
        record = (
            parameter.latest
            if number == parameter.latest.version
            else await ssm.store.version(parameter.name, number)
        )
        if record is None or not filters.matches(parameter, record, chosen):
            return None
        return shapes.parameter(ssm.account, record, decrypt)

    # Names without a leading slash are at the root, so only a deeper path narrows the
    # names read.
    prefix = "" if path == "/" else f"{path}/"
    page = await scan.scan(
        ssm.store, input.get("NextToken"), input.get("MaxResults") or BY_PATH_PAGE, keep, prefix
    )
    return _page("Parameters", page)


async def describe_parameters(ssm: Ssm, call: Call, input: Members) -> Members:
    chosen = filters.describe_filters(input)
    if input.get("Shared"):
        # Parameters other accounts share (through RAM): this account has none.
        scan.after(input.get("NextToken"))
        return {"Parameters": []}

    async def keep(parameter: Parameter) -> Members | None:
        if not filters.matches(parameter, parameter.latest, chosen):
            return None
        return shapes.metadata(ssm.account, parameter.latest)

    page = await scan.scan(
        ssm.store,
        input.get("NextToken"),
        input.get("MaxResults") or DESCRIBE_PAGE,
        keep,
        filters.prefix(chosen),
    )
    return _page("Parameters", page)


def _page(key: str, page: scan.Scanned[Any]) -> Members:
    answer: Members = {key: page.items}
    if page.next is not None:
        answer["NextToken"] = page.next
    return answer


async def get_parameter_history(ssm: Ssm, call: Call, input: Members) -> Members:
    found = await ssm.parameter(names.checked_name(input["Name"]))
    mark = scan.after(input.get("NextToken"))
    if mark and not mark.isdigit():
        raise InvalidNextToken("The specified token isn't valid.")
    after = int(mark or 0)
    limit = input.get("MaxResults") or HISTORY_PAGE
    versions = await ssm.store.history(found.name, after, limit + 1)
    decrypt = bool(input.get("WithDecryption"))
    answer: Members = {"Parameters": [shapes.history(v, decrypt) for v in versions[:limit]]}
    if len(versions) > limit:
        answer["NextToken"] = paging.token(str(versions[limit - 1].version))
    return answer


async def delete_parameter(ssm: Ssm, call: Call, input: Members) -> Members:
    name = names.checked_name(input["Name"])
    names.check_writable(name)
    if not await ssm.store.delete([name]):
        raise ParameterNotFound()
    return {}


async def delete_parameters(ssm: Ssm, call: Call, input: Members) -> Members:
    asked = list(dict.fromkeys(input["Names"]))
    valid = [text for text in asked if names.well_formed(text.strip(" "))]
    named = {text: names.canonical(text.strip(" ")) for text in valid}
    ssm.authorize(call, "ssm:DeleteParameters", list(named.values()))
    deleted = set(await ssm.store.delete(list(dict.fromkeys(named.values()))))
    return {
        "DeletedParameters": [t for t in asked if named.get(t) in deleted],
        "InvalidParameters": [t for t in asked if named.get(t) not in deleted],
    }


async def label_parameter_version(ssm: Ssm, call: Call, input: Members) -> Members:
    name = names.checked_name(input["Name"])
    names.check_writable(name)
    number, invalid = await ssm.label(name, input.get("ParameterVersion"), input["Labels"])
    return {"InvalidLabels": invalid, "ParameterVersion": number}


async def unlabel_parameter_version(ssm: Ssm, call: Call, input: Members) -> Members:
    name = names.checked_name(input["Name"])
    names.check_writable(name)
    removed, invalid = await ssm.unlabel(name, input["ParameterVersion"], input["Labels"])
    return {"RemovedLabels": removed, "InvalidLabels": invalid}


# --- tags ------------------------------------------------------------------------------------


def tagged(input: Members) -> str:
    """The parameter a tagging call names (Parameter Store's resources only)."""
    if input["ResourceType"] != "Parameter":
        raise InvalidResourceType(
            f"The resource type isn't valid: Altus tags resources of type Parameter only, "
            f"not {input['ResourceType']}."
        )
    try:
        return names.checked_name(input["ResourceId"])
    except SsmError:
        raise _no_resource() from None


def _no_resource() -> InvalidResourceId:
    return InvalidResourceId(
        "The resource ID isn't valid. Verify that you entered the correct ID and try again."
    )


async def add_tags_to_resource(ssm: Ssm, call: Call, input: Members) -> Members:
    added = {tag["Key"]: tag["Value"] for tag in input["Tags"]}

    def change(tags: dict[str, str]) -> dict[str, str]:
        merged = {**tags, **added}
        if len(merged) > MAX_TAGS:
            raise TooManyTags(f"A parameter can have at most {MAX_TAGS} tags.")
        return merged

    if await ssm.store.retag(tagged(input), change) is None:
        raise _no_resource()
    return {}


async def remove_tags_from_resource(ssm: Ssm, call: Call, input: Members) -> Members:
    removed = set(input["TagKeys"])

    def change(tags: dict[str, str]) -> dict[str, str]:
        return {key: value for key, value in tags.items() if key not in removed}

    if await ssm.store.retag(tagged(input), change) is None:
        raise _no_resource()
    return {}


async def list_tags_for_resource(ssm: Ssm, call: Call, input: Members) -> Members:
    found = await ssm.store.parameter(tagged(input))
    if found is None:
        raise _no_resource()
    return {"TagList": [{"Key": k, "Value": v} for k, v in sorted(found.tags.items())]}
