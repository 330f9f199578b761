"""Tags on functions: TagResource, UntagResource, ListTags, addressed by function ARN."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from altus.control import validation
from altus.control.arns import parse_function_ref
from altus.control.errors import InvalidParameterValue
from altus.control.functions import FunctionService
from altus.control.store import PutTags


class TagService:
    def __init__(self, functions: FunctionService) -> None:
        self._functions = functions

    def function_of(self, arn: str) -> str:
        """The function a tagging ARN names: an unqualified function ARN of this account."""
        if not arn.startswith("arn:"):
            raise InvalidParameterValue(f"Invalid ARN: {arn}")
        ref = parse_function_ref(arn, self._functions.account)
        if ref.qualifier is not None:
            raise InvalidParameterValue(
                "Tags are not supported on function versions or aliases: use the "
                f"unqualified function ARN instead of {arn}."
            )
        self._functions.record(ref.name)
        return ref.name

    def list(self, arn: str) -> dict[str, str]:
        return dict(self._functions.record(self.function_of(arn)).tags)

    async def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        await self._retag(arn, lambda current: {**current, **tags})

    async def untag(self, arn: str, keys: Iterable[str]) -> None:
        doomed = set(keys)
        await self._retag(
            arn, lambda current: {k: v for k, v in current.items() if k not in doomed}
        )

    async def _retag(self, arn: str, change: Callable[[dict[str, str]], dict[str, str]]) -> None:
        name = self.function_of(arn)
        async with self._functions.writing(name):
            record = self._functions.record(name)
            tags = change(record.tags)
            validation.check_tags(tags)

            def stored() -> None:
                record.tags = tags

            await self._functions.commit([PutTags(name, tags)], stored)
