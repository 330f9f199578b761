"""``altus up --example``: deploy the bundled example function and invoke it once, through
the same Lambda API a user's boto3 would call."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from altus.cli.signing import SigV4
from altus.packaging import zip_directory

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "examples" / "hello"
NAME = "hello"


async def deploy_example(platform: Any, url: str) -> None:
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    package = base64.b64encode(zip_directory(EXAMPLE_DIR)).decode()
    # Signed with the administrator's key, as any client of a server in ``iam`` mode is.
    key = platform.identity.admin_key()
    auth = SigV4(key.id, key.secret, platform.account.region)
    async with httpx.AsyncClient(base_url=url, timeout=60, auth=auth) as http:
        existing = await http.get(f"/2015-03-31/functions/{NAME}")
        if existing.status_code == 404:
            response = await http.post(
                "/2015-03-31/functions",
                json={
                    "FunctionName": NAME,
                    "Runtime": runtime,
                    "Handler": "app.handler",
                    # The role Altus makes on first start, which Lambda may assume.
                    "Role": platform.account.arn("iam", "role/altus-function", regional=False),
                    "Code": {"ZipFile": package},
                    "Description": "The Altus example function",
                },
            )
        else:
            response = await http.put(
                f"/2015-03-31/functions/{NAME}/code", json={"ZipFile": package}
            )
        if response.status_code >= 400:
            print(f"example: deploying {NAME} failed: {response.text}", flush=True)
            return
        started = time.perf_counter()
        invoked = await http.post(
            f"/2015-03-31/functions/{NAME}/invocations", content=json.dumps({"name": "Altus"})
        )
        elapsed = (time.perf_counter() - started) * 1000
        await asyncio.sleep(0)
    print(
        f"Deployed example function '{NAME}' ({runtime}) and invoked it in {elapsed:.1f} ms:",
        flush=True,
    )
    print(f"  {invoked.text}", flush=True)
    # --cli-binary-format is version 2's: version 1 refuses it (and sends the payload as
    # given without it).
    print(
        f"Try: aws lambda invoke --endpoint-url {url} --function-name {NAME} "
        '--cli-binary-format raw-in-base64-out --payload \'{"name": "you"}\' out.json',
        flush=True,
    )
    print("     (AWS CLI version 1: without --cli-binary-format raw-in-base64-out)", flush=True)
    print(f' or: altus invoke {NAME} --payload \'{{"name": "you"}}\' --endpoint {url}', flush=True)
