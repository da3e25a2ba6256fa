"""The embedded runtime's ingress: call, send, delay, idempotency keys, attach and output."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from restate_cli import ids
from restate_cli.embedded.api import asgi
from restate_cli.embedded.api.asgi import Request, Response, json_response
from restate_cli.embedded.engine import Result, Target, Tx
from restate_cli.embedded.engine.model import CHANGE, workflow_run_id
from restate_cli.embedded.errors import EngineError, storage_error
from restate_cli.embedded.protocol.results import Failure
from restate_cli.embedded.runtime import Runtime
from restate_cli.embedded.store import now_ms

DROPPED_HEADERS = {"connection", "host", "idempotency-key", "idempotency-expires"}


def ingress_error(status: int, message: str) -> Response:
    return json_response(
        {"code": status, "message": message, "source": "ingress"},
        status,
        [("x-restate-error-source", "ingress")],
    )


def result_response(
    inv_id: str,
    result: Result,
    output: dict[str, Any] | None,
    extra: list[tuple[str, str]] | None = None,
) -> Response:
    """The answer to a call or attach: the output bytes, or the failure as JSON."""
    headers = [("x-restate-id", inv_id), *(extra or [])]
    if result.failure is not None:
        f = result.failure
        status = f.code if 100 <= f.code <= 599 else 500
        return json_response(
            {"code": f.code, "message": f.message, "source": "invocation"},
            status,
            [*headers, ("x-restate-error-source", "invocation")],
        )
    body = result.value or b""
    content_type = (output or {}).get("contentType")
    if content_type and (body or (output or {}).get("setContentTypeIfEmpty")):
        headers.append(("content-type", content_type))
    return Response(200, body, headers)


class Ingress:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.engine = rt.engine

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await asgi.App(asgi.Router())(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            request = await asgi.read_request(scope, receive)
            response = await self.handle(request)
        except asgi.ClientGone:
            return
        except asgi.HttpError as e:
            response = ingress_error(e.status, e.message)
        except EngineError as e:
            response = ingress_error(e.status, e.message)
        except sqlite3.Error as e:
            full = storage_error(e)
            if full is None:
                raise
            response = ingress_error(full.status, full.message)
        await response.send(send)

    async def handle(self, req: Request) -> Response:
        parts = [unquote(p) for p in req.raw_path.split("?", 1)[0].strip("/").split("/")]
        if parts and parts[0] == "restate":
            return await self._restate(req, parts[1:])
        slashes = req.raw_path.split("?", 1)[0].count("/")
        if not 2 <= slashes <= 7 or len(parts) < 2:
            return ingress_error(400, "bad path")
        send = parts[-1] == "send"
        if send:
            parts = parts[:-1]
        if len(parts) == 2:
            service, key, handler = parts[0], None, parts[1]
        elif len(parts) == 3:
            service, key, handler = parts
        else:
            return ingress_error(400, "bad path")
        return await self._invoke(req, service, key, handler, send)

    # -- calls and sends -------------------------------------------------------------

    async def _invoke(
        self, req: Request, service: str, key: str | None, handler: str, send: bool
    ) -> Response:
        svc = self.rt.store.service(service)
        if svc is None:
            return ingress_error(
                404,
                f"service '{service}' not found, make sure to register the service before calling it.",
            )
        manifest = self.rt.store.service_manifest(service)
        hm = next((h for h in manifest.get("handlers", []) if h["name"] == handler), None)
        if hm is None:
            return ingress_error(404, f"handler '{service}/{handler}' not found")
        if not svc["public"] or hm.get("ingressPrivate"):
            return ingress_error(400, "the invoked service is not public")
        if (svc["ty"] == "service") != (key is None):
            return ingress_error(400, "bad path" if key is None else f"service '{service}' is not keyed")
        target = self.engine.resolve_target(None, service, handler)
        if key is not None:
            target = Target(service, key, handler, target.service_ty, target.handler_ty)
        problem = _check_input(hm.get("input") or {}, req)
        if problem:
            return ingress_error(400, problem)
        delay_ms = None
        if "delay" in req.query:
            if not send:
                return ingress_error(400, "delay is only supported on /send")
            try:
                delay_ms = parse_delay(req.query["delay"])
                if delay_ms is not None and now_ms() + delay_ms >= _YEAR_10000_MS:
                    raise DelayError("the invocation would start after the year 9999")
            except DelayError as e:
                return ingress_error(400, f"bad delay query parameter, must be a ISO8601 duration: {e}")
            if delay_ms is None:
                return ingress_error(
                    400,
                    f"bad delay query parameter, must be a ISO8601 duration: {req.query['delay']}",
                )
        idem = req.headers.get("idempotency-key")
        is_workflow_run = target.handler_ty == "workflow" and target.service_ty == "workflow"
        if idem is not None:
            if idem == "":
                return ingress_error(400, "the idempotency key must not be empty")
            if is_workflow_run:
                return ingress_error(400, "idempotency key not supported on workflow run handlers")
        headers = [(k, v) for k, v in req.headers.items() if k not in DROPPED_HEADERS]
        path = req.raw_path if not req.query_string else f"{req.raw_path}?{req.query_string}"
        headers.insert(0, ("x-restate-ingress-path", path))
        generated = idem is None and not is_workflow_run

        def work(tx: Tx) -> tuple[str, bool, int | None]:
            existing = self.engine.existing(tx, target, idem)
            if existing is not None:
                return existing.id, True, existing.scheduled_start_at
            first = len(tx.fx.logs)  # "accepted" goes before what create logs (scheduled, pending)
            inv = self.engine.create(
                tx,
                target,
                parameter=req.body,
                headers=headers,
                invoked_by="ingress",
                idempotency_key=ids.new_ulid_string() if generated else idem,
                start_at=tx.now + delay_ms if delay_ms else None,
            )
            tx.fx.logs.insert(first, (CHANGE, f"{inv.id} {inv.target}: accepted from ingress"))
            return inv.id, False, inv.scheduled_start_at

        inv_id, existed, start_at = self.engine.transact(work)
        output = hm.get("output") or {}
        if send:
            body: dict[str, Any] = {"invocationId": inv_id}
            if start_at:
                body["executionTime"] = _ns(start_at)
            body["status"] = "PreviouslyAccepted" if existed else "Accepted"
            return json_response(body, 202, [("x-restate-id", inv_id)])
        if existed and is_workflow_run:
            return json_response(
                {
                    "code": 409,
                    "message": "the workflow method was already invoked",
                    "source": "invocation",
                },
                409,
                [("x-restate-id", inv_id), ("x-restate-error-source", "invocation")],
            )
        result = await self.engine.wait_result(inv_id)
        return result_response(inv_id, result, output)

    # -- /restate/... ----------------------------------------------------------------

    async def _restate(self, req: Request, parts: list[str]) -> Response:
        if parts == ["health"]:
            return json_response({"services": [s["name"] for s in self.rt.store.services()]})
        if len(parts) == 3 and parts[0] in ("awakeables", "a") and parts[2] in ("resolve", "reject"):
            return self._awakeable(req, parts[1], parts[2])
        if parts and parts[0] == "invocation" and len(parts) >= 3 and parts[-1] in ("output", "attach"):
            inv_id = self._invocation_id(parts[1:-1])
            return await self._output(inv_id, attach=parts[-1] == "attach")
        if len(parts) == 4 and parts[0] == "workflow" and parts[3] in ("output", "attach"):
            return await self._output(workflow_run_id(parts[1], parts[2]), attach=parts[3] == "attach")
        return ingress_error(404, "not found")

    def _invocation_id(self, rest: list[str]) -> str | None:
        if len(rest) == 1:
            return rest[0]
        if len(rest) in (3, 4):
            service, handler, idem = rest[0], rest[-2], rest[-1]
            key = rest[1] if len(rest) == 4 else None
            found = self.rt.store.find_idempotent(self.rt.store.conn, service, key, handler, idem)
            return found.id if found else None
        return None

    async def _output(self, inv_id: str | None, *, attach: bool) -> Response:
        if inv_id is None or not ids.is_valid(inv_id, "inv"):
            return ingress_error(404, "invocation not found")
        inv = self.rt.store.get(inv_id)
        if inv is None:
            return ingress_error(404, "invocation not found")
        manifest = self.rt.store.service_manifest(inv.service)
        hm = next((h for h in manifest.get("handlers", []) if h["name"] == inv.handler), {})
        if inv.status != "completed":
            if not attach:
                return ingress_error(470, "the invocation exists but has not completed yet")
            result = await self.engine.wait_result(inv_id)
        else:
            result = self.engine.result_of(inv_id) or Result()
        extra = []
        if inv.expires_at:
            extra.append(("idempotency-expires", _ns(inv.expires_at)))
        return result_response(inv_id, result, hm.get("output"), extra)

    def _awakeable(self, req: Request, awakeable_id: str, action: str) -> Response:
        if action == "resolve":
            value, failure = req.body, None
        else:
            value, failure = None, Failure(500, req.body.decode("utf-8", errors="replace"))
        self.engine.resolve_awakeable(awakeable_id, value, failure)
        return Response(202)


def _check_input(spec: dict[str, Any], req: Request) -> str | None:
    content_type = req.headers.get("content-type", "")
    if not spec:
        if req.body or content_type:
            return "the handler does not accept any input"
        return None
    expected = spec.get("contentType")
    if not req.body:
        if spec.get("required"):
            return "the handler requires an input body"
        return None
    if expected and expected != "*/*":
        mime = content_type.split(";", 1)[0].strip()
        if mime.lower() != expected.split(";", 1)[0].strip().lower():
            return f"Content-type '{content_type}' does not match '{expected}'"
    return None


_FRIENDLY = re.compile(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]+)")
_UNITS_MS = {
    "ms": 1,
    "msec": 1,
    "msecs": 1,
    "millis": 1,
    "milliseconds": 1,
    "millisecond": 1,
    "s": 1000,
    "sec": 1000,
    "secs": 1000,
    "second": 1000,
    "seconds": 1000,
    "m": 60_000,
    "min": 60_000,
    "mins": 60_000,
    "minute": 60_000,
    "minutes": 60_000,
    "h": 3_600_000,
    "hr": 3_600_000,
    "hrs": 3_600_000,
    "hour": 3_600_000,
    "hours": 3_600_000,
    "d": 86_400_000,
    "day": 86_400_000,
    "days": 86_400_000,
}
_ISO = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


_YEAR_10000_MS = 253_402_300_800_000
_MAX_DAYS = 7_304_484  # what restate's duration parser (jiff) takes as a number of days
_FRIENDLY_ERROR = 'failed to parse input in the "friendly" duration format: '


class DelayError(ValueError):
    """A delay restate refuses, with the reason it gives."""


def parse_delay(text: str) -> int | None:
    """Milliseconds for ``2s``, ``60 sec``, ``1h 30m``, ``60+sec`` or ISO-8601 ``PT60S``;
    None if it is none of these; ``DelayError`` for numbers out of restate's ranges."""
    text = text.strip()
    m = _ISO.match(text)
    if m and any(m.groups()):
        _check_number(m.group(1) or "0", "day", "")
        d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
        return int(((d * 24 + h) * 60 + mi) * 60_000 + s * 1000)
    cleaned = text.replace("+", " ")
    pieces = _FRIENDLY.findall(cleaned)
    if not pieces or _FRIENDLY.sub("", cleaned).strip():
        return None
    total = 0.0
    for number, unit in pieces:
        size = _UNITS_MS.get(unit.lower())
        if size is None:
            return None
        _check_number(number, "day" if size == 86_400_000 else "", _FRIENDLY_ERROR)
        total += float(number) * size
    return int(total)


def _check_number(number: str, unit: str, prefix: str) -> None:
    whole = int(number.split(".", 1)[0])
    if whole >= 2**63:
        raise DelayError(f"{prefix}number too big to parse into 64-bit integer")
    if unit == "day" and whole > _MAX_DAYS:
        raise DelayError(
            f"{prefix}failed to set value for day unit on span: parameter 'days' is not in the "
            f"required range of -{_MAX_DAYS}..={_MAX_DAYS}"
        )


def _ns(ms: int) -> str:
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}000000Z"
