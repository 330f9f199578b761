"""The IAM service, as the framework sees it: botocore's ``iam`` model (the query
protocol), the operations Altus serves (roles, users and their access keys, groups,
inline and managed policies, permissions boundaries, tags), its tables, its
component."""

from __future__ import annotations

from altus.api.spec import Schemas, ServiceSpec
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


SPEC = ServiceSpec(
    name="iam",
    operations={
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
    },
    errors=IamError,
    violations=CoralViolations(ValidationError),
    build=Iam,
    schemas=(Schemas((SCHEMA,)),),
    unknown=_unknown,
    actions=actions.actions,
)
