"""The Step Functions service (``stepfunctions``): state machines, their versions and
aliases, executions run durably by ``altus.asl``'s interpreter, activities and task
tokens, and the integrations tasks call."""
