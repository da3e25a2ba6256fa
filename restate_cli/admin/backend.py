"""Pick the admin API a command talks to: a remote server, or the embedded runtime."""

from __future__ import annotations

from restate_cli.admin.client import AdminClient
from restate_cli.config import Settings
from restate_cli.errors import Unreachable


def open_client(settings: Settings) -> AdminClient:
    """An admin client for ``settings``.

    With no remote configured, the embedded runtime of the data directory: over loopback
    when a ``restate-cli dev`` process serves it, otherwise its admin API mounted
    in-process over the same store.
    """
    if not settings.embedded:
        return AdminClient(settings)
    from restate_cli.embedded.locate import DevStarting, wait_for_dev

    try:  # a dev that is starting would not see what the command writes in-process
        dev = wait_for_dev(settings.data_dir)
    except DevStarting as e:
        raise Unreachable(str(e), hint="try again when it serves, or stop it") from None
    if dev is not None:
        return AdminClient(settings, base_url=dev["admin_url"])
    from restate_cli.embedded.inprocess import admin_app

    return AdminClient(
        settings,
        app=admin_app(settings.data_dir),
        base_url="http://embedded/",
        offline_dir=settings.data_dir,
    )
