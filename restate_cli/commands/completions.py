"""``restate-cli completions``: generate and install shell completion scripts."""

from __future__ import annotations

import typer

from restate_cli.app import group
from restate_cli.commands._common import runtime
from restate_cli.errors import CliError, UsageError, did_you_mean

app = group("Shell completion scripts: subcommands, options, and live ids and names.")

SHELL_HELP = "bash, zsh or fish (default: the shell of $SHELL)"


def _shell(name: str | None) -> str:
    import os

    from restate_cli.completion import SHELLS

    chosen = (name or os.path.basename(os.environ.get("SHELL", "")) or "bash").lower()
    if name is None and chosen not in SHELLS:
        chosen = "bash"
    if chosen not in SHELLS:
        raise UsageError(
            f"unsupported shell {chosen!r}; choose from {', '.join(SHELLS)}.{did_you_mean(chosen, SHELLS)}"
        )
    return chosen


@app.command("generate")
def generate_cmd(shell: str | None = typer.Argument(None, metavar="SHELL", help=SHELL_HELP)) -> None:
    """Print the completion script for a shell."""
    from restate_cli.completion.generate import script

    text = script(_shell(shell))
    import sys

    sys.stdout.write(text)
    sys.stdout.flush()


@app.command("install")
def install_cmd(
    ctx: typer.Context, shell: str | None = typer.Argument(None, metavar="SHELL", help=SHELL_HELP)
) -> None:
    """Write the completion script where the shell looks for it."""
    import os

    from restate_cli.completion.generate import script
    from restate_cli.completion.install import how_to_enable, target
    from restate_cli.render.output import success, tip, write_json, write_lines

    rt = runtime(ctx)
    name = _shell(shell)
    path = target(name, os.environ)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(script(name), encoding="utf-8")
    except OSError as e:
        raise CliError(f"cannot write {path}: {e.strerror or e}") from None
    if rt.output.json:
        write_json(rt.io, {"shell": name, "path": str(path)})
    elif rt.output.quiet:
        write_lines(rt.io, [str(path)])
    else:
        success(rt.io, f"{name} completions installed to: {path}")
        tip(rt.io, how_to_enable(name, path))
