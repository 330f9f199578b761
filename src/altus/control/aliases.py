"""Aliases: CreateAlias, UpdateAlias, DeleteAlias (reads are ``FunctionService.alias``).

An alias names a version, and may send a fraction of its invokes to one more
(``routing``). Each command runs under its function's lock and commits like every other
(``FunctionService.commit``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.control.arns import LATEST, check_alias_name
from altus.control.errors import PreconditionFailed, ResourceConflict, ResourceNotFound
from altus.control.functions import REVISION_MISMATCH, FunctionService
from altus.control.model import Alias, FunctionRecord, new_revision
from altus.control.requests import routing_weights
from altus.control.routing import check_routing
from altus.control.store import DeleteAlias, PutAlias


class AliasService:
    def __init__(self, functions: FunctionService) -> None:
        self._functions = functions

    async def create(self, function: str, body: Mapping[str, Any]) -> Alias:
        functions = self._functions
        functions.record(function)
        async with functions.writing(function):
            record = functions.record(function)
            name = body["Name"]
            check_alias_name(name)
            if name in record.aliases:
                raise ResourceConflict(
                    f"Alias already exists: {functions.account.function_arn(function, name)}"
                )
            version = body["FunctionVersion"]
            self._check_version_exists(record, version)
            weights = routing_weights(body)
            check_routing(version, weights, set(record.versions))
            alias = Alias(
                function=function,
                name=name,
                function_version=version,
                description=body.get("Description", ""),
                additional_weights=weights,
            )

            def stored() -> Alias:
                record.aliases[name] = alias
                return alias

            return await functions.commit([PutAlias(alias)], stored)

    async def update(self, function: str, name: str, body: Mapping[str, Any]) -> Alias:
        functions = self._functions
        functions.record(function)
        async with functions.writing(function):
            record = functions.record(function)
            current = functions.alias(function, name, missing="Alias not found")
            expected = body.get("RevisionId")
            if expected and expected != current.revision_id:
                raise PreconditionFailed(REVISION_MISMATCH)
            version = body.get("FunctionVersion") or current.function_version
            self._check_version_exists(record, version)
            weights = (
                routing_weights(body)
                if "RoutingConfig" in body
                else dict(current.additional_weights)
            )
            check_routing(version, weights, set(record.versions))
            alias = current.replace(
                function_version=version,
                description=body.get("Description", current.description),
                additional_weights=weights,
                revision_id=new_revision(),
            )

            def stored() -> Alias:
                record.aliases[name] = alias
                return alias

            updated = await functions.commit([PutAlias(alias)], stored)
        functions.changed(function)  # what the alias's provisioned environments run may move
        return updated

    async def delete(self, function: str, name: str) -> None:
        """DeleteAlias; deleting an alias that does not exist succeeds, as on Lambda."""
        functions = self._functions
        functions.record(function)
        async with functions.writing(function):
            record = functions.record(function)
            if name not in record.aliases:
                return

            def deleted() -> None:
                del record.aliases[name]
                record.detach_qualifier(name)

            await functions.commit([DeleteAlias(function, name)], deleted)
        functions.changed(function)

    def _check_version_exists(self, record: FunctionRecord, version: str) -> None:
        if version != LATEST and version not in record.versions:
            raise ResourceNotFound(
                f"Function not found: {self._functions.account.function_arn(record.name, version)}"
            )
