"""The SSM service's component: Parameter Store over its store, and the one question
the rest of Altus asks of it, ``value``.

Parameters live in the ``ssm`` schema of the main database; SecureString values are
encrypted there with the data directory's key (``secret.key``, shared with Lambda's
environment variables). Every write is planned (``planning``) against the parameter as
read, then written only if it is still so; a writer that loses that race is answered
``TooManyUpdates``, as Parameter Store answers concurrent updates.
"""

from __future__ import annotations

from collections.abc import Sequence

from altus.api.service import PRINCIPAL, caller, request_context
from altus.api.spec import Call, Context
from altus.identity.authenticator import Identity, Principal
from altus.ssm import names, patterns, reference
from altus.ssm.errors import (
    ParameterAlreadyExists,
    ParameterNotFound,
    ParameterPatternMismatch,
    ParameterVersionLabelLimitExceeded,
    ParameterVersionNotFound,
    TooManyUpdates,
)
from altus.ssm.model import ADVANCED, MAX_LABELS, STANDARD, Parameter, ParameterVersion
from altus.ssm.names import Reference
from altus.ssm.planning import Counts, plan_put
from altus.ssm.sql_store import SqlParameterStore
from altus.ssm.store import StoreConflict
from altus.store.secrets import FernetCipher

_CONCURRENT = "There are concurrent updates for a resource that supports one update at a time."


def version_not_found(name: str, selector: str) -> ParameterVersionNotFound:
    return ParameterVersionNotFound(
        f"Systems Manager could not find version {selector} of {name}. Verify the version and "
        "try again."
    )


class Ssm:
    def __init__(self, context: Context) -> None:
        self.account = context.account
        self._clock = context.clock
        self._identity: Identity = context.identity
        self.store = SqlParameterStore(
            context.storage.database(),
            FernetCipher.from_file(context.settings.data_dir / "secret.key"),
        )
        #: Secrets Manager (registered before SSM), for ``/aws/reference/secretsmanager/``.
        self.secrets: reference.Secrets = context.component("secretsmanager")

    async def start(self) -> None:
        """Nothing of its own to start: every call reads the store."""

    def interrupt(self) -> None:
        """Nothing here waits on a client."""

    async def close(self) -> None:
        """Nothing of its own to close."""

    # --- for the rest of Altus -------------------------------------------------------------

    async def value(self, name: str) -> str:
        """The value of a parameter, decrypted: ``name`` is a parameter's name, its ARN,
        or either with a selector (``name:3`` for version 3, ``name:prod`` for the version
        labelled ``prod``), or ``/aws/reference/secretsmanager/<secret id>`` (with
        ``:<staging label>`` or ``:<version id>``) for a Secrets Manager secret's value (a
        binary one in base64). Raises ``ParameterNotFound``, ``ParameterVersionNotFound``
        or ``ValidationException`` (a name no parameter can have), as GetParameter does;
        no permission is checked (the caller checks what its own caller may read)."""
        if reference.is_reference(name):
            fetched = await reference.fetch(self.secrets, reference.parse(name))
            return reference.text_of(fetched.value)
        return (await self.resolve(names.parse_reference(self.account, name))).value

    # --- callers -----------------------------------------------------------------------------

    def caller(self, call: Call) -> str:
        """The ARN of who makes ``call`` (recorded as a version's ``LastModifiedUser``):
        the authenticated principal, else the owner of the request's key, else the
        account's root (``--auth open`` takes any key)."""
        found = caller(call, self._identity)
        if found is None:
            return self.account.arn("iam", "root", regional=False)
        return found.arn

    def principal(self, call: Call) -> Principal | None:
        """Who signed ``call``, where calls are authenticated."""
        found = call.request.scope.get(PRINCIPAL)
        return found if isinstance(found, Principal) else None

    def authorize(self, call: Call, action: str, names_: Sequence[str]) -> None:
        """Where calls are authorised, the caller must be allowed ``action`` on every one
        of ``names_`` (GetParameters and DeleteParameters name several; the dispatcher
        checked the first)."""
        principal = self.principal(call)
        if not self._identity.enforcing or principal is None:
            return
        context = request_context(call.request.scope)
        for name in names_:
            self._identity.authorize(
                principal, action, names.arn(self.account, name), context=context
            )

    # --- reading -----------------------------------------------------------------------------

    async def parameter(self, name: str) -> Parameter:
        found = await self.store.parameter(name)
        if found is None:
            raise ParameterNotFound()
        return found

    async def resolve(self, ref: Reference) -> ParameterVersion:
        """The version ``ref`` selects (the latest unless it names one)."""
        found = await self.store.parameter(ref.name)
        if found is None and ref.also is not None:
            found = await self.store.parameter(ref.also)
        if found is None:
            raise ParameterNotFound()
        if ref.version is None and ref.label is None:
            return found.latest
        number = ref.version if ref.version is not None else found.labels.get(ref.label or "")
        record = await self.store.version(found.name, number) if number is not None else None
        if record is None:
            raise version_not_found(found.name, (ref.selector or "")[1:])
        return record

    # --- writing -----------------------------------------------------------------------------

    async def put(self, name: str, input: dict[str, object], caller: str) -> ParameterVersion:
        """PutParameter of a checked name: the version made (not written for an
        ``aws:ec2:image`` value that is no AMI id, as AWS's asynchronous check drops it)."""
        current = await self.store.parameter(name)
        counts = Counts(await self.store.count(STANDARD), await self.store.count(ADVANCED))
        planned = plan_put(name, input, current, counts, caller, int(self._clock.now() * 1000))
        record = planned.plan.record
        if record.allowed_pattern and not await patterns.matches(
            record.allowed_pattern, record.value
        ):
            raise ParameterPatternMismatch(
                f"Parameter value, cannot be validated against allowedPattern: "
                f"{record.allowed_pattern}"
            )
        if not planned.write:
            return record
        try:
            await self.store.put(planned.plan)
        except StoreConflict:
            if planned.plan.expected is None and not input.get("Overwrite"):
                raise ParameterAlreadyExists(
                    "The parameter already exists. To overwrite this value, set the "
                    "overwrite option in the request to true."
                ) from None
            raise TooManyUpdates(_CONCURRENT) from None
        return record

    async def label(
        self, name: str, version: int | None, labels: Sequence[str]
    ) -> tuple[int, list[str]]:
        """Attach the valid ones of ``labels`` to ``version`` (the latest if None); the
        version, and the labels refused for their form."""
        found = await self.parameter(name)
        number = version if version is not None else found.latest.version
        if number not in found.versions:
            raise version_not_found(name, str(number))
        invalid = [label for label in labels if not names.valid_label(label)]
        chosen = list(dict.fromkeys(label for label in labels if names.valid_label(label)))
        carried = set(found.labels_of(number)) | set(chosen)
        if len(carried) > MAX_LABELS:
            raise ParameterVersionLabelLimitExceeded(
                "A parameter version can have maximum 10 labels. Move one or more labels to "
                "another version and try again."
            )
        if chosen:
            try:
                await self.store.label(name, number, chosen)
            except StoreConflict:
                raise TooManyUpdates(_CONCURRENT) from None
        return number, invalid

    async def unlabel(
        self, name: str, version: int, labels: Sequence[str]
    ) -> tuple[list[str], list[str]]:
        """Detach ``labels`` from ``version``: (those removed, those it did not carry)."""
        found = await self.parameter(name)
        if version not in found.versions:
            raise version_not_found(name, str(version))
        removed = await self.store.unlabel(name, version, labels)
        return removed, [label for label in dict.fromkeys(labels) if label not in removed]
