"""Triggers: event source mappings that poll queues and streams and invoke functions
with batches of records, and the event pattern language their filters use."""
