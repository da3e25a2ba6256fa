"""The embedded runtime's HTTP APIs: admin (with ``/query``), Kafka clusters and
subscriptions, and the ingress, on a small ASGI toolkit (``asgi``)."""
