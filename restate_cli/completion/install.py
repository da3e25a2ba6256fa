"""Where each shell looks for completion scripts, and what to tell the user after installing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def target(shell: str, environ: Mapping[str, str]) -> Path:
    """The file the script for ``shell`` goes to, for the user of ``environ``."""
    home = Path(environ.get("HOME") or Path.home())
    data = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    if shell == "bash":
        user_dir = environ.get("BASH_COMPLETION_USER_DIR")
        base = Path(user_dir.split(":")[0]) if user_dir else data / "bash-completion"
        return base / "completions" / "restate-cli"
    if shell == "zsh":
        site = data / "zsh" / "site-functions"
        legacy = home / ".zsh" / "completions"
        if legacy.is_dir() and not site.is_dir():
            return legacy / "_restate-cli"
        return site / "_restate-cli"
    if shell == "fish":
        config = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
        return config / "fish" / "completions" / "restate-cli.fish"
    raise ValueError(f"unsupported shell {shell!r}")


def how_to_enable(shell: str, path: Path) -> str:
    """What the user still has to do for ``shell`` to load the script at ``path``."""
    if shell == "bash":
        return (
            "bash-completion loads it in new shells (install the bash-completion package if "
            "completion does not work); to use it now: source " + str(path)
        )
    if shell == "zsh":
        return (
            f"make sure ~/.zshrc adds the directory before running compinit:\n"
            f"  fpath=({path.parent} $fpath)\n  autoload -Uz compinit && compinit\n"
            "then start a new shell (run `rm -f ~/.zcompdump*` if completion does not change)"
        )
    return "fish loads it in new shells"
