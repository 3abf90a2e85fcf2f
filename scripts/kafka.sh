#!/usr/bin/env bash
# Real Apache Kafka for CI and developers: one KRaft node (broker + controller) on localhost.
#
#   scripts/kafka.sh start    fetch the broker's jars with Maven (cached in ~/.m2), format storage, start, wait
#   scripts/kafka.sh stop     stop it
#   scripts/kafka.sh status   tell whether it runs
#
# Then: export KAFKA_BROKERS=localhost:9092 (the port is KAFKA_PORT, default 9092).
# Needs Java 17+ and Maven. State lives in KAFKA_WORK (default .data/kafka-real under the repository root);
# `start` always formats a fresh log, as tests expect an empty broker.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${KAFKA_VERSION:-4.1.1}"
scala="${KAFKA_SCALA:-2.13}"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
work="${KAFKA_WORK:-$root/.data/kafka-real}"
pidfile="$work/kafka.pid"
logfile="$work/kafka.log"

log() { echo "kafka.sh: $*" >&2; }

# pom prints the Maven project whose runtime dependencies are the broker's class path.
pom() {
  cat <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>be.entraide.dev</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_$scala</artifactId>
      <version>$version</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$version</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>2.0.17</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j2-impl</artifactId>
      <version>2.24.3</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>2.24.3</version>
    </dependency>
  </dependencies>
</project>
POM
}

# fetch_jars sets libs to a folder holding the broker's jars, fetched once per pom content.
fetch_jars() {
  local sum
  sum="$(pom | sha256sum | cut -c1-12)"
  libs="$work/libs-$version-$sum"
  if [ -f "$libs/.complete" ]; then return; fi
  log "fetching Apache Kafka $version (kafka_$scala) and its dependencies with Maven"
  local pomdir
  pomdir="$(mktemp -d)"
  pom >"$pomdir/pom.xml"
  rm -rf "$libs"
  mkdir -p "$libs"
  mvn -q -B -Dstyle.color=never -f "$pomdir/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime >&2
  rm -rf "$pomdir"
  touch "$libs/.complete"
}

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  if running; then
    log "already running (pid $(cat "$pidfile")) on localhost:$port"
    return
  fi
  command -v java >/dev/null || { log "java not found (Java 17+ is needed)"; exit 1; }
  command -v mvn >/dev/null || { log "mvn not found (Maven is needed to fetch the broker)"; exit 1; }
  if port_open "$port"; then
    log "port $port is already taken by another process"
    exit 1
  fi
  mkdir -p "$work"
  fetch_jars
  local data="$work/data" props="$work/server.properties"
  rm -rf "$data"
  mkdir -p "$data"
  cat >"$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:$controller_port
listeners=PLAINTEXT://localhost:$port,CONTROLLER://localhost:$controller_port
advertised.listeners=PLAINTEXT://localhost:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
delete.topic.enable=true
PROPS
  cat >"$work/log4j2.properties" <<'LOG'
status = error
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = info
LOG
  local cp="$libs/*"
  local jopts=(-Xms256m -Xmx1g -XX:+UseG1GC "-Dlog4j2.configurationFile=$work/log4j2.properties" -Djava.awt.headless=true)
  local cluster_id
  cluster_id="$(java "${jopts[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid | tail -n 1)"
  java "${jopts[@]}" -cp "$cp" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$props" >"$work/format.log" 2>&1 || {
    cat "$work/format.log" >&2
    exit 1
  }
  log "starting Apache Kafka $version on localhost:$port (log: $logfile)"
  nohup java "${jopts[@]}" -cp "$cp" kafka.Kafka "$props" >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 180); do
    if ! running; then
      log "broker exited during start-up; last lines of its log:"
      tail -n 40 "$logfile" >&2
      exit 1
    fi
    if port_open "$port"; then
      log "ready on localhost:$port (export KAFKA_BROKERS=localhost:$port)"
      return
    fi
    sleep 0.5
  done
  log "broker did not become ready in 90 s; last lines of its log:"
  tail -n 40 "$logfile" >&2
  stop
  exit 1
}

stop() {
  if ! running; then
    log "not running"
    rm -f "$pidfile"
    return
  fi
  local pid
  pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; log "stopped"; return; }
    sleep 0.5
  done
  log "broker did not stop in 30 s; killing it"
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running (pid $(cat "$pidfile")) on localhost:$port"; else echo "not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
