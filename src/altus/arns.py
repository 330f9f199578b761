"""ARNs for any service: the account and region Altus writes into them, and parsing.

Altus uses AWS's formats (``arn:<partition>:<service>:<region>:<account>:<resource>``)
with its own region and account id, so clients that take ARNs apart keep working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LAYER_NAME = re.compile(r"[a-zA-Z0-9-_]{1,140}")


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(text: str) -> Arn | None:
    """The parts of an ARN; None for anything that is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


@dataclass(frozen=True, slots=True)
class Account:
    """Where ARNs point: Altus uses AWS's formats with its own region and account."""

    region: str
    account_id: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        """This account's ARN of ``resource`` in ``service`` (``regional=False``: with
        an empty region, as IAM and S3 write theirs)."""
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"

    def function_arn(self, name: str, qualifier: str | None = None) -> str:
        arn = f"arn:{self.partition}:lambda:{self.region}:{self.account_id}:function:{name}"
        return f"{arn}:{qualifier}" if qualifier else arn

    def layer_arn(self, name: str, version: int | None = None) -> str:
        arn = f"arn:{self.partition}:lambda:{self.region}:{self.account_id}:layer:{name}"
        return f"{arn}:{version}" if version is not None else arn

    def parse_layer_version_arn(self, arn: str) -> tuple[str, int] | None:
        """(name, version) of a layer version ARN of this account and region, else None."""
        prefix = self.layer_arn("")
        if not arn.startswith(prefix):
            return None
        name, _, version = arn[len(prefix) :].rpartition(":")
        if not _LAYER_NAME.fullmatch(name) or not version.isdigit():
            return None
        return name, int(version)

    def log_group(self, name: str) -> str:
        return f"/aws/lambda/{name}"
