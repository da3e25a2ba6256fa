"""Subscriptions and Kafka clusters over the admin API: typed reads and writes.

restate-server 1.7 added ``/kafka-clusters``; before that (1.6), Kafka clusters live in the
server's configuration file and only ``/subscriptions`` exists. ``require_cluster_api``
says so before any cluster request, and a route-level 404 says so afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from restate_cli.admin.client import AdminClient, ServerInfo
from restate_cli.admin.errors import ApiError
from restate_cli.admin.models import KafkaCluster, Service, Subscription
from restate_cli.admin.services import list_services, unknown_service_hint
from restate_cli.errors import CliError

STATIC_CONFIG_HINT = (
    "clusters of restate-server 1.6 and older are defined in its configuration file: "
    '[[ingress.kafka-clusters]] with name = "…" and brokers = ["host:port"]'
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class NoClusterApi(CliError):
    """The server has no ``/kafka-clusters`` endpoints."""


def has_cluster_api(info: ServerInfo) -> bool:
    """restate-server 1.7 (admin API v4) added ``/kafka-clusters``."""
    if info.api_version is None:
        return True  # unknown: try, and read the answer
    if not info.embedded and info.version_tuple:
        return info.version_tuple >= (1, 7)
    return info.api_version >= 4


async def require_cluster_api(client: AdminClient) -> ServerInfo:
    info = await client.info()
    if not has_cluster_api(info):
        raise _no_cluster_api(client, info)
    return info


def _no_cluster_api(client: AdminClient, info: ServerInfo) -> NoClusterApi:
    return NoClusterApi(
        f"{info.kind} at {client.server} has no Kafka cluster API (it came with restate-server 1.7)",
        hint=STATIC_CONFIG_HINT,
    )


def is_static(cluster: KafkaCluster) -> bool:
    """Defined in the server's configuration file rather than through the API (1.7 reports
    those with ``created_at`` at the epoch and a deprecation note)."""
    return cluster.created_at == _EPOCH


def _route_missing(e: ApiError) -> bool:
    return e.status in (404, 405) and not e.server_message


def _cluster_path(name: str) -> str:
    return f"kafka-clusters/{quote(name, safe='')}"


# -- subscriptions ---------------------------------------------------------------------


async def list_subscriptions(
    client: AdminClient, *, source: str | None = None, sink: str | None = None
) -> list[Subscription]:
    """Every subscription, or those with exactly this source and/or sink; sorted by id."""
    params = {}
    if sink:
        params["sink"] = sink
    if source:
        params["source"] = source
    data = await client.get_json("subscriptions", params=params or None)
    subs = [Subscription.model_validate(s) for s in (data or {}).get("subscriptions", [])]
    return sorted(subs, key=lambda s: s.id)


async def get_subscription(client: AdminClient, subscription_id: str) -> Subscription:
    return Subscription.model_validate(await client.get_json(f"subscriptions/{subscription_id}"))


async def create_subscription(
    client: AdminClient, source: str, sink: str, options: dict[str, str]
) -> Subscription:
    """Create a subscription; a refusal gets a hint naming what exists instead."""
    body = {"source": source, "sink": sink, "options": options or None}
    try:
        return Subscription.model_validate(await client.post_json("subscriptions", body))
    except ApiError as e:
        if e.status == 400:
            e.hint = await _create_hint(client, e, source, sink)
        raise


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription and what is known about the Kafka cluster it reads from."""

    subscription: Subscription
    cluster: KafkaCluster | None
    cluster_state: str  # "found", "missing" (orphaned), "config" (no cluster API), "unknown"


async def describe_subscription(client: AdminClient, subscription_id: str) -> SubscriptionView:
    from restate_cli.kafka import source_cluster

    sub = await get_subscription(client, subscription_id)
    name = source_cluster(sub.source)
    if name is None:
        return SubscriptionView(sub, None, "unknown")
    if not has_cluster_api(await client.info()):
        return SubscriptionView(sub, None, "config")
    try:
        cluster = await get_cluster(client, name, with_subscriptions=False)
    except ApiError as e:
        if e.status == 404 and e.server_message:
            return SubscriptionView(sub, None, "missing")
        return SubscriptionView(sub, None, "unknown")
    except NoClusterApi:
        return SubscriptionView(sub, None, "unknown")
    return SubscriptionView(sub, cluster, "found")


async def delete_subscription(client: AdminClient, subscription_id: str) -> int:
    response = await client.delete(f"subscriptions/{subscription_id}")
    return response.status_code


_UNKNOWN_CLUSTER = re.compile(r"Kafka cluster '.*' not found|cluster in the source URI does not exist", re.I)


async def _create_hint(client: AdminClient, e: ApiError, source: str, sink: str) -> str | None:
    """What to do about a 400 from ``POST /subscriptions``: the clusters, services or
    handlers that do exist. Best effort: a failure here keeps the server's message alone."""
    try:
        if _UNKNOWN_CLUSTER.search(e.server_message):
            info = await client.info()
            if not has_cluster_api(info):
                return STATIC_CONFIG_HINT
            from restate_cli.kafka import source_cluster

            register = f"restate-cli kc create {source_cluster(source)} bootstrap.servers=HOST:PORT"
            if "Available clusters" in e.server_message:
                return f"register it with {register}"
            names = [c.name for c in await list_clusters(client)]
            known = f"known Kafka clusters: {', '.join(names)}; " if names else ""
            return f"{known}register it with {register}"
        if "cannot find service/handler" in e.server_message:
            return _sink_hint(await list_services(client), sink)
    except CliError:
        return None
    return None


def _sink_hint(services: list[Service], sink: str) -> str | None:
    from restate_cli.kafka import parse_sink

    try:
        target = parse_sink(sink)
    except CliError:
        return None
    service = next((s for s in services if s.name == target.service), None)
    if service is None:
        if not services:
            return unknown_service_hint(services, target.service)
        return f"no service {target.service!r} is registered; " + unknown_service_hint(
            services, target.service
        )
    handlers = sorted(h.name for h in service.handlers)
    return f"service {service.name} has no handler {target.handler!r}; its handlers: " + (
        ", ".join(handlers) or "none"
    )


# -- Kafka clusters --------------------------------------------------------------------


async def _cluster_call(client: AdminClient, call):
    await require_cluster_api(client)
    try:
        return await call()
    except ApiError as e:
        if _route_missing(e):
            raise _no_cluster_api(client, await client.info()) from None
        raise


async def list_clusters(client: AdminClient) -> list[KafkaCluster]:
    """Every Kafka cluster, sorted by name."""
    data = await _cluster_call(client, lambda: client.get_json("kafka-clusters"))
    clusters = [KafkaCluster.model_validate(c) for c in (data or {}).get("clusters", [])]
    return sorted(clusters, key=lambda c: c.name)


async def get_cluster(client: AdminClient, name: str, *, with_subscriptions: bool = True) -> KafkaCluster:
    params = {"include_subscriptions": "true"} if with_subscriptions else None
    data = await _cluster_call(client, lambda: client.get_json(_cluster_path(name), params))
    cluster = KafkaCluster.model_validate(data)
    subs = sorted(cluster.subscriptions, key=lambda s: s.id)
    return cluster.model_copy(update={"subscriptions": subs})


async def create_cluster(client: AdminClient, name: str, properties: dict[str, str]) -> KafkaCluster:
    body = {"name": name, "properties": properties}
    data = await _cluster_call(client, lambda: client.post_json("kafka-clusters", body))
    return KafkaCluster.model_validate(data)


async def update_cluster(client: AdminClient, name: str, properties: dict[str, str]) -> KafkaCluster:
    """Replace the cluster's whole property set (the server does not merge)."""
    body = {"properties": properties}
    data = await _cluster_call(client, lambda: client.patch_json(_cluster_path(name), body))
    return KafkaCluster.model_validate(data)


async def delete_cluster(client: AdminClient, name: str, *, force: bool) -> int:
    params = {"force": "true"} if force else None
    response = await _cluster_call(client, lambda: client.delete(_cluster_path(name), params))
    return response.status_code
