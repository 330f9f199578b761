"""A secret as Secrets Manager models it: metadata (never encrypted, as on AWS) and
versions, each a value (kept only in the store, sealed) with the staging labels that
point at it.

Everything here is frozen: a change is a new ``Secret`` planned from the old one, written
to the store, then put in memory.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

#: The label of the version GetSecretValue answers by default, and the one it leaves.
CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"
PENDING = "AWSPENDING"
#: What ListSecretVersionIds reports as the key of a version sealed with the default key
#: (on AWS: the ``aws/secretsmanager`` managed key).
DEFAULT_KEY = "DefaultEncryptionKey"

#: A version's value: ``SecretString`` (str) or ``SecretBinary`` (bytes).
Value = str | bytes


@dataclass(frozen=True, slots=True)
class Version:
    id: str
    #: Its staging labels, in the order they were attached; none: deprecated.
    stages: tuple[str, ...]
    created_ms: int
    #: The KMS key named when it was made (None: the default key).
    kms_key_id: str | None = None
    #: Midnight (UTC) of the day it was last read, as AWS reports it; None: never.
    accessed_ms: int | None = None
    #: Its place among the secret's versions, in the order they were made (versions
    #: made in one millisecond still have one).
    seq: int = 0

    def replace(self, **changes: Any) -> Version:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Secret:
    arn: str
    name: str
    created_ms: int
    changed_ms: int
    description: str | None = None
    kms_key_id: str | None = None
    #: The partner an external secret belongs to (``Type``), as given.
    type: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    #: The resource policy (JSON text), as given.
    policy: str | None = None
    accessed_ms: int | None = None
    #: When DeleteSecret was called, and when the secret is to be purged; None unless it
    #: is scheduled for deletion.
    deleted_ms: int | None = None
    purge_ms: int | None = None
    #: Oldest first.
    versions: tuple[Version, ...] = ()

    def replace(self, **changes: Any) -> Secret:
        return dataclasses.replace(self, **changes)

    @property
    def scheduled(self) -> bool:
        """Whether it is scheduled for deletion (most operations refuse it then)."""
        return self.purge_ms is not None

    def version(self, version_id: str) -> Version | None:
        return next((v for v in self.versions if v.id == version_id), None)

    def holder(self, stage: str) -> Version | None:
        """The version ``stage`` is attached to, if any."""
        return next((v for v in self.versions if stage in v.stages), None)

    def stages(self) -> dict[str, list[str]]:
        """Version id -> labels, for the versions that have any (``VersionIdsToStages``)."""
        return {v.id: list(v.stages) for v in self.versions if v.stages}
