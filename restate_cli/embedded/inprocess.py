"""The embedded admin API mounted in the CLI's own process, when no dev process runs."""

from __future__ import annotations

from pathlib import Path

from restate_cli.embedded.api import admin_api
from restate_cli.embedded.api.asgi import App
from restate_cli.embedded.runtime import Runtime


def admin_app(data_dir: Path) -> App:
    """A passive runtime over the data directory: changes are stored; ``dev`` runs them."""
    return admin_api.build(Runtime(data_dir, active=False))
