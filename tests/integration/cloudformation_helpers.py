"""What the CloudFormation server tests share: bounded waits, a stack's settled state
and outputs, and code packages made in memory."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], T | None], *, limit: float = 60.0, what: str = "") -> T:
    """``check()``'s first answer that is not None, polled every 0.1 s up to ``limit``."""
    deadline = time.monotonic() + limit
    while True:
        found = check()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def settled(cf: Any, name: str, limit: float = 120.0) -> dict[str, Any]:
    """The stack (by name or id) once its operation has ended."""

    def check() -> dict[str, Any] | None:
        stack: dict[str, Any] = cf.describe_stacks(StackName=name)["Stacks"][0]
        return None if stack["StackStatus"].endswith("_IN_PROGRESS") else stack

    return wait_for(check, limit=limit, what=f"stack {name}")


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def zipped(files: dict[str, str]) -> bytes:
    """A zip of ``files`` (name to text)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
