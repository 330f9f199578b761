"""The example function `altus up --example` deploys: a greeting with a warm counter."""

import os
import time

invocations = 0  # module state survives between warm invokes, as on Lambda


def handler(event, context):
    global invocations
    invocations += 1
    name = event.get("name", "world") if isinstance(event, dict) else "world"
    print(f"greeting {name} (invocation {invocations} of this environment)")
    return {
        "message": f"Hello, {name}!",
        "function": context.function_name,
        "request_id": context.aws_request_id,
        "warm_invocations": invocations,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "runtime": os.environ.get("AWS_EXECUTION_ENV"),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
