"""Editing in the user's editor: ``$RESTATE_EDITOR``, ``$VISUAL``, ``$EDITOR`` or ``vi``, as the
official CLI chooses it. Nothing is written back to where the text came from here: the
caller shows what changed and asks first."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from restate_cli.errors import CliError, UsageError

if TYPE_CHECKING:
    from restate_cli.app import Runtime


def editor() -> list[str]:
    for var in ("RESTATE_EDITOR", "VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            return shlex.split(value)
    return ["vi"]


def require_answer(rt: Runtime, what: str) -> None:
    """Refuse before opening the editor when the change could not be confirmed afterwards."""
    if not rt.io.auto_confirm and not rt.io.can_prompt:
        raise UsageError(
            f"refusing to {what} without confirmation: stdin is not a terminal",
            hint="pass --yes (or set CI) to confirm",
        )


def edit_text(text: str, *, suffix: str) -> str:
    """``text`` as the user left it after editing it in a temporary file."""
    command = editor()
    with tempfile.TemporaryDirectory(prefix="restate-cli-") as tmp:
        path = Path(tmp) / f"edit{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            done = subprocess.run([*command, str(path)], check=False)
        except OSError as e:
            raise CliError(
                f"cannot start the editor {command[0]!r}: {e.strerror}; nothing was changed",
                hint="set $EDITOR (or $VISUAL, $RESTATE_EDITOR) to an editor that is installed",
            ) from None
        if done.returncode != 0:
            raise CliError(
                f"the editor {command[0]!r} exited with status {done.returncode}; nothing was changed"
            )
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise CliError(f"cannot read the edited file back: {e}; nothing was changed") from None


def unified_diff(old: str, new: str, name: str) -> list[str]:
    import difflib

    return list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), f"{name} (now)", f"{name} (edited)", lineterm=""
        )
    )


def print_diff(rt: Runtime, lines: list[str]) -> None:
    from rich.text import Text

    console = rt.io.console()
    for line in lines:
        style = (
            "green"
            if line.startswith("+")
            else "red"
            if line.startswith("-")
            else "cyan"
            if line.startswith("@@")
            else ""
        )
        console.print(Text(line, style=style))
