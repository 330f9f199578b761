"""Parameter names as Parameter Store reads them: the hierarchy rules, the reserved
prefixes, selectors (``name:3``, ``name:prod``), labels, paths and ARNs.

A name is case-sensitive. Names in a hierarchy start with ``/``; each level is made of
letters, digits, ``.``, ``-`` and ``_``; there are at most 15 levels; a name cannot
start with ``aws`` or ``ssm`` in any case (those are AWS's own: ``/aws/service/...``,
``/aws/reference/secretsmanager/...``). Its ARN is ``arn:aws:ssm:<region>:<account>:
parameter/<name without its leading slash>``, and that ARN may be 1011 characters at
most (AWS counts the ARN's prefix against the 2048 its model allows, of which 1037 are
its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from altus.arns import Account
from altus.ssm.errors import HierarchyLevelLimitExceeded, ReservedName, ValidationException

#: The deepest hierarchy a name may have.
MAX_LEVELS = 15
#: The longest a parameter's ARN may be (name included).
MAX_ARN = 1011
#: The longest a label may be.
MAX_LABEL = 100

_LEVEL = re.compile(r"[a-zA-Z0-9_.\-]+")
_LABEL = re.compile(r"[a-zA-Z0-9_.\-]{1,100}")
_RESERVED = ("aws", "ssm")

# AWS's words for a name it refuses (PutParameter, GetParameter...), whatever the
# reason: the ``ssm`` of the first sentence is the same for every refusal.
NAME_RULES = (
    'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, '
    "it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a "
    "mix of letters, numbers and the following 3 symbols .-_"
)
# ... and for a path it refuses (GetParametersByPath), backslashes included as AWS sends
# them.
PATH_RULES = (
    "The parameter doesn't meet the parameter name requirements. The parameter name must "
    'begin with a forward slash "/". It can\'t be prefixed with \\"aws\\" or \\"ssm\\" '
    "(case-insensitive). It must use only letters, numbers, or the following symbols: . "
    "(period), - (hyphen), _ (underscore). Special characters are not allowed. All "
    'sub-paths, if specified, must use the forward slash symbol "/". Valid example: '
    "/get/parameters2-/by1./path0_."
)
LEVELS_MESSAGE = (
    "A hierarchy can have a maximum of 15 levels. For more information, see Requirements "
    "and constraints for parameter names in the Amazon Web Services Systems Manager User "
    "Guide."
)


def levels(name: str) -> list[str]:
    """The levels of a name (``/a/b`` and ``a`` have 2 and 1)."""
    return name.removeprefix("/").split("/")


def well_formed(name: str) -> bool:
    """Whether ``name`` has the form of a parameter name (reserved prefixes aside)."""
    if "/" in name and not name.startswith("/"):
        return False
    return all(_LEVEL.fullmatch(level) for level in levels(name))


def reserved(name: str) -> bool:
    """Whether ``name`` is under AWS's own prefixes, which no one may create."""
    return name.removeprefix("/").lower().startswith(_RESERVED)


def check_writable(name: str) -> None:
    """Raises ReservedName for a name under ``aws`` (any case), as AWS refuses a write
    of one: ``AccessDeniedException``, ``No access to reserved parameter name: <name>.``
    (without its leading slash). Names under ``ssm`` are refused as malformed instead."""
    bare = name.removeprefix("/")
    if bare.lower().startswith("aws"):
        raise ReservedName(f"No access to reserved parameter name: {bare}.")


def canonical(name: str) -> str:
    """A one-level name given with a leading slash is the name without it (``/single``
    is ``single``, as Parameter Store stores it): one ARN, one parameter."""
    if name.startswith("/") and "/" not in name[1:]:
        return name[1:]
    return name


def arn(account: Account, name: str) -> str:
    return account.arn("ssm", f"parameter/{name.removeprefix('/')}")


def checked_new_name(account: Account, name: str) -> str:
    """A name PutParameter may create, without the spaces around it (AWS drops them);
    raises ValidationException or HierarchyLevelLimitExceeded."""
    name = name.strip(" ")
    if well_formed(name):
        check_writable(name)
    if not well_formed(name) or reserved(name):
        raise ValidationException(NAME_RULES)
    name = canonical(name)
    if len(levels(name)) > MAX_LEVELS:
        raise HierarchyLevelLimitExceeded(LEVELS_MESSAGE)
    full = arn(account, name)
    if len(full) > MAX_ARN:
        raise ValidationException(
            f"Parameter name is too long: its ARN ({len(full)} characters) may have at most "
            f"{MAX_ARN} characters."
        )
    return name


def checked_name(name: str) -> str:
    """A name to read, delete or label, without the spaces around it; raises
    ValidationException for one no parameter can have (AWS's own prefixes may be read)."""
    name = name.strip(" ")
    if not well_formed(name):
        raise ValidationException(NAME_RULES)
    return canonical(name)


def checked_path(path: str) -> str:
    """A hierarchy GetParametersByPath reads, as ``/a/b`` (``/`` for the root); raises
    ValidationException in AWS's words for paths."""
    path = path.strip(" ")
    if not path.startswith("/"):
        raise ValidationException(PATH_RULES)
    trimmed = path[:-1] if path.endswith("/") and path != "/" else path
    if trimmed != "/" and not well_formed(trimmed):
        raise ValidationException(PATH_RULES)
    return trimmed


def under(path: str, name: str, recursive: bool) -> bool:
    """Whether ``name`` is in the hierarchy ``path`` (a checked path): one level below
    it, or any depth with ``recursive``. A name without a leading slash is at the root."""
    full = name if name.startswith("/") else f"/{name}"
    prefix = "/" if path == "/" else f"{path}/"
    if not full.startswith(prefix) or full == prefix:
        return False
    return recursive or "/" not in full[len(prefix) :]


def valid_label(label: str) -> bool:
    """Whether ``label`` may be attached: letters, digits, ``.``, ``-`` and ``_``, at most
    100 of them, not starting with a digit, ``aws`` or ``ssm`` (in any case)."""
    return (
        _LABEL.fullmatch(label) is not None
        and not label[0].isdigit()
        and not label.lower().startswith(_RESERVED)
    )


@dataclass(frozen=True, slots=True)
class Reference:
    """A parameter as a reader names it: its name and what selects a version."""

    name: str
    version: int | None = None
    label: str | None = None
    #: Another name the reader may mean: an ARN names ``foo`` and ``/foo`` alike.
    also: str | None = None

    @property
    def selector(self) -> str | None:
        """As GetParameter reports it: ``:3`` or ``:prod``."""
        if self.version is not None:
            return f":{self.version}"
        if self.label is not None:
            return f":{self.label}"
        return None


def parse_reference(account: Account, text: str) -> Reference:
    """``name``, ``name:version`` or ``name:label``, or the ARN of one of them in this
    account and region; raises ValidationException for anything else."""
    text = text.strip(" ")
    if text.startswith("arn:"):
        prefix = account.arn("ssm", "parameter/")
        if not text.startswith(prefix):
            raise ValidationException(NAME_RULES)
        # The ARN drops a name's leading slash: a hierarchical name had one, and a name
        # of one level may have had one.
        rest = text[len(prefix) :]
        head = rest.split(":", 1)[0]
        text = f"/{rest}"
        also = None if "/" in head else head
    else:
        also = None
    name, colon, selector = text.partition(":")
    name = checked_name(name)
    if also is not None:
        also = checked_name(also)
    if not colon:
        return Reference(name, also=also)
    if selector.isdigit() and selector.isascii():
        return Reference(name, version=int(selector), also=also)
    if valid_label(selector):
        return Reference(name, label=selector, also=also)
    raise ValidationException(
        f"Invalid selector {selector!r}: a version number or a label may follow the "
        "parameter name after a colon."
    )
