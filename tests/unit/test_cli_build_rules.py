"""What ``altus build``, ``package`` and ``sync`` leave out and refuse: the server's data
folder and other tools' output never in an artifact or a zip; BuildMethods and runtimes
with no builder refused by name; ready zips packaged as they are; functions a stack
did not create not sent; a watch that sees a function's own ``build/`` folder; a
UTF-16 requirements file; pruning only this template's artifacts. Small projects in a
temporary folder; no tool runs (the functions are copy-built or refused)."""

from __future__ import annotations

import io
import json
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from altus.cli.build import BUILT, CACHED, SKIPPED, BuildError, build
from altus.cli.builders import Artifact, local_dependencies, read_requirements
from altus.cli.deploy import Clients, DeployOptions
from altus.cli.package import archive, export
from altus.cli.sync import send_code, watch_plan
from altus.packaging import zip_directory
from tests.unit.test_cli_package import BASE, FakeArtifacts, _resource


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


def _names(data: bytes) -> set[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive_:
        return set(archive_.namelist())


def _template(root: Path, resources: str, name: str = "template.yaml") -> Path:
    body = "Transform: AWS::Serverless-2016-10-31\nResources:\n" + textwrap.indent(
        textwrap.dedent(resources).strip("\n"), "  "
    )
    _write(root / name, body + "\n")
    return root / name


# --- the data folder and tools' output -------------------------------------------------


def test_server_data_and_tool_output_stay_out_of_artifacts_and_zips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    # No CodeUri: the code is the template's whole folder, where `altus up` ran.
    template = _template(
        root,
        """
        Hello:
          Type: AWS::Serverless::Function
          Properties:
            Handler: app.handler
            Runtime: python3.12
        """,
    )
    _write(root / "app.py", "def handler(event, context):\n    return 1\n")
    _write(root / ".altus/credentials", "[default]\nsecret = admin-secret\n")
    _write(root / ".altus/code/old.zip", "previous code")
    _write(root / "state/altus.db", "the database")  # ALTUS_DATA_DIR, inside the sources
    _write(root / ".aws-sam/build/x.py", "sam's output")
    _write(root / ".git/HEAD", "ref")
    _write(root / "node_modules/.cache/tool/blob", "cache")
    _write(root / "node_modules/pkg/index.js", "kept")
    monkeypatch.chdir(root)
    monkeypatch.setenv("ALTUS_DATA_DIR", "state")

    result = build(template)
    hello = result.built[0]
    assert hello.path is not None
    made = {p.relative_to(hello.path).as_posix() for p in hello.path.rglob("*") if p.is_file()}
    assert "app.py" in made
    assert not {m for m in made if m.split("/")[0] in {".altus", "state", ".aws-sam", ".git"}}
    zipped = _names(archive(hello.path, zip_file=True))
    assert "app.py" in zipped
    assert not any("credentials" in n or "altus.db" in n for n in zipped)

    # A change of the server's files is no change of the function.
    _write(root / ".altus/credentials", "[default]\nsecret = rotated\n")
    _write(root / "state/altus.db", "written again")
    assert build(template).artifacts[0].status == CACHED

    # --no-build: the template's folder zipped as it is, less the same folders.
    zipped = _names(zip_directory(root))
    assert {"app.py", "template.yaml", "node_modules/pkg/index.js"} <= zipped
    for left_out in (".altus/", "state/", ".altus-build/", ".aws-sam/", ".git/", ".cache/"):
        assert not any(left_out in n for n in zipped), left_out


# --- builders there are not ------------------------------------------------------------


@pytest.mark.parametrize(
    ("runtime", "method", "files", "said"),
    [
        ("nodejs20.x", "esbuild", {"app.ts": ""}, "BuildMethod esbuild"),
        ("provided.al2023", "rust-cargolambda", {}, "BuildMethod rust-cargolambda"),
        ("java21", "java21", {"pom.xml": ""}, "BuildMethod java21"),
        ("go1.x", None, {"go.mod": "", "main.go": ""}, "Go sources need compiling"),
        ("java17", None, {"build.gradle": ""}, r"Java sources \(build.gradle\)"),
        ("dotnet8", None, {"Fn.csproj": ""}, ".NET sources need compiling"),
        ("ruby3.3", None, {"Gemfile": ""}, "Gemfile's gems"),
        ("provided.al2023", None, {"Makefile": ""}, "bootstrap.*BuildMethod makefile"),
    ],
)
def test_what_cannot_be_built_is_refused_by_name(
    tmp_path: Path, runtime: str, method: str | None, files: dict[str, str], said: str
) -> None:
    resource: dict[str, Any] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"CodeUri": "src", "Handler": "app.handler", "Runtime": runtime},
    }
    if method is not None:
        resource["Metadata"] = {"BuildMethod": method}
    template = tmp_path / "template.yaml"
    template.write_text(json.dumps({"Resources": {"Fn": resource}}))
    (tmp_path / "src").mkdir()
    for name, text in files.items():
        _write(tmp_path / "src" / name, text)
    with pytest.raises(BuildError, match=said) as raised:
        build(template)
    assert "--no-build" in str(raised.value)
    assert not (tmp_path / ".altus-build/Fn").exists()


def test_prebuilt_code_is_copied_with_a_note(tmp_path: Path) -> None:
    template = _template(
        tmp_path,
        """
        Native:
          Type: AWS::Serverless::Function
          Properties:
            CodeUri: out
            Handler: bootstrap
            Runtime: provided.al2023
        """,
    )
    _write(tmp_path / "out/bootstrap", "#!/bin/sh\n")
    result = build(template)
    assert result.artifacts[0].status == BUILT
    assert result.notes == ("Native: no builder for provided.al2023: sources copied as they are",)
    # Notes come back with a cached artifact too.
    again = build(template)
    assert again.artifacts[0].status == CACHED
    assert again.notes == result.notes


def test_a_ready_zip_is_packaged_as_it_is(tmp_path: Path) -> None:
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as made:
        made.writestr("app.py", "def handler(e, c):\n    return 1\n")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist/fn.zip").write_bytes(package.getvalue())
    template = _template(
        tmp_path,
        """
        Zipped:
          Type: AWS::Serverless::Function
          Properties:
            CodeUri: dist/fn.zip
            Handler: app.handler
            Runtime: python3.12
        """,
    )
    result = build(template)
    (zipped,) = result.artifacts
    assert zipped.status == SKIPPED
    assert zipped.notes == ("CodeUri is a zip file (dist/fn.zip): packaged as it is",)
    code_uri = result.template["Resources"]["Zipped"]["Properties"]["CodeUri"]
    assert (result.build_dir / code_uri).resolve() == (tmp_path / "dist/fn.zip").resolve()
    assert archive(tmp_path / "dist/fn.zip", zip_file=True) == package.getvalue()


# --- package -----------------------------------------------------------------------------


def test_an_unused_global_code_uri_is_not_uploaded() -> None:
    template: dict[str, Any] = {
        "Globals": {"Function": {"CodeUri": "shared", "Runtime": "python3.12"}},
        "Resources": {
            "A": _resource("AWS::Serverless::Function", CodeUri="a"),
            "B": _resource("AWS::Serverless::Function", CodeUri="b"),
        },
    }
    fake = FakeArtifacts()
    out = export(template, BASE, fake)
    assert [c[:2] for c in fake.calls] == [("A", "CodeUri"), ("B", "CodeUri")]
    assert "CodeUri" not in out["Globals"]["Function"]
    # A loop may make functions that need it: kept.
    template["Resources"]["Fn::ForEach::Many"] = ["N", ["x"], {}]
    fake = FakeArtifacts()
    export(template, BASE, fake)
    assert fake.calls[0][:2] == ("Globals", "CodeUri")


# --- sync --------------------------------------------------------------------------------


class _Pages:
    def __init__(self, resources: list[dict[str, str]]) -> None:
        self.resources = resources

    def paginate(self, **_: Any) -> list[dict[str, Any]]:
        return [{"StackResourceSummaries": self.resources}]


class _CloudFormation:
    def __init__(self, resources: list[dict[str, str]]) -> None:
        self.resources = resources

    def get_paginator(self, name: str) -> _Pages:
        assert name == "list_stack_resources"
        return _Pages(self.resources)

    def describe_stack_resource(self, **_: Any) -> Any:
        raise AssertionError("one ListStackResources, not a call per function")


class _Lambda:
    def __init__(self) -> None:
        self.updated: list[str] = []

    def get_function_configuration(self, FunctionName: str) -> dict[str, str]:
        return {"CodeSha256": "old", "LastUpdateStatus": "Successful"}

    def update_function_code(self, FunctionName: str, **_: Any) -> None:
        self.updated.append(FunctionName)


def test_sync_skips_functions_the_stack_did_not_create(tmp_path: Path) -> None:
    template = _template(
        tmp_path,
        """
        Always:
          Type: AWS::Serverless::Function
          Properties:
            CodeUri: src
            Handler: app.handler
            Runtime: python3.12
        ProdOnly:
          Type: AWS::Serverless::Function
          Condition: IsProd
          Properties:
            CodeUri: src
            Handler: app.handler
            Runtime: python3.12
        """,
    )
    _write(tmp_path / "src/app.py", "def handler(e, c):\n    return 2\n")
    result = build(template)
    lambda_ = _Lambda()
    resources = [
        {
            "LogicalResourceId": "Always",
            "PhysicalResourceId": "stack-Always-1",
            "ResourceType": "AWS::Lambda::Function",
        },
        {
            "LogicalResourceId": "AlwaysRole",
            "PhysicalResourceId": "role",
            "ResourceType": "AWS::IAM::Role",
        },
    ]
    clients = Clients("http://127.0.0.1:1", _CloudFormation(resources), None, lambda_, None)
    printed: list[str] = []
    options = DeployOptions(template=template, stack_name="stack")
    assert send_code(options, clients, printed.append, result.artifacts, 0.0) == 1
    assert lambda_.updated == ["stack-Always-1"]
    assert "· ProdOnly is not in stack stack: not sent" in printed


def test_watch_sees_a_functions_own_build_folder(tmp_path: Path) -> None:
    template = _template(
        tmp_path,
        """
        Fn:
          Type: AWS::Serverless::Function
          Properties:
            CodeUri: fn
            Handler: build/app.handler
            Runtime: python3.12
        """,
    )
    _write(tmp_path / "fn/build/app.py", "x = 1\n")
    _write(tmp_path / "fn/requirements.txt", "./../lib\n")
    _write(tmp_path / "lib/pyproject.toml", "")
    plan = watch_plan(DeployOptions(template=template, stack_name="s"))
    # Only the local package's build/ is pip's scratch; the function's is its code.
    assert plan.packages == ((tmp_path / "lib").resolve(),)
    assert plan.functions_for({(tmp_path / "fn/build/app.py").resolve()}) == {"Fn"}


# --- small things --------------------------------------------------------------------------


def test_requirements_are_read_as_pip_reads_them(tmp_path: Path) -> None:
    _write(tmp_path / "lib/pyproject.toml", "")
    requirements = tmp_path / "fn/requirements.txt"
    requirements.parent.mkdir()
    requirements.write_bytes("../lib\n".encode("utf-16"))  # with its byte order mark
    assert read_requirements(requirements) == "../lib\n"
    artifact = Artifact(
        "Fn", "AWS::Serverless::Function", "CodeUri", requirements.parent, None, "python"
    )
    assert local_dependencies(artifact) == [(tmp_path / "lib").resolve()]


def test_pruning_leaves_another_templates_artifacts(tmp_path: Path) -> None:
    function = """
        {name}:
          Type: AWS::Serverless::Function
          Properties:
            CodeUri: src
            Handler: app.handler
            Runtime: python3.12
        """
    _write(tmp_path / "src/app.py", "x = 1\n")
    first = _template(tmp_path, function.format(name="First"), "first.yaml")
    second = _template(tmp_path, function.format(name="Second"), "second.yaml")
    build(first)
    build(second)
    assert (tmp_path / ".altus-build/First").is_dir()
    assert (tmp_path / ".altus-build/Second").is_dir()
    # A function gone from first.yaml goes; second.yaml's stays.
    _template(tmp_path, function.format(name="Renamed"), "first.yaml")
    build(first)
    assert not (tmp_path / ".altus-build/First").exists()
    assert (tmp_path / ".altus-build/Second").is_dir()
