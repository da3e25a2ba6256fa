"""restate_cli.lazy: package names imported from their submodules on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_names_come_from_their_submodule_and_unknown_names_fail() -> None:
    from restate_cli.embedded import engine, protocol
    from restate_cli.embedded.engine.core import Engine
    from restate_cli.embedded.protocol.commands import decode_command

    assert engine.Engine is Engine
    assert protocol.decode_command is decode_command
    assert "decode_command" in vars(protocol)  # kept after the first look-up
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        protocol.nothing  # noqa: B018
    with pytest.raises(ImportError):
        from restate_cli.embedded.engine import nothing  # noqa: F401


def test_one_submodule_loads_without_its_siblings() -> None:
    code = (
        "import sys\n"
        "import restate_cli.embedded.protocol.jsonbody, restate_cli.embedded.engine.policy\n"
        "print(sorted(m for m in sys.modules if m.endswith(('protocol.commands', 'engine.core'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
