"""Names and ARNs: ``arn:aws:events:<region>:<account>:event-bus/<name>``, and a rule's
``…:rule/<name>`` on the default bus or ``…:rule/<bus>/<name>`` on another, as AWS
writes them."""

from __future__ import annotations

from altus.arns import Account

DEFAULT_BUS = "default"


def bus_arn(account: Account, name: str) -> str:
    return account.arn("events", f"event-bus/{name}")


def rule_arn(account: Account, bus: str, name: str) -> str:
    if bus == DEFAULT_BUS:
        return account.arn("events", f"rule/{name}")
    return account.arn("events", f"rule/{bus}/{name}")


def bus_name(value: str | None, account: Account) -> str:
    """The bus an ``EventBusName`` member names, by name or by ARN (the part after
    ``event-bus/``); the default bus when it names none. An ARN of another account or
    region names no bus here: it is returned whole, which no bus is named (a name holds
    no ``:``), so looking it up answers ResourceNotFound, not another account's bus."""
    if not value:
        return DEFAULT_BUS
    if value.startswith("arn:"):
        prefix = bus_arn(account, "")
        return value[len(prefix) :] if value.startswith(prefix) else value
    return value


def bus_resource(account: Account, value: str | None) -> str:
    """The ARN an ``EventBusName`` member names, for authorisation (a foreign ARN as
    given)."""
    name = bus_name(value, account)
    return name if name.startswith("arn:") else bus_arn(account, name)


def parse_resource(account: Account, arn: str) -> tuple[str, str | None] | None:
    """(bus, rule name or None) a bus's or rule's ARN of this account names; else None."""
    prefix = account.arn("events", "")
    if not arn.startswith(prefix):
        return None
    resource = arn[len(prefix) :]
    if resource.startswith("event-bus/"):
        return resource[len("event-bus/") :], None
    if resource.startswith("rule/"):
        rest = resource[len("rule/") :]
        if "/" in rest:
            bus, name = rest.rsplit("/", 1)
            return bus, name
        return DEFAULT_BUS, rest
    return None
