"""A service's settings as the user writes them (flags, a TOML or JSON file, the editor),
checked and normalized before anything is sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from restate_cli.admin.models import Service
from restate_cli.admin.services import DURATION_SETTINGS, SETTINGS
from restate_cli.errors import UsageError


def parse_toml(text: str, where: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{where} is not valid TOML: {e}; nothing was changed") from None


def read_file(path: str, read_stdin: Callable[[], str]) -> dict[str, Any]:
    """Settings from a TOML or JSON file (``-``: stdin, either)."""
    if path == "-":
        text, name = read_stdin(), "stdin"
    else:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read(1 << 20)
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
        name = path
    if path.endswith(".json") or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as e:
            raise UsageError(f"{name} is not valid JSON: {e}") from None
        if not isinstance(data, dict):
            raise UsageError(f"{name} must hold a JSON object of settings")
        return data
    return parse_toml(text, name)


def normalize(values: dict[str, Any], *, origin: str) -> dict[str, Any]:
    """``public`` as a bool and durations in the server's spelling; unknown keys refused."""
    from restate_cli.durations import DurationError
    from restate_cli.durations import normalize as duration

    out: dict[str, Any] = {}
    for raw_key, value in values.items():
        key = str(raw_key).replace("-", "_")
        if key not in SETTINGS:
            raise UsageError(f"unknown setting {raw_key!r} in {origin}; settings: {', '.join(SETTINGS)}")
        if key == "public":
            out[key] = _bool(value, origin)
            continue
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise UsageError(f'{key} in {origin} must be a duration such as "10m", not {value!r}')
        try:
            out[key] = duration(str(value))
        except DurationError as e:
            raise UsageError(f"{key.replace('_', '-')}: {e}") from None
    return out


def _bool(value: Any, origin: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise UsageError(f"public in {origin} must be true or false, not {value!r}")


def changes(svc: Service, wanted: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(setting, old, new)`` for each setting ``wanted`` changes."""
    from restate_cli.durations import parse_ms

    if "workflow_completion_retention" in wanted and svc.ty != "Workflow":
        raise UsageError(
            f"workflow-completion-retention applies only to workflows; {svc.name} is "
            f"{'a virtual object' if svc.ty == 'VirtualObject' else 'a service'}"
        )
    out = []
    for key in SETTINGS:
        if key not in wanted:
            continue
        old, new = getattr(svc, key), wanted[key]
        same = old == new
        if key in DURATION_SETTINGS and isinstance(old, str):
            try:
                same = parse_ms(old) == parse_ms(new)
            except ValueError:
                same = False
        if not same:
            out.append((key, old, new))
    return out


def template(svc: Service) -> str:
    """The TOML file ``config edit`` opens: every setting with its current value."""
    from restate_cli.render.services import SETTING_HELP

    lines = [
        f"# Settings of service {svc.name}. Change values and save; the changes are shown",
        "# before they are applied. Deleting a line changes nothing. Durations: 10m, 1h 30m,",
        "# 2days or ISO 8601 (PT1H). Registering the deployment again resets them to what it",
        "# declares.",
        "",
    ]
    for key in SETTINGS:
        value = getattr(svc, key)
        if key == "workflow_completion_retention" and svc.ty != "Workflow":
            continue
        lines.append(f"# {SETTING_HELP[key]}")
        if key == "public":
            lines.append(f"public = {str(bool(value)).lower()}")
        elif key == "inactivity_timeout" and value == "0s":
            lines.append(f'# {key} = "1m"  (not set)')
        else:
            lines.append(f"{key} = {json.dumps(value or '0s')}")
        lines.append("")
    return "\n".join(lines)
