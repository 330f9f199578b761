"""``altus build`` for real: pip and npm run on a project in a temporary folder, with
local packages only (no network), and the artifacts and output template checked by
using them (the built Python and Node.js handlers are imported and run)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from altus.cli.build import (
    BUILD_DIR,
    BUILT,
    CACHED,
    REUSED,
    SKIPPED,
    BuildError,
    build,
    build_function,
)
from tests.conftest import PYTHON_RUNTIME, unavailable

# A PEP 517 backend in the package's own folder, needing nothing installed: pip builds
# the package's wheel with it without fetching setuptools from an index.
BACKEND = """
import base64, hashlib, os, zipfile

NAME, VERSION = "tinypkg", "0.1"
DIST = f"{NAME}-{VERSION}.dist-info"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, NAME, "__init__.py"), "rb") as f:
        files = {f"{NAME}/__init__.py": f.read()}
    metadata = f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n"
    files[f"{DIST}/METADATA"] = metadata.encode()
    tags = "Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    files[f"{DIST}/WHEEL"] = tags.encode()
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    lines = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            lines.append(f"{path},sha256={digest},{len(data)}")
        lines.append(f"{DIST}/RECORD,,")
        wheel.writestr(f"{DIST}/RECORD", "\\n".join(lines) + "\\n")
    return name
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


def _python_project(root: Path) -> None:
    _write(
        root / "libs/tinypkg/pyproject.toml",
        """
        [build-system]
        requires = []
        build-backend = "backend"
        backend-path = ["."]

        [project]
        name = "tinypkg"
        version = "0.1"
        """,
    )
    _write(root / "libs/tinypkg/backend.py", BACKEND)
    _write(root / "libs/tinypkg/tinypkg/__init__.py", 'GREETING = "hello from tinypkg"\n')
    # Relative to the function's folder, as its author reads it.
    _write(root / "src/py/requirements.txt", "--no-index\n../../libs/tinypkg\n")
    _write(
        root / "src/py/app.py",
        """
        import tinypkg

        def handler(event, context):
            return tinypkg.GREETING
        """,
    )
    (root / "src/py/__pycache__").mkdir()
    (root / "src/py/__pycache__/stale.pyc").write_bytes(b"junk")
    _write(root / "layer/shared/helpers.py", "VALUE = 42\n")
    _write(root / "plain-layer/data.txt", "as it is\n")
    _write(
        root / "statemachine.json",
        '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}',
    )
    _write(
        root / "template.yaml",
        f"""
        AWSTemplateFormatVersion: "2010-09-09"
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Runtime: {PYTHON_RUNTIME}
            Timeout: 5
        Resources:
          Hello:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/py
              Handler: app.handler
              Layers: [!Ref Shared]
          HelloAgain:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/py/
              Handler: app.handler
          Shared:
            Type: AWS::Serverless::LayerVersion
            Properties:
              ContentUri: layer
            Metadata:
              BuildMethod: {PYTHON_RUNTIME}
          Plain:
            Type: AWS::Serverless::LayerVersion
            Properties:
              ContentUri: plain-layer
          Inline:
            Type: AWS::Serverless::Function
            Properties:
              InlineCode: "def handler(event, context): return 1"
              Handler: index.handler
          Remote:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: s3://bucket/code.zip
              Handler: app.handler
          Machine:
            Type: AWS::Serverless::StateMachine
            Properties:
              DefinitionUri: statemachine.json
        """,
    )


def _run_python(directory: Path, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(directory)!r}); {code}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_python_functions_and_layers(tmp_path: Path) -> None:
    _python_project(tmp_path)
    result = build(tmp_path / "template.yaml")
    out = tmp_path / BUILD_DIR
    assert result.build_dir == out
    status = {b.logical_id: b.status for b in result.artifacts}
    assert status == {
        "Hello": BUILT,
        "HelloAgain": REUSED,
        "Shared": BUILT,
        "Plain": SKIPPED,
        "Inline": SKIPPED,
        "Remote": SKIPPED,
    }
    (again,) = result.reused
    assert again.reused_from == "Hello"
    hello = next(b for b in result.built if b.logical_id == "Hello")
    assert hello.seconds > 0
    assert any(note.startswith(f"pip: {sys.executable}") for note in hello.notes)

    # The requirement was installed beside the code, and the code runs with it.
    assert (out / "Hello/tinypkg/__init__.py").is_file()
    assert not (out / "Hello/__pycache__").exists()
    for name in ("Hello", "HelloAgain"):
        greeting = _run_python(out / name, "import app; print(app.handler({}, None))")
        assert greeting == "hello from tinypkg"
    # A Python layer's code is under python/, where Lambda looks.
    assert (out / "Shared/python/shared/helpers.py").read_text() == "VALUE = 42\n"

    written = yaml.safe_load((out / "template.yaml").read_text())
    assert written == result.template
    resources = written["Resources"]
    assert resources["Hello"]["Properties"]["CodeUri"] == "Hello"
    assert resources["HelloAgain"]["Properties"]["CodeUri"] == "HelloAgain"
    assert resources["Shared"]["Properties"]["ContentUri"] == "Shared"
    # What was not built still points at its sources, now from the build folder.
    assert resources["Plain"]["Properties"]["ContentUri"] == "../plain-layer"
    assert resources["Machine"]["Properties"]["DefinitionUri"] == "../statemachine.json"
    assert resources["Remote"]["Properties"]["CodeUri"] == "s3://bucket/code.zip"
    assert resources["Hello"]["Properties"]["Layers"] == [{"Ref": "Shared"}]
    assert written["Globals"] == {"Function": {"Runtime": PYTHON_RUNTIME, "Timeout": 5}}


def test_unchanged_sources_are_not_rebuilt(tmp_path: Path) -> None:
    _python_project(tmp_path)
    build(tmp_path / "template.yaml")
    marker = tmp_path / BUILD_DIR / "Hello" / "marker"
    marker.write_text("left alone")

    second = build(tmp_path / "template.yaml")
    assert {b.logical_id for b in second.cached} == {"Hello", "HelloAgain", "Shared"}
    assert marker.exists()

    # A change of a local package the requirements name is a change of the function.
    _write(tmp_path / "libs/tinypkg/tinypkg/__init__.py", 'GREETING = "changed"\n')
    third = build(tmp_path / "template.yaml")
    status = {b.logical_id: b.status for b in third.artifacts if b.status != SKIPPED}
    assert status == {"Hello": BUILT, "HelloAgain": REUSED, "Shared": CACHED}
    assert not marker.exists()
    for name in ("Hello", "HelloAgain"):
        assert _run_python(tmp_path / BUILD_DIR / name, "import app; print(app.handler(0, 0))") == (
            "changed"
        )

    # The watch loop's one function: rebuilt on a change of its own code.
    _write(tmp_path / "src/py/extra.py", "X = 1\n")
    one = build_function(tmp_path / "template.yaml", "Hello")
    assert (one.status, one.path) == (BUILT, tmp_path / BUILD_DIR / "Hello")
    assert (tmp_path / BUILD_DIR / "Hello/extra.py").is_file()
    assert build_function(tmp_path / "template.yaml", "Hello").status == CACHED
    assert build_function(tmp_path / "template.yaml", "Hello", cache=False).status == BUILT
    assert build_function(tmp_path / "template.yaml", "Inline").status == SKIPPED
    with pytest.raises(BuildError, match="has no function or layer Nope"):
        build_function(tmp_path / "template.yaml", "Nope")


def test_a_failed_build_keeps_the_last_artifact(tmp_path: Path) -> None:
    _python_project(tmp_path)
    build(tmp_path / "template.yaml")
    _write(tmp_path / "src/py/requirements.txt", "--no-index\n../../libs/not-there\n")
    with pytest.raises(BuildError, match="Hello: pip install failed"):
        build(tmp_path / "template.yaml")
    out = tmp_path / BUILD_DIR
    assert (out / "Hello/tinypkg/__init__.py").is_file()
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".cache"]


def test_functions_gone_from_the_template_are_removed(tmp_path: Path) -> None:
    _python_project(tmp_path)
    build(tmp_path / "template.yaml")
    template = (tmp_path / "template.yaml").read_text()
    start = template.index("  HelloAgain:")
    end = template.index("  Shared:")
    (tmp_path / "template.yaml").write_text(template[:start] + template[end:])
    result = build(tmp_path / "template.yaml")
    assert "HelloAgain" not in {b.logical_id for b in result.artifacts}
    assert not (tmp_path / BUILD_DIR / "HelloAgain").exists()
    assert (tmp_path / BUILD_DIR / "Hello").is_dir()


def test_nodejs_function_and_layer(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        unavailable("npm", "install Node.js with npm")
        return
    _write(
        tmp_path / "libs/greeter/package.json",
        '{"name": "greeter", "version": "1.0.0", "main": "index.js"}\n',
    )
    _write(tmp_path / "libs/greeter/index.js", 'module.exports = "hello from greeter";\n')
    _write(
        tmp_path / "src/node/package.json",
        json.dumps(
            {
                "name": "fn",
                "version": "1.0.0",
                "dependencies": {"greeter": "file:../../libs/greeter"},
            }
        ),
    )
    _write(
        tmp_path / "src/node/index.js",
        'exports.handler = async () => require("greeter");\n',
    )
    # Installed again by the build, not copied.
    _write(tmp_path / "src/node/node_modules/stale/index.js", "junk\n")
    # A lock file: npm ci.
    _write(tmp_path / "src/locked/package.json", '{"name": "locked", "version": "1.0.0"}\n')
    lock = {
        "name": "locked",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": {"name": "locked", "version": "1.0.0"}},
    }
    _write(tmp_path / "src/locked/package-lock.json", json.dumps(lock))
    _write(tmp_path / "src/locked/index.js", "exports.handler = async () => 1;\n")
    _write(tmp_path / "nodelayer/package.json", '{"name": "layer", "version": "1.0.0"}\n')
    _write(tmp_path / "nodelayer/util.js", "module.exports = 1;\n")
    _write(
        tmp_path / "template.yaml",
        """
        Resources:
          Node:
            Type: AWS::Lambda::Function
            Properties:
              Code: src/node
              Handler: index.handler
              Runtime: nodejs20.x
              Role: arn:aws:iam::123456789012:role/r
          Locked:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src/locked
              Handler: index.handler
              Runtime: nodejs22.x
          Layer:
            Type: AWS::Lambda::LayerVersion
            Properties:
              Content: nodelayer
            Metadata:
              BuildMethod: nodejs20.x
        """,
    )
    result = build(tmp_path / "template.yaml")
    status = {b.logical_id: b.status for b in result.artifacts}
    assert status == {"Node": BUILT, "Locked": BUILT, "Layer": BUILT}
    notes = {b.logical_id: b.notes for b in result.artifacts}
    assert notes["Node"][0] == "npm install --omit=dev"
    assert notes["Locked"] == ("npm ci --omit=dev",)
    out = tmp_path / BUILD_DIR
    installed = out / "Node/node_modules/greeter"
    assert installed.is_dir() and not installed.is_symlink()
    assert not (out / "Node/node_modules/stale").exists()
    done = subprocess.run(
        [node, "-e", f"require({str(out / 'Node/index.js')!r}).handler().then(console.log)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hello from greeter"
    assert (out / "Layer/nodejs/util.js").is_file()
    resources = yaml.safe_load((out / "template.yaml").read_text())["Resources"]
    assert resources["Node"]["Properties"]["Code"] == "Node"
    assert resources["Layer"]["Properties"]["Content"] == "Layer"
    again = build(tmp_path / "template.yaml")
    assert {b.status for b in again.artifacts} == {CACHED}


def test_makefile_build_method(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        unavailable("make", "install make")
    _write(tmp_path / "src/main.sh", "echo built\n")
    (tmp_path / "src/Makefile").write_text(
        "build-Custom:\n"
        "\tcp main.sh $(ARTIFACTS_DIR)/bootstrap\n"
        "\tchmod 755 $(ARTIFACTS_DIR)/bootstrap\n"
    )
    _write(
        tmp_path / "template.yaml",
        """
        Resources:
          Custom:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: bootstrap
              Runtime: provided.al2023
            Metadata:
              BuildMethod: makefile
        """,
    )
    result = build(tmp_path / "template.yaml")
    (built,) = result.artifacts
    assert built.status == BUILT
    assert built.notes == ("make build-Custom",)
    assert sorted(p.name for p in (tmp_path / BUILD_DIR / "Custom").iterdir()) == ["bootstrap"]
    assert (tmp_path / BUILD_DIR / "Custom/bootstrap").stat().st_mode & 0o111
