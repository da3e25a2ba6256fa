"""Kafka subscriptions: one consumer per subscription, each record becomes an invocation.

A consumer runs in its own thread (librdkafka via confluent-kafka, options passed through
unchanged). Each record is handed to the event loop, which creates the sink invocation and
stores the partition's next offset in the same transaction; on (re)assignment the consumer
seeks to the stored offsets, so a record is turned into an invocation exactly once even
across crashes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from restate_cli.embedded.engine import Engine, Target, Tx
from restate_cli.embedded.errors import EngineError
from restate_cli.embedded.store import Store

log = logging.getLogger("restate_cli.embedded.kafka")

# Defaults the subscription's own options override: notice a topic created after the
# subscription within seconds rather than librdkafka's five minutes.
CONSUMER_DEFAULTS = {"topic.metadata.refresh.interval.ms": "5000"}


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, str]]


class KafkaConsumers:
    """Keeps one consumer thread per stored subscription."""

    def __init__(self, store: Store, engine: Engine) -> None:
        self.store = store
        self.engine = engine
        self.loop: asyncio.AbstractEventLoop | None = None
        self.consumers: dict[str, _Consumer] = {}

    def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.refresh()

    def refresh(self) -> None:
        """Start consumers for new subscriptions, stop those of deleted ones."""
        if self.loop is None:
            return
        wanted = {s["id"]: s for s in self.store.subscriptions()}
        for sub_id in list(self.consumers):
            if sub_id not in wanted:
                self.consumers.pop(sub_id).stop()
        for sub_id, sub in wanted.items():
            if sub_id in self.consumers:
                continue
            consumer = self._consumer_for(sub)
            if consumer is not None:
                self.consumers[sub_id] = consumer
                consumer.start()

    def _consumer_for(self, sub: dict[str, Any]) -> _Consumer | None:
        source = urlsplit(sub["source"])
        cluster = self.store.kafka_cluster(source.netloc)
        if cluster is None:
            log.warning("subscription %s: kafka cluster %s is gone; not consuming", sub["id"], source.netloc)
            return None
        try:
            import confluent_kafka  # noqa: F401
        except ImportError:
            log.warning("subscription %s: confluent-kafka is not installed; not consuming", sub["id"])
            return None
        config = {**CONSUMER_DEFAULTS, **json.loads(cluster["properties"]), **json.loads(sub["options"])}
        config["enable.auto.commit"] = "false"  # offsets live in the store, with the invocations
        return _Consumer(self, sub["id"], source.path.lstrip("/"), sub["sink"], config)

    async def stop(self) -> None:
        for consumer in self.consumers.values():
            consumer.stop()
        for consumer in self.consumers.values():
            await asyncio.to_thread(consumer.join)
        self.consumers.clear()

    def accept(self, sub_id: str, sink: str, record: Record) -> bool:
        """Create the invocation for one record (on the loop thread); False if it must wait."""
        engine = self.engine
        parts = urlsplit(sink)
        service, handler = parts.netloc, parts.path.strip("/")

        def work(tx: Tx) -> bool:
            c = tx.c
            if self.store.subscription(sub_id) is None:
                return False  # deleted meanwhile: this record is not ours any more
            done = self.store.kafka_offset(c, sub_id, record.topic, record.partition)
            if done is not None and record.offset < done:
                return True  # already turned into an invocation before a restart
            try:
                target = engine.resolve_target(c, service, handler)
            except EngineError as e:
                log.warning("subscription %s: %s; record skipped", sub_id, e.message)
                self.store.set_kafka_offset(c, sub_id, record.topic, record.partition, record.offset + 1)
                return True
            key = None
            if target.service_ty != "service":
                key = (record.key or b"").decode("utf-8", errors="replace")
            engine.create(
                tx,
                Target(service, key, handler, target.service_ty, target.handler_ty),
                parameter=record.value or b"",
                headers=[("content-type", "application/json"), *record.headers],
                invoked_by="subscription",
                subscription_id=sub_id,
            )
            self.store.set_kafka_offset(c, sub_id, record.topic, record.partition, record.offset + 1)
            return True

        return engine.transact(work)

    def stored_offset(self, sub_id: str, topic: str, partition: int) -> int | None:
        return self.store.kafka_offset(self.store.conn, sub_id, topic, partition)


class _Consumer:
    def __init__(
        self, owner: KafkaConsumers, sub_id: str, topic: str, sink: str, config: dict[str, str]
    ) -> None:
        self.owner = owner
        self.sub_id = sub_id
        self.topic = topic
        self.sink = sink
        self.config = config
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"kafka-{sub_id}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()

    def join(self) -> None:
        self.thread.join(timeout=15)

    def _call(self, fn: Any, *args: Any) -> Any:
        loop = self.owner.loop
        assert loop is not None

        async def run() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout=60)

    def _run(self) -> None:
        from confluent_kafka import Consumer, KafkaException, TopicPartition

        try:
            consumer = Consumer(self.config)
        except KafkaException as e:
            log.warning("subscription %s: cannot create the consumer: %s", self.sub_id, e)
            return

        def on_assign(c: Any, partitions: list[Any]) -> None:
            placed = []
            for p in partitions:
                stored = self._call(self.owner.stored_offset, self.sub_id, p.topic, p.partition)
                placed.append(TopicPartition(p.topic, p.partition, stored) if stored is not None else p)
            c.assign(placed)

        consumer.subscribe([self.topic], on_assign=on_assign)
        try:
            while not self.stopping.is_set():
                msg = consumer.poll(0.2)
                if msg is None:
                    continue
                if msg.error():
                    log.debug("subscription %s: %s", self.sub_id, msg.error())
                    continue
                headers = [
                    (k, v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v))
                    for k, v in (msg.headers() or [])
                ]
                record = Record(msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value(), headers)
                try:
                    accepted = self._call(self.owner.accept, self.sub_id, self.sink, record)
                except Exception as e:  # the loop is shutting down, or the store failed
                    log.warning(
                        "subscription %s: record %s/%s not accepted: %s",
                        self.sub_id,
                        record.partition,
                        record.offset,
                        e,
                    )
                    break
                if not accepted:
                    break
        finally:
            consumer.close()
