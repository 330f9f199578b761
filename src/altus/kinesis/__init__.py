"""A Kinesis-compatible stream service."""
