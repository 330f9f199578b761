"""The SSM service, as the framework sees it: botocore's ``ssm`` model (awsJson 1.1),
the Parameter Store operations Altus serves (the rest of SSM is refused as unknown),
its tables and its component."""

from __future__ import annotations

from altus.api.model import Overrides
from altus.api.spec import Schemas, ServiceSpec
from altus.api.validate import Problem, Unreadable, coral_message
from altus.errors import AltusError
from altus.identity.errors import CODES as IDENTITY_CODES
from altus.ssm import actions, api
from altus.ssm.component import Ssm
from altus.ssm.errors import SsmError, Unserializable, ValidationException
from altus.ssm.sql_store import SCHEMA


class SsmViolations:
    """SSM reports broken constraints as ``ValidationException`` in Coral's words, and a
    member of the wrong type as ``SerializationException``."""

    def invalid(self, problems: list[Problem]) -> AltusError:
        return ValidationException(coral_message(problems))

    def unreadable(self, error: Unreadable) -> AltusError:
        where = f"'{error.path}': " if error.path else ""
        return Unserializable(f"{where}expected {error.expected}")


SPEC = ServiceSpec(
    name="ssm",
    operations={
        "PutParameter": api.put_parameter,
        "GetParameter": api.get_parameter,
        "GetParameters": api.get_parameters,
        "GetParametersByPath": api.get_parameters_by_path,
        "GetParameterHistory": api.get_parameter_history,
        "DescribeParameters": api.describe_parameters,
        "DeleteParameter": api.delete_parameter,
        "DeleteParameters": api.delete_parameters,
        "LabelParameterVersion": api.label_parameter_version,
        "UnlabelParameterVersion": api.unlabel_parameter_version,
        "AddTagsToResource": api.add_tags_to_resource,
        "RemoveTagsFromResource": api.remove_tags_from_resource,
        "ListTagsForResource": api.list_tags_for_resource,
    },
    errors=SsmError,
    violations=SsmViolations(),
    build=Ssm,
    schemas=(Schemas((SCHEMA,)),),
    # SSM refuses credentials and permissions with 400, as CloudWatch Logs does.
    overrides=Overrides(error_statuses=dict.fromkeys(IDENTITY_CODES, 400)),
    actions=actions.actions,
)
