"""Altus: AWS Lambda's protocols on your own machines."""

__version__ = "0.1.0"
