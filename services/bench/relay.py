"""The baseline: a bare aiokafka hop (consume, produce, commit after ack), nothing else."""

from __future__ import annotations

import asyncio
import signal
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def relay(bootstrap: str, source: str, target: str, group: str) -> None:
    """Forward every record from ``source`` to ``target`` with the same key and bytes."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2
    )
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=20, max_records=1000)
            futures = [
                await producer.send(target, value=r.value, key=r.key)
                for records in batch.values()
                for r in records
            ]
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


if __name__ == "__main__":
    bootstrap, source, target, group = sys.argv[1:5]
    asyncio.run(relay(bootstrap, source, target, group))
