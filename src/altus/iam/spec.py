"""The IAM service, as the framework sees it: botocore's ``iam`` model (the query
protocol), the operations Altus serves so far (roles), its table, its component."""

from __future__ import annotations

from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import CoralViolations
from altus.errors import AltusError
from altus.iam import actions, api
from altus.iam.component import Iam
from altus.iam.errors import IamError, InvalidAction, ValidationError
from altus.iam.roles import SCHEMA


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
        "PutRolePolicy": api.put_role_policy,
        "GetRolePolicy": api.get_role_policy,
        "ListRolePolicies": api.list_role_policies,
        "DeleteRolePolicy": api.delete_role_policy,
        "AttachRolePolicy": api.attach_role_policy,
        "DetachRolePolicy": api.detach_role_policy,
        "ListAttachedRolePolicies": api.list_attached_role_policies,
    },
    errors=IamError,
    violations=CoralViolations(ValidationError),
    build=Iam,
    schemas=(Schemas((SCHEMA,)),),
    unknown=_unknown,
    actions=actions.actions,
)
