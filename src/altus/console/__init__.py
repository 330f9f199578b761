"""The web console: pages served by ``altus up`` on a listener of its own (``console_port``,
9001 by default) under ``/_altus/console/``, rendered on the server (Jinja2 templates,
charts and state machine graphs as inline SVG drawn here, one small script of its own),
reading and changing everything through Altus's own API as the signed-in principal.
``docs/console.md`` says what it shows and how it signs in.

Its own port, because the API's serves what users wrote (function URLs, API Gateway's
APIs, S3 objects): on the console's origin, any such page could act with an
administrator's session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from altus.platform import Platform

#: The path the console's pages are under (on its own port; "/" leads there).
BASE = "/_altus/console"

Scope = dict[str, Any]
Receive = Any
Send = Any


class ConsoleApp:
    """The console's ASGI app, acting through the API at ``endpoint`` (the API's URL as
    this machine reaches it). Made before the server serves (it migrates its table)."""

    def __init__(self, platform: Platform, endpoint: str) -> None:
        from altus.console import views
        from altus.console.web import Console

        self.console = Console(platform, endpoint)
        views.register(self.console)
        self._app = self.console.app()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    async def close(self) -> None:
        await self.console.close()
