"""Where a deployed API answers.

Two ways in, as for function URLs:

- by path, on the API's own address (needs no DNS):
  ``http://<host:port>/_aws/execute-api/<api-id>/<stage>/<path>``; an HTTP API's
  ``$default`` stage at ``http://<host:port>/_aws/execute-api/<api-id>/<path>``;
- by host, when ``url_domain`` is set (a wildcard DNS name pointing here):
  ``http://<api-id>.execute-api.<region>.<url_domain>[:port]/<stage>/<path>`` (and
  ``<api-id>.execute-api.<url_domain>``).
"""

from __future__ import annotations

PATH_PREFIX = "/_aws/execute-api/"


def api_endpoint(api_id: str, base_url: str, domain: str | None, region: str) -> str:
    """An API's base URL (``GetApi().ApiEndpoint``): a stage's requests go below it
    (``<endpoint>/<stage>/<path>``; an HTTP API's ``$default`` stage's at
    ``<endpoint>/<path>``)."""
    base = base_url.rstrip("/")
    if domain is None:
        return f"{base}{PATH_PREFIX}{api_id}"
    scheme, _, authority = base.partition("://")
    port = authority.rpartition(":")[2] if ":" in authority.rsplit("]", 1)[-1] else ""
    suffix = f":{port}" if port else ""
    return f"{scheme}://{api_id}.execute-api.{region}.{domain}{suffix}"


def api_id_of_host(host: str, domain: str, region: str) -> str | None:
    """The API a Host names (``<api-id>.execute-api[.<region>].<domain>[:port]``), or
    None where it names none."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.lower()
    for suffix in (f".execute-api.{region}.{domain}".lower(), f".execute-api.{domain}".lower()):
        if name.endswith(suffix):
            found = name[: -len(suffix)]
            return found if found.isalnum() else None
    return None
