"""The CloudFormation service, as the framework sees it: botocore's ``cloudformation``
model (the query protocol), the operations Altus serves (stacks, change sets, templates,
exports), and its component."""

from __future__ import annotations

from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import CoralViolations
from altus.cloudformation import actions, api
from altus.cloudformation.component import CloudFormation
from altus.cloudformation.errors import CloudFormationError, ValidationError
from altus.cloudformation.sql_store import SCHEMA
from altus.errors import AltusError


def _unknown(name: str | None) -> AltusError:
    if name is None:
        return ValidationError("Could not find operation for this request.")
    return ValidationError(f"Altus does not serve the {name} operation of CloudFormation.")


SPEC = ServiceSpec(
    name="cloudformation",
    operations=api.OPERATIONS,
    errors=CloudFormationError,
    violations=CoralViolations(ValidationError),
    build=CloudFormation,
    schemas=(Schemas((SCHEMA,)),),
    unknown=_unknown,
    actions=actions.actions,
    # Where custom resources' functions answer (the ResponseURL each request names: its
    # unguessable token is the authority, as a presigned URL's signature is on AWS).
    open_routes=lambda service: service.responses.routes(),
)
