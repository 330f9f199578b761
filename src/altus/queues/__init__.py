"""Built-in queues compatible with Amazon SQS, served by ``altus up`` (``docs/queues.md``)."""
