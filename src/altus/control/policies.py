"""Resource policies: the statements AddPermission and AddLayerVersionPermission write,
in the JSON Lambda returns (pure functions).

Lambda stores one policy document per function qualifier (and per layer version), of
the form ``{"Version": "2012-10-17", "Id": "default", "Statement": [...]}``; GetPolicy
answers it as a JSON string. The request members become a statement as Lambda renders
them: an account id principal becomes its root ARN, a service principal a ``Service``
entry, the source and other conditions IAM condition keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from altus.control.errors import InvalidParameterValue, PreconditionFailed, ResourceConflict

#: Lambda's limit on one function's (or layer version's) policy document.
POLICY_LIMIT_BYTES = 20 * 1024

_ACCOUNT = re.compile(r"\d{12}")


def principal(value: str) -> str | dict[str, str]:
    """The Principal element for AddPermission's ``Principal`` member."""
    if value == "*":
        return "*"
    if _ACCOUNT.fullmatch(value):
        return {"AWS": f"arn:aws:iam::{value}:root"}
    if value.startswith("arn:"):
        return {"AWS": value}
    return {"Service": value}


def _allow(body: Mapping[str, Any], resource: str) -> dict[str, Any]:
    return {
        "Sid": body["StatementId"],
        "Effect": "Allow",
        "Principal": principal(body["Principal"]),
        "Action": body["Action"],
        "Resource": resource,
    }


def function_statement(body: Mapping[str, Any], resource: str) -> dict[str, Any]:
    """The statement an AddPermission request adds to the policy of ``resource``."""
    statement = _allow(body, resource)
    condition: dict[str, dict[str, str]] = {}
    equals: dict[str, str] = {}
    if body.get("SourceAccount"):
        equals["AWS:SourceAccount"] = body["SourceAccount"]
    if body.get("PrincipalOrgID"):
        equals["aws:PrincipalOrgID"] = body["PrincipalOrgID"]
    if body.get("EventSourceToken"):
        equals["lambda:EventSourceToken"] = body["EventSourceToken"]
    if body.get("FunctionUrlAuthType"):
        equals["lambda:FunctionUrlAuthType"] = body["FunctionUrlAuthType"]
    if equals:
        condition["StringEquals"] = equals
    if body.get("SourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": body["SourceArn"]}
    if body.get("InvokedViaFunctionUrl") is not None:
        condition["Bool"] = {
            "lambda:InvokedViaFunctionUrl": "true" if body["InvokedViaFunctionUrl"] else "false"
        }
    if condition:
        statement["Condition"] = condition
    return statement


def layer_statement(body: Mapping[str, Any], resource: str) -> dict[str, Any]:
    """The statement an AddLayerVersionPermission request adds."""
    statement = _allow(body, resource)
    if body.get("OrganizationId"):
        if body["Principal"] != "*":
            raise InvalidParameterValue("OrganizationId can only be specified with Principal '*'.")
        statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": body["OrganizationId"]}}
    return statement


def document(statements: Sequence[Mapping[str, Any]]) -> str:
    """The policy document as GetPolicy returns it (a JSON string)."""
    return json.dumps(
        {"Version": "2012-10-17", "Id": "default", "Statement": [dict(s) for s in statements]},
        separators=(",", ":"),
    )


def statement_json(statement: Mapping[str, Any]) -> str:
    """One statement as AddPermission answers it (a JSON string)."""
    return json.dumps(dict(statement), separators=(",", ":"))


def with_statement(
    statements: Sequence[Mapping[str, Any]], statement: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The statements with one more; refuses a duplicate Sid or a policy past 20 KB."""
    if any(s["Sid"] == statement["Sid"] for s in statements):
        raise ResourceConflict(
            f"The statement id ({statement['Sid']}) provided already exists. Please choose a "
            "new statement id, or remove the existing statement."
        )
    grown = [dict(s) for s in statements] + [dict(statement)]
    if len(document(grown).encode()) > POLICY_LIMIT_BYTES:
        raise InvalidParameterValue("The final policy size is bigger than the limit.")
    return grown


def check_revision(expected: str | None, current: str | None) -> None:
    if expected and expected != current:
        raise PreconditionFailed(
            "The RevisionId provided does not match the latest RevisionId for the Lambda "
            "function or alias. Call the GetFunction or the GetAlias API to retrieve the "
            "latest RevisionId for your resource."
        )
