"""From a template's text to what a deployment applies (``deployer.Target``): parsed,
its parameters bound, its transforms run (LanguageExtensions, Include, then SAM), checked
(its form, its resource types against the providers Altus has, its conditions, its rules,
its dependencies), and the capabilities it needs found. Everything here happens before a
stack changes, so a template that cannot deploy is refused whole, never halfway."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from altus.cloudformation import (
    conditions,
    graph,
    language_extensions,
    parameters,
    templates,
    transforms,
)
from altus.cloudformation.deployer import Target
from altus.cloudformation.errors import InsufficientCapabilities, TemplateError
from altus.cloudformation.model import Parameter
from altus.cloudformation.providers.base import Provider

#: Resource types that need ``CAPABILITY_IAM`` (``CAPABILITY_NAMED_IAM`` when the template
#: names them), by the property that names them.
IAM_TYPES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::UserToGroupAddition": None,
}
#: The largest template given in a request, and read from S3.
MAX_BODY = 51_200
MAX_URL_BODY = 1_048_576


@dataclass(frozen=True)
class StackIdentity:
    """What the pseudo parameters give."""

    name: str
    stack_id: str
    account: str
    region: str
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"
    notification_arns: tuple[str, ...] = ()

    def pseudo(self) -> dict[str, Any]:
        return {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::StackName": self.name,
            "AWS::StackId": self.stack_id,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::NotificationARNs": list(self.notification_arns),
        }


@dataclass(frozen=True)
class Prepared:
    body: str
    #: The template after its transforms.
    template: dict[str, Any]
    parameters: list[Parameter]
    target: Target
    description: str | None
    #: The capabilities it needs (``CAPABILITY_IAM``, ``CAPABILITY_NAMED_IAM``,
    #: ``CAPABILITY_AUTO_EXPAND``).
    needs: frozenset[str]
    transforms: tuple[str, ...]


@dataclass(frozen=True)
class Lookups:
    """What preparing a template reads: SSM parameters' values by name (None: no such
    parameter), and objects of the built-in S3 (raising TemplateError)."""

    ssm: Callable[[str], Awaitable[str | None]]
    fetch: transforms.Fetch


def parse_body(body: str) -> dict[str, Any]:
    """The template's text parsed, with CloudFormation's size limit."""
    if len(body.encode()) > MAX_URL_BODY:
        raise TemplateError("Template may not exceed 1048576 bytes in size.")
    return templates.parse(body)


async def prepare(
    body: str,
    given: Mapping[str, str | None],
    previous: Mapping[str, str],
    identity: StackIdentity,
    lookups: Lookups,
    providers: Mapping[str, Provider],
) -> Prepared:
    template = parse_body(body)
    names = tuple(transforms.names(template))
    bound, values = await parameters.bind(template, given, previous, lookups.ssm)
    values = {**values, **identity.pseudo()}
    if transforms.LANGUAGE_EXTENSIONS in names:
        template = language_extensions.expand_with(template, values)
    if transforms.INCLUDE in names or _has_include(template):
        template = await transforms.include(template, lookups.fetch)
    if transforms.SERVERLESS in names:
        template = await transforms.serverless(
            template, values, identity.region, identity.partition
        )
    template.pop("Transform", None)
    templates.check(template)
    unknown = sorted(
        {
            str(resource.get("Type"))
            for resource in template["Resources"].values()
            if resource.get("Type") not in providers
        }
    )
    if unknown:
        raise TemplateError(
            f"Template format error: Unrecognized resource types: [{', '.join(unknown)}]"
        )
    evaluated = conditions.evaluate(template, values)
    conditions.check_rules(template, values)
    dependencies = graph.dependencies(
        template, evaluated, lambda kind: _attributes(providers, kind)
    )
    description = template.get("Description")
    return Prepared(
        body=body,
        template=template,
        parameters=[Parameter(b.key, b.value, b.resolved, b.no_echo) for b in bound],
        target=Target(template, values, evaluated, dependencies, _azs(identity.region)),
        description=str(description) if description is not None else None,
        needs=_needs(template, names),
        transforms=names,
    )


def require(needs: frozenset[str], given: list[str], *, expand_given: bool) -> None:
    """Refuse a template whose needs the caller did not acknowledge (``expand_given``:
    whether a transform needs acknowledging: change sets need not)."""
    missing = sorted(
        need
        for need in needs
        if need not in given
        and not (need == "CAPABILITY_IAM" and "CAPABILITY_NAMED_IAM" in given)
        and not (need == "CAPABILITY_AUTO_EXPAND" and not expand_given)
    )
    if missing:
        raise InsufficientCapabilities(f"Requires capabilities : [{', '.join(missing)}]")


def _attributes(providers: Mapping[str, Provider], kind: str) -> frozenset[str] | None:
    """The GetAtt names a type has; None where any may be asked (a custom resource's
    answer decides them)."""
    if kind not in providers:
        return None
    provider = providers[kind]
    return None if getattr(provider, "open_attributes", False) else provider.attributes


def _needs(template: Mapping[str, Any], names: tuple[str, ...]) -> frozenset[str]:
    needs: set[str] = set()
    for resource in template["Resources"].values():
        kind = resource.get("Type")
        if kind in IAM_TYPES:
            needs.add("CAPABILITY_IAM")
            name = IAM_TYPES[kind]
            if name is not None and (resource.get("Properties") or {}).get(name) is not None:
                needs.add("CAPABILITY_NAMED_IAM")
    if names:
        needs.add("CAPABILITY_AUTO_EXPAND")
    return frozenset(needs)


def _has_include(value: Any) -> bool:
    if isinstance(value, dict):
        transform = value.get("Fn::Transform")
        if isinstance(transform, dict) and transform.get("Name") == transforms.INCLUDE:
            return True
        return any(_has_include(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_include(item) for item in value)
    return False


def _azs(region: str) -> tuple[str, ...]:
    return tuple(f"{region}{letter}" for letter in "abc")
