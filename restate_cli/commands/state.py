"""``restate-cli state``: read and change the state of virtual objects and workflows.

Every change is made from the version of the state that was read: if the state changes in
between (an invocation, another operator), the server refuses the change instead of
overwriting, and the command says so (``--force`` writes regardless).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from restate_cli.app import group
from restate_cli.commands._common import confirm, run_with_client, runtime, watch
from restate_cli.errors import CliError, UsageError

if TYPE_CHECKING:
    from restate_cli.admin.client import AdminClient
    from restate_cli.admin.state import Settled, State
    from restate_cli.app import Runtime

app = group("Read and change the state of virtual objects and workflows.")

SERVICE_HELP = "The virtual object or workflow"
KEY_HELP = "The object or workflow key"
BINARY_HELP = "Show and take values as base64 (URL-safe), whatever they hold"
FORCE_HELP = "Write even if the state changed since it was read (overwrites that change)"
WAIT_HELP = "Seconds to wait for the server to apply the change before reporting it as queued"


def _names(service: str, key: str | None) -> tuple[str, str | None]:
    name = service.strip()
    if key is None and "/" in name:
        name, key = name.split("/", 1)
    if not name or not name.isprintable():
        raise UsageError(f"invalid service name {service!r}")
    if key is not None and "\x00" in key:
        raise UsageError("a key cannot contain NUL characters")
    return name, key


def _key(service: str, key: str | None) -> tuple[str, str]:
    name, k = _names(service, key)
    if k is None:
        raise UsageError("give the key too: SERVICE KEY (or SERVICE/KEY)")
    return name, k


# -- get ---------------------------------------------------------------------------------


@app.command("get")
def get_cmd(
    ctx: typer.Context,
    service: str = typer.Argument(..., metavar="SERVICE", help=SERVICE_HELP),
    key: str = typer.Argument(None, metavar="KEY", help=KEY_HELP, show_default=False),
    binary: bool = typer.Option(False, "--binary", "--bin", help=BINARY_HELP),
    watching: bool = typer.Option(False, "-w", "--watch", help="Refresh continuously"),
    interval: float = typer.Option(1.0, "-n", "--interval", help="Seconds between refreshes in watch mode"),
) -> None:
    """Show the state of one key: JSON values as JSON, other text as text, bytes as base64."""
    rt = runtime(ctx)
    name, k = _key(service, key)

    async def show(client: AdminClient) -> None:
        from restate_cli.admin import state as api
        from restate_cli.admin.errors import ApiNotFound
        from restate_cli.errors import NotFound
        from restate_cli.render import state as view

        try:
            await api.keyed_service(client, name)
        except (NotFound, ApiNotFound) as e:
            state = await api.read_one(client, name, k)
            if not state.entries:
                raise e from None  # nothing stored either: a typo, most likely
            client.warnings.append(
                f"no service {name!r} is registered (any more); showing the state stored for it"
            )
            view.print_state(rt.io, rt.output, state, binary=binary)
            return
        view.print_state(rt.io, rt.output, await api.read_one(client, name, k), binary=binary)

    watch(rt, watching, interval, show)


# -- edit / patch ------------------------------------------------------------------------


@app.command("edit")
def edit_cmd(
    ctx: typer.Context,
    service: str = typer.Argument(..., metavar="SERVICE", help=SERVICE_HELP),
    key: str = typer.Argument(None, metavar="KEY", help=KEY_HELP, show_default=False),
    binary: bool = typer.Option(False, "--binary", "--bin", help=BINARY_HELP),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    wait: float = typer.Option(5.0, "--wait", metavar="SECONDS", help=WAIT_HELP),
) -> None:
    """Edit the state of one key in $EDITOR (a JSON object), then confirm the diff."""
    from restate_cli.commands._edit import require_answer

    rt = runtime(ctx)
    name, k = _key(service, key)
    require_answer(rt, f"change the state of {name}/{k}")

    def edited(before: State) -> dict[str, bytes]:
        from restate_cli.commands import _edit

        text = _edit.edit_text(_edit_document(before, binary), suffix=".json")
        return _from_document(before, text, binary)

    _change(rt, name, k, edited, force=force, wait=wait, binary=binary)


@app.command("patch")
def patch_cmd(
    ctx: typer.Context,
    service: str = typer.Argument(..., metavar="SERVICE", help=SERVICE_HELP),
    key: str = typer.Argument(..., metavar="KEY", help=KEY_HELP),
    values: list[str] = typer.Argument(
        None,
        metavar="NAME=VALUE",
        help="Set NAME to VALUE (JSON; other text is stored as a JSON string)",
        show_default=False,
    ),
    remove: list[str] = typer.Option([], "--remove", metavar="NAME", help="Remove the entry NAME"),
    binary: bool = typer.Option(False, "--binary", "--bin", help="VALUEs are base64 of the raw bytes"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    wait: float = typer.Option(5.0, "--wait", metavar="SECONDS", help=WAIT_HELP),
) -> None:
    """Set and remove entries of one key's state, keeping the others."""
    rt = runtime(ctx)
    name, k = _key(service, key)
    sets = _assignments(values or [], binary)
    removals = [r.strip() for r in remove]
    if any(not r for r in removals):
        raise UsageError("--remove needs an entry name")
    both = sorted(set(sets) & set(removals))
    if both:
        raise UsageError(f"{both[0]!r} is both set and removed")
    if not sets and not removals:
        raise UsageError("nothing to change", hint="give NAME=VALUE arguments or --remove NAME")

    def patched(before: State) -> dict[str, bytes]:
        new = {**before.entries, **sets}
        for r in removals:
            new.pop(r, None)
        return new

    _change(rt, name, k, patched, force=force, wait=wait, binary=binary)


def _assignments(values: list[str], binary: bool) -> dict[str, bytes]:
    from restate_cli.admin.state import from_b64

    out: dict[str, bytes] = {}
    for item in values:
        entry, sep, value = item.partition("=")
        entry = entry.strip()
        if not sep or not entry:
            raise UsageError(f"expected NAME=VALUE, got {item!r}")
        if entry in out:
            raise UsageError(f"{entry!r} is given twice")
        if binary:
            out[entry] = from_b64(value)
            continue
        try:
            json.loads(value)
            out[entry] = value.strip().encode()
        except ValueError:
            out[entry] = json.dumps(value, ensure_ascii=False).encode()
    return out


def _edit_document(state: State, binary: bool) -> str:
    from restate_cli.admin.state import b64, encoding_of

    if binary:
        doc = {k: b64(v) for k, v in sorted(state.entries.items())}
    else:
        odd = {k: encoding_of(v) for k, v in state.entries.items() if encoding_of(v) != "json"}
        if odd:
            listed = ", ".join(f"{k} ({kind})" for k, kind in sorted(odd.items()))
            raise UsageError(
                f"not every value of {state.service}/{state.key} is JSON: {listed}",
                hint="edit with --binary (values as base64), or change them with state patch",
            )
        doc = {k: json.loads(v) for k, v in sorted(state.entries.items())}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _from_document(before: State, text: str, binary: bool) -> dict[str, bytes]:
    """The new state from the edited JSON; values left as they were keep their bytes."""
    from restate_cli.admin.state import b64, from_b64

    try:
        doc = json.loads(text)
    except ValueError as e:
        raise UsageError(f"the edited state is not valid JSON: {e}; nothing was changed") from None
    if not isinstance(doc, dict):
        raise UsageError("the edited state must be a JSON object of NAME: VALUE; nothing was changed")
    new: dict[str, bytes] = {}
    for name, value in doc.items():
        old = before.entries.get(name)
        if binary:
            if not isinstance(value, str):
                raise UsageError(
                    f"with --binary, the value of {name!r} must be a base64 string; nothing was changed"
                )
            new[name] = old if old is not None and b64(old) == value else from_b64(value)
        elif old is not None and json.loads(old) == value:
            new[name] = old
        else:
            new[name] = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return new


# -- clear -------------------------------------------------------------------------------


@app.command("clear")
def clear_cmd(
    ctx: typer.Context,
    service: str = typer.Argument(..., metavar="SERVICE", help=SERVICE_HELP + " (or SERVICE/KEY)"),
    key: str = typer.Argument(
        None, metavar="[KEY]", help="Only this key (default: every key)", show_default=False
    ),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    wait: float = typer.Option(5.0, "--wait", metavar="SECONDS", help=WAIT_HELP),
) -> None:
    """Remove all state of one key, or of every key of a virtual object or workflow."""
    rt = runtime(ctx)
    name, k = _names(service, key)
    if k is not None:
        _change(rt, name, k, lambda before: {}, force=force, wait=wait, binary=False, verb="clear")
        return
    _clear_all(rt, name, force=force, wait=wait)


# -- the change itself -------------------------------------------------------------------


def _check_wait(wait: float) -> None:
    if wait < 0:
        raise UsageError("--wait must be 0 or more")


def _change(
    rt: Runtime, service: str, key: str, make, *, force: bool, wait: float, binary: bool, verb: str = "change"
) -> None:
    """Read the state, make the new one, show the diff, confirm, write, report."""
    _check_wait(wait)

    async def work(client: AdminClient) -> None:
        from restate_cli.admin import state as api
        from restate_cli.render import state as view
        from restate_cli.render.output import write_json

        await api.keyed_service(client, service)
        before = await api.read_one(client, service, key)
        new = make(before)
        changes = view.diff(before.entries, new)
        out = rt.output
        if not changes:
            if out.json:
                write_json(rt.io, view.result_json(before, [], None, binary=binary))
            elif not out.machine:
                rt.io.console().print(
                    f"No changes: the state of {service}/{key} is already so.", markup=False
                )
            return
        holder = await api.holder(client, service, key)
        if not out.machine:
            view.print_changes(rt.io, out, f"{service}/{key}", changes, binary=binary)
            _explain_holder(rt, holder)
        confirm(
            rt,
            f"{verb.capitalize()} the state of {service}/{key}?",
            what=f"{verb} the state of {service}/{key}",
        )
        settled = await _write(client, before, new, force=force, wait=wait)
        if out.json:
            write_json(rt.io, view.result_json(before, changes, settled, binary=binary))
        elif out.quiet:
            rt.io.out.write(f"{service}/{key}\n")
        _report(rt, settled, f"{service}/{key}")

    run_with_client(rt, work)


async def _write(
    client: AdminClient, before: State, new: dict[str, bytes], *, force: bool, wait: float
) -> Settled:
    from restate_cli.admin import state as api

    if not force:
        now = await api.read_one(client, before.service, before.key)
        if now.version != before.version:
            raise api.StateChanged(
                f"the state of {before.service}/{before.key} changed after it was read; nothing was written",
                hint="run the command again, or pass --force to overwrite",
            )
    await api.submit(client, before.service, before.key, new, None if force else before.version)
    settled = await api.settle(client, before, new, timeout=wait, force=force)
    return settled


def _explain_holder(rt: Runtime, holder) -> None:
    from restate_cli.admin.state import IN_FLIGHT_RULE
    from restate_cli.render.output import warn

    if holder is not None:
        warn(rt.io, f"{holder.describe()}: {IN_FLIGHT_RULE}.")


def _report(rt: Runtime, settled: Settled, target: str) -> None:
    from restate_cli.admin.state import IN_FLIGHT_RULE
    from restate_cli.render.output import success, warn

    if settled.outcome == "refused":
        raise CliError(
            f"the server did not apply the change: the state of {target} changed before the change's "
            f"turn came (it is now version {settled.state.version}), so nothing was overwritten; "
            f"{IN_FLIGHT_RULE}",
            hint=f"read it again (restate-cli state get {target.replace('/', ' ', 1)}) and retry",
        )
    if settled.outcome == "queued":
        holder = settled.holder
        behind = f" behind {holder.id} ({holder.status})" if holder and holder.id else ""
        warn(
            rt.io,
            f"The change to {target} is accepted and waits in line{behind}: not applied yet "
            f"(see restate-cli state get {target.replace('/', ' ', 1)}).",
        )
        return
    if not rt.output.machine:
        success(rt.io, f"State of {target} updated")


def _clear_all(rt: Runtime, service: str, *, force: bool, wait: float) -> None:
    _check_wait(wait)

    async def work(client: AdminClient) -> None:
        import asyncio

        from restate_cli.admin import state as api
        from restate_cli.errors import NotFound
        from restate_cli.render import state as view
        from restate_cli.render.output import write_json, write_rows

        await api.keyed_service(client, service)
        states = await api.read(client, service, None)
        if not states:
            raise NotFound(f"{service} has no state to clear")
        out = rt.output
        rows = [(k, ", ".join(sorted(s.entries))) for k, s in sorted(states.items())]
        if not out.machine:
            write_rows(rt.io, ("KEY", "ENTRIES"), rows, out)
            rt.io.console().print()
        n = len(states)
        confirm(
            rt,
            f"Remove all state of {'this key' if n == 1 else f'these {n} keys'} of {service}?",
            what=f"clear the state of {service}",
        )
        gate = asyncio.Semaphore(32)

        async def one(state: State) -> tuple[State, Settled | None, str | None]:
            async with gate:
                try:
                    return state, await _write(client, state, {}, force=force, wait=wait), None
                except CliError as e:
                    return state, None, e.message

        results = await asyncio.gather(*(one(s) for _, s in sorted(states.items())))
        entries: list[dict[str, Any]] = []
        for state, settled, error in results:
            data = view.result_json(state, view.diff(state.entries, {}), settled, binary=False)
            if error:
                data["outcome"], data["error"] = "refused", error
            entries.append(data)
        failed = [e for e in entries if e["outcome"] == "refused"]
        queued = [e for e in entries if e["outcome"] == "queued"]
        if out.json:
            write_json(rt.io, {"action": "clear", "service": service, "results": entries})
        elif out.quiet:
            rt.io.out.write("".join(f"{service}/{e['key']}\n" for e in entries if e["outcome"] == "applied"))
        else:
            table_rows = [(e["key"], e["outcome"], e.get("error") or _held(e)) for e in entries]
            write_rows(rt.io, ("KEY", "OUTCOME", "NOTE"), table_rows, out)
        if queued:
            from restate_cli.admin.state import IN_FLIGHT_RULE
            from restate_cli.render.output import warn

            warn(rt.io, f"{len(queued)} of the changes wait for invocations in flight: {IN_FLIGHT_RULE}.")
        if failed:
            raise CliError(
                f"{len(failed)} of {n} keys of {service} were not cleared: their state changed meanwhile"
            )

    run_with_client(rt, work)


def _held(entry: dict[str, Any]) -> str:
    held = entry.get("held_by")
    if not held:
        return ""
    return f"waits for {held.get('id') or 'the key'} ({held.get('status') or '?'})"
