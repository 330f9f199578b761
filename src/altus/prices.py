"""What Lambda charges, as a setting: AWS's published on-demand prices for US East
(N. Virginia), with the date they were read, unless the operator gives a table of their
own (``[prices]`` in altus.toml; every field can be overridden).

Duration is tiered by the month's GB-seconds per architecture (x86: 6 and 15 billion;
Arm: 7.5 and 18.75 billion). The free tier (1 million requests, 400,000 GB-seconds a
month) is not deducted: costs are what the usage would be charged before it.

The per-architecture tables (``duration``, ``provisioned_gb_second``,
``provisioned_duration_gb_second``) are merged with the defaults: a table that names
only ``x86_64`` keeps the default ``arm64`` prices, and the other way round. An
architecture no table names is charged as ``x86_64`` (``PriceTable.duration_of``,
``PriceTable.of``). Duration tiers must be non-empty, their ends increasing, the last
open-ended (``None``, or ``inf`` in TOML).
"""

from __future__ import annotations

import itertools
import math

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: What an architecture no table names is charged as.
DEFAULT_ARCHITECTURE = "x86_64"


class DurationTiers(BaseModel):
    """USD per GB-second, by how many GB-seconds the month has used so far."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: (GB-seconds where the tier ends, or None for the last; price per GB-second).
    tiers: tuple[tuple[float | None, float], ...]

    @field_validator("tiers")
    @classmethod
    def _well_formed(
        cls, tiers: tuple[tuple[float | None, float], ...]
    ) -> tuple[tuple[float | None, float], ...]:
        # TOML has no null: an end of inf is the open end.
        tiers = tuple((None if end == math.inf else end, price) for end, price in tiers)
        if not tiers:
            raise ValueError("duration tiers must not be empty")
        if tiers[-1][0] is not None:
            raise ValueError("the last duration tier must be open-ended (its end None)")
        ends = [end for end, _ in tiers[:-1]]
        if any(end is None for end in ends):
            raise ValueError("only the last duration tier may be open-ended")
        if any(end is not None and end <= 0 for end in ends) or any(
            a is not None and b is not None and b <= a for a, b in itertools.pairwise(ends)
        ):
            raise ValueError("duration tiers' ends must be positive and increasing")
        if any(price < 0 for _, price in tiers):
            raise ValueError("duration prices must not be negative")
        return tiers

    def first(self) -> float:
        return self.tiers[0][1]


def _default_duration() -> dict[str, DurationTiers]:
    return {
        "x86_64": DurationTiers(
            tiers=((6e9, 0.0000166667), (15e9, 0.0000150000), (None, 0.0000133334))
        ),
        "arm64": DurationTiers(
            tiers=((7.5e9, 0.0000133334), (18.75e9, 0.0000120001), (None, 0.0000106667))
        ),
    }


def _default_provisioned() -> dict[str, float]:
    return {"x86_64": 0.0000041667, "arm64": 0.0000033334}


def _default_provisioned_duration() -> dict[str, float]:
    return {"x86_64": 0.0000097222, "arm64": 0.0000077778}


class PriceTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    date: str = Field("2025-12-01", description="When these prices were read.")
    region: str = "us-east-1"
    currency: str = "USD"
    requests_per_million: float = 0.20
    duration: dict[str, DurationTiers] = Field(default_factory=_default_duration)
    #: Per GB-second of ephemeral storage configured over the free 512 MB.
    ephemeral_storage_gb_second: float = 0.0000000309
    #: Per GB-second of provisioned concurrency configured, by architecture.
    provisioned_gb_second: dict[str, float] = Field(default_factory=_default_provisioned)
    #: Per GB-second of duration of invocations served by provisioned concurrency.
    provisioned_duration_gb_second: dict[str, float] = Field(
        default_factory=_default_provisioned_duration
    )

    # An override of one architecture keeps the defaults of the others.
    @field_validator("duration")
    @classmethod
    def _duration_defaults(cls, value: dict[str, DurationTiers]) -> dict[str, DurationTiers]:
        return {**_default_duration(), **value}

    @field_validator("provisioned_gb_second")
    @classmethod
    def _provisioned_defaults(cls, value: dict[str, float]) -> dict[str, float]:
        return {**_default_provisioned(), **value}

    @field_validator("provisioned_duration_gb_second")
    @classmethod
    def _provisioned_duration_defaults(cls, value: dict[str, float]) -> dict[str, float]:
        return {**_default_provisioned_duration(), **value}

    def duration_of(self, architecture: str) -> DurationTiers:
        """The duration tiers of ``architecture`` (``x86_64``'s for one not named)."""
        found = self.duration.get(architecture)
        return found if found is not None else self.duration[DEFAULT_ARCHITECTURE]

    @staticmethod
    def of(table: dict[str, float], architecture: str) -> float:
        """A per-architecture price of ``table`` (``x86_64``'s for one not named)."""
        found = table.get(architecture)
        return found if found is not None else table[DEFAULT_ARCHITECTURE]


def invocation_cost(
    prices: PriceTable,
    architecture: str,
    memory_mb: int,
    billed_ms: int,
    ephemeral_mb: int = 512,
) -> float:
    """What one on-demand invocation costs at the first duration tier: its request, its
    billed duration at its memory, and ephemeral storage past 512 MB."""
    seconds = billed_ms / 1000
    duration = prices.duration_of(architecture).first() * memory_mb / 1024 * seconds
    storage = prices.ephemeral_storage_gb_second * max(0, ephemeral_mb - 512) / 1024 * seconds
    return prices.requests_per_million / 1e6 + duration + storage
