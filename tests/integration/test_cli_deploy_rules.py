"""``altus deploy``'s stack name rules against a real server: two projects in folders of
the same name do not replace each other's stack (the ``altus:template`` tag), and
``samconfig.toml`` beside the template names the stack and its parameters as ``sam
deploy`` reads it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from altus.cli.client import CliError
from altus.cli.deploy import TEMPLATE_TAG, Clients
from tests.conftest import Server
from tests.integration.test_cli_stacks import (  # noqa: F401  (fixtures)
    altus,
    answer,
    clients,
    make_project,
    server,
    stack,
)


def _tags(client: Clients, name: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in stack(client, name).get("Tags", [])}


def test_same_folder_names_and_samconfig(
    server: Server,  # noqa: F811
    clients: Clients,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    one = make_project(tmp_path / "one/app")
    two = make_project(tmp_path / "two/app")
    assert altus(server, "deploy", str(one), "--parameter-overrides", "Greting=typo") == 0
    printed = capsys.readouterr().out
    assert "Warning: --parameter-overrides: the template declares no Greting" in printed
    # After the outputs: each function's name and each API's URL on the server.
    assert "Functions and APIs:" in printed
    assert f"{server.url}/_aws/execute-api/" in printed
    assert _tags(clients, "app")[TEMPLATE_TAG] == str(one)
    # Stack tags reach the resources: the function takes the key.
    function = stack(clients, "app")["Outputs"]
    name = next(o["OutputValue"] for o in function if o["OutputKey"] == "FunctionName")
    arn = clients.lambda_.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    assert clients.lambda_.list_tags(Resource=arn)["Tags"][TEMPLATE_TAG] == str(one)

    # Another project in a folder named app: refused, the first stack untouched.
    with pytest.raises(CliError, match="pass --stack-name app to deploy there anyway"):
        altus(server, "deploy", str(two))
    assert _tags(clients, "app")[TEMPLATE_TAG] == str(one)

    # samconfig.toml names its stack and parameters (sam's one-string form).
    (two.parent / "samconfig.toml").write_text(
        textwrap.dedent(
            """
            version = 0.1
            [default.global.parameters]
            stack_name = "ignored-by-deploy-section"
            [default.deploy.parameters]
            stack_name = "app-two"
            parameter_overrides = "Greeting='good day'"
            capabilities = "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"
            region = "eu-west-1"
            """
        )
    )
    assert altus(server, "deploy", "-t", str(two), "--no-confirm-changeset") == 0
    capsys.readouterr()
    assert answer(clients, "app-two") == "good day v1 tiny"
    assert _tags(clients, "app-two")[TEMPLATE_TAG] == str(two)
    # Nothing to deploy: exit 0, unless asked to fail.
    assert altus(server, "deploy", str(two), "--fail-on-empty-changeset") == 1
    assert "No changes to deploy" in capsys.readouterr().out

    # A stack name given: deployed there anyway, and the tag follows.
    assert altus(server, "deploy", str(two), "--stack-name", "app", "--config-env", "default") == 0
    capsys.readouterr()
    assert _tags(clients, "app")[TEMPLATE_TAG] == str(two)
    with pytest.raises(CliError, match="has no environment 'prod'"):
        altus(server, "deploy", str(two), "--config-env", "prod")
