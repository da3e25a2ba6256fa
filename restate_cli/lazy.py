"""Packages whose names are imported from their submodules on first use (PEP 562)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any


def exports(package: str, names: Sequence[str], submodules: Sequence[str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each of ``names`` is looked up in
    ``submodules``, in order, the first time it is asked for, then kept in the package."""
    wanted = frozenset(names)

    def getattr_(name: str) -> Any:
        if name in wanted:
            for sub in submodules:
                module = import_module(f"{package}.{sub}")
                if hasattr(module, name):
                    value = getattr(module, name)
                    setattr(import_module(package), name, value)
                    return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return getattr_
