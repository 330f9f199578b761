"""The console's pages, one module per area; ``register`` serves them all."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from altus.console.web import Console


def register(console: Console) -> None:
    from altus.console.views import dashboard, functions, insights, resources, stacks, workflows

    for module in (dashboard, functions, workflows, stacks, resources, insights):
        module.register(console)
