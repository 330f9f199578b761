"""Alias routing: validating ``RoutingConfig`` and choosing the version for one invoke."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

from altus.control.arns import LATEST
from altus.control.errors import InvalidParameterValue


def check_routing(primary: str, weights: Mapping[str, float], published: set[str]) -> None:
    """AWS's rules: at most one additional version, published, not the primary, weight in
    [0, 1], and a weighted alias cannot point at $LATEST."""
    if not weights:
        return
    if len(weights) > 1:
        raise InvalidParameterValue(
            "Number of additional version weights in RoutingConfig must not exceed 1."
        )
    if primary == LATEST:
        raise InvalidParameterValue(
            "$LATEST is not supported for an alias pointing to more than 1 version"
        )
    for version, weight in weights.items():
        if version == primary:
            raise InvalidParameterValue(
                f"Alias's primary version cannot be the same as the additional version ({version})."
            )
        if version == LATEST or not version.isdigit():
            raise InvalidParameterValue(
                f"Invalid function version {version}. Function version {version} is not "
                "a published version."
            )
        if version not in published:
            raise InvalidParameterValue(
                f"Function version {version} does not exist. Please specify a valid version."
            )
        if not 0.0 <= weight <= 1.0:
            raise InvalidParameterValue(
                f"Invalid weight {weight} for version {version}: must be between 0.0 and 1.0"
            )


def choose_version(
    primary: str, weights: Mapping[str, float], draw: Callable[[], float] = random.random
) -> str:
    """The version one invoke of the alias runs: each additional version gets its weight's
    share of invokes, the primary the rest."""
    roll = draw()
    for version, weight in weights.items():
        if roll < weight:
            return version
        roll -= weight
    return primary
