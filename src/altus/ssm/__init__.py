"""An SSM Parameter Store-compatible service: parameters, their versions and labels,
SecureString values encrypted at rest, and Secrets Manager references."""
