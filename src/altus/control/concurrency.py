"""Reserved and provisioned concurrency settings: validated and stored here; the engine
(``engine.concurrency``, ``engine.provisioned``) acts on them.

Lambda's rules: the reservations of all functions leave at least 100 (a setting here) of
the account limit unreserved; a function's provisioned concurrency fits in its
reservation, or else in the unreserved pool; provisioned concurrency is configured on a
published version or an alias (without routing weights) that points to one, never on
$LATEST, and one version gets it from one qualifier only.
"""

from __future__ import annotations

import asyncio
from typing import Any

from altus.control.arns import LATEST, is_version
from altus.control.errors import (
    ControlError,
    InvalidParameterValue,
    ResourceConflict,
    ResourceNotFound,
)
from altus.control.functions import FunctionService
from altus.control.model import FunctionRecord, now_iso

RESERVED, PROVISIONED = "concurrency", "provisioned"


class ProvisionedConfigNotFound(ControlError):
    code = "ProvisionedConcurrencyConfigNotFoundException"
    status = 404


class ConcurrencyService:
    def __init__(self, functions: FunctionService, account_limit: int, min_unreserved: int) -> None:
        self._functions = functions
        self.account_limit = account_limit
        self.min_unreserved = min_unreserved
        # Reservations are checked against the whole account: one change at a time.
        self._account = asyncio.Lock()

    # --- reserved --------------------------------------------------------------------------

    def reserved(self, name: str) -> int | None:
        document = self._functions.record(name).attachment(RESERVED)
        return None if document is None else int(document["reserved"])

    def total_reserved(self, *, excluding: str | None = None) -> int:
        total = 0
        for record in self._functions.records():
            document = record.attachment(RESERVED)
            if document is not None and record.name != excluding:
                total += int(document["reserved"])
        return total

    async def put_reserved(self, name: str, reserved: int) -> int:
        self._functions.record(name)
        async with self._account:
            await self._functions.attach(
                name, RESERVED, "", lambda current: self._reservation(name, reserved)
            )
        return reserved

    def _reservation(self, name: str, reserved: int) -> dict[str, Any]:
        unreserved = self.account_limit - self.total_reserved(excluding=name) - reserved
        if unreserved < self.min_unreserved:
            raise InvalidParameterValue(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of "
                f"[{self.min_unreserved}]."
            )
        provisioned = self.total_provisioned(name)
        if reserved < provisioned:
            raise ResourceConflict(
                f"Reserved concurrency ({reserved}) cannot be less than the function's "
                f"provisioned concurrency ({provisioned})."
            )
        return {"reserved": reserved}

    async def delete_reserved(self, name: str) -> None:
        self._functions.record(name)
        async with self._account:
            await self._functions.attach(name, RESERVED, "", lambda current: None)

    # --- provisioned -------------------------------------------------------------------------

    def provisioned(self, name: str, qualifier: str) -> dict[str, Any]:
        self._check_qualifier(name, qualifier)
        document = self._functions.record(name).attachment(PROVISIONED, qualifier)
        if document is None:
            raise ProvisionedConfigNotFound(
                "No Provisioned Concurrency Config found for this function"
            )
        return document

    def provisioned_configs(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        documents = self._functions.record(name).attached.get(PROVISIONED, {})
        return sorted(documents.items())

    def total_provisioned(self, name: str, *, excluding: str | None = None) -> int:
        return sum(int(d["requested"]) for q, d in self.provisioned_configs(name) if q != excluding)

    async def put_provisioned(self, name: str, qualifier: str, requested: int) -> dict[str, Any]:
        self._check_qualifier(name, qualifier)
        async with self._account:
            document = await self._functions.attach(
                name,
                PROVISIONED,
                qualifier,
                lambda current: self._provisioning(name, qualifier, requested),
            )
        assert document is not None
        return document

    def _provisioning(self, name: str, qualifier: str, requested: int) -> dict[str, Any]:
        self._check_qualifier(name, qualifier)
        record = self._functions.record(name)
        version = _version_of(record, qualifier)
        if version == LATEST:
            raise InvalidParameterValue(
                "Provisioned Concurrency Configs cannot be applied to unpublished function "
                "versions."
            )
        if not is_version(qualifier) and record.aliases[qualifier].additional_weights:
            raise InvalidParameterValue(
                "Alias with weights can not be used with Provisioned Concurrency"
            )
        for other, _ in self.provisioned_configs(name):
            if other != qualifier and _version_of(record, other) == version:
                raise ResourceConflict(
                    f"Version {version} of {name} already has provisioned concurrency "
                    f"configured through {other}; a version gets it from one qualifier."
                )
        reserved = self.reserved(name)
        total = self.total_provisioned(name, excluding=qualifier) + requested
        if reserved is not None:
            if total > reserved:
                raise InvalidParameterValue(
                    "Requested Provisioned Concurrency should not be greater than the "
                    "reservedConcurrentExecution for function"
                )
        else:
            shared = self.account_limit - self.total_reserved()
            others = sum(
                self.total_provisioned(r.name)
                for r in self._functions.records()
                if r.name != name and r.attachment(RESERVED) is None
            )
            if total + others > shared - self.min_unreserved:
                raise InvalidParameterValue(
                    "Requested Provisioned Concurrency exceeds the account's unreserved "
                    f"concurrency, which must stay at least {self.min_unreserved}."
                )
        return {"requested": requested, "last_modified": _provisioned_time()}

    async def delete_provisioned(self, name: str, qualifier: str) -> None:
        self.provisioned(name, qualifier)

        def deleted(current: dict[str, Any] | None) -> None:
            self.provisioned(name, qualifier)

        async with self._account:
            await self._functions.attach(name, PROVISIONED, qualifier, deleted)

    def _check_qualifier(self, name: str, qualifier: str) -> None:
        if qualifier == LATEST:
            raise InvalidParameterValue(
                "Provisioned Concurrency Configs cannot be applied to unpublished function "
                "versions."
            )
        if not self._functions.qualifier_exists(name, qualifier):
            raise ResourceNotFound(
                f"Function not found: {self._functions.account.function_arn(name, qualifier)}"
            )


def _version_of(record: FunctionRecord, qualifier: str) -> str:
    if is_version(qualifier):
        return qualifier
    return record.aliases[qualifier].function_version


def _provisioned_time() -> str:
    # Provisioned concurrency configs carry second-precision times: 2019-12-31T20:28:49+0000
    return now_iso()[:19] + "+0000"
