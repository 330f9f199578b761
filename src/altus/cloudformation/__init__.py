"""CloudFormation on Altus's own API: stacks deployed from templates (JSON or YAML, SAM's
transform included) by calling the services Altus serves, as the caller, planned and
applied in dependency order, rolled back on failure, durable across restarts. See
``docs/cloudformation.md``."""
