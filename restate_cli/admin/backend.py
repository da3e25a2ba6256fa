"""Pick the admin API a command talks to: a remote server, or the embedded runtime."""

from __future__ import annotations

from restate_cli.admin.client import AdminClient
from restate_cli.config import LOCAL_ADMIN_URL, Settings


def open_client(settings: Settings) -> AdminClient:
    """An admin client for ``settings``; with no remote configured, the local default."""
    if settings.embedded:
        return AdminClient(settings, base_url=LOCAL_ADMIN_URL)
    return AdminClient(settings)
