"""The embedded runtime's admin API: restate-server's paths, payloads, codes and error bodies."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from restate_cli import __version__, ids
from restate_cli.embedded.api import asgi, inputs
from restate_cli.embedded.api.asgi import HttpError, Request, Response, empty, json_response
from restate_cli.embedded.errors import EngineError
from restate_cli.embedded.runtime import Runtime

MIN_API, MAX_API = 2, 4
_VERSION_PREFIX = re.compile(r"^/v(\d+)(/.*)?$")


def build(rt: Runtime) -> asgi.App:
    router = asgi.Router()

    async def health(_: Request) -> Response:
        return empty(200)

    async def version(_: Request) -> Response:
        return json_response(
            {
                "version": "1.7.12",
                "min_admin_api_version": MIN_API,
                "max_admin_api_version": MAX_API,
                "ingress_endpoint": rt.ingress_url or "http://127.0.0.1:8080/",
                "features": {},
                "embedded_runtime": __version__,
            }
        )

    async def cluster_health(_: Request) -> Response:
        return json_response(
            {"cluster_name": "restate-cli-embedded", "metadata_cluster_health": {"members": [1]}}
        )

    async def openapi(_: Request) -> Response:
        from restate_cli.embedded.api.openapi import document

        return json_response(document(router))

    async def query(req: Request) -> Response:
        sql = inputs.query_text(req)
        # In a thread of its own: a long query stalls neither the engine nor other queries;
        # it is interrupted if the client disconnects.
        answer = await rt.queries.answer(sql, req.headers.get("accept", ""), req.disconnected)
        return Response(answer.status, answer.body, [("content-type", answer.content_type)])

    # -- deployments -----------------------------------------------------------------

    async def list_deployments(_: Request) -> Response:
        return json_response({"deployments": [rt.deployment_json(d) for d in rt.store.deployments()]})

    async def create_deployment(req: Request) -> Response:
        request = inputs.registration(req)
        status, data = await rt.register(
            request.uri,
            force=bool(request.force),
            additional_headers=request.additional_headers or {},
            dry_run=request.dry_run,
            use_http_11=request.use_http_11,
        )
        return json_response(data, status, [("location", f"deployments/{data['id']}")])

    def deployment_or_404(req: Request) -> dict[str, Any]:
        dep_id = req.params["deployment"]
        _check_id(dep_id, "dp", "deployment")
        dep = rt.store.deployment(dep_id)
        if dep is None:
            raise HttpError(404, f"The requested deployment '{dep_id}' does not exist")
        return dep

    async def get_deployment(req: Request) -> Response:
        return json_response(rt.deployment_json(deployment_or_404(req), full=True))

    async def update_deployment(req: Request) -> Response:
        dep = deployment_or_404(req)
        update = inputs.deployment_update(req)
        return json_response(
            await rt.update_deployment(
                dep,
                uri=update.uri,
                additional_headers=update.additional_headers,
                overwrite=update.overwrite,
                dry_run=update.dry_run,
                use_http_11=update.use_http_11,
            )
        )

    async def delete_deployment(req: Request) -> Response:
        from restate_cli.embedded.api.bodies import ForceParameters

        _check_id(req.params["deployment"], "dp", "deployment")
        if not inputs.parameters(req, ForceParameters).force:
            return empty(501)  # restate-server removes deployments only by force
        dep_id = req.params["deployment"]
        if rt.store.deployment(dep_id) is None:
            raise HttpError(404, f"not found in the schema registry: deployment with id '{dep_id}'")
        rt.remove_deployment(dep_id)
        return empty(202)

    # -- services --------------------------------------------------------------------

    def service_or_404(req: Request) -> dict[str, Any]:
        svc = rt.store.service(req.params["service"])
        if svc is None:
            raise HttpError(404, f"The requested service '{req.params['service']}' does not exist")
        return svc

    async def list_services(_: Request) -> Response:
        return json_response({"services": [rt.service_json(s) for s in rt.store.services()]})

    async def get_service(req: Request) -> Response:
        return json_response(rt.service_json(service_or_404(req)))

    async def modify_service(req: Request) -> Response:
        changes = inputs.service_changes(req)
        if not changes:  # restate-server then only reads the service
            return json_response(rt.service_json(service_or_404(req)))
        name = req.params["service"]
        svc = rt.store.service(name)
        if svc is None:
            raise HttpError(404, f"not found in the schema registry: service with name '{name}'")
        if "workflowCompletionRetention" in changes and svc["ty"] != "workflow":
            raise HttpError(
                400, f"modifying retention time for service type {_TY_NAMES[svc['ty']]} is unsupported"
            )
        try:
            return json_response(rt.modify_service(name, changes))
        except EngineError as e:
            raise HttpError(e.status, e.message, restate_code=e.restate_code) from None

    async def list_handlers(req: Request) -> Response:
        return json_response({"handlers": rt.service_json(service_or_404(req))["handlers"]})

    async def get_handler(req: Request) -> Response:
        svc = rt.service_json(service_or_404(req))
        for h in svc["handlers"]:
            if h["name"] == req.params["handler"]:
                return json_response(h)
        raise HttpError(
            404,
            f"The requested handler '{req.params['handler']}' on service '{svc['name']}' does not exist",
        )

    async def modify_state(req: Request) -> Response:
        object_key, new_state, version = inputs.state_update(req)
        name = req.params["service"]
        svc = rt.store.service(name)
        if svc is None and not new_state:
            return empty(202)  # restate-server checks the service only when there is state to write
        if svc is None:
            raise HttpError(404, f"The requested service '{name}' does not exist")
        if svc["ty"] == "service":
            raise HttpError(400, "Cannot modify state for service type Service")
        rt.mutate_state(name, object_key, new_state, version)
        return empty(202)

    # -- invocations -----------------------------------------------------------------

    def invocation_id(req: Request) -> str:
        inv_id = req.params["invocation_id"]
        try:
            ids.check(inv_id, "inv")
        except ids.IdError as e:
            raise HttpError(400, f"The request field 'invocation_id' is invalid. Reason: {e}") from None
        return inv_id

    def op(fn: Any) -> Any:
        async def handler(req: Request) -> Response:
            inv_id = invocation_id(req)
            try:
                return await fn(req, inv_id)
            except EngineError as e:
                raise HttpError(e.status, e.message, restate_code=e.restate_code) from None

        return handler

    async def cancel(_: Request, inv_id: str) -> Response:
        return empty(rt.engine.cancel(inv_id))

    async def kill(_: Request, inv_id: str) -> Response:
        return empty(rt.engine.kill(inv_id))

    async def purge(_: Request, inv_id: str) -> Response:
        return empty(rt.engine.purge(inv_id))

    async def purge_journal(_: Request, inv_id: str) -> Response:
        return empty(rt.engine.purge_journal(inv_id))

    async def pause(_: Request, inv_id: str) -> Response:
        return empty(rt.engine.pause(inv_id))

    async def resume(req: Request, inv_id: str) -> Response:
        deployment = None
        if req.query_string:
            from restate_cli.embedded.api.bodies import ResumeParameters

            deployment = inputs.parameters(req, ResumeParameters).deployment
        return empty(rt.engine.resume(inv_id, deployment))

    async def restart(req: Request, inv_id: str) -> Response:
        upto = deployment = None
        if req.query_string:
            from restate_cli.embedded.api.bodies import RestartAsNewParameters

            params = inputs.parameters(req, RestartAsNewParameters)
            upto, deployment = params.from_, params.deployment
        new_id = rt.engine.restart_as_new(inv_id, upto, deployment)
        return json_response({"new_invocation_id": new_id})

    async def delete_invocation(req: Request, inv_id: str) -> Response:
        from restate_cli.embedded.api.bodies import DeleteInvocationParameters

        mode = inputs.parameters(req, DeleteInvocationParameters).mode.lower()
        modes = {"cancel": rt.engine.cancel, "kill": rt.engine.kill, "purge": rt.engine.purge}
        with contextlib.suppress(EngineError):  # the deprecated form answers 202 either way
            modes[mode](inv_id)
        return empty(202)

    routes = [
        ("GET", "/health", health),
        ("GET", "/version", version),
        ("GET", "/cluster-health", cluster_health),
        ("GET", "/openapi", openapi),
        ("POST", "/query", query),
        ("GET", "/deployments", list_deployments),
        ("POST", "/deployments", create_deployment),
        ("GET", "/deployments/{deployment}", get_deployment),
        ("PATCH", "/deployments/{deployment}", update_deployment),
        ("DELETE", "/deployments/{deployment}", delete_deployment),
        ("GET", "/services", list_services),
        ("GET", "/services/{service}", get_service),
        ("PATCH", "/services/{service}", modify_service),
        ("GET", "/services/{service}/handlers", list_handlers),
        ("GET", "/services/{service}/handlers/{handler}", get_handler),
        ("POST", "/services/{service}/state", modify_state),
        ("DELETE", "/invocations/{invocation_id}", op(delete_invocation)),
        ("PATCH", "/invocations/{invocation_id}/cancel", op(cancel)),
        ("PATCH", "/invocations/{invocation_id}/kill", op(kill)),
        ("PATCH", "/invocations/{invocation_id}/purge", op(purge)),
        ("PATCH", "/invocations/{invocation_id}/purge-journal", op(purge_journal)),
        ("PATCH", "/invocations/{invocation_id}/pause", op(pause)),
        ("PATCH", "/invocations/{invocation_id}/resume", op(resume)),
        ("PATCH", "/invocations/{invocation_id}/restart-as-new", op(restart)),
    ]
    for method, path, handler in routes:
        router.add(method, path, handler)
    from restate_cli.embedded.api import kafka_api

    kafka_api.add_routes(router, rt)
    return asgi.App(router, rewrite=_strip_version)


def _strip_version(req: Request) -> Response | str | None:
    """``/v2``…``/v4`` prefixes reach the same routes; ``/v1`` is refused; higher is 404."""
    m = _VERSION_PREFIX.match(req.path)
    if not m:
        return None
    version = int(m.group(1))
    if version < MIN_API:
        return asgi.text_response(
            f"Unsupported Admin API version V{version}. This server supports versions between "
            f"V{MIN_API} and V{MAX_API}.",
            400,
        )
    if version > MAX_API:
        return empty(404)
    return m.group(2) or "/"


_TY_NAMES = {"service": "Service", "virtual_object": "VirtualObject", "workflow": "Workflow"}


def _check_id(value: str, kind: str, name: str) -> None:
    try:
        ids.check(value, kind)
    except ids.IdError as e:
        raise HttpError(
            400, f"Invalid URL: Cannot parse `{name}` with value `{value}`: {e}", text=True
        ) from None
