"""A DynamoDB-compatible table service."""
