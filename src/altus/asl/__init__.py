"""The Amazon States Language: definitions, their validation, the data flow of both query
languages (JSONPath with intrinsic functions, JSONata), and the interpreter that runs an
execution against a host (``host``): pure code, no I/O of its own. The Step Functions
service (``altus.stepfunctions``) is the host: its store, its integrations, its API."""
