"""What ``altus sync`` reads from a project on disk: a deploy's fingerprint (changed by
anything but function code), its record in the build folder, and what a watch watches
and which function each folder belongs to."""

from __future__ import annotations

import textwrap
from pathlib import Path

from altus.cli import deployed
from altus.cli.deploy import DeployOptions
from altus.cli.sync import watch_plan

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Layers: [!Ref Layer]
  Outside:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../outside
  Layer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: machine.asl.json
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


def _project(root: Path) -> DeployOptions:
    project = root / "project"
    _write(project / "template.yaml", TEMPLATE)
    _write(project / "src/app.py", "def handler(e, c):\n    return 1\n")
    _write(project / "src/requirements.txt", "../libs/shared\n")
    _write(project / "libs/shared/shared/__init__.py", "X = 1\n")
    _write(project / "layer/python/util.py", "Y = 1\n")
    _write(project / "machine.asl.json", '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}')
    _write(root / "outside/app.py", "def handler(e, c):\n    return 2\n")
    return DeployOptions(template=project / "template.yaml", stack_name="app")


def test_code_changes_keep_the_fingerprint_the_rest_change_it(tmp_path: Path) -> None:
    options = _project(tmp_path)
    project = options.template.parent
    first = options.fingerprint()
    assert first is not None and first == options.fingerprint()

    # Function code (and a local package it depends on, and code outside the folder):
    _write(project / "src/app.py", "def handler(e, c):\n    return 'changed'\n")
    _write(project / "libs/shared/shared/__init__.py", "X = 2\n")
    _write(tmp_path / "outside/app.py", "def handler(e, c):\n    return 3\n")
    assert options.fingerprint() == first
    # The build folder's contents are no input either.
    _write(options.build_dir / "Fn/app.py", "built\n")
    assert options.fingerprint() == first

    # Everything else is.
    _write(project / "layer/python/util.py", "Y = 2\n")
    second = options.fingerprint()
    assert second != first
    _write(project / "machine.asl.json", '{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}')
    third = options.fingerprint()
    assert third not in (first, second)
    _write(project / "template.yaml", TEMPLATE + "Outputs:\n  X:\n    Value: x\n")
    fourth = options.fingerprint()
    assert fourth not in (first, second, third)
    with_parameter = DeployOptions(options.template, "app", parameters={"Stage": "prod"})
    assert with_parameter.fingerprint() != fourth
    assert DeployOptions(options.template, "other").fingerprint() != fourth


def test_a_local_nested_template_is_always_deployed(tmp_path: Path) -> None:
    _write(
        tmp_path / "template.yaml",
        "Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n"
        "    Properties:\n      TemplateURL: child.yaml\n",
    )
    _write(tmp_path / "child.yaml", "Resources: {}\n")
    options = DeployOptions(template=tmp_path / "template.yaml", stack_name="nested")
    assert options.fingerprint() is None
    deployed.remember(options.build_dir, "nested", "arn:stack", None)
    assert options.remembered() is None


def test_the_record_of_the_last_deploy(tmp_path: Path) -> None:
    options = _project(tmp_path)
    assert options.remembered() is None
    deployed.remember(options.build_dir, "app", "arn:aws:cloudformation:x:stack/app/1", "abc")
    assert options.remembered() == ("arn:aws:cloudformation:x:stack/app/1", "abc")
    assert DeployOptions(options.template, "other").remembered() is None
    (options.build_dir / ".deployed/app.json").write_text("{not json")
    assert options.remembered() is None


def test_what_a_watch_watches(tmp_path: Path) -> None:
    options = _project(tmp_path)
    project = options.template.parent.resolve()
    plan = watch_plan(options)
    # The template's folder (which holds src, layer, libs) and the code outside it.
    assert set(plan.roots) == {project, (tmp_path / "outside").resolve()}
    assert set(plan.owners) == {
        (project / "src", "Fn"),
        (project / "libs/shared", "Fn"),
        ((tmp_path / "outside").resolve(), "Outside"),
    }
    assert plan.functions_for([project / "libs/shared/shared/__init__.py"]) == {"Fn"}
    assert plan.functions_for([project / "layer/python/util.py"]) == set()
