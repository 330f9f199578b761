"""Secrets Manager's pure rules: how staging labels move, which versions are kept, how
filters read secrets, how passwords are drawn, how listings page."""

from __future__ import annotations

import string

import pytest

from altus.secretsmanager import filters, listing, passwords, versions
from altus.secretsmanager.errors import (
    InvalidNextToken,
    InvalidParameter,
    LimitExceeded,
    ResourceNotFound,
)
from altus.secretsmanager.model import CURRENT, PREVIOUS, Secret, Version

DAY_MS = 86_400_000


def secret(*labelled: tuple[str, tuple[str, ...]], **changes: object) -> Secret:
    made = Secret(
        arn="arn:aws:secretsmanager:us-east-1:1:secret:s-AbCdEf",
        name="s",
        created_ms=0,
        changed_ms=0,
        versions=tuple(Version(vid, stages, 0, seq=n) for n, (vid, stages) in enumerate(labelled)),
    )
    return made.replace(**changes)


def labels(found: Secret) -> dict[str, tuple[str, ...]]:
    return {v.id: v.stages for v in found.versions}


def test_a_new_current_version_moves_previous_to_the_one_it_left() -> None:
    before = secret(("a", (PREVIOUS,)), ("b", (CURRENT, "mine")))
    after = versions.add_version(before, Version("c", (CURRENT,), 5), 5)
    assert labels(after) == {"a": (), "b": ("mine", PREVIOUS), "c": (CURRENT,)}
    assert [v.seq for v in after.versions] == [0, 1, 2]
    # Labels the new version takes leave the others; AWSCURRENT stays put without it.
    pending = versions.add_version(after, Version("d", ("mine", "mine"), 6), 6)
    assert labels(pending)["b"] == (PREVIOUS,) and labels(pending)["d"] == ("mine",)
    assert labels(pending)["c"] == (CURRENT,)


def test_the_first_version_is_current_whatever_it_is_labelled() -> None:
    first = versions.add_version(secret(), Version("a", ("AWSPENDING",), 0), 0)
    assert labels(first) == {"a": (CURRENT, "AWSPENDING")}


def test_old_deprecated_versions_make_room_past_a_hundred_and_recent_ones_do_not() -> None:
    full = secret(*((f"v{n}", ()) for n in range(99)), ("cur", (CURRENT,)))
    with pytest.raises(LimitExceeded):  # every deprecated version is from today
        versions.add_version(full, Version("new", (CURRENT,), DAY_MS - 1), DAY_MS - 1)
    kept = versions.add_version(full, Version("new", (CURRENT,), DAY_MS), DAY_MS)
    assert len(kept.versions) == 100 and kept.versions[0].id == "v1"  # the oldest went
    assert labels(kept)["cur"] == (PREVIOUS,)


def test_labels_across_a_secrets_versions_are_limited() -> None:
    many = secret(("a", (CURRENT, *(f"l{n}" for n in range(19)))))
    with pytest.raises(LimitExceeded):
        versions.add_version(many, Version("b", ("one-more",), 1), 1)


def test_moving_a_label_by_aws_rules() -> None:
    before = secret(("a", (PREVIOUS,)), ("b", (CURRENT,)), ("c", ("AWSPENDING",)))
    with pytest.raises(InvalidParameter, match="RemoveFromVersionId can't be empty"):
        versions.move_stage(before, CURRENT, "c", None)
    with pytest.raises(InvalidParameter, match="must be set to the version"):
        versions.move_stage(before, CURRENT, "c", "a")
    with pytest.raises(ResourceNotFound):
        versions.move_stage(before, CURRENT, "zz", "b")
    moved = versions.move_stage(before, CURRENT, "c", "b")
    assert labels(moved) == {"a": (), "b": (PREVIOUS,), "c": ("AWSPENDING", CURRENT)}
    # A label on no version is attached; one's own label is removed where it is.
    tagged = versions.move_stage(moved, "mine", "a", None)
    assert labels(tagged)["a"] == ("mine",)
    assert labels(versions.move_stage(tagged, "mine", None, "a"))["a"] == ()
    with pytest.raises(InvalidParameter):
        versions.move_stage(tagged, "mine", None, "b")  # not there
    with pytest.raises(InvalidParameter):
        versions.move_stage(tagged, CURRENT, None, "c")  # AWSCURRENT only moves
    with pytest.raises(InvalidParameter):
        versions.move_stage(tagged, CURRENT, None, None)
    assert versions.move_stage(tagged, CURRENT, "c", "c") is tagged  # already there


def test_picking_the_version_to_read() -> None:
    found = secret(("a", (PREVIOUS,)), ("b", (CURRENT,)), ("c", ()))
    assert versions.pick(found, None, None).id == "b"
    assert versions.pick(found, None, PREVIOUS).id == "a"
    assert versions.pick(found, "c", None).id == "c"
    with pytest.raises(ResourceNotFound, match="for staging label: AWSPENDING"):
        versions.pick(found, None, "AWSPENDING")
    with pytest.raises(ResourceNotFound, match="for VersionId: d"):
        versions.pick(found, "d", None)


def test_filters_read_names_descriptions_tags_and_words() -> None:
    found = secret(
        description="Database password for prod",
        tags=(("Team", "core"),),
        name="prod/credsDatabase892",
    )

    def holds(key: str, *values: str) -> bool:
        return filters.matches(found, [{"Key": key, "Values": list(values)}], "us-east-1")

    assert filters.words("credsDatabase#892") == ["creds", "database", "892"]
    assert holds("name", "prod/") and not holds("name", "Prod/")
    assert holds("name", "nope", "prod") and not holds("name", "prod", "!prod/creds")
    assert holds("description", "DATA pass") and not holds("description", "word")
    assert holds("tag-key", "Te") and not holds("tag-key", "te")
    assert holds("tag-value", "!edge") and not holds("tag-value", "!core")
    assert holds("all", "database 892") and holds("all", "CORE")
    assert not holds("all", "database core")  # the words of one value, in one field
    assert holds("primary-region", "us-") and not holds("owning-service", "")


def test_passwords_keep_to_their_types() -> None:
    drawn = passwords.generate(4, exclude="abcdefghijklmnopqrstuvwxy0123456789")
    assert {c in string.digits for c in drawn} == {False}
    assert "z" in drawn and any(c in string.ascii_uppercase for c in drawn)
    with pytest.raises(InvalidParameter, match="too short"):
        passwords.generate(3)
    assert len(passwords.generate(3, each_type=False)) == 3
    with pytest.raises(InvalidParameter):  # nothing left to draw from
        passwords.generate(8, exclude=string.printable, space=True)


def test_listings_page_in_either_order_and_refuse_strange_tokens() -> None:
    items = [3, 1, 2, 5, 4]
    first, token = listing.page(items, lambda n: (n,), None, 2, descending=True)
    assert first == [5, 4] and token is not None
    rest, last = listing.page(items, lambda n: (n,), token, 10, descending=True)
    assert (rest, last) == ([3, 2, 1], None)
    with pytest.raises(InvalidNextToken):
        listing.page(items, lambda n: (n,), "%%%", 2)
    with pytest.raises(InvalidNextToken):
        listing.page(items, lambda n: (n,), listing.page(["a", "b"], lambda s: (s,), None, 1)[1], 2)
