"""The STS service's component: who a caller is, from the identity layer.

With ``--auth iam`` the dispatcher has authenticated the request, and the principal it
found is the caller. With ``--auth open`` nothing was verified: the caller is whoever the
request's key belongs to if Altus knows it (its administrator, a function's role
session), and the account's root otherwise, since any keys are accepted then.
"""

from __future__ import annotations

from altus.api.dispatch import PRINCIPAL
from altus.api.spec import Call, Context
from altus.identity.authenticator import Identity, Principal


class Sts:
    def __init__(self, context: Context) -> None:
        self.account = context.account
        self._identity: Identity = context.identity

    async def start(self) -> None:
        """Nothing of its own to start."""

    def interrupt(self) -> None:
        """Nothing here waits on a client."""

    async def close(self) -> None:
        """Nothing of its own to close."""

    def caller(self, call: Call) -> Principal:
        scope = call.request.scope
        found = scope.get(PRINCIPAL)
        if isinstance(found, Principal):
            return found
        known = self._identity.identify(scope.get("query_string", b""), scope["headers"])
        return known or Principal(self.account.arn("iam", "root", regional=False), "")
