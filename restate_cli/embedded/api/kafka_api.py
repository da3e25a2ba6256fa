"""``/kafka-clusters`` and ``/subscriptions`` of the embedded admin API, as restate-server."""

from __future__ import annotations

import json
import re
from typing import Any

from restate_cli import ids
from restate_cli.embedded.api import asgi, inputs
from restate_cli.embedded.api.asgi import HttpError, Request, Response, empty, json_response
from restate_cli.embedded.runtime import Runtime, _ns
from restate_cli.embedded.store import now_ms

MASK = "***"
_SENSITIVE = re.compile(r"password|secret|sasl\.username|ssl\.key\.pem|ssl_key|oauthbearer\.config|token")


def masked(props: dict[str, str]) -> dict[str, str]:
    """The properties with secrets replaced by ``***``, as the server shows them."""
    return {k: (MASK if _SENSITIVE.search(k) else v) for k, v in props.items()}


def _check_brokers(name: str, props: dict[str, str]) -> None:
    if "bootstrap.servers" not in props and "metadata.broker.list" not in props:
        raise HttpError(
            400,
            f"kafka cluster '{name}' properties must contain either 'bootstrap.servers' or "
            "'metadata.broker.list'",
        )


def cluster_json(row: dict[str, Any], subscriptions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data = {
        "name": row["name"],
        "properties": masked(json.loads(row["properties"])),
        "created_at": _ns(row["created_at"]),
    }
    if subscriptions is not None:
        data["subscriptions"] = subscriptions
    return data


def subscription_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "source": row["source"],
        "sink": row["sink"],
        "options": masked(json.loads(row["options"])),
    }


def _uri_parts(uri: str) -> tuple[str | None, str, str]:
    """Scheme, authority and path of a URI the request's model has checked."""
    from restate_cli.embedded.api import http_uri

    parsed = http_uri.parse(uri)
    return parsed.scheme, parsed.authority, parsed.path.partition("?")[0]


def _meta0009(what: str, uri: str, problem: str) -> HttpError:
    return HttpError(400, f"[META0009] invalid {what} URI '{uri}': {problem}", restate_code="META0009")


def add_routes(router: asgi.Router, rt: Runtime) -> None:
    store = rt.store

    def cluster_or_404(name: str, message: str) -> dict[str, Any]:
        row = store.kafka_cluster(name)
        if row is None:
            raise HttpError(404, message)
        return row

    async def list_clusters(_: Request) -> Response:
        return json_response({"clusters": [cluster_json(r) for r in store.kafka_clusters()]})

    async def create_cluster(req: Request) -> Response:
        from restate_cli.embedded.api.bodies import CreateKafkaClusterRequest

        cluster = inputs.body(req, CreateKafkaClusterRequest)
        name, props = cluster.name, cluster.properties
        if store.kafka_cluster(name) is not None:
            raise HttpError(409, f"kafka cluster '{name}' already exists in schema registry")
        _check_brokers(name, props)
        with store.tx() as c:
            store.save_kafka_cluster(c, name, props, now_ms())
        return json_response(
            cluster_json(store.kafka_cluster(name)), 201, [("location", f"kafka-clusters/{name}")]
        )  # type: ignore[arg-type]

    async def get_cluster(req: Request) -> Response:
        name = req.params["cluster_name"]
        include = False
        if req.query_string:
            from restate_cli.embedded.api.bodies import KafkaClusterParameters

            include = inputs.parameters(req, KafkaClusterParameters).include_subscriptions
        row = cluster_or_404(name, f"The requested Kafka cluster '{name}' does not exist")
        subs = [subscription_json(s) for s in _subscriptions_of(rt, name)] if include else []
        return json_response(cluster_json(row, subs))

    async def patch_cluster(req: Request) -> Response:
        from restate_cli.embedded.api.bodies import UpdateKafkaClusterRequest

        name = req.params["cluster_name"]
        props = inputs.body(req, UpdateKafkaClusterRequest).properties
        row = cluster_or_404(name, f"not found in the schema registry: kafka cluster '{name}'")
        _check_brokers(name, props)
        with store.tx() as c:
            store.save_kafka_cluster(c, name, props, row["created_at"])
        if rt.kafka is not None:
            rt.kafka.refresh()
        return json_response(cluster_json(store.kafka_cluster(name)))  # type: ignore[arg-type]

    async def delete_cluster(req: Request) -> Response:
        name = req.params["cluster_name"]
        force = False
        if req.query_string:
            from restate_cli.embedded.api.bodies import ForceParameters

            force = inputs.parameters(req, ForceParameters).force
        cluster_or_404(name, f"not found in the schema registry: kafka cluster named '{name}'")
        attached = _subscriptions_of(rt, name)
        if attached and not force:
            raise HttpError(
                409,
                f"Removing the kafka cluster '{name}' leads to subscription "
                f"'{attached[0]['id']}' being orphan. "
                "Remove the subscription first, or use the 'force' flag.",
            )
        with store.tx() as c:
            store.delete_kafka_cluster(c, name)
        if rt.kafka is not None:
            rt.kafka.refresh()
        return empty(202)

    async def list_subscriptions(req: Request) -> Response:
        rows = store.subscriptions()
        if "sink" in req.query:
            rows = [r for r in rows if r["sink"] == req.query["sink"]]
        if "source" in req.query:
            rows = [r for r in rows if r["source"] == req.query["source"]]
        return json_response({"subscriptions": [subscription_json(r) for r in rows]})

    async def create_subscription(req: Request) -> Response:
        from restate_cli.embedded.api.bodies import CreateSubscriptionRequest

        request = inputs.body(req, CreateSubscriptionRequest)
        scheme, cluster, topic = _uri_parts(request.source)
        if scheme != "kafka":
            schemes = "must have a scheme segment, with supported schemes: [kafka]."
            raise _meta0009("source", request.source, schemes)
        sink = request.sink
        sink_scheme, service, path = _uri_parts(sink)
        if sink_scheme != "service":
            raise _meta0009("sink", sink, "must have a scheme segment, with supported schemes: [service].")
        options = request.options or {}
        if store.kafka_cluster(cluster) is None:
            names = [r["name"] for r in store.kafka_clusters()]
            raise HttpError(
                400,
                f"Kafka cluster '{cluster}' not found. "
                f"Available clusters: {json.dumps(names).replace(',', ', ')}",
            )
        svc = store.service(service)
        handler = path.strip("/")
        handlers = [h["name"] for h in json.loads(svc["manifest"]).get("handlers", [])] if svc else []
        if svc is None or "/" in handler or handler not in handlers:
            raise _meta0009("sink", sink, "cannot find service/handler specified in the sink URI.")
        sub_id = ids.format_short_id("sub", ids.new_uuid())
        stored = {"client.id": "restate", "group.id": sub_id, **options}
        source = f"kafka://{cluster}/{topic.lstrip('/')}"
        with store.tx() as c:
            store.save_subscription(c, sub_id, source, sink, stored, now_ms())
        if rt.kafka is not None:
            rt.kafka.refresh()
        return json_response(
            subscription_json(store.subscription(sub_id)),  # type: ignore[arg-type]
            201,
            [("location", f"subscriptions/{sub_id}")],
        )

    def subscription_id(req: Request) -> str:
        sub_id = req.params["subscription"]
        try:
            ids.check(sub_id, "sub")
        except ids.IdError as e:
            raise HttpError(
                400,
                f"Invalid URL: Cannot parse `subscription` with value `{sub_id}`: {e}",
                text=True,
            ) from None
        return sub_id

    async def get_subscription(req: Request) -> Response:
        sub_id = subscription_id(req)
        row = store.subscription(sub_id)
        if row is None:
            raise HttpError(404, f"The requested subscription '{sub_id}' does not exist")
        return json_response(subscription_json(row))

    async def delete_subscription(req: Request) -> Response:
        sub_id = subscription_id(req)
        with store.tx() as c:
            deleted = store.delete_subscription(c, sub_id)
        if not deleted:
            raise HttpError(404, f"not found in the schema registry: subscription with id '{sub_id}'")
        if rt.kafka is not None:
            rt.kafka.refresh()
        return empty(202)

    router.add("GET", "/kafka-clusters", list_clusters)
    router.add("POST", "/kafka-clusters", create_cluster)
    router.add("GET", "/kafka-clusters/{cluster_name}", get_cluster)
    router.add("PATCH", "/kafka-clusters/{cluster_name}", patch_cluster)
    router.add("DELETE", "/kafka-clusters/{cluster_name}", delete_cluster)
    router.add("GET", "/subscriptions", list_subscriptions)
    router.add("POST", "/subscriptions", create_subscription)
    router.add("GET", "/subscriptions/{subscription}", get_subscription)
    router.add("DELETE", "/subscriptions/{subscription}", delete_subscription)


def _subscriptions_of(rt: Runtime, cluster: str) -> list[dict[str, Any]]:
    prefix = f"kafka://{cluster}/"
    return [s for s in rt.store.subscriptions() if s["source"].startswith(prefix)]
