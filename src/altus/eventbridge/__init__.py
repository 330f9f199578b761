"""EventBridge-compatible event buses: rules with event patterns and schedules, targets
with retry policies and dead-letter queues (docs/eventbridge.md)."""
