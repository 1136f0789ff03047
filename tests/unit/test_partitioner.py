"""Keys go to the partitions Kafka's default partitioner picks, however often they recur."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from shared.bus.kafka import KeyHashPartitioner


def test_same_partitions_as_the_default_partitioner() -> None:
    ours, default = KeyHashPartitioner(max_keys=50), DefaultPartitioner()
    keys = [f"tenant:session-{i}".encode() for i in range(200)]
    for partitions in ([0, 1, 2], list(range(6)), [0]):
        for key in keys + keys:  # second pass: remembered hashes, past the bound too
            assert ours(key, partitions, partitions) == default(key, partitions, partitions)
    spread = {ours(k, [0, 1, 2, 3], [0, 1, 2, 3]) for k in keys}
    assert spread == {0, 1, 2, 3}
