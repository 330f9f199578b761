"""The Lambda service: the Lambda API over the function model and the engine."""
