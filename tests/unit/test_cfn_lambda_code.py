"""A function's ``Code`` property as the Lambda provider sends it: inline source packaged
as CloudFormation packages it (``index.py`` / ``index.js``, the response module only where
the source loads it), S3 locations passed through, mixtures and other runtimes refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from altus.cloudformation.providers.base import ResourceFailed
from altus.cloudformation.providers.lambda_code import (
    NODE_CFN_RESPONSE,
    PYTHON_CFNRESPONSE,
    function_code,
    inline_package,
)


def files_of(package: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(package))
    return {name: archive.read(name).decode() for name in archive.namelist()}


def test_python_source_is_index_py_with_the_module_it_imports() -> None:
    source = "import json\nimport cfnresponse\n\ndef handler(event, context):\n    pass\n"
    assert files_of(inline_package(source, "python3.12")) == {
        "index.py": source,
        "cfnresponse.py": PYTHON_CFNRESPONSE,
    }
    # Only the exact import brings the module, as CloudFormation documents.
    plain = "def handler(event, context):\n    return 'cfnresponse'\n"
    assert files_of(inline_package(plain, "python3.9")) == {"index.py": plain}


def test_nodejs_source_is_index_js_with_cfn_response_where_required() -> None:
    source = 'const response = require("cfn-response");\nexports.handler = () => 1;\n'
    assert files_of(inline_package(source, "nodejs20.x")) == {
        "index.js": source,
        "node_modules/cfn-response/index.js": NODE_CFN_RESPONSE,
    }
    assert files_of(inline_package("exports.handler = () => 1;", "nodejs22.x")) == {
        "index.js": "exports.handler = () => 1;"
    }


def test_packages_are_deterministic() -> None:
    source = "import cfnresponse\n"
    assert inline_package(source, "python3.12") == inline_package(source, "python3.12")


def test_other_runtimes_and_mixtures_are_refused() -> None:
    with pytest.raises(ResourceFailed, match="not java21"):
        inline_package("class A {}", "java21")
    with pytest.raises(ResourceFailed, match="no Runtime"):
        inline_package("x", None)
    with pytest.raises(ResourceFailed, match="ZipFile cannot be given"):
        function_code({"ZipFile": "x", "S3Bucket": "b", "S3Key": "k"}, "python3.12")
    with pytest.raises(ResourceFailed, match="JSONObject"):
        function_code("s3://b/k", "python3.12")


def test_s3_and_image_locations_pass_through() -> None:
    code = {"S3Bucket": "b", "S3Key": "k.zip", "S3ObjectVersion": "3"}
    assert function_code(code, None) == code
    assert function_code({"ImageUri": "repo/image:1"}, None) == {"ImageUri": "repo/image:1"}
