"""SNS-compatible topics: publish once, delivered to functions, queues and HTTP endpoints."""
