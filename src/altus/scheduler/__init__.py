"""EventBridge Scheduler-compatible schedules: schedule groups, ``at()``, ``rate()`` and
``cron()`` schedules in time zones, flexible time windows, start and end dates, and
durable firing into targets with retries and a dead-letter queue (docs/scheduler.md)."""
