"""The Secrets Manager service, as the framework sees it: botocore's ``secretsmanager``
model (awsJson 1.1), the operations Altus serves, its table, its schema, its component.

Served: secrets and their values, versions and staging labels, deletion with a recovery
window, tags, resource policies, random passwords. Not yet: rotation (RotateSecret,
CancelRotateSecret), ValidateResourcePolicy, and replication (one region, one account),
which the framework refuses as operations Altus does not serve.
"""

from __future__ import annotations

from altus.api.model import Overrides
from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import Problem, Unreadable, coral_message
from altus.errors import AltusError
from altus.identity.errors import CODES as IDENTITY_CODES
from altus.secretsmanager import actions, api
from altus.secretsmanager.component import SecretsManager
from altus.secretsmanager.errors import SecretsError, Unserializable, ValidationError
from altus.secretsmanager.sql_store import SCHEMA


class SecretsViolations:
    """Secrets Manager reports broken constraints as ``ValidationException`` in Coral's
    words, and a member of the wrong type as ``SerializationException``."""

    def invalid(self, problems: list[Problem]) -> AltusError:
        return ValidationError(coral_message(problems))

    def unreadable(self, error: Unreadable) -> AltusError:
        where = f"'{error.path}': " if error.path else ""
        return Unserializable(f"{where}expected {error.expected}")


SPEC = ServiceSpec(
    name="secretsmanager",
    operations={
        "CreateSecret": api.create_secret,
        "GetSecretValue": api.get_secret_value,
        "PutSecretValue": api.put_secret_value,
        "UpdateSecret": api.update_secret,
        "DescribeSecret": api.describe_secret,
        "ListSecrets": api.list_secrets,
        "ListSecretVersionIds": api.list_secret_version_ids,
        "UpdateSecretVersionStage": api.update_secret_version_stage,
        "DeleteSecret": api.delete_secret,
        "RestoreSecret": api.restore_secret,
        "TagResource": api.tag_resource,
        "UntagResource": api.untag_resource,
        "GetRandomPassword": api.get_random_password,
        "BatchGetSecretValue": api.batch_get_secret_value,
        "PutResourcePolicy": api.put_resource_policy,
        "GetResourcePolicy": api.get_resource_policy,
        "DeleteResourcePolicy": api.delete_resource_policy,
        "ListResourcePolicies": api.list_resource_policies,
    },
    errors=SecretsError,
    violations=SecretsViolations(),
    build=SecretsManager,
    schemas=(Schemas((SCHEMA,)),),
    # Secrets Manager refuses credentials and permissions with 400, not the 403 Lambda
    # and SQS use ("AccessDeniedException ... status code: 400" in SDK reports).
    overrides=Overrides(error_statuses=dict.fromkeys(IDENTITY_CODES, 400)),
    actions=actions.actions,
)
