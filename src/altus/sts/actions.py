"""What STS operations need of the caller's identity policies: GetCallerIdentity and
GetSessionToken nothing (AWS requires no permission for them); AssumeRole is authorised
by STS itself, which reads the role's trust policy first (``Sts.assume_role``); every
other operation (GetAccessKeyInfo) its ``sts:<Operation>`` on ``*``."""

from __future__ import annotations

from typing import Any

from altus.api.spec import Members


def actions(sts: Any, operation: str, members: Members) -> tuple[str, str] | None:
    if operation in ("GetCallerIdentity", "GetSessionToken", "AssumeRole"):
        return None
    return f"sts:{operation}", "*"
