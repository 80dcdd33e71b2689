#!/usr/bin/env bash
# A private PostgreSQL for the tests and the cluster: its own data directory and port, run as the
# `postgres` system user (initdb refuses root), trust authentication on loopback only. Idempotent:
# starts it if it is not running, creates the `kefu` role and databases if missing, and prints the
# URL. Stop it with `scripts/pg.sh stop`.
#   KEFU_PG_DIR (default /tmp/kefu-pg), KEFU_PG_PORT (default 5433)
set -euo pipefail
DIR=${KEFU_PG_DIR:-/tmp/kefu-pg}
PORT=${KEFU_PG_PORT:-5433}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] || { echo "PostgreSQL is not installed: run scripts/setup.sh" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ "${1:-}" = stop ]; then
  as_pg "$BIN/pg_ctl" -D "$DIR" -m fast stop >/dev/null 2>&1 || true
  exit 0
fi
if [ ! -f "$DIR/PG_VERSION" ]; then
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
  as_pg "$BIN/initdb" -D "$DIR" -U kefu -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >> "$DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 300
fsync = on
synchronous_commit = on
shared_buffers = 128MB
CONF
fi
if ! as_pg "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 30 start >/dev/null
fi
psql_() { as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U kefu -d postgres -qAtX "$@"; }
# `scripts/pg.sh fresh-test-db`: the tests' database starts empty (each test server makes a schema).
if [ "${1:-}" = fresh-test-db ]; then psql_ -c "DROP DATABASE IF EXISTS kefu_test WITH (FORCE)" >/dev/null; fi
for db in kefu kefu_test ${KEFU_PG_DB:-}; do
  [ "$(psql_ -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" = 1 ] || psql_ -c "CREATE DATABASE $db" >/dev/null
done
echo "postgres://kefu@127.0.0.1:$PORT/kefu"
