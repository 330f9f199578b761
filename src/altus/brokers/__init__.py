"""Event source mappings on the brokers people run (RabbitMQ, Redis Streams, NATS
JetStream, MQTT, PostgreSQL changes): one consumer per mapping, behind one interface
(``base.Consumer``) that the mapping engine's broker poller (``altus.events``) drives."""
