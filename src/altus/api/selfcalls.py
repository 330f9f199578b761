"""Calls to Altus's own API, as an AWS SDK makes them: botocore clients of the server's
endpoint, signed with temporary credentials of whoever the call acts as (a role, or the
principal who asked for the work), run on threads of their own (botocore blocks).

This is how one service acts on another's resources as AWS's do: Step Functions' AWS SDK
integrations and its optimized integrations other than Lambda's, CloudFormation's
resource handlers. The request goes through the same dispatcher, authorisation (``--auth
iam``: the acting session must be allowed the action), validation and operation as a
client's, so the answer is exactly the service's.

Parameters are the operation's members by the model's names (AWS's SDK integrations take
the same PascalCase names botocore does). A blob member given as a JSON value is sent as
its compact JSON text, a string included (quoted), as AWS sends it (an S3 object put with
a ``Body`` of ``"text"`` holds ``"text"``, quotes and all: recorded on AWS). Answers are
made JSON values: dates as ISO 8601 text, blobs and streams read (an S3 object's ``Body``)
as text, or base64 where they are not UTF-8.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import botocore.config
import botocore.exceptions
import botocore.session
from botocore import xform_name

from altus.api.model import service_model
from altus.identity.keys import SessionCredentials


@dataclass(frozen=True, slots=True)
class SdkResponse:
    """A call's answer: its members (JSON values only: dates as ISO text, blobs and
    streams read as text), without ``ResponseMetadata``."""

    members: dict[str, Any]
    status: int
    request_id: str
    #: The response's headers, by lower-case name.
    headers: Mapping[str, str] = field(default_factory=dict)


class SdkFailure(Exception):
    """The service answered with an error."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int,
        request_id: str,
        extended_request_id: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id
        self.extended_request_id = extended_request_id


class SdkUnreachable(Exception):
    """The call got no answer: no endpoint to call, the connection failed or timed out."""


class SdkCaller(Protocol):
    def known(self, service: str, operation: str) -> bool:
        """Whether botocore's model of ``service`` has ``operation`` (``ListObjectsV2``)."""
        ...

    async def call(
        self, service: str, operation: str, params: Mapping[str, Any], role_arn: str
    ) -> SdkResponse:
        """Call ``operation`` of ``service`` (botocore's names) with ``params`` (its
        members by the model's names, JSON values: a blob member given as anything but
        bytes is sent as its compact JSON text) on Altus's own API, signed as a session of
        ``role_arn`` (the ``Sessions`` given decide what that names). Raises SdkFailure
        (the service's error), SdkUnreachable."""
        ...


#: How long a role's session is asked for, and how long before its end a new one is.
SESSION_SECONDS = 3600.0
_RENEW_BEFORE = 300.0
#: How long one call may take to answer: Lambda's longest invoke, and a margin (the task's
#: own timeout, if any, cancels the wait sooner).
READ_TIMEOUT = 960.0


class Sessions(Protocol):
    """The identity layer, as a maker of role sessions (or of whatever sessions the
    caller's key stands for: a wrapper may read it as a principal's ARN)."""

    def session(self, role_arn: str, session_name: str, seconds: float) -> SessionCredentials:
        """Temporary credentials of ``role_arn`` for ``seconds``, acting as
        ``assumed-role/<role name>/<session_name>``."""
        ...


class BotocoreCalls:
    """``ports.SdkCaller`` on botocore. ``endpoint``: the server's URL as this machine
    reaches it (None: no calls can be made, and each fails as unreachable)."""

    def __init__(
        self,
        endpoint: str | None,
        region: str,
        sessions: Sessions,
        now: Callable[[], float],
        *,
        workers: int = 16,
        session_name: str = "StepFunctions",
        thread_name: str = "altus-sfn",
    ) -> None:
        self._endpoint = endpoint
        self._region = region
        self._sessions = sessions
        self._now = now
        self._session_name = session_name
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=thread_name)
        self._config = botocore.config.Config(
            retries={"total_max_attempts": 1},  # the state machine's Retry decides
            connect_timeout=10,
            read_timeout=READ_TIMEOUT,
            inject_host_prefix=False,
            max_pool_connections=workers,
            s3={"addressing_style": "path"},
            # As the SDK Step Functions calls with: no checksums of its own added to
            # requests, or asked of responses, beyond what an operation requires.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._lock = threading.Lock()
        self._botocore: Any = None
        #: Role ARN -> its current session.
        self._credentials: dict[str, SessionCredentials] = {}
        #: (service, role ARN) -> (the access key it signs with, the client).
        self._clients: dict[tuple[str, str], tuple[str, Any]] = {}

    def known(self, service: str, operation: str) -> bool:
        try:
            return operation in service_model(service).operation_names
        except Exception:  # botocore has no model of that name
            return False

    async def call(
        self, service: str, operation: str, params: Mapping[str, Any], role_arn: str
    ) -> SdkResponse:
        if self._endpoint is None:
            raise SdkUnreachable("this server has no endpoint to call")
        credentials = self._session(role_arn)
        loop = asyncio.get_running_loop()
        try:
            running = loop.run_in_executor(
                self._executor, self._call, service, operation, dict(params), role_arn, credentials
            )
        except RuntimeError:  # the executor was shut down: the service is closing
            raise SdkUnreachable("the Step Functions service is shutting down") from None
        return await running

    def close(self) -> None:
        """Stop taking calls (those running finish on their threads)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    # --- on the event loop ---------------------------------------------------------------

    def _session(self, role_arn: str) -> SessionCredentials:
        found = self._credentials.get(role_arn)
        if found is None or found.expiration - self._now() < _RENEW_BEFORE:
            found = self._sessions.session(role_arn, self._session_name, SESSION_SECONDS)
            self._credentials[role_arn] = found
        return found

    # --- on a thread of the executor -----------------------------------------------------

    def _client(self, service: str, role_arn: str, credentials: SessionCredentials) -> Any:
        with self._lock:
            found = self._clients.get((service, role_arn))
            if found is not None and found[0] == credentials.key.id:
                return found[1]
            if self._botocore is None:
                self._botocore = botocore.session.get_session()
            client = self._botocore.create_client(
                service,
                region_name=self._region,
                endpoint_url=self._endpoint,
                aws_access_key_id=credentials.key.id,
                aws_secret_access_key=credentials.key.secret,
                aws_session_token=credentials.token,
                config=self._config,
            )
            self._clients[(service, role_arn)] = (credentials.key.id, client)
            return client

    def _call(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        role_arn: str,
        credentials: SessionCredentials,
    ) -> SdkResponse:
        try:
            client = self._client(service, role_arn, credentials)
            model = client.meta.service_model.operation_model(operation)
            encoded = encode(model.input_shape, params)
            response = getattr(client, xform_name(operation))(**encoded)
        except botocore.exceptions.ClientError as failed:
            error = failed.response.get("Error", {})
            metadata = failed.response.get("ResponseMetadata", {})
            raise SdkFailure(
                str(error.get("Code", "")),
                str(error.get("Message", "")),
                int(metadata.get("HTTPStatusCode", 400)),
                str(metadata.get("RequestId", "")),
                metadata.get("HostId") or None,
            ) from None
        except botocore.exceptions.ParamValidationError as invalid:
            # The SDK refused the parameters before sending them: a client-side
            # validation error, as AWS's SDK reports one.
            raise SdkFailure("ValidationException", _one_line(str(invalid)), 400, "") from None
        except botocore.exceptions.BotoCoreError as broken:
            raise SdkUnreachable(str(broken)) from None
        metadata = response.pop("ResponseMetadata", {})
        return SdkResponse(
            members=decode(response),
            status=int(metadata.get("HTTPStatusCode", 200)),
            request_id=str(metadata.get("RequestId", "")),
            headers=dict(metadata.get("HTTPHeaders", {})),
        )


def encode(shape: Any, value: Any) -> Any:
    """``value`` for botocore: blob members (however deep) as bytes."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "blob":
        if isinstance(value, bytes | bytearray):
            return bytes(value)
        return compact(value).encode()
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {
            name: encode(members[name], item) if name in members else item
            for name, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [encode(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: encode(shape.value, item) for key, item in value.items()}
    return value


def decode(value: Any) -> Any:
    """botocore's answer as JSON values."""
    if isinstance(value, dict):
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, datetime.datetime):
        return iso_date(value)
    if isinstance(value, bytes | bytearray):
        return text(bytes(value))
    if hasattr(value, "read"):  # a streamed body (S3's Body, Lambda's Payload)
        return text(value.read())
    return value


def text(data: bytes) -> str:
    """Bytes as text: UTF-8, or base64 where they are not."""
    try:
        return data.decode()
    except UnicodeDecodeError:
        return base64.b64encode(data).decode()


def compact(value: Any) -> str:
    """JSON text without spaces, as the Java SDKs write it (non-ASCII kept as it is)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def iso_date(value: float | datetime.datetime) -> str:
    """A date as AWS's JSON gives it: ISO 8601 in UTC with milliseconds
    (``2025-02-04T01:49:50.099Z``)."""
    if isinstance(value, datetime.datetime):
        moment = value.astimezone(datetime.UTC) if value.tzinfo else value
    else:
        moment = datetime.datetime.fromtimestamp(value, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _one_line(message: str) -> str:
    return " ".join(message.split())
