"""Pick the admin API a command talks to: a remote server, or the embedded runtime."""

from __future__ import annotations

from restate_cli.admin.client import AdminClient
from restate_cli.config import Settings


def open_client(settings: Settings) -> AdminClient:
    """An admin client for ``settings``.

    With no remote configured, the embedded runtime of the data directory: over loopback
    when a ``restate-cli dev`` process serves it, otherwise its admin API mounted
    in-process over the same store.
    """
    if not settings.embedded:
        return AdminClient(settings)
    from restate_cli.embedded.locate import running_dev

    dev = running_dev(settings.data_dir)
    if dev is not None:
        return AdminClient(settings, base_url=dev["admin_url"])
    from restate_cli.embedded.inprocess import admin_app

    return AdminClient(
        settings,
        app=admin_app(settings.data_dir),
        base_url="http://embedded/",
        offline_dir=settings.data_dir,
    )
