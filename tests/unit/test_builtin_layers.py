"""Layers AWS publishes that Altus provides itself: which ARNs are theirs, and what they
put in /opt."""

from __future__ import annotations

import io
import zipfile

import pytest

from altus.control.builtin_layers import package, provided
from altus.store.code import inspect_zip

NAME = "AWS-Parameters-and-Secrets-Lambda-Extension"


def test_the_extensions_layer_is_recognised_by_its_publishers_account_in_each_region() -> None:
    assert provided(f"arn:aws:lambda:us-east-1:177933569100:layer:{NAME}:11")
    assert provided(f"arn:aws:lambda:eu-central-1:187925254637:layer:{NAME}-Arm64:4")
    assert provided(f"arn:aws-cn:lambda:cn-north-1:287114880934:layer:{NAME}:2")
    # Another account, another region's account, another name, no version: not AWS's.
    assert not provided(f"arn:aws:lambda:us-east-1:123456789012:layer:{NAME}:11")
    assert not provided(f"arn:aws:lambda:us-west-2:177933569100:layer:{NAME}:11")
    assert not provided("arn:aws:lambda:us-east-1:177933569100:layer:Other:11")
    assert not provided(f"arn:aws:lambda:us-east-1:177933569100:layer:{NAME}")
    assert not provided(f"arn:aws:lambda:us-east-1:177933569100:layer:{NAME}:0")


def test_what_it_gives_is_an_empty_extensions_directory_the_same_every_time() -> None:
    assert package() == package()
    assert inspect_zip(package()) == 0
    with zipfile.ZipFile(io.BytesIO(package())) as archive:
        assert [(i.filename, i.is_dir()) for i in archive.infolist()] == [("extensions/", True)]


def test_a_function_names_the_extensions_layer_once() -> None:
    import tempfile
    from pathlib import Path

    from altus.arns import Account
    from altus.control.errors import InvalidParameterValue
    from altus.control.layers import LayerService
    from altus.store.code import CodeStore

    code = CodeStore(Path(tempfile.mkdtemp()))
    layers = LayerService(None, code, Account("us-east-1", "000000000000"))  # type: ignore[arg-type]
    function = code.put(package())
    one = f"arn:aws:lambda:us-east-1:177933569100:layer:{NAME}:11"
    assert [r.arn for r in layers.resolve([one], function)] == [one]
    with pytest.raises(InvalidParameterValue) as raised:
        layers.resolve([one, one.replace(":11", ":12")], function)
    assert "Two different versions of the same layer" in raised.value.message
