"""A CloudWatch Logs-compatible service over the functions' logs."""
