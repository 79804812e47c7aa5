#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for headspa's tests.
#
#   scripts/pg-test-server.sh start DIR   # prints the connection URL and writes it to DIR/url
#   scripts/pg-test-server.sh stop DIR    # stops the server and deletes its data
#
# The cluster lives in a fresh temporary directory (trust authentication, no TCP listener); the
# server listens only on a unix socket in that directory. PostgreSQL refuses to run as root, so
# when this runs as root the cluster belongs to, and the server runs as, the `postgres` system
# user. DIR (created if needed) keeps only what `stop` needs: the URL and the cluster's path.
#
# When the PostgreSQL binaries are absent, `start` fails, unless HEADSPA_ALLOW_SKIP_PG=1 is set
# (developer machines only): then it writes DIR/skip with the reason and exits 0, and the tests
# that need PostgreSQL skip, saying why.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
action=$1
state=$2

PG_BIN=${HEADSPA_PG_BIN:-/usr/lib/postgresql/15/bin}
PORT=5432  # the socket's name only: no TCP listener, and each cluster has its own socket folder

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  mkdir -p "$state"
  stop  # a server left over from an interrupted run

  if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    local why="PostgreSQL binaries not found in $PG_BIN (scripts/install-deps.sh installs them)"
    if [ "${HEADSPA_ALLOW_SKIP_PG:-0}" = 1 ]; then
      echo "$why" >"$state/skip"
      echo "pg-test-server: $why; HEADSPA_ALLOW_SKIP_PG=1, so PostgreSQL tests will skip" >&2
      exit 0
    fi
    echo "pg-test-server: error: $why" >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "pg-test-server: error: running as root but there is no 'postgres' user to run the server" >&2
    exit 1
  fi

  local cluster
  cluster=$(mktemp -d /tmp/headspa-pg.XXXXXX)
  echo "$cluster" >"$state/cluster"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$cluster"; fi
  chmod 700 "$cluster"

  as_owner "$PG_BIN/initdb" -D "$cluster/data" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 --no-sync >"$cluster/initdb.log" 2>&1 || {
    echo "pg-test-server: error: initdb failed:" >&2
    cat "$cluster/initdb.log" >&2
    exit 1
  }
  # A test server: no TCP, socket in the cluster folder, no fsync (the data is thrown away).
  as_owner "$PG_BIN/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $cluster -p $PORT -c fsync=off -c max_connections=200" \
    start >/dev/null || {
    echo "pg-test-server: error: the server did not start:" >&2
    cat "$cluster/server.log" >&2
    exit 1
  }
  # The cluster folder is 700 and owned by postgres; the socket folder must be reachable.
  chmod 711 "$cluster"
  local url="postgresql://postgres@/postgres?host=$cluster&port=$PORT"
  echo "$url" >"$state/url"
  echo "$url"
}

stop() {
  rm -f "$state/url" "$state/skip"
  [ -f "$state/cluster" ] || return 0
  local cluster
  cluster=$(cat "$state/cluster")
  if [ -d "$cluster/data" ]; then
    as_owner "$PG_BIN/pg_ctl" -D "$cluster/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  case "$cluster" in
    /tmp/headspa-pg.*) rm -rf "$cluster" ;;
  esac
  rm -f "$state/url" "$state/cluster" "$state/skip"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
