"""A function's ``Code`` property as Lambda's API takes it.

``S3Bucket``/``S3Key``/``S3ObjectVersion`` (what ``aws cloudformation package`` writes),
``ImageUri`` and ``SourceKMSKeyArn`` pass through: Lambda reads the package itself (from
Altus's built-in S3) and answers for what it refuses (container images, in Altus).

``ZipFile`` is source text written in the template. As CloudFormation does, it becomes a
package of one file named ``index``: ``index.py`` for Python runtimes, ``index.js`` for
Node.js ones (CommonJS: CloudFormation's documentation says the inline index file is
``.js``, never ``.mjs``). Where the source loads CloudFormation's response module (Python's
``import cfnresponse``, Node's ``require('cfn-response')``), the package also gets that
module, written here after the documented interface (``SUCCESS``, ``FAILED``, ``send(event,
context, responseStatus, responseData, physicalResourceId, noEcho, reason)``), so inline
custom resource handlers answer their ``ResponseURL`` as they do on AWS. The package is
deterministic (``altus.packaging``): the same source gives the same ``CodeSha256``, so a
``AWS::Lambda::Version``'s ``CodeSha256`` stays right across stack updates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from altus.cloudformation.providers.base import ResourceFailed
from altus.packaging import zip_files

#: The members of ``Code`` Lambda's FunctionCode has too (``ZipFile`` aside).
_PASSED = ("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri", "SourceKMSKeyArn")

#: Python's ``import cfnresponse`` (CloudFormation adds the module for this exact form).
_PYTHON_IMPORT = re.compile(r"^\s*import\s+cfnresponse\b", re.MULTILINE)
_NODE_REQUIRE = re.compile(r"""require\(\s*['"]cfn-response['"]\s*\)""")

PYTHON_CFNRESPONSE = '''\
"""cfnresponse: answers a CloudFormation custom resource request from an inline function
(added by Altus's CloudFormation, as AWS adds its own)."""

import json
import urllib.request

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def send(event, context, responseStatus, responseData, physicalResourceId=None,
         noEcho=False, reason=None):
    """PUT the response to the request's ResponseURL; failures are printed, not raised."""
    stream = getattr(context, "log_stream_name", "")
    body = json.dumps({
        "Status": responseStatus,
        "Reason": reason or "See the details in CloudWatch Log Stream: " + stream,
        "PhysicalResourceId": physicalResourceId or stream,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": noEcho,
        "Data": responseData,
    }).encode()
    print("Response body:", body.decode())
    request = urllib.request.Request(
        event["ResponseURL"], data=body, method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            print("Status code:", response.status)
    except Exception as error:
        print("send(..) failed executing request:", error)
'''

NODE_CFN_RESPONSE = """\
// cfn-response: answers a CloudFormation custom resource request from an inline
// function (added by Altus's CloudFormation, as AWS adds its own).
"use strict";

exports.SUCCESS = "SUCCESS";
exports.FAILED = "FAILED";

exports.send = function (event, context, responseStatus, responseData,
                         physicalResourceId, noEcho, reason) {
  const stream = (context && context.logStreamName) || "";
  const body = JSON.stringify({
    Status: responseStatus,
    Reason: reason || "See the details in CloudWatch Log Stream: " + stream,
    PhysicalResourceId: physicalResourceId || stream,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: noEcho || false,
    Data: responseData,
  });
  console.log("Response body:\\n", body);
  const target = new URL(event.ResponseURL);
  const transport = target.protocol === "http:" ? require("http") : require("https");
  return new Promise((resolve) => {
    const finish = () => {
      if (context && typeof context.done === "function") context.done();
      resolve();
    };
    const request = transport.request(target, {
      method: "PUT",
      headers: { "content-type": "", "content-length": Buffer.byteLength(body) },
    }, (response) => {
      console.log("Status code: " + response.statusCode);
      response.resume();
      response.on("end", finish);
    });
    request.on("error", (error) => {
      console.log("send(..) failed executing request: " + error);
      finish();
    });
    request.write(body);
    request.end();
  });
};
"""


def inline_package(source: str, runtime: str | None) -> bytes:
    """The package CloudFormation makes of inline source for ``runtime``. Raises
    ResourceFailed for a runtime inline code is not offered for."""
    if runtime and runtime.startswith("python"):
        files = {"index.py": source}
        if _PYTHON_IMPORT.search(source):
            files["cfnresponse.py"] = PYTHON_CFNRESPONSE
        return zip_files(files)
    if runtime and runtime.startswith("nodejs"):
        files = {"index.js": source}
        if _NODE_REQUIRE.search(source):
            # Found from /var/task/index.js by Node's own resolution, whatever NODE_PATH is.
            files["node_modules/cfn-response/index.js"] = NODE_CFN_RESPONSE
        return zip_files(files)
    raise ResourceFailed(
        "Code.ZipFile (inline source) is supported for Node.js and Python runtimes only"
        + (f", not {runtime}" if runtime else "; the function has no Runtime")
    )


def function_code(code: Any, runtime: str | None) -> dict[str, Any]:
    """Lambda's FunctionCode members for a function's ``Code`` property."""
    if not isinstance(code, Mapping):
        raise ResourceFailed(
            "Properties validation failed for resource with message: "
            "#/Code: expected type: JSONObject"
        )
    members: dict[str, Any] = {name: str(code[name]) for name in _PASSED if code.get(name)}
    source = code.get("ZipFile")
    if source is not None:
        if any(name in members for name in ("S3Bucket", "S3Key", "ImageUri")):
            raise ResourceFailed(
                "Properties validation failed for resource with message: #/Code: "
                "ZipFile cannot be given with S3Bucket, S3Key or ImageUri"
            )
        members["ZipFile"] = inline_package(str(source), runtime)
    return members
