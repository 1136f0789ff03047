#!/usr/bin/env bash
# Start the local infrastructure Baton needs: Kafka (KRaft, 127.0.0.1:9092) and
# Redis (127.0.0.1:6379), in parallel. Idempotent: anything already answering is
# reused. See kafka.sh / redis.sh for the environment variables they honour.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

"$HERE/redis.sh" start &
redis_job=$!
"$HERE/kafka.sh" start &
kafka_job=$!

rc=0
wait "$redis_job" || { echo "[up] redis failed to start" >&2; rc=1; }
wait "$kafka_job" || { echo "[up] kafka failed to start" >&2; rc=1; }
if ((rc == 0)); then
    echo "[up] ready: KAFKA_BOOTSTRAP_SERVERS=${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:${BATON_KAFKA_PORT:-9092}} REDIS_URL=${REDIS_URL:-redis://127.0.0.1:${BATON_REDIS_PORT:-6379}/0}" >&2
fi
exit "$rc"
