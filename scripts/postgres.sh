#!/usr/bin/env bash
# A throwaway local PostgreSQL cluster for the benchmarks (FerretDB's PostgreSQL backend).
#
#   scripts/postgres.sh start    initdb a fresh cluster under .data/postgres, start it on a free port, print the URL
#   scripts/postgres.sh stop     stop it and delete its data
#   scripts/postgres.sh status   tell whether it runs
#
# `start` prints `export BENCH_POSTGRES_URL=postgres://…` on stdout, so: eval "$(scripts/postgres.sh start)".
# Needs Debian's postgresql package (initdb/pg_ctl under /usr/lib/postgresql/<version>/bin). PostgreSQL refuses to
# run as root: when started by root the cluster runs as the `postgres` OS user (runuser). It listens on 127.0.0.1
# only, trusts local connections, and keeps nothing worth keeping: `start` always begins from an empty cluster.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${POSTGRES_WORK:-$root/.data/postgres}"
data="$work/data"
logfile="$work/postgres.log"
portfile="$work/port"
database="${POSTGRES_DATABASE:-entraide_bench}"

log() { echo "postgres.sh: $*" >&2; }

bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
  log "PostgreSQL not found: apt-get install -y postgresql"
  exit 1
}

# as runs a command as the cluster's owner: the postgres OS user when we are root, ourselves otherwise.
as() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

running() { [ -f "$data/postmaster.pid" ] && as "$(bindir)/pg_ctl" -D "$data" status >/dev/null 2>&1; }

start() {
  local bin port
  bin="$(bindir)"
  if running; then
    log "already running on port $(cat "$portfile")"
  else
    rm -rf "$work"
    mkdir -p "$work"
    [ "$(id -u)" = 0 ] && chown postgres: "$work"
    as "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 ||
      { cat "$work/initdb.log" >&2; exit 1; }
    port="$(free_port)"
    echo "$port" >"$portfile"
    # Sized for a 2-core laptop-class machine; fsync stays on (the benchmark measures a durable engine).
    as "$bin/pg_ctl" -D "$data" -l "$logfile" -w -t 60 start -o "-p $port -k $work -c listen_addresses=127.0.0.1 \
      -c shared_buffers=512MB -c max_connections=200 -c synchronous_commit=on" >&2 ||
      { cat "$logfile" >&2; exit 1; }
    as "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database"
    log "running on port $port (data in $data)"
  fi
  echo "export BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:$(cat "$portfile")/$database?sslmode=disable"
}

stop() {
  if running; then
    as "$(bindir)/pg_ctl" -D "$data" -m fast -w stop >&2
  fi
  rm -rf "$work"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then log "running on port $(cat "$portfile")"; else log "not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
