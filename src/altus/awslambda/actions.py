"""The IAM action and resource each Lambda operation needs: ``lambda:<Operation>``, with
the few whose action is named otherwise, on the function (with its qualifier), the layer
or the tagged resource the call names, else ``*``. A function's and a layer version's own
policies come with them: they may allow the call as well."""

from __future__ import annotations

from altus.api.spec import Members, Needs
from altus.awslambda.component import Lambda
from altus.control.arns import parse_function_ref
from altus.errors import AltusError

#: Operations whose IAM action has another name than theirs.
RENAMED = {
    "Invoke": "InvokeFunction",
    "InvokeWithResponseStream": "InvokeFunction",
    "GetLayerVersionByArn": "GetLayerVersion",
}


def actions(lam: Lambda, operation: str, members: Members) -> Needs:
    action = f"lambda:{RENAMED.get(operation, operation)}"
    account = lam.account
    if operation.endswith("EventSourceMapping"):
        # Get, Update and Delete act on the mapping itself; Create names none yet.
        if "UUID" not in members:
            return action, "*"
        return action, (
            f"arn:{account.partition}:lambda:{account.region}:{account.account_id}"
            f":event-source-mapping:{members['UUID']}"
        )
    if operation == "ListEventSourceMappings":
        return action, "*"
    if "FunctionName" in members:
        try:
            ref = parse_function_ref(members["FunctionName"], account, members.get("Qualifier"))
        except AltusError:
            return action, "*"  # the operation refuses the name itself, in its own words
        # The function's own policy (AddPermission) may allow the call as well.
        return action, account.function_arn(ref.name, ref.qualifier), lam.policies(ref)
    if "LayerName" in members:
        layer = (
            members["LayerName"].rsplit(":", 1)[-1]
            if ":" in members["LayerName"]
            else (members["LayerName"])
        )
        version = members.get("VersionNumber")
        # A layer version's own policy (AddLayerVersionPermission) may allow it as well.
        return action, account.layer_arn(layer, version), lam.layer_policies(layer, version)
    if operation == "GetLayerVersionByArn":
        arn = str(members.get("Arn", "*"))
        parsed = account.parse_layer_version_arn(arn)
        return action, arn, lam.layer_policies(*parsed) if parsed is not None else []
    if "Resource" in members:
        return action, str(members["Resource"])
    return action, "*"
