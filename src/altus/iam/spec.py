"""The IAM service, as the framework sees it: botocore's ``iam`` model (the query
protocol), the operations Altus serves (roles, users and their access keys, groups,
inline and managed policies, permissions boundaries, tags), its tables, its
component."""

from __future__ import annotations

from collections.abc import Mapping

from altus.api.spec import Call, Members, Operation, Schemas, ServiceSpec
from altus.api.validate import CoralViolations
from altus.errors import AltusError
from altus.iam import actions, api, group_api, tag_api
from altus.iam.component import Iam
from altus.iam.errors import IamError, InvalidAction, ValidationError
from altus.iam.schema import SCHEMA


def _unknown(name: str | None) -> AltusError:
    if name is None:
        return InvalidAction("Could not find operation for this request.")
    return InvalidAction(f"Altus does not serve the {name} operation of IAM yet.")


def _one_at_a_time(operations: Mapping[str, Operation]) -> dict[str, Operation]:
    """IAM's writes, each whole before the next starts (``Iam.writing``): a write reads
    what it changes, awaits its store, then sets memory, and two interleaved ones would
    undo each other (a boundary lost to a concurrent TagRole) or outlive a delete (a
    policy put on a role being deleted). Reads (Get, List) run freely."""

    def serialized(operation: Operation) -> Operation:
        async def run(iam: Iam, call: Call, input: Members) -> Members:
            async with iam.writing:
                return await operation(iam, call, input)

        return run

    return {
        name: op if name.startswith(("Get", "List")) else serialized(op)
        for name, op in operations.items()
    }


SPEC = ServiceSpec(
    name="iam",
    operations=_one_at_a_time(
        {
            "CreateRole": api.create_role,
            "GetRole": api.get_role,
            "ListRoles": api.list_roles,
            "DeleteRole": api.delete_role,
            "UpdateAssumeRolePolicy": api.update_assume_role_policy,
            "UpdateRole": api.update_role,
            "UpdateRoleDescription": api.update_role_description,
            "PutRolePermissionsBoundary": api.put_role_permissions_boundary,
            "DeleteRolePermissionsBoundary": api.delete_role_permissions_boundary,
            "CreateUser": api.create_user,
            "GetUser": api.get_user,
            "ListUsers": api.list_users,
            "DeleteUser": api.delete_user,
            "UpdateUser": api.update_user,
            "PutUserPermissionsBoundary": api.put_user_permissions_boundary,
            "DeleteUserPermissionsBoundary": api.delete_user_permissions_boundary,
            "CreateAccessKey": api.create_access_key,
            "ListAccessKeys": api.list_access_keys,
            "UpdateAccessKey": api.update_access_key,
            "DeleteAccessKey": api.delete_access_key,
            **group_api.OPERATIONS,
            **api.HOLDER_OPERATIONS,
            **tag_api.OPERATIONS,
            "CreatePolicy": api.create_policy,
            "GetPolicy": api.get_policy,
            "DeletePolicy": api.delete_policy,
            "ListPolicies": api.list_policies,
            "ListEntitiesForPolicy": api.list_entities_for_policy,
            "CreatePolicyVersion": api.create_policy_version,
            "GetPolicyVersion": api.get_policy_version,
            "ListPolicyVersions": api.list_policy_versions,
            "DeletePolicyVersion": api.delete_policy_version,
            "SetDefaultPolicyVersion": api.set_default_policy_version,
        }
    ),
    errors=IamError,
    violations=CoralViolations(ValidationError),
    build=Iam,
    schemas=(Schemas((SCHEMA,)),),
    unknown=_unknown,
    actions=actions.actions,
    implied_by_caller=actions.implied_by_caller,
)
