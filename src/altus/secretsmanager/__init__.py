"""AWS Secrets Manager: secrets with versions and staging labels, encrypted at rest."""
