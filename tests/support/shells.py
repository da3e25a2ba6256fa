"""Drive real shells through the generated completion scripts.

- bash: source bash-completion and the script, set COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT
  as readline would (splitting words at ``=`` and ``:``), call the completion function.
- zsh: an interactive ``zsh -f`` on a pseudo-terminal, with ``compinit`` and the script on
  ``$fpath``; TAB runs the real completion system, and a ``compadd`` wrapper records every
  match (and its display string) in a file.
- fish: ``complete -C LINE``, fish's own way of asking for completions.

Every function takes the line up to the cursor and returns the candidates offered.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPLETIONS = ROOT / "completions"
BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")
BIN_DIR = Path(sys.executable).parent  # where the restate-cli console script is


def missing(shell: str) -> str | None:
    """Why the tests of ``shell`` cannot run here, or None."""
    if shutil.which(shell) is None:
        return f"{shell} is not installed (apt-get install {shell})"
    if shell == "bash" and not BASH_COMPLETION.exists():
        return "bash-completion is not installed (apt-get install bash-completion)"
    return None


RELAXED = {"RESTATE_CLI_COMPLETE_TIMEOUT_MS": "5000"}  # a loaded machine does not lose live values


def shell_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A user's environment, with a relaxed completion budget (tests of the budget drop it)."""
    env = {
        **RELAXED,
        "HOME": str(home),
        "PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        "LANG": "C.UTF-8",
        "TERM": "xterm",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "RESTATE_CLI_HOME": str(home / "restate-cli-data"),
    }
    env.update(extra or {})
    return env


# -- bash ------------------------------------------------------------------------------

BASH_DRIVER = """
source {bash_completion}
source {script}
COMP_WORDS=("$@")
COMP_CWORD=$RC_CWORD
COMP_LINE=$RC_LINE
COMP_POINT=$RC_POINT
_restate_cli restate-cli "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""


def readline_words(line: str) -> list[str]:
    """COMP_WORDS as bash's readline makes them: words split at blanks, and runs of ``=``
    and ``:`` (of COMP_WORDBREAKS) as words of their own."""
    tokens = line.split()
    if not line.strip() or line[-1].isspace():
        tokens.append("")
    words: list[str] = []
    for token in tokens:
        words += re.findall(r"[=:]+|[^=:]+", token) or [""]
    return words


def bash_complete(line: str, env: dict[str, str], script: Path, after: str = "") -> list[str]:
    before = readline_words(line)
    words = before + (readline_words(after.strip()) if after.strip() else [])
    driver = BASH_DRIVER.format(bash_completion=BASH_COMPLETION, script=script)
    r = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", driver, "bash", *words],
        capture_output=True,
        text=True,
        env={**env, "RC_LINE": line + after, "RC_POINT": str(len(line)), "RC_CWORD": str(len(before) - 1)},
        cwd=env["HOME"],
        timeout=30,
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    return [c for c in r.stdout.split("\n") if c]


# -- fish ------------------------------------------------------------------------------


def fish_complete(line: str, env: dict[str, str], script: Path) -> list[tuple[str, str]]:
    """``(candidate, description)`` pairs."""
    r = subprocess.run(
        ["fish", "-c", 'source $RC_SCRIPT; complete -C "$RC_LINE"'],
        capture_output=True,
        text=True,
        env={**env, "RC_LINE": line, "RC_SCRIPT": str(script)},
        cwd=env["HOME"],
        timeout=30,
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    out = []
    for row in r.stdout.split("\n"):
        if row:
            value, _, description = row.partition("\t")
            out.append((value, description))
    return out


# -- zsh -------------------------------------------------------------------------------

ZSH_SETUP = r"""
PS1='' RPS1='' PROMPT_EOL_MARK=''
unsetopt beep auto_list list_beep
fpath=({completions} $fpath)
autoload -Uz compinit && compinit -u -D
compadd() {{
  local -a __hits __shown
  local __i
  if (( ${{@[(I)-[OAD]*]}} )); then  # a query that adds no match
    builtin compadd "$@"
    return
  fi
  builtin compadd -O __hits "$@"
  for (( __i = 1; __i < $#; __i++ )); do
    [[ ${{@[__i]}} == -d ]] && __shown=("${{(@P)@[__i+1]}}")
  done
  for (( __i = 1; __i <= $#__hits; __i++ )); do
    print -r -- "HIT:$IPREFIX${{__hits[__i]}}"$'\t'"${{__shown[__i]}}" >>$RC_OUT
  done
  builtin compadd "$@"
}}
_rc_complete() {{ _main_complete; print -r -- END >>$RC_OUT }}
zle -C rc-complete complete-word _rc_complete
bindkey '^I' rc-complete
print -r -- RC""READY
"""


@dataclass
class ZshSession:
    """One interactive zsh on a pseudo-terminal, reused for several completions."""

    env: dict[str, str]
    workdir: Path
    completions: Path = COMPLETIONS
    pid: int = 0
    fd: int = -1
    elapsed: float = 0.0
    seen: bytes = field(default=b"", repr=False)

    def start(self) -> ZshSession:
        setup = self.workdir / "setup.zsh"
        setup.write_text(ZSH_SETUP.format(completions=self.completions))
        self.out = self.workdir / "zsh-hits.txt"
        env = {**self.env, "RC_OUT": str(self.out)}
        pid, fd = pty.fork()
        if pid == 0:  # the child: become zsh
            os.chdir(self.env["HOME"])
            os.execvpe("zsh", ["zsh", "-f", "-i"], env)
        self.pid, self.fd = pid, fd
        self._send(f"source {setup}\n")
        self._expect(b"RCREADY")
        return self

    def complete(self, line: str, after: str = "", timeout: float = 20.0) -> list[tuple[str, str]]:
        """``(candidate, display)`` pairs that TAB offers at the end of ``line`` (with
        ``after`` after the cursor)."""
        self.out.write_text("")
        self._send(line + after + "\x02" * len(after))  # ^B: back over ``after``
        self._drain(0.02)
        started = time.monotonic()
        self._send("\t")
        deadline = started + timeout
        while "END" not in self.out.read_text().split("\n"):
            if time.monotonic() > deadline:
                raise AssertionError(f"zsh did not complete {line!r}: {self.seen[-2000:]!r}")
            self._drain(0.005)
        self.elapsed = time.monotonic() - started
        self._send("\x05\x15")  # ^E ^U: kill the whole line for the next one
        self._drain(0.05)
        out = []
        for row in self.out.read_text().split("\n"):
            if row.startswith("HIT:"):
                value, _, shown = row[4:].partition("\t")
                out.append((value, shown))
        return out

    def run(self, command: str) -> None:
        marker = f"RC{time.monotonic_ns()}"
        self._send(f"{command}; print -r -- {marker[:2]}''{marker[2:]}\n")
        self._expect(marker.encode())

    def close(self) -> None:
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            os.close(self.fd)
            self.pid = 0

    def _send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def _drain(self, seconds: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if ready:
            with contextlib.suppress(OSError):
                self.seen += os.read(self.fd, 65536)

    def _expect(self, marker: bytes, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        start = len(self.seen)
        while marker not in self.seen[start:]:
            if time.monotonic() > deadline:
                raise AssertionError(f"zsh did not print {marker!r}: {self.seen[-2000:]!r}")
            self._drain(0.05)


# -- one interface -----------------------------------------------------------------------


class Shell:
    """Completion in one shell, with one environment, through the scripts in ``scripts``."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path, scripts: Path = COMPLETIONS) -> None:
        self.name, self.env, self.workdir, self.scripts = name, env, workdir, scripts
        self.zsh: ZshSession | None = None
        self.elapsed = 0.0

    def described(self, line: str, after: str = "") -> dict[str, str]:
        """Candidate → description (bash shows none)."""
        started = time.monotonic()
        if self.name == "bash":
            # Readline replaces only the text after the last ":" of the word (COMP_WORDBREAKS),
            # so the script leaves that part out; put it back, as the user sees it.
            word = "" if line[-1:].isspace() else line.split()[-1]
            kept = word[: word.rfind(":") + 1] if ":" in word and "=" not in word else ""
            found = {
                kept + c: "" for c in bash_complete(line, self.env, self.scripts / "restate-cli.bash", after)
            }
        elif self.name == "fish":
            assert not after, "fish completes at the end of the line only"
            found = dict(fish_complete(line, self.env, self.scripts / "restate-cli.fish"))
        else:
            if self.zsh is None:
                self.zsh = ZshSession(self.env, self.workdir, self.scripts).start()
            found = {}
            for value, shown in self.zsh.complete(line, after):
                found[value] = shown.partition(" -- ")[2] if " -- " in shown else found.get(value, "")
            self.elapsed = self.zsh.elapsed
            return found
        self.elapsed = time.monotonic() - started
        return found

    def __call__(self, line: str, after: str = "") -> set[str]:
        return set(self.described(line, after))

    def close(self) -> None:
        if self.zsh is not None:
            self.zsh.close()
            self.zsh = None
