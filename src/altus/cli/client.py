"""The CLI's HTTP client for a running Altus: the same Lambda REST API boto3 uses."""

from __future__ import annotations

import base64
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:  # imported by the client commands only, not by ``altus up``
    import httpx


class CliError(Exception):
    """Printed as one line by the CLI, never with a traceback."""


class AltusClient:
    """Requests are signed with the administrator key the server wrote into its data
    directory, where the CLI finds one (``altus.cli.signing``): a server that checks
    signatures (``--auth iam``) takes them, one that does not ignores them."""

    def __init__(self, endpoint: str, timeout: float = 960.0) -> None:
        import httpx

        from altus.cli.signing import local_credentials

        self.endpoint = endpoint.rstrip("/")
        self._http = httpx.Client(base_url=self.endpoint, timeout=timeout, auth=local_credentials())

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        service: str = "lambda",
    ) -> httpx.Response:
        """One request, signed for ``service`` (the SigV4 scope's service name)."""
        import httpx

        try:
            response = self._http.request(
                method,
                path,
                json=json_body,
                content=content,
                params=params,
                headers=headers,
                extensions={"altus_service": service},
            )
        except httpx.ConnectError:
            raise CliError(
                f"cannot reach Altus at {self.endpoint} (is `altus up` running?)"
            ) from None
        except httpx.HTTPError as error:
            raise CliError(f"request to {self.endpoint} failed: {error}") from None
        if response.status_code >= 400:
            code = response.headers.get("x-amzn-ErrorType", "").split(":")[0]
            try:
                body = response.json()
                message = body.get("message") or body.get("Message") or response.text
                code = code or body.get("__type", "")
            except ValueError:
                message = response.text
            raise CliError(f"{code or response.status_code}: {message}")
        return response

    # --- Lambda ------------------------------------------------------------------------------

    def get_function(self, name: str) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] = self.request(
                "GET", f"/2015-03-31/functions/{quote(name, safe='')}"
            ).json()
            return result
        except CliError as error:
            if str(error).startswith("ResourceNotFoundException"):
                return None
            raise

    def create_function(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request(
            "POST", "/2015-03-31/functions", json_body=body
        ).json()
        return result

    def update_code(self, name: str, zip_bytes: bytes) -> dict[str, Any]:
        result: dict[str, Any] = self.request(
            "PUT",
            f"/2015-03-31/functions/{quote(name, safe='')}/code",
            json_body={"ZipFile": base64.b64encode(zip_bytes).decode()},
        ).json()
        return result

    def update_configuration(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request(
            "PUT",
            f"/2015-03-31/functions/{quote(name, safe='')}/configuration",
            json_body=body,
        ).json()
        return result

    def wait_until_ready(self, name: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            current = self.get_function(name)
            if current is None:
                raise CliError(f"function {name} disappeared")
            config: dict[str, Any] = current["Configuration"]
            if config.get("State") == "Failed" or config.get("LastUpdateStatus") == "Failed":
                raise CliError(
                    f"function {name} failed: {config.get('StateReason') or ''}"
                    f"{config.get('LastUpdateStatusReason') or ''}"
                )
            if config.get("State") == "Active" and config.get("LastUpdateStatus") in (
                None,
                "Successful",
            ):
                return config
            if time.monotonic() > deadline:
                raise CliError(f"function {name} is still {config.get('State')}")
            time.sleep(0.05)

    def invoke(
        self,
        name: str,
        payload: bytes,
        *,
        qualifier: str | None = None,
        invocation_type: str = "RequestResponse",
        tail: bool = False,
    ) -> httpx.Response:
        params = {"Qualifier": qualifier} if qualifier else None
        headers = {"X-Amz-Invocation-Type": invocation_type}
        if tail:
            headers["X-Amz-Log-Type"] = "Tail"
        return self.request(
            "POST",
            f"/2015-03-31/functions/{quote(name, safe='')}/invocations",
            content=payload,
            params=params,
            headers=headers,
        )

    def list_functions(self) -> list[dict[str, Any]]:
        functions: list[dict[str, Any]] = []
        marker: str | None = None
        for _ in range(10_000):
            params = {"MaxItems": "50", **({"Marker": marker} if marker else {})}
            page = self.request("GET", "/2015-03-31/functions", params=params).json()
            functions.extend(page["Functions"])
            marker = page.get("NextMarker")
            if not marker:
                break
        return functions

    # --- Logs ----------------------------------------------------------------------------------

    def filter_log_events(
        self, group: str, start_ms: int, next_token: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
        if next_token:
            body["nextToken"] = next_token
        try:
            response = self.request(
                "POST",
                "/",
                content=json.dumps(body).encode(),
                headers={
                    "X-Amz-Target": "Logs_20140328.FilterLogEvents",
                    "Content-Type": "application/x-amz-json-1.1",
                },
                service="logs",
            )
        except CliError as error:
            if str(error).startswith("ResourceNotFoundException"):
                return {"events": []}
            raise
        result: dict[str, Any] = response.json()
        return result
