"""The identity layer's own cost per request, in process: verifying a botocore-signed
SendMessage (``Identity.authenticate``) and authorising an IAM user's Invoke
(``Identity.authorize``: an inline policy with an IpAddress condition, an AWS managed
policy, a permissions boundary), in microseconds per call.

    .venv/bin/python bench/auth_inprocess.py [--calls 20000] [--baseline REV]

``--baseline REV`` measures a git revision's code the same way in the same run (each
tree in a process of its own, interleaved).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import revision

INLINE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": "arn:aws:lambda:us-east-1:000000000000:function:hello",
            "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
        }
    ],
}
BOUNDARY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["sqs:*", "lambda:*"], "Resource": "*"}],
}


class _Keys:
    def __init__(self) -> None:
        self.stored: list[Any] = []

    async def keys(self) -> list[Any]:
        return list(self.stored)

    async def put(self, key: Any) -> None:
        self.stored = [k for k in self.stored if k.id != key.id] + [key]

    async def delete(self, key_id: str) -> None:
        self.stored = [k for k in self.stored if k.id != key_id]


def measure(calls: int) -> dict[str, float]:
    """Run in the tree under test (its ``altus`` on the path)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from altus.arns import Account
    from altus.clock import FakeClock
    from altus.iam.managed import AWS_MANAGED
    from altus.identity import authenticator
    from altus.identity.authenticator import Identity, Principal, Wire

    identity = Identity(
        "iam",
        _Keys(),
        Account("us-east-1", "000000000000"),
        FakeClock(time.time()),
        Path(tempfile.mkdtemp()) / "credentials",
    )
    asyncio.run(identity.start())
    admin = identity.admin_key()
    body = json.dumps({"QueueUrl": "http://127.0.0.1:9000/000000000000/q", "MessageBody": "m"})
    request = AWSRequest(
        "POST",
        "http://127.0.0.1:9000/",
        data=body.encode(),
        headers={"X-Amz-Target": "AmazonSQS.SendMessage", "Host": "127.0.0.1:9000"},
    )
    SigV4Auth(Credentials(admin.id, admin.secret), "sqs", "us-east-1").add_auth(request)
    headers = [(k.lower().encode(), str(v).encode()) for k, v in request.headers.items()]
    wire = Wire("POST", b"/", b"", headers, body.encode())
    managed = json.loads(AWS_MANAGED["arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"].document)
    if hasattr(authenticator, "Permissions"):
        permissions = authenticator.Permissions([INLINE, managed], [BOUNDARY])
        identity.permissions_of = lambda arn: permissions
    else:  # before boundaries: identity policies only
        identity.policies_of = lambda arn: [INLINE, managed]  # type: ignore[attr-defined]
    user = Principal("arn:aws:iam::000000000000:user/caller", "AKIAEXAMPLE")
    context = {"aws:SourceIp": "127.0.0.1", "aws:SecureTransport": "false"}
    function = "arn:aws:lambda:us-east-1:000000000000:function:hello"
    figures: dict[str, float] = {}
    started = time.perf_counter()
    for _ in range(calls):
        identity.authenticate(wire, service="sqs")
    figures["authenticate"] = (time.perf_counter() - started) / calls * 1e6
    started = time.perf_counter()
    for _ in range(calls):
        identity.authorize(user, "lambda:InvokeFunction", function, [], context)
    figures["authorize"] = (time.perf_counter() - started) / calls * 1e6
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--baseline", help="a git revision to measure in the same run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.calls)))
        return
    root = Path(__file__).resolve().parent.parent
    with contextlib.ExitStack() as stack:
        trees = [("this tree", {"PYTHONPATH": str(root / "src")})]
        if args.baseline:
            trees.append(
                (f"baseline {args.baseline}", stack.enter_context(revision(args.baseline)))
            )
        rows: dict[str, list[dict[str, float]]] = {name: [] for name, _ in trees}
        for _ in range(3):  # interleaved rounds: the machine's drift falls on both
            for name, env in trees:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", "--calls", str(args.calls)],
                    env={**os.environ, **env},
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                rows[name].append(json.loads(out))
    print("| tree | authenticate (µs per call, best of 3) | authorize (µs per call, best of 3) |")
    print("|---|---:|---:|")
    for name, runs in rows.items():
        best = {k: min(r[k] for r in runs) for k in runs[0]}
        print(f"| {name} | {best['authenticate']:.1f} | {best['authorize']:.1f} |")


if __name__ == "__main__":
    main()
