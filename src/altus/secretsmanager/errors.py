"""Secrets Manager's errors, by the shapes of its model (none says an HTTP status, so
every one is a 400, as AWS answers them)."""

from __future__ import annotations

from altus.errors import UserError


class SecretsError(UserError):
    """Root of the Secrets Manager family."""

    code = "InvalidParameterException"


class ValidationError(SecretsError):
    """What the model's constraints refuse, in Coral's words (a common AWS error)."""

    code = "ValidationException"


class Unserializable(SecretsError):
    """A member of the wrong JSON type (awsJson's deserialisation failure)."""

    code = "SerializationException"


class InvalidParameter(SecretsError):
    code = "InvalidParameterException"


class InvalidRequest(SecretsError):
    """A request the secret's state does not allow (it is scheduled for deletion ...)."""

    code = "InvalidRequestException"


class ResourceNotFound(SecretsError):
    code = "ResourceNotFoundException"


class ResourceExists(SecretsError):
    code = "ResourceExistsException"


class LimitExceeded(SecretsError):
    code = "LimitExceededException"


class MalformedPolicyDocument(SecretsError):
    code = "MalformedPolicyDocumentException"


class PublicPolicy(SecretsError):
    code = "PublicPolicyException"


class InvalidNextToken(SecretsError):
    code = "InvalidNextTokenException"

    def __init__(self, message: str = "The NextToken value is invalid.") -> None:
        super().__init__(message)


class DecryptionFailure(SecretsError):
    """A stored value that does not decrypt with this server's key."""

    code = "DecryptionFailure"


#: AWS's words for a secret it does not have (or no longer has).
NOT_FOUND = "Secrets Manager can't find the specified secret."
#: ... and for one scheduled for deletion, which most operations refuse.
MARKED_FOR_DELETION = (
    "You can't perform this operation on the secret because it was marked for deletion."
)
