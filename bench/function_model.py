"""What provisioned concurrency saves and what layers cost, on each sandbox backend,
next to a warm invoke measured in the same run.

    .venv/bin/python bench/function_model.py [--rounds 15]

Each round makes a new configuration (UpdateFunctionConfiguration, then for provisioned
concurrency PublishVersion and PutProvisionedConcurrencyConfig, waiting for READY) and
times its first invoke from the client: a cold start for an on-demand configuration, with
and without three layers at /opt; an invoke served by an environment initialised ahead
for a provisioned one. The warm invoke that follows each first one is the baseline.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Http, altus_server, create_function, summary, table, wait_ready

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from altus.packaging import zip_files

APP = {"app.py": ("import json\ndef handler(event, context):\n    return {'ok': True}\n")}
LAYERED_APP = {
    "app.py": (
        "import json, layer_a, layer_b, layer_c\n"
        "def handler(event, context):\n"
        "    return {'ok': True}\n"
    )
}
BACKENDS = [("linux", {"ALTUS_SANDBOX": "linux"}), ("process", {"ALTUS_SANDBOX": "process"})]
FN = "/2015-03-31/functions"


def publish_layer(client: Http, name: str) -> str:
    files = {f"python/{name}.py": "VALUE = 1\n" * 200, f"lib/{name}.txt": "x" * 10_000}
    body = {"Content": {"ZipFile": base64.b64encode(zip_files(files)).decode()}}
    status, _, data = client.call(
        "POST", f"/2018-10-31/layers/{name}/versions", json.dumps(body).encode()
    )
    assert status == 201, data
    arn: str = json.loads(data)["LayerVersionArn"]
    return arn


def reconfigure(client: Http, name: str, round_number: int) -> None:
    body = json.dumps({"Description": f"round {round_number}"}).encode()
    status, _, data = client.call("PUT", f"{FN}/{name}/configuration", body)
    assert status == 200, data
    wait_ready(client, name)


def invoke(client: Http, name: str, qualifier: str | None = None) -> float:
    path = f"{FN}/{name}/invocations" + (f"?Qualifier={qualifier}" if qualifier else "")
    return client.timed("POST", path, b"{}")


def provision(client: Http, name: str, round_number: int) -> str:
    reconfigure(client, name, round_number)
    status, _, data = client.call("POST", f"{FN}/{name}/versions", b"{}")
    assert status == 201, data
    version: str = json.loads(data)["Version"]
    path = f"/2019-09-30/functions/{name}/provisioned-concurrency?Qualifier={version}"
    status, _, data = client.call("PUT", path, b'{"ProvisionedConcurrentExecutions": 1}')
    assert status == 202, data
    for _ in range(2000):
        _, _, data = client.call("GET", path)
        if json.loads(data)["Status"] == "READY":
            return version
        time.sleep(0.01)
    raise RuntimeError("provisioned concurrency never became READY")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    rows = []
    for backend, env in BACKENDS:
        with altus_server({**env, "ALTUS_CONCURRENCY_LIMIT": "1000"}) as url:
            client = Http(url)
            layers = [publish_layer(client, n) for n in ("layer_a", "layer_b", "layer_c")]
            create_function(client, "plain", zip_files(APP))
            create_function(client, "layered", zip_files(LAYERED_APP), Layers=layers)
            create_function(client, "provisioned", zip_files(APP))
            results: dict[str, list[float]] = {
                k: [] for k in ("warm", "cold", "cold with 3 layers", "provisioned")
            }
            previous: str | None = None
            for round_number in range(args.rounds + 1):
                reconfigure(client, "plain", round_number)
                cold = invoke(client, "plain")
                warm = invoke(client, "plain")
                reconfigure(client, "layered", round_number)
                layered = invoke(client, "layered")
                version = provision(client, "provisioned", round_number)
                provisioned = invoke(client, "provisioned", version)
                if previous is not None:  # one environment at a time, as each round asks
                    client.call(
                        "DELETE",
                        f"/2019-09-30/functions/provisioned/"
                        f"provisioned-concurrency?Qualifier={previous}",
                    )
                previous = version
                if round_number == 0:
                    continue  # the first round starts the zygotes
                results["warm"].append(warm)
                results["cold"].append(cold)
                results["cold with 3 layers"].append(layered)
                results["provisioned"].append(provisioned)
            for what, values in results.items():
                rows.append(
                    (
                        f"{backend}: first invoke, {what}"
                        if what != "warm"
                        else f"{backend}: warm invoke (baseline)",
                        summary(values),
                    )
                )
            warm_p50 = summary(results["warm"])["p50"]
            for what in ("cold", "cold with 3 layers", "provisioned"):
                print(
                    f"{backend}: {what} p50 / warm p50 = "
                    f"{summary(results[what])['p50'] / warm_p50:.1f}x"
                )
    print()
    print(table("First invoke of a new configuration, hello world, 128 MB", rows))


if __name__ == "__main__":
    main()
