"""Functions' resource policies: AddPermission, GetPolicy, RemovePermission.

Each qualifier (the unqualified function, a version, an alias) has a policy of its own.
As on Lambda, a policy's RevisionId is that of what it is attached to (the function's
$LATEST, the version, the alias): AddPermission and RemovePermission take that one.
Unlike Lambda, a policy change does not give the function a new RevisionId (here a new
RevisionId is a new configuration, whose warm environments would be retired). Altus
stores and returns policies faithfully; enforcing them comes with request
authentication.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altus.control import policies
from altus.control.arns import FunctionRef, is_version
from altus.control.errors import ResourceNotFound
from altus.control.functions import FunctionService

POLICY = "policy"
_MISSING = "The resource you requested does not exist."


class PermissionService:
    def __init__(self, functions: FunctionService) -> None:
        self._functions = functions

    async def add(
        self, name: str, qualifier: str | None, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        self._current(name, qualifier)
        resource = self._functions.account.function_arn(name, qualifier)
        statement = policies.function_statement(body, resource)

        def added(document: dict[str, Any] | None) -> dict[str, Any]:
            self._current(name, qualifier)  # the qualifier may have gone meanwhile
            policies.check_revision(body.get("RevisionId"), self._revision(name, qualifier))
            current = (document or {}).get("statements", [])
            return {"statements": policies.with_statement(current, statement)}

        await self._functions.attach(name, POLICY, qualifier or "", added)
        return statement

    def get(self, name: str, qualifier: str | None) -> tuple[str, str]:
        """The policy document (JSON text) and its revision."""
        current = self._current(name, qualifier)
        if not current.get("statements"):
            raise ResourceNotFound(_MISSING)
        return policies.document(current["statements"]), self._revision(name, qualifier)

    async def remove(
        self, name: str, qualifier: str | None, sid: str, revision: str | None
    ) -> None:
        self._current(name, qualifier)

        def removed(document: dict[str, Any] | None) -> dict[str, Any] | None:
            self._current(name, qualifier)
            statements = (document or {}).get("statements", [])
            if not statements:
                raise ResourceNotFound(_MISSING)
            policies.check_revision(revision, self._revision(name, qualifier))
            kept = [s for s in statements if s["Sid"] != sid]
            if len(kept) == len(statements):
                raise ResourceNotFound("Statement sid is not found in resource policy.")
            return {"statements": kept} if kept else None

        await self._functions.attach(name, POLICY, qualifier or "", removed)

    def _revision(self, name: str, qualifier: str | None) -> str:
        record = self._functions.record(name)
        if qualifier is not None and not is_version(qualifier):
            return record.aliases[qualifier].revision_id
        return self._functions.config(FunctionRef(name, qualifier)).revision_id

    def _current(self, name: str, qualifier: str | None) -> dict[str, Any]:
        if qualifier is not None and not self._functions.qualifier_exists(name, qualifier):
            raise ResourceNotFound(
                f"Function not found: {self._functions.account.function_arn(name, qualifier)}"
            )
        return self._functions.record(name).attachment(POLICY, qualifier or "") or {}
