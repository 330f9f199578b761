"""The STS service's component: who a caller is, from the identity layer.

With ``--auth iam`` the dispatcher has authenticated the request, and the principal it
found is the caller. With ``--auth open`` nothing was verified: the caller is whoever the
request's key belongs to if Altus knows it (its administrator, a function's role
session), and the account's root otherwise, since any keys are accepted then.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

from altus.api.service import caller
from altus.api.spec import Call, Context
from altus.identity.authenticator import Identity, Principal, role_id_source, unique_id
from altus.identity.keys import SessionCredentials
from altus.sts.errors import (
    AccessDenied,
    MalformedPolicyDocument,
    PackedPolicyTooLarge,
    ValidationError,
)

#: Sessions of a role assumed by a role's session last at most this long (role chaining).
CHAINED_MAX_SECONDS = 3600
#: The most characters of session policy (inline and ARNs together) AWS packs.
SESSION_POLICY_LIMIT = 2048
#: GetSessionToken's default duration, and the most a root's session may last.
SESSION_TOKEN_SECONDS = 43200
ROOT_SESSION_MAX_SECONDS = 3600


class Sts:
    def __init__(self, context: Context) -> None:
        self.account = context.account
        self._identity: Identity = context.identity
        #: The account's roles (``altus.iam``, registered before STS).
        self._iam = context.component("iam")

    async def start(self) -> None:
        """Nothing of its own to start."""

    def interrupt(self) -> None:
        """Nothing here waits on a client."""

    async def close(self) -> None:
        """Nothing of its own to close."""

    def caller(self, call: Call) -> Principal:
        """Who called (the account's root for a key Altus does not know, ``open`` mode)."""
        known = caller(call, self._identity)
        return known or Principal(self.account.arn("iam", "root", regional=False), "")

    def user_id(self, caller: Principal) -> str:
        """``caller``'s unique id: the one IAM keeps for a user (a renamed user keeps its
        own), else the one its ARN gives."""
        return self._identity.unique_id_of(caller)

    def account_of_key(self, key_id: str) -> str:
        """The account an access key id belongs to (GetAccessKeyInfo). Every key and
        session of this server is this account's. AWS decodes the account from any key
        id, even one it does not know; Altus cannot decode another's key ids, so it
        answers its own account for those too."""
        return self.account.account_id

    def assume_role(
        self,
        caller: Principal,
        role_arn: str,
        session_name: str,
        seconds: int | None,
        policy: str | None,
        policy_arns: list[str],
        external_id: str | None = None,
        request: Mapping[str, str] | None = None,
    ) -> tuple[SessionCredentials, str, int | None]:
        """Temporary credentials of ``role_arn`` for ``caller``, if the role's trust policy
        lets it assume the role: (credentials, the session's ``AssumedRoleId``, the packed
        size of the session policies as a percentage, where some were given). ``request``:
        the condition keys the request gives (``aws:SourceIp`` ...)."""
        root = self.account.arn("iam", "root", regional=False)
        # A role session's role by its ARN with its path, as trust policies name it.
        role_of_caller = self._identity.permissions_of(caller.arn).role_arn or caller.role_arn
        named = [caller.arn] + ([role_of_caller] if role_of_caller is not None else [])
        context = {
            **(request or {}),
            "aws:PrincipalArn": role_of_caller or caller.arn,
            "aws:PrincipalAccount": self.account.account_id,
        }
        if external_id is not None:
            context["sts:ExternalId"] = external_id
        role = self._iam.trusted_callers(role_arn, named, context)
        if role is None:
            # Trusted through its account (root or id): then the caller's own policies
            # must allow sts:AssumeRole too, as in IAM.
            role = self._iam.trusted_callers(
                role_arn, [*named, root, self.account.account_id], context
            )
            if role is None:
                raise AccessDenied(
                    f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on "
                    f"resource: {role_arn}"
                )
        if self._identity.enforcing:
            # The trust policy is the role's resource policy: naming the caller, it
            # allows; naming only the account, the caller's own policies must; an
            # explicit deny in the caller's policies refuses either way.
            trust = json.loads(role.trust)
            self._identity.authorize(
                caller, "sts:AssumeRole", self._iam.arn(role), [trust], context
            )
        chained = caller.role_arn is not None
        duration = 3600 if seconds is None else seconds
        if chained and duration > CHAINED_MAX_SECONDS:
            raise ValidationError(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                "assumed by role chaining."
            )
        if duration > role.max_session:
            raise ValidationError(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        packed = _packed_size(policy, policy_arns)
        narrowing = self._session_policies(policy, policy_arns)
        credentials = self._identity.session(self._iam.arn(role), session_name, duration, narrowing)
        assumed_id = f"{unique_id('AROA', role_id_source(self.account.account_id, role.name))}"
        return credentials, f"{assumed_id}:{session_name}", packed

    def _session_policies(
        self, policy: str | None, policy_arns: list[str]
    ) -> tuple[Mapping[str, Any], ...] | None:
        """The documents a session is narrowed by: the inline one and the managed ones
        named (one IAM does not have allows nothing); None where none were given."""
        if policy is None and not policy_arns:
            return None
        documents: list[Mapping[str, Any]] = []
        if policy is not None:
            documents.append(json.loads(policy))
        for arn in policy_arns:
            found = self._iam.policies.find(arn)
            if found is not None:
                documents.append(json.loads(found.document))
        return tuple(documents)

    def session_token(self, caller: Principal, seconds: int | None) -> SessionCredentials:
        """Temporary credentials acting as ``caller`` itself (a user, or the root), with
        its permissions: GetSessionToken. A role's session cannot get one."""
        if caller.role_arn is not None or caller.access_key.startswith("ASIA"):
            raise AccessDenied("Cannot call GetSessionToken with session credentials")
        duration = SESSION_TOKEN_SECONDS if seconds is None else seconds
        if caller.arn == self.account.arn("iam", "root", regional=False):
            duration = min(duration, ROOT_SESSION_MAX_SECONDS)
        return self._identity.temporary(caller.arn, duration)


def _packed_size(policy: str | None, policy_arns: list[str]) -> int | None:
    """The session policies' share of what AWS packs, as a percentage (None: none given);
    the inline policy must be a policy document."""
    if policy is None and not policy_arns:
        return None
    if policy is not None:
        try:
            document = json.loads(policy)
        except (ValueError, RecursionError):  # RecursionError: nested past the parser's depth
            raise MalformedPolicyDocument("The policy is not in the valid JSON format.") from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise MalformedPolicyDocument("Syntax errors in policy.")
        policy = json.dumps(document, separators=(",", ":"))
    size = len(policy or "") + sum(len(arn) for arn in policy_arns)
    percent = max(1, round(100 * size / SESSION_POLICY_LIMIT))
    if size > SESSION_POLICY_LIMIT:
        raise PackedPolicyTooLarge(
            f"Packed policy consumes {percent}% of allotted space, please use smaller policy "
            "for assume role."
        )
    return percent


def expiration(credentials: SessionCredentials) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(credentials.expiration, datetime.UTC)
