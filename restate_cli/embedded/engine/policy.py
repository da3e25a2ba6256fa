"""Settings that come from a service's manifest, with restate-server's defaults.

Manifests are stored as the deployment sent them (camelCase keys, times in ms); a
handler's setting overrides its service's, which overrides the runtime default.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

DAY_MS = 86_400_000
DEFAULT_ABORT_TIMEOUT_MS = 10 * 60_000
DEFAULT_INACTIVITY_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class RetryPolicy:
    initial_ms: int = 500
    factor: float = 2.0
    max_interval_ms: int = 60_000
    max_attempts: int | None = 70
    on_max_attempts: str = "pause"  # or "kill"

    def delay_ms(self, attempt: int) -> int:
        """The pause before retry number ``attempt`` (1-based): exponential, capped,
        with 0 to 30 % jitter on top, as restate-server does."""
        base = min(self.initial_ms * self.factor ** max(attempt - 1, 0), self.max_interval_ms)
        return int(base * (1 + random.random() * 0.3))


@dataclass(frozen=True)
class Retention:
    completion: int
    journal: int


def _handler(manifest: dict[str, Any], handler: str) -> dict[str, Any]:
    for h in manifest.get("handlers", []):
        if h.get("name") == handler:
            return h
    return {}


def setting(manifest: dict[str, Any], handler: str, key: str) -> Any:
    h = _handler(manifest, handler)
    return h[key] if h.get(key) is not None else manifest.get(key)


def handler_kind(service_ty: str, handler: dict[str, Any]) -> str | None:
    """``exclusive``, ``shared`` or ``workflow`` for keyed services, else None."""
    ty = (handler.get("ty") or "").lower()
    if service_ty == "virtual_object":
        return ty if ty in ("exclusive", "shared") else "exclusive"
    if service_ty == "workflow":
        return ty if ty in ("workflow", "shared") else "workflow"
    return None


def retry_policy(manifest: dict[str, Any], service: str, handler: str) -> RetryPolicy:
    def get(key: str) -> Any:
        return setting(manifest, handler, key)

    default = RetryPolicy()
    max_attempts = get("retryPolicyMaxAttempts")
    return RetryPolicy(
        initial_ms=int(get("retryPolicyInitialInterval") or default.initial_ms),
        factor=float(get("retryPolicyExponentiationFactor") or default.factor),
        max_interval_ms=int(get("retryPolicyMaxInterval") or default.max_interval_ms),
        max_attempts=int(max_attempts) if max_attempts is not None else default.max_attempts,
        on_max_attempts=str(get("retryPolicyOnMaxAttempts") or "PAUSE").lower(),
    )


def retention(manifest: dict[str, Any], handler: str, *, keyed: bool) -> Retention:
    """How long a completed invocation (and its journal) is kept."""
    journal = setting(manifest, handler, "journalRetention")
    journal = DAY_MS if journal is None else int(journal)
    completion = 0
    if keyed:
        idem = setting(manifest, handler, "idempotencyRetention")
        completion = DAY_MS if idem is None else int(idem)
    wf = setting(manifest, handler, "workflowCompletionRetention")
    if (_handler(manifest, handler).get("ty") or "").upper() == "WORKFLOW":
        completion = DAY_MS if wf is None else int(wf)
    return Retention(completion=completion, journal=journal)


def lazy_state(manifest: dict[str, Any], service: str, handler: str) -> bool:
    return bool(setting(manifest, handler, "enableLazyState"))


def abort_timeout(manifest: dict[str, Any], service: str, handler: str) -> float:
    """Seconds an attempt may take before it is aborted and retried."""
    ms = setting(manifest, handler, "abortTimeout")
    return (int(ms) if ms else DEFAULT_ABORT_TIMEOUT_MS) / 1000
