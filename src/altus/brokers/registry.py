"""The brokers a mapping may read, each named by its ``SelfManagedEventSource.Endpoints``
key, and the module that speaks its protocol (imported when a mapping first needs it:
a server with no broker mappings never loads a broker client)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from altus.brokers.base import Connector

#: Which member names what a mapping reads.
QUEUES = "Queues"
TOPICS = "Topics"


@dataclass(frozen=True, slots=True)
class BrokerKind:
    #: The mapping's source kind (``EventSourceMapping.source``).
    kind: str
    #: Its ``SelfManagedEventSource.Endpoints`` key.
    endpoint_key: str
    #: The URL schemes its endpoint may have.
    schemes: frozenset[str]
    #: The module with its ``connect(subscription)``.
    module: str
    #: ``Queues`` (one queue) or ``Topics`` (one or more).
    reads: str
    #: The StartingPosition values it takes; empty: it takes none (a queue, a live feed).
    positions: frozenset[str] = frozenset()
    #: The position taken where none is given; None: StartingPosition is required (as
    #: Lambda requires it of streams).
    default_position: str | None = None
    #: What a name in ``reads`` is, for error messages.
    noun: str = "topic"
    #: What a ConsumerGroupId must look like (it names something on the broker), and
    #: the words saying so.
    group_pattern: str = r"[\s\S]+"
    group_rule: str = ""
    #: What a mapping keeps on the broker holds the broker's resources (a replication
    #: slot holds WAL): its deletion waits until it is removed.
    pins: bool = False


KINDS: tuple[BrokerKind, ...] = (
    BrokerKind(
        "rabbitmq",
        "RABBITMQ_URL",
        frozenset({"amqp", "amqps"}),
        "altus.brokers.rabbitmq",
        QUEUES,
        noun="queue",
    ),
    BrokerKind(
        "redis",
        "REDIS_URL",
        frozenset({"redis", "rediss"}),
        "altus.brokers.redis_streams",
        TOPICS,
        frozenset({"TRIM_HORIZON", "LATEST"}),
        noun="stream",
    ),
    BrokerKind(
        "nats",
        "NATS_URL",
        frozenset({"nats", "tls"}),
        "altus.brokers.nats_jetstream",
        TOPICS,
        frozenset({"TRIM_HORIZON", "LATEST"}),
        noun="subject",
        group_pattern=r"[^.*>/\\\s]+",
        group_rule="a NATS consumer name: no '.', '*', '>', '/', '\\' or whitespace",
    ),
    BrokerKind(
        "mqtt",
        "MQTT_URL",
        frozenset({"mqtt", "mqtts"}),
        "altus.brokers.mqtt",
        TOPICS,
        noun="topic filter",
    ),
    BrokerKind(
        "postgres",
        "POSTGRES_URL",
        frozenset({"postgresql", "postgres"}),
        "altus.brokers.postgres",
        TOPICS,
        # A replication slot begins when it is made: there is no earlier position.
        frozenset({"LATEST"}),
        default_position="LATEST",
        noun="table",
        pins=True,
        group_pattern=r"[a-z_][a-z0-9_]{0,62}",
        group_rule=(
            "a replication slot name: lowercase letters, digits and underscores, at most 63"
        ),
    ),
)
_BY_KEY = {kind.endpoint_key: kind for kind in KINDS}
_BY_KIND = {kind.kind: kind for kind in KINDS}


def endpoint_keys() -> Iterable[str]:
    return _BY_KEY


def by_key(key: str) -> BrokerKind | None:
    return _BY_KEY.get(key)


def by_kind(kind: str) -> BrokerKind:
    return _BY_KIND[kind]


def connector(kind: str) -> Connector:
    """The ``connect`` of a kind's module."""
    found: Connector = importlib.import_module(_BY_KIND[kind].module).connect
    return found


def url_problem(kind: BrokerKind, url: str) -> str | None:
    """Why ``url`` cannot name a broker of ``kind``; None if it can."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"it is not a valid URL ({error})"
    if parts.scheme not in kind.schemes:
        wanted = " or ".join(f"{scheme}://" for scheme in sorted(kind.schemes))
        return f"its scheme must be {wanted}"
    if not parts.hostname:
        return "it names no host"
    if port == 0:
        return "its port must be between 1 and 65535"
    return None


def redacted(url: str) -> str:
    """``url`` with any password in it shown as ``****`` (what the API shows of an
    endpoint, and what error messages quote): credentials belong in a BASIC_AUTH secret,
    and even when given in the URL they are not handed back."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if not password:
        return url
    user_info, _, host = parts.netloc.rpartition("@")
    user = user_info.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:****@{host}"))
