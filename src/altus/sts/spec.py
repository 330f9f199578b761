"""The STS service, as the framework sees it: botocore's ``sts`` model (the query
protocol), the operations Altus serves so far (GetCallerIdentity, AssumeRole,
GetSessionToken, GetAccessKeyInfo), and its component."""

from __future__ import annotations

from altus.api.spec import ServiceSpec
from altus.api.validate import CoralViolations
from altus.errors import AltusError
from altus.sts import actions, api
from altus.sts.component import Sts
from altus.sts.errors import InvalidAction, StsError, ValidationError


def _unknown(name: str | None) -> AltusError:
    if name is None:
        return InvalidAction("Could not find operation for this request.")
    return InvalidAction(f"Altus does not serve the {name} operation of STS yet.")


SPEC = ServiceSpec(
    name="sts",
    operations={
        "GetCallerIdentity": api.get_caller_identity,
        "AssumeRole": api.assume_role,
        "GetSessionToken": api.get_session_token,
        "GetAccessKeyInfo": api.get_access_key_info,
    },
    errors=StsError,
    violations=CoralViolations(ValidationError),
    build=Sts,
    unknown=_unknown,
    # STS allows 15 minutes of clock skew where Lambda allows 5.
    clock_skew_minutes=15,
    actions=actions.actions,
)
