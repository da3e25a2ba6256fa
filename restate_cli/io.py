"""Every terminal decision, made once: is it a TTY, may we use color, may we prompt.

Nothing else in the package calls ``isatty()`` or reads ``NO_COLOR``.
"""

from __future__ import annotations

import io as _io
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO as TextStream
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


@dataclass
class IO:
    """The process's streams and what they allow."""

    out: TextStream[str]
    err: TextStream[str]
    inp: TextStream[str]
    stdout_tty: bool = False
    stderr_tty: bool = False
    stdin_tty: bool = False
    color: bool = False
    auto_confirm: bool = False
    width: int | None = None
    _consoles: dict[str, Console] = field(default_factory=dict, repr=False)

    @classmethod
    def from_process(cls, environ: Mapping[str, str] | None = None, *, yes: bool = False) -> IO:
        env = os.environ if environ is None else environ
        stdout_tty = _isatty(sys.stdout)
        color = stdout_tty and env.get("TERM") != "dumb"
        if env.get("NO_COLOR", "") not in ("", "0"):
            color = False
        if env.get("CLICOLOR_FORCE", "") not in ("", "0"):
            color = True
        return cls(
            out=sys.stdout,
            err=sys.stderr,
            inp=sys.stdin,
            stdout_tty=stdout_tty,
            stderr_tty=_isatty(sys.stderr),
            stdin_tty=_isatty(sys.stdin),
            color=color,
            auto_confirm=yes or "CI" in env,
        )

    @classmethod
    def for_test(cls, *, tty: bool = False, color: bool = False, yes: bool = False, stdin: str = "") -> IO:
        return cls(
            out=_io.StringIO(),
            err=_io.StringIO(),
            inp=_io.StringIO(stdin),
            stdout_tty=tty,
            stderr_tty=tty,
            stdin_tty=tty,
            color=color,
            auto_confirm=yes,
            width=120,
        )

    @property
    def can_prompt(self) -> bool:
        return self.stdin_tty and self.stdout_tty

    @property
    def progress_ok(self) -> bool:
        """Spinners and progress bars are drawn only on an interactive stderr."""
        return self.stderr_tty

    def console(self, *, stderr: bool = False) -> Console:
        """A rich console on stdout (or stderr), colored only when allowed."""
        key = "err" if stderr else "out"
        if key not in self._consoles:
            from rich.console import Console
            from rich.theme import Theme

            class _Console(Console):
                def on_broken_pipe(self) -> None:
                    raise BrokenPipeError  # rich would exit 1; `| head` is not a failure

            stream = self.err if stderr else self.out
            tty = self.stderr_tty if stderr else self.stdout_tty
            self._consoles[key] = _Console(
                file=stream,
                force_terminal=self.color if self.color else None,
                no_color=not self.color,
                color_system="auto" if self.color else None,
                highlight=False,
                emoji=False,
                soft_wrap=False,
                width=self.width if self.width or tty else 10_000,
                theme=Theme(THEME),
            )
        return self._consoles[key]

    def icon(self, name: str) -> str:
        """An emoji on a color terminal, a text fallback otherwise (as the official CLI)."""
        return ICONS[name][0 if self.color else 1]


ICONS = {
    "ok": ("✅", "[OK]:"),
    "err": ("❌", "[ERR]:"),
    "warn": ("⚠️ ", "[WARNING]:"),
    "tip": ("💡", "[TIP]:"),
    "info": ("📜 ", ""),
    "progress": ("🚂 ", ""),
    "options": ("⚙️  ", ""),
    "subs": ("📨 ", ""),
    "tree": ("🌳 ", ""),
}

THEME = {
    "danger": "bold red",
    "warn": "magenta",
    "success": "green",
    "info": "bold bright_white",
    "notice": "italic",
    "dim": "dim",
}
