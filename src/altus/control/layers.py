"""Layers: published, immutable packages that functions apply into /opt.

A layer is a name with numbered versions (numbers are never reused, even after a
delete). A function configuration names up to five layer versions by ARN; it keeps their
packages (``LayerRef``) so that deleting a layer version never breaks a function, or a
published version, that uses it. Commands follow the control layer's rule: validate,
plan, commit (``store.commit``: durably, then memory), one command per layer at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from altus.arns import Account
from altus.control import builtin_layers, policies
from altus.control.code_source import CodeSource
from altus.control.errors import InvalidParameterValue, ResourceNotFound
from altus.control.model import LayerRef, LayerVersion, new_revision
from altus.control.store import (
    Change,
    DeleteLayerVersion,
    FunctionStore,
    PutLayerVersion,
    commit,
)
from altus.store.code import MAX_UNZIPPED_BYTES, CodeRef, CodeStore

MAX_LAYERS = 5

T = TypeVar("T")


def check_unzipped_size(code: CodeRef, layers: Sequence[LayerRef]) -> None:
    total = code.unzipped_size + sum(layer.code.unzipped_size for layer in layers)
    if total > MAX_UNZIPPED_BYTES:
        raise InvalidParameterValue(
            "Function code combined with layers exceeds the maximum allowed size of "
            f"{MAX_UNZIPPED_BYTES} bytes. The actual size is {total} bytes."
        )


class LayerService:
    def __init__(
        self,
        store: FunctionStore,
        code: CodeStore,
        account: Account,
        sources: CodeSource | None = None,
    ) -> None:
        self.store = store
        self.code = code
        self.account = account
        self.sources = sources or CodeSource()
        self._versions: dict[tuple[str, int], LayerVersion] = {}
        self._counters: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def start(self) -> None:
        layers, counters = await self.store.load_layers()
        self._versions = {(layer.name, layer.version): layer for layer in layers}
        self._counters = dict(counters)

    # --- reads -------------------------------------------------------------------------------

    def get(self, name: str, version: int) -> LayerVersion:
        layer = self._versions.get((name, version))
        if layer is None:
            raise ResourceNotFound("The resource you requested does not exist.")
        return layer

    def versions(self, name: str) -> list[LayerVersion]:
        """The layer's versions, newest first (as ListLayerVersions orders them)."""
        found = [v for (n, _), v in self._versions.items() if n == name]
        return sorted(found, key=lambda v: v.version, reverse=True)

    def names(self) -> list[str]:
        return sorted({name for name, _ in self._versions})

    def code_sizes(self) -> dict[str, int]:
        return {v.code.digest: v.code.size for v in self._versions.values()}

    # --- commands ------------------------------------------------------------------------

    async def publish(self, name: str, body: Mapping[str, Any]) -> LayerVersion:
        data = await self.sources.zip_of(body.get("Content") or {}, "layer content")
        code = await asyncio.to_thread(self.code.put, data)
        # Unpacked now, so a cold start of a function using it never waits for the unzip.
        await asyncio.to_thread(self.code.unpacked, code.digest)
        async with self._lock(name):
            number = self._counters.get(name, 0) + 1
            layer = LayerVersion(
                name=name,
                version=number,
                code=code,
                description=body.get("Description", ""),
                compatible_runtimes=tuple(body.get("CompatibleRuntimes") or ()),
                compatible_architectures=tuple(body.get("CompatibleArchitectures") or ()),
                license_info=body.get("LicenseInfo"),
            )

            def stored() -> LayerVersion:
                self._versions[(name, number)] = layer
                self._counters[name] = number
                return layer

            return await self._commit([PutLayerVersion(layer)], stored)

    async def delete(self, name: str, version: int) -> None:
        """DeleteLayerVersion; deleting one that does not exist succeeds, as on Lambda."""
        async with self._lock(name):
            if (name, version) not in self._versions:
                return

            def deleted() -> None:
                del self._versions[(name, version)]

            await self._commit([DeleteLayerVersion(name, version)], deleted)

    async def add_permission(
        self, name: str, version: int, body: Mapping[str, Any], revision: str | None
    ) -> tuple[dict[str, Any], LayerVersion]:
        statement = policies.layer_statement(body, self.account.layer_arn(name, version))
        async with self._lock(name):
            layer = self.get(name, version)
            policies.check_revision(revision, layer.policy_revision)
            statements = policies.with_statement(layer.statements, statement)
            return statement, await self._put(
                layer.replace(statements=tuple(statements), policy_revision=new_revision())
            )

    async def remove_permission(
        self, name: str, version: int, sid: str, revision: str | None
    ) -> None:
        async with self._lock(name):
            layer = self.get(name, version)
            policies.check_revision(revision, layer.policy_revision)
            kept = tuple(s for s in layer.statements if s["Sid"] != sid)
            if len(kept) == len(layer.statements):
                raise ResourceNotFound("Statement sid is not found in resource policy.")
            await self._put(layer.replace(statements=kept, policy_revision=new_revision()))

    def _lock(self, name: str) -> asyncio.Lock:
        """A layer's commands run one at a time (its version counter, its policies)."""
        return self._locks.setdefault(name, asyncio.Lock())

    async def _put(self, layer: LayerVersion) -> LayerVersion:
        def stored() -> LayerVersion:
            self._versions[(layer.name, layer.version)] = layer
            return layer

        return await self._commit([PutLayerVersion(layer)], stored)

    async def _commit(self, changes: Sequence[Change], then: Callable[[], T]) -> T:
        return await commit(self.store, changes, then)

    # --- functions' layers ----------------------------------------------------------------

    def _provided(self) -> CodeRef:
        """The package of a layer Altus provides itself: put each time (a few bytes,
        found by its digest after the first), so a collection never leaves a function
        naming a package that is gone."""
        return self.code.put(builtin_layers.package())

    def resolve(self, arns: Sequence[str], function_code: CodeRef) -> tuple[LayerRef, ...]:
        """The layers a configuration names, checked as Lambda checks them: at most five,
        each an existing version, no layer twice, and the function's code with all of them
        within the 250 MB unzipped limit."""
        if len(arns) > MAX_LAYERS:
            raise InvalidParameterValue(f"Cannot reference more than {MAX_LAYERS} layers.")
        refs: list[LayerRef] = []
        seen: dict[str, str] = {}
        for arn in arns:
            if builtin_layers.provided(arn):
                layer_name = arn.rsplit(":", 1)[0]
                if layer_name in seen:
                    raise InvalidParameterValue(
                        "Two different versions of the same layer are not allowed to be "
                        f"referenced in the same function. {seen[layer_name]} and {arn} are "
                        "versions of the same layer."
                    )
                seen[layer_name] = arn
                refs.append(LayerRef(arn=arn, code=self._provided()))
                continue
            parsed = self.account.parse_layer_version_arn(arn)
            layer = self._versions.get(parsed) if parsed is not None else None
            if parsed is None or layer is None:
                raise InvalidParameterValue(f"Layer version {arn} does not exist.")
            if parsed[0] in seen:
                raise InvalidParameterValue(
                    "Two different versions of the same layer are not allowed to be "
                    f"referenced in the same function. {seen[parsed[0]]} and {arn} are "
                    "versions of the same layer."
                )
            seen[parsed[0]] = arn
            refs.append(LayerRef(arn=arn, code=layer.code))
        check_unzipped_size(function_code, refs)
        return tuple(refs)
