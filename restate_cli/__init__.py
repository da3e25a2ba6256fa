"""restate-cli: manage Restate invocations and Kafka subscriptions."""

__version__ = "0.1.0"
