"""What Parameter Store keeps: a parameter's versions (each a whole record: value, type,
tier, description...), the labels on them, and the parameter's tags; and the limits
AWS puts on them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

STRING = "String"
STRING_LIST = "StringList"
SECURE_STRING = "SecureString"

STANDARD = "Standard"
ADVANCED = "Advanced"
INTELLIGENT = "Intelligent-Tiering"

TEXT = "text"
EC2_IMAGE = "aws:ec2:image"

#: The key a SecureString is encrypted with when the caller names none.
DEFAULT_KEY = "alias/aws/ssm"
#: The most characters a value may have in each tier.
MAX_VALUE = {STANDARD: 4096, ADVANCED: 8192}
#: How many versions a parameter keeps (the oldest goes when one more is made).
MAX_VERSIONS = 100
#: The most labels one version may carry.
MAX_LABELS = 10
#: How many parameters of each tier an account and region may have.
MAX_PARAMETERS = {STANDARD: 10_000, ADVANCED: 100_000}
#: The most tags a parameter may have.
MAX_TAGS = 50


@dataclass(frozen=True, slots=True)
class ParameterVersion:
    """One version of a parameter, as PutParameter made it."""

    name: str
    version: int
    type: str
    #: The value in clear (a SecureString's decrypted).
    value: str
    tier: str
    data_type: str
    modified_ms: int
    #: The ARN of who made it.
    modified_by: str
    description: str = ""
    allowed_pattern: str = ""
    #: The key a SecureString is encrypted with (as the caller named it); None otherwise.
    key_id: str | None = None
    labels: tuple[str, ...] = ()
    #: A SecureString's value as stored (encrypted); None otherwise.
    sealed: str | None = None


@dataclass(frozen=True, slots=True)
class Parameter:
    """A parameter: its latest version, the numbers of the versions it keeps, its labels
    (label -> version) and its tags."""

    latest: ParameterVersion
    versions: tuple[int, ...]
    labels: Mapping[str, int] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.latest.name

    def labels_of(self, version: int) -> list[str]:
        return sorted(label for label, on in self.labels.items() if on == version)


@dataclass(frozen=True, slots=True)
class PutPlan:
    """A new version to write: made against the latest version ``expected`` (None: the
    parameter is new), dropping the version ``drop`` (the oldest, past the limit), with
    ``tags`` for a new parameter."""

    record: ParameterVersion
    expected: int | None
    drop: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
