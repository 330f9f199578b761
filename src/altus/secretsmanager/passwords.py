"""GetRandomPassword: a password from the ``secrets`` module's randomness (the operating
system's CSPRNG), of the character types the caller keeps.

By default a password is 32 characters of upper and lower case letters, digits and
punctuation (``!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~``), with at least one of each type
(``RequireEachIncludedType``); a space may be allowed (``IncludeSpace``) and any
characters excluded (``ExcludeCharacters``), which also narrows the types required.
"""

from __future__ import annotations

import secrets
import string

from altus.secretsmanager.errors import InvalidParameter

DEFAULT_LENGTH = 32
PUNCTUATION = string.punctuation

_random = secrets.SystemRandom()


def generate(
    length: int = DEFAULT_LENGTH,
    *,
    exclude: str = "",
    numbers: bool = True,
    punctuation: bool = True,
    uppercase: bool = True,
    lowercase: bool = True,
    space: bool = False,
    each_type: bool = True,
) -> str:
    """A random password; InvalidParameter when no character is left to make one of, or
    it is too short to hold one of each type it must."""
    types = [
        chars
        for chars, kept in (
            (string.ascii_lowercase, lowercase),
            (string.ascii_uppercase, uppercase),
            (string.digits, numbers),
            (PUNCTUATION, punctuation),
        )
        if kept
    ]
    banned = set(exclude)
    types = [kept for kept in ("".join(c for c in t if c not in banned) for t in types) if kept]
    pool = "".join(types) + (" " if space and " " not in banned else "")
    if not pool:
        raise InvalidParameter(
            "The password can't be made: every character type is excluded or every "
            "character of the types kept is in ExcludeCharacters."
        )
    required = types if each_type else []
    if length < len(required):
        raise InvalidParameter("Password length is too short based on the required types.")
    chosen = [_random.choice(t) for t in required]
    chosen += [_random.choice(pool) for _ in range(length - len(chosen))]
    _random.shuffle(chosen)
    return "".join(chosen)
