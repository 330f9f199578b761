"""The ``altus`` command against a running server, as a user types it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Server, start_server

pytestmark = pytest.mark.integration


def altus(
    *args: str, endpoint: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "altus", *args]
    if endpoint:
        command += ["--endpoint", endpoint]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def test_deploy_invoke_ls_logs(altus_server: Server, tmp_path: Path) -> None:
    url = altus_server.url
    source = tmp_path / "fn"
    source.mkdir()
    (source / "main.py").write_text(
        "def handle(event, context):\n"
        "    print('cli-log-line', event.get('who'))\n"
        "    return {'hi': event.get('who')}\n"
    )
    deployed = altus(
        "deploy",
        str(source),
        "--name",
        "clifn",
        "--runtime",
        f"python{sys.version_info.major}.{sys.version_info.minor}",
        "--handler",
        "main.handle",
        "--memory",
        "256",
        "--env",
        "MODE=test",
        endpoint=url,
    )
    assert deployed.returncode == 0, deployed.stderr
    assert deployed.stdout.startswith("created clifn")

    invoked = altus("invoke", "clifn", "--payload", '{"who": "cli"}', endpoint=url)
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout) == {"hi": "cli"}

    payload_file = tmp_path / "event.json"
    payload_file.write_text('{"who": "file"}')
    from_file = altus("invoke", "clifn", "--payload", f"@{payload_file}", "--log", endpoint=url)
    assert json.loads(from_file.stdout) == {"hi": "file"}
    assert "REPORT RequestId" in from_file.stderr

    (source / "main.py").write_text("def handle(event, context):\n    return 'v2'\n")
    redeployed = altus("deploy", str(source), "--name", "clifn", endpoint=url)
    assert redeployed.returncode == 0, redeployed.stderr
    assert redeployed.stdout.startswith("updated clifn")
    assert json.loads(altus("invoke", "clifn", endpoint=url).stdout) == "v2"

    listed = altus("ls", endpoint=url)
    assert listed.returncode == 0
    assert any(line.split()[0] == "clifn" for line in listed.stdout.splitlines())

    logs = altus("logs", "clifn", "--since", "10m", endpoint=url)
    assert logs.returncode == 0, logs.stderr
    assert "cli-log-line cli" in logs.stdout
    assert "REPORT RequestId" in logs.stdout


def test_function_errors_exit_nonzero(altus_server: Server, tmp_path: Path) -> None:
    source = tmp_path / "bad"
    source.mkdir()
    (source / "app.py").write_text("def handler(e, c):\n    raise ValueError('boom')\n")
    url = altus_server.url
    assert (
        altus(
            "deploy",
            str(source),
            "--name",
            "clibad",
            "--runtime",
            f"python{sys.version_info.major}.{sys.version_info.minor}",
            "--handler",
            "app.handler",
            endpoint=url,
        ).returncode
        == 0
    )
    result = altus("invoke", "clibad", endpoint=url)
    assert result.returncode == 1
    assert json.loads(result.stdout)["errorType"] == "ValueError"
    assert "function error (Unhandled)" in result.stderr


def test_errors_are_one_line(altus_server: Server, tmp_path: Path) -> None:
    missing = altus("invoke", "does-not-exist", endpoint=altus_server.url)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        "altus: error: ResourceNotFoundException: Function not found: "
        "arn:aws:lambda:us-east-1:000000000000:function:does-not-exist"
    ]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    down = altus("ls", endpoint=f"http://127.0.0.1:{free_port}")
    assert down.returncode == 1
    assert len(down.stderr.strip().splitlines()) == 1
    assert "cannot reach Altus" in down.stderr
    bad_payload = altus("invoke", "x", "--payload", "{nope", endpoint=altus_server.url)
    assert bad_payload.returncode == 1 and "not JSON" in bad_payload.stderr
    no_dir = altus("deploy", str(tmp_path / "nowhere"), "--name", "x", endpoint=altus_server.url)
    assert no_dir.returncode == 1 and "Traceback" not in no_dir.stderr


def test_up_with_example_deploys_and_invokes(tmp_path: Path) -> None:
    server = start_server(tmp_path / "example-data")
    server.stop()  # only to check that a plain start works; now the example mode:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "altus",
            "up",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "example-data"),
            "--example",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for _ in range(50):
            line = process.stdout.readline()
            lines.append(line)
            if "Try:" in line or not line:
                break
        text = "".join(lines)
        assert "Deployed example function 'hello'" in text, text
        assert '"message": "Hello, Altus!"' in text
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_up_refuses_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "altus",
                "up",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "d"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("altus: error: cannot listen on")
    assert "Traceback" not in result.stderr
