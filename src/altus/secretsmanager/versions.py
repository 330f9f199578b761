"""Versions and their staging labels, as Secrets Manager moves them: pure functions from
a secret to the secret after a change (or an error, the secret unchanged).

- A label is attached to one version at a time: attaching it elsewhere takes it from
  where it was.
- When ``AWSCURRENT`` moves, ``AWSPREVIOUS`` moves to the version it left, and an
  ``AWSPENDING`` there (a rotation finished on it) goes.
- The first version of a secret is ``AWSCURRENT`` whatever labels it was given.
- A version without labels is deprecated. Secrets Manager deletes deprecated versions
  when a secret has more than 100, oldest first, but never one made in the last 24 hours;
  a new version that would leave more than 100 otherwise is refused (AWS's quota for
  secret versions).
"""

from __future__ import annotations

from collections.abc import Iterable

from altus.secretsmanager.errors import InvalidParameter, InvalidRequest, LimitExceeded
from altus.secretsmanager.errors import ResourceNotFound as NotFound
from altus.secretsmanager.model import CURRENT, PENDING, PREVIOUS, Secret, Version

#: Versions a secret keeps before deprecated ones are deleted.
MAX_VERSIONS = 100
#: Deprecated versions younger than this are kept even past ``MAX_VERSIONS``.
KEEP_RECENT_MS = 24 * 3600 * 1000
#: Staging labels attached across all the versions of one secret (AWS's quota).
MAX_LABELS = 20


def unique(stages: Iterable[str]) -> tuple[str, ...]:
    """Labels in the order given, each once."""
    return tuple(dict.fromkeys(stages))


def add_version(secret: Secret, version: Version, now_ms: int) -> Secret:
    """``secret`` with ``version`` added, carrying the labels in ``version.stages`` (taken
    from the versions that had them). Raises LimitExceeded if it would exceed a quota."""
    requested = unique(version.stages)
    if not secret.versions and CURRENT not in requested:
        requested = (CURRENT, *requested)
    was_current = secret.holder(CURRENT) if CURRENT in requested else None
    versions = [_without(v, requested) for v in secret.versions]
    if was_current is not None and PENDING in was_current.stages:
        # A rotation finished on that version (AWSPENDING beside AWSCURRENT): the label
        # goes when AWSCURRENT leaves it, as Secrets Manager drops it.
        versions = [_without(v, (PENDING,)) if v.id == was_current.id else v for v in versions]
    if was_current is not None and PREVIOUS not in requested:
        versions = _label(versions, PREVIOUS, was_current.id)
    seq = max((v.seq for v in secret.versions), default=-1) + 1
    versions.append(version.replace(stages=requested, seq=seq))
    _check_labels(versions)
    return secret.replace(versions=tuple(_retain(versions, now_ms)))


def move_stage(secret: Secret, stage: str, move_to: str | None, remove_from: str | None) -> Secret:
    """UpdateSecretVersionStage: attach ``stage`` to ``move_to`` and/or take it from
    ``remove_from``, by AWS's rules (a label on another version must be named in
    ``RemoveFromVersionId`` to move; ``AWSCURRENT`` can move but not just be removed)."""
    for named in (move_to, remove_from):
        if named is not None and secret.version(named) is None:
            raise NotFound(f"Secrets Manager can't find the specified secret version: {named}")
    holder = secret.holder(stage)
    if move_to is None:
        if remove_from is None:
            raise InvalidParameter(
                "You must specify MoveToVersionId or RemoveFromVersionId (or both)."
            )
        if holder is None or holder.id != remove_from:
            raise InvalidParameter(
                f"The staging label {stage} is not attached to version {remove_from}."
            )
        if stage == CURRENT:
            raise InvalidParameter(
                f"You can only move staging label {CURRENT} to a different secret version. "
                "It can't be completely removed."
            )
        return secret.replace(versions=tuple(_without(v, (stage,)) for v in secret.versions))
    if holder is not None and holder.id != move_to:
        if remove_from is None:
            raise InvalidParameter(
                f"The parameter RemoveFromVersionId can't be empty. Staging label {stage} is "
                f"currently attached to version {holder.id}, so you must explicitly reference "
                "that version in RemoveFromVersionId."
            )
        if remove_from != holder.id:
            raise InvalidParameter(
                f"When you move staging label {stage}, if you specify RemoveFromVersionId, it "
                f"must be set to the version that currently has the staging label {stage}."
            )
    elif holder is None and remove_from is not None and remove_from != move_to:
        raise InvalidParameter(
            f"The staging label {stage} is not attached to version {remove_from}."
        )
    if holder is not None and holder.id == move_to:
        return secret  # already there: nothing moves
    versions = _label([_without(v, (stage,)) for v in secret.versions], stage, move_to)
    if stage == CURRENT and holder is not None:
        versions = _label(versions, PREVIOUS, holder.id)
    _check_labels(versions)
    return secret.replace(versions=tuple(versions))


def pick(secret: Secret, version_id: str | None, stage: str | None) -> Version:
    """The version GetSecretValue answers with: by id, by label (``AWSCURRENT`` when
    neither is given), or by both, which must agree."""
    if version_id is not None:
        found = secret.version(version_id)
        if found is None:
            raise NotFound(
                f"Secrets Manager can't find the specified secret value for VersionId: {version_id}"
            )
        if stage is not None and stage not in found.stages:
            raise InvalidRequest(
                "You provided a VersionStage that is not associated to the provided VersionId."
            )
        return found
    label = stage if stage is not None else CURRENT
    holder = secret.holder(label)
    if holder is None:
        raise NotFound(
            f"Secrets Manager can't find the specified secret value for staging label: {label}"
        )
    return holder


def _without(version: Version, stages: tuple[str, ...]) -> Version:
    if not any(s in stages for s in version.stages):
        return version
    return version.replace(stages=tuple(s for s in version.stages if s not in stages))


def _label(versions: list[Version], stage: str, version_id: str) -> list[Version]:
    """``stage`` attached to ``version_id`` alone."""
    labelled = []
    for v in versions:
        if v.id != version_id:
            labelled.append(_without(v, (stage,)))
        elif stage in v.stages:
            labelled.append(v)
        else:
            labelled.append(v.replace(stages=(*v.stages, stage)))
    return labelled


def _check_labels(versions: list[Version]) -> None:
    if sum(len(v.stages) for v in versions) > MAX_LABELS:
        raise LimitExceeded(
            f"A secret can have at most {MAX_LABELS} staging labels attached across its versions."
        )


def _retain(versions: list[Version], now_ms: int) -> list[Version]:
    """Past ``MAX_VERSIONS``, the oldest deprecated versions made over a day ago go."""
    excess = len(versions) - MAX_VERSIONS
    if excess <= 0:
        return versions
    doomed = [v.id for v in versions if not v.stages and now_ms - v.created_ms >= KEEP_RECENT_MS]
    if len(doomed) < excess:
        raise LimitExceeded(
            f"The secret already has {MAX_VERSIONS} versions, and Secrets Manager keeps the "
            "labelled ones and those made in the last 24 hours. Remove staging labels from "
            "old versions, or wait, before you add another."
        )
    gone = set(doomed[:excess])
    return [v for v in versions if v.id not in gone]
