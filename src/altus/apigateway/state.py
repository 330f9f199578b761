"""API Gateway's shared state: its documents in memory (mirroring the store), the one
lock every change takes, and the plan-then-apply step every change goes through: a
change is computed on a copy, written, and only then becomes what memory holds."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from altus.api.spec import Members
from altus.apigateway import patch
from altus.apigateway.errors import InternalServer, api_not_found
from altus.apigateway.model import API, SNAPSHOT, Change, Doc, Drop, Put, snapshot_id
from altus.apigateway.store import GatewayStore
from altus.arns import Account
from altus.clock import Clock

log = logging.getLogger(__name__)
T = TypeVar("T")

#: What a deployment whose snapshot is missing serves: nothing.
EMPTY_SNAPSHOT: Doc = {"resources": {}, "authorizers": {}, "gatewayResponses": {}}


def public(doc: Doc) -> Doc:
    """A document's members as the model has them (keys starting with ``_`` are
    Altus's own bookkeeping)."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def part(found: Any, key: Any, missing: Callable[[], Exception]) -> Doc:
    """The entry ``key`` of one of an API's maps (``found``: its stages, deployments,
    authorizers...), or ``missing()`` raised."""
    entry = found.get(str(key)) if isinstance(found, dict) else None
    if entry is None:
        raise missing()
    result: Doc = entry
    return result


def present(given: Any, members: Sequence[str]) -> Doc:
    """The ``members`` given a value (not empty) in ``given``, as given."""
    return {m: given[m] for m in members if given.get(m)}


class Core:
    def __init__(self, account: Account, clock: Clock, store: GatewayStore) -> None:
        self.account = account
        self.clock = clock
        self.store = store
        #: REST APIs: ``restApi`` (its members), ``resources``, ``authorizers``,
        #: ``models``, ``validators``, ``gatewayResponses``, ``deployments``, ``stages``,
        #: each by id (models by name, stages by name, responses by type).
        self.apis: dict[str, Doc] = {}
        #: Deployment snapshots by ``snapshot_id`` (never changed once made).
        self.snapshots: dict[str, Doc] = {}
        self.keys: dict[str, Doc] = {}
        self.plans: dict[str, Doc] = {}
        self.account_doc: Doc = {}
        self.lock = asyncio.Lock()
        #: Told the id of each API written (the directory drops what it built of it).
        self.on_api_changed: Callable[[str], None] = lambda api_id: None

    def now(self) -> float:
        return self.clock.now()

    def api(self, api_id: str) -> Doc:
        found = self.apis.get(api_id)
        if found is None:
            raise api_not_found(self.account.account_id, api_id)
        return found

    def snapshot(self, api_id: str, deployment_id: str) -> Doc:
        """What deployment ``deployment_id`` of the API serves (empty where it was
        never kept, so that nothing built of it fails)."""
        return self.snapshots.get(snapshot_id(api_id, deployment_id)) or EMPTY_SNAPSHOT

    def api_arn(self, api_id: str) -> str:
        return f"arn:{self.account.partition}:apigateway:{self.account.region}::/restapis/{api_id}"

    async def write(self, plan: Sequence[Change], applied: Callable[[], object]) -> None:
        """Write ``plan``, then let memory follow (``applied``). Raises InternalServer
        when the store fails: then nothing of it was kept, in the store or memory."""
        try:
            await self.store.apply(plan)
        except Exception:
            log.exception("writing an API Gateway change failed")
            raise InternalServer("The change could not be stored; nothing was changed.") from None
        applied()

    async def edit_api(
        self,
        api_id: str,
        change: Callable[[Doc], T],
        also: Sequence[Change] = (),
        *,
        threaded: bool = False,
    ) -> T:
        """Change a copy of the API (``change`` may raise: then nothing changed), write
        it with ``also`` (snapshot documents ``change`` may add to, a list), then hold
        it: ``change``'s answer. ``threaded``: copy and change on a worker thread (an
        import's work, too much for the event loop)."""
        async with self.lock:
            current = self.api(api_id)

            def work() -> tuple[Doc, T]:
                draft = copy.deepcopy(current)
                return draft, change(draft)

            draft, answer = await asyncio.to_thread(work) if threaded else work()
            plan = [Put(API, api_id, draft), *also]
            await self.write(plan, lambda: self.hold(api_id, draft, plan))
        return answer

    async def patch_part(
        self,
        input: Members,
        find: Callable[[Doc], Doc],
        rules: Sequence[patch.Rule],
        check: Callable[[Doc], object] = lambda found: None,
        shown: Callable[[Doc], Doc] = dict,
    ) -> Doc:
        """An Update call on a part of API ``input["restApiId"]``: the part ``find``
        finds patched by ``input["patchOperations"]``, then ``check``ed, written; the
        part as ``shown``."""

        def change(doc: Doc) -> Doc:
            found = find(doc)
            patch.apply(found, input.get("patchOperations"), rules)
            check(found)
            return shown(found)

        return await self.edit_api(str(input["restApiId"]), change)

    def hold(self, api_id: str, doc: Doc, plan: Sequence[Change] = ()) -> None:
        """Memory follows a written API and the snapshots written with it (and what was
        built of it is rebuilt)."""
        for change in plan:
            if isinstance(change, Put) and change.kind == SNAPSHOT:
                self.snapshots[change.id] = dict(change.doc)
            elif isinstance(change, Drop) and change.kind == SNAPSHOT:
                self.snapshots.pop(change.id, None)
        self.apis[api_id] = doc
        self.on_api_changed(api_id)

    async def edit_doc(
        self,
        kind: str,
        store: dict[str, Doc],
        doc_id: str,
        change: Callable[[Doc], Any],
        missing: Callable[[], Exception],
    ) -> Doc:
        """As ``edit_api`` for an API key or usage plan: the changed document."""
        async with self.lock:
            current = store.get(doc_id)
            if current is None:
                raise missing()
            draft = copy.deepcopy(current)
            change(draft)
            await self.write([Put(kind, doc_id, draft)], lambda: store.__setitem__(doc_id, draft))
        return draft
