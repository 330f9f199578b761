"""Altus's public testing harness: a server in the test's process, boto3 clients for it,
a fake clock, functions that are Python callables run through the real Runtime API, and
events as Lambda's triggers deliver them. See ``docs/testing.md``."""

from altus.clock import FakeClock
from altus.testing import events
from altus.testing.harness import Harness, wait_until
from altus.testing.sandbox import InProcessBackend

__all__ = ["FakeClock", "Harness", "InProcessBackend", "events", "wait_until"]
