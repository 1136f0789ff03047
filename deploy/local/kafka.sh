#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) without Docker.
#
#   deploy/local/kafka.sh start|stop|status|reset|logs
#
# The broker jars come from Maven Central through `mvn` (deploy/local/kafka-pom.xml)
# and are cached in ${BATON_CACHE_DIR:-~/.cache/baton}/kafka-<version>/lib.
# Data, config, logs and the pid file live in
# ${BATON_DATA_DIR:-~/.local/share/baton}/kafka (kafka-<port> for a non-default port).
#
# Environment:
#   BATON_KAFKA_VERSION          broker version (default 3.9.1; the pom's logging
#                                binding targets Kafka 3.x)
#   BATON_KAFKA_HOST             listen/advertised host (default 127.0.0.1)
#   BATON_KAFKA_PORT             client port (default 9092)
#   BATON_KAFKA_CONTROLLER_PORT  KRaft controller port (default 9093)
#   BATON_KAFKA_HEAP_OPTS        JVM heap (default "-Xmx512m -Xms256m")
#   BATON_KAFKA_AUTO_CREATE_TOPICS  auto.create.topics.enable (default true)
#   BATON_KAFKA_START_TIMEOUT    seconds to wait for the broker (default 60)
#   BATON_CACHE_DIR, BATON_DATA_DIR  see above
#   KAFKA_BOOTSTRAP_SERVERS      if set to anything other than the local address,
#                                nothing is started: `start`/`status` only check
#                                that it answers.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION="${BATON_KAFKA_VERSION:-3.9.1}"
HOST="${BATON_KAFKA_HOST:-127.0.0.1}"
PORT="${BATON_KAFKA_PORT:-9092}"
CPORT="${BATON_KAFKA_CONTROLLER_PORT:-9093}"
HEAP_OPTS="${BATON_KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
AUTO_CREATE="${BATON_KAFKA_AUTO_CREATE_TOPICS:-true}"
START_TIMEOUT="${BATON_KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT="${BATON_KAFKA_STOP_TIMEOUT:-30}"

CACHE="${BATON_CACHE_DIR:-$HOME/.cache/baton}/kafka-${VERSION}"
LIB="$CACHE/lib"
DATA_ROOT="${BATON_DATA_DIR:-$HOME/.local/share/baton}"
if [[ "$PORT" == 9092 ]]; then KDIR="$DATA_ROOT/kafka"; else KDIR="$DATA_ROOT/kafka-$PORT"; fi
CONF_DIR="$KDIR/config"
LOG_DIR="$KDIR/logs"
LOG_DIRS="$KDIR/data"
PROPS="$CONF_DIR/server.properties"
LOG4J="$CONF_DIR/log4j.properties"
TOOLS_LOG4J="$CONF_DIR/tools-log4j.properties"
PIDFILE="$KDIR/kafka.pid"
OUTFILE="$LOG_DIR/kafka.out"
ADDR="$HOST:$PORT"

log() { printf '[kafka] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- helpers ---------------------------------------------------------------

# alive PID -> 0 if the process exists and is not a zombie (a daemon's parent
# may be an init that reaps late; kill -0 alone succeeds on zombies).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    local state
    state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
    [[ "$state" != Z ]]
}

# probe HOST:PORT[,...] -> 0 if a Kafka broker answers an ApiVersions request.
probe() {
    if command -v python3 >/dev/null 2>&1; then
        python3 "$SCRIPT_DIR/kafkaprobe.py" --timeout 2 "$1" >/dev/null 2>&1
    else
        # Weaker fallback: plain TCP connect to the first address.
        local hp="${1%%,*}"; hp="${hp#*://}"
        timeout 2 bash -c ">/dev/tcp/${hp%:*}/${hp##*:}" 2>/dev/null
    fi
}

# port_open HOST PORT -> 0 if something accepts TCP connections there.
port_open() { timeout 2 bash -c ">/dev/tcp/$1/$2" 2>/dev/null; }

# external_servers -> prints KAFKA_BOOTSTRAP_SERVERS if it points elsewhere.
external_servers() {
    local s="${KAFKA_BOOTSTRAP_SERVERS:-}"
    s="${s// /}"
    [[ -z "$s" ]] && return 1
    local bare="${s#*://}"
    case "$bare" in
        "127.0.0.1:$PORT" | "localhost:$PORT" | "$HOST:$PORT") return 1 ;;
    esac
    printf '%s' "$s"
}

# our_pid -> prints the pid from the pid file if that process is our broker.
our_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    # Guard against a recycled pid: it must be a kafka.Kafka JVM on our config.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $PROPS" || return 1
    printf '%s' "$pid"
}

log_tail() {
    local f
    for f in "$LOG_DIR/server.log" "$OUTFILE"; do
        if [[ -s "$f" ]]; then
            log "---- last lines of $f ----"
            tail -n 40 "$f" >&2
        fi
    done
}

ensure_tools() {
    command -v java >/dev/null 2>&1 || die "java not found (need a JDK/JRE 11+, 17 recommended)"
}

# Download broker jars from Maven Central into $LIB (once per version).
ensure_jars() {
    if [[ -f "$CACHE/.complete" && -f "$LIB/kafka_2.13-$VERSION.jar" ]]; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "mvn not found; it is needed once to fetch the Kafka jars (apt-get install maven)"
    log "fetching Kafka $VERSION jars from Maven Central into $LIB (one-time) ..."
    mkdir -p "$CACHE"
    local tmp="$CACHE/lib.tmp.$$"
    rm -rf "$tmp"
    if ! mvn -B -q -f "$SCRIPT_DIR/kafka-pom.xml" \
        dependency:copy-dependencies \
        -Dkafka.version="$VERSION" \
        -DincludeScope=runtime \
        -DoutputDirectory="$tmp" >"$CACHE/mvn.log" 2>&1; then
        tail -n 40 "$CACHE/mvn.log" >&2 || true
        rm -rf "$tmp"
        die "mvn could not resolve org.apache.kafka:kafka_2.13:$VERSION (log: $CACHE/mvn.log)"
    fi
    [[ -f "$tmp/kafka_2.13-$VERSION.jar" ]] || { rm -rf "$tmp"; die "kafka_2.13-$VERSION.jar missing after mvn"; }
    rm -rf "$LIB"
    mv "$tmp" "$LIB"
    touch "$CACHE/.complete"
    log "cached $(find "$LIB" -name '*.jar' | wc -l) jars ($(du -sh "$LIB" | cut -f1))"
}

write_config() {
    mkdir -p "$CONF_DIR" "$LOG_DIR" "$LOG_DIRS"
    cat >"$PROPS" <<EOF
# Generated by deploy/local/kafka.sh -- regenerated on every start, edits are lost.
# Single-node KRaft: this process is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CPORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CPORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$LOG_DIRS

# Single node: every internal topic has one replica.
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
auto.create.topics.enable=$AUTO_CREATE
delete.topic.enable=true
# Consumer groups join without the default 3 s delay.
group.initial.rebalance.delay.ms=0

# Keep local disk use small.
log.retention.hours=24
log.retention.bytes=268435456
log.segment.bytes=67108864
num.network.threads=2
num.io.threads=4
EOF

    cat >"$LOG4J" <<EOF
# Generated by deploy/local/kafka.sh: broker logs go to files, not the console.
log4j.rootLogger=INFO, serverAppender

log4j.appender.serverAppender=org.apache.log4j.RollingFileAppender
log4j.appender.serverAppender.File=$LOG_DIR/server.log
log4j.appender.serverAppender.MaxFileSize=20MB
log4j.appender.serverAppender.MaxBackupIndex=3
log4j.appender.serverAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.serverAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.stateChangeAppender=org.apache.log4j.RollingFileAppender
log4j.appender.stateChangeAppender.File=$LOG_DIR/state-change.log
log4j.appender.stateChangeAppender.MaxFileSize=10MB
log4j.appender.stateChangeAppender.MaxBackupIndex=1
log4j.appender.stateChangeAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.stateChangeAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.org.apache.zookeeper=WARN
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=INFO, stateChangeAppender
log4j.additivity.state.change.logger=false
log4j.logger.kafka.log.LogCleaner=WARN
EOF

    cat >"$TOOLS_LOG4J" <<EOF
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

# Format the KRaft metadata log once (meta.properties marks a formatted dir).
format_storage() {
    [[ -f "$LOG_DIRS/meta.properties" ]] && return 0
    local cid
    if [[ -s "$KDIR/cluster.id" ]]; then
        cid="$(cat "$KDIR/cluster.id")"
    else
        # Kafka Uuid: 16 random bytes, URL-safe base64 without padding; like Kafka's own
        # random-uuid, never one that starts with '-' (one in 64), which tools take for an option.
        cid="$(python3 -c 'import base64,uuid
while (c := base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()).startswith("-"): pass
print(c)' 2>/dev/null \
            || java -cp "$LIB/*" -Dlog4j.configuration="file:$TOOLS_LOG4J" kafka.tools.StorageTool random-uuid)"
        printf '%s\n' "$cid" >"$KDIR/cluster.id"
    fi
    log "formatting storage in $LOG_DIRS (cluster id $cid)"
    # Static quorum (controller.quorum.voters) works the same on 3.x and 4.x,
    # so no --standalone / --initial-controllers is needed.
    if ! java -cp "$LIB/*" -Dlog4j.configuration="file:$TOOLS_LOG4J" \
        kafka.tools.StorageTool format --cluster-id="$cid" -c "$PROPS" --ignore-formatted \
        >"$LOG_DIR/format.log" 2>&1; then
        cat "$LOG_DIR/format.log" >&2
        die "storage format failed"
    fi
}

wait_ready() {
    local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if probe "$ADDR"; then
            return 0
        fi
        if [[ -n "$pid" ]] && ! alive "$pid"; then
            log_tail
            die "broker process $pid exited during startup (logs: $LOG_DIR)"
        fi
        sleep 0.5
    done
    log_tail
    die "broker did not answer on $ADDR within ${START_TIMEOUT}s (logs: $LOG_DIR)"
}

# Serialise start/stop/reset of this instance (two `up.sh` at once must not
# launch two servers).
lock() {
    command -v flock >/dev/null 2>&1 || return 0
    mkdir -p "$KDIR"
    exec 9>"$KDIR/.lock"
    flock -w 120 9 || die "could not lock $KDIR/.lock"
}

# --- commands --------------------------------------------------------------

cmd_start() {
    local ext
    if ext="$(external_servers)"; then
        log "KAFKA_BOOTSTRAP_SERVERS=$ext is not local: not starting a broker, checking it answers ..."
        for _ in $(seq 1 10); do
            if probe "$ext"; then log "Kafka at $ext answers"; return 0; fi
            sleep 1
        done
        die "no Kafka broker answers at $ext"
    fi

    if probe "$ADDR"; then
        local pid
        if pid="$(our_pid)"; then
            log "already running (pid $pid) on $ADDR"
        else
            log "a Kafka broker (not started by this script) already answers on $ADDR; reusing it"
        fi
        return 0
    fi

    local pid
    if pid="$(our_pid)"; then
        log "broker pid $pid is starting; waiting for $ADDR ..."
        wait_ready "$pid"
        log "Kafka ready on $ADDR (pid $pid)"
        return 0
    fi

    if port_open "$HOST" "$PORT"; then
        die "port $HOST:$PORT is taken by something that does not speak Kafka; set BATON_KAFKA_PORT"
    fi
    if port_open "$HOST" "$CPORT"; then
        die "controller port $HOST:$CPORT is taken; set BATON_KAFKA_CONTROLLER_PORT"
    fi

    ensure_tools
    ensure_jars
    write_config
    format_storage

    log "starting Kafka $VERSION on $ADDR (controller $HOST:$CPORT, data $KDIR)"
    local t0=$SECONDS
    # A pid file left by a broker that died with its machine (crash, snapshot,
    # reboot) would otherwise be read below before the new one is written.
    rm -f "$PIDFILE"
    # setsid: own session, so the broker outlives this shell and its job control.
    # The inner shell writes its own pid and execs java, so the pid is the JVM's.
    # shellcheck disable=SC2086,SC2016
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
        java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$LOG4J" -Dkafka.logs.dir="$LOG_DIR" \
        -cp "$LIB/*" kafka.Kafka "$PROPS" \
        </dev/null >"$OUTFILE" 2>&1 9>&- &
    for _ in $(seq 1 50); do [[ -s "$PIDFILE" ]] && break; sleep 0.1; done
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [[ -n "$pid" ]] || die "could not start java (see $OUTFILE)"
    wait_ready "$pid"
    log "Kafka ready on $ADDR (pid $pid, $((SECONDS - t0))s; logs $LOG_DIR/server.log)"
}

cmd_stop() {
    local pid
    if ! pid="$(our_pid)"; then
        rm -f "$PIDFILE"
        log "not running (no broker started by this script in $KDIR)"
        return 0
    fi
    log "stopping Kafka (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.5; done
    if alive "$pid"; then
        log "still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$PIDFILE"
    log "stopped (data kept in $KDIR; 'reset' deletes it)"
}

cmd_status() {
    local ext pid
    if ext="$(external_servers)"; then
        if probe "$ext"; then echo "kafka: running (external, $ext)"; return 0; fi
        echo "kafka: not answering (external, $ext)"; return 3
    fi
    if probe "$ADDR"; then
        if pid="$(our_pid)"; then
            echo "kafka: running on $ADDR (pid $pid, version $VERSION, data $KDIR)"
        else
            echo "kafka: running on $ADDR (not started by this script)"
        fi
        return 0
    fi
    if pid="$(our_pid)"; then
        echo "kafka: starting or unhealthy (pid $pid, not answering on $ADDR)"
        return 3
    fi
    echo "kafka: not running"
    return 3
}

cmd_reset() {
    cmd_stop
    if [[ -d "$KDIR" ]]; then
        rm -rf "$KDIR"
        log "deleted $KDIR"
    fi
}

cmd_logs() {
    tail -n "${1:-100}" "$LOG_DIR/server.log"
}

case "${1:-}" in
    start) lock; cmd_start ;;
    stop) lock; cmd_stop ;;
    status) cmd_status ;;
    reset) lock; cmd_reset ;;
    restart) lock; cmd_stop; cmd_start ;;
    logs) shift; cmd_logs "$@" ;;
    *)
        echo "usage: $0 {start|stop|status|restart|reset|logs [N]}" >&2
        exit 2
        ;;
esac
