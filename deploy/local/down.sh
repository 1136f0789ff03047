#!/usr/bin/env bash
# Stop the local Kafka and Redis started by up.sh (data is kept; use
# `kafka.sh reset` / `redis.sh reset` to delete it).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

rc=0
"$HERE/kafka.sh" stop &
kafka_job=$!
"$HERE/redis.sh" stop || rc=1
wait "$kafka_job" || rc=1
exit "$rc"
