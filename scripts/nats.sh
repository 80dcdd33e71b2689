#!/usr/bin/env bash
# A private nats-server for the cluster (and its tests): loopback only, payloads up to 8 MB (image
# uploads cross it), no persistence needed (core publish/subscribe and request/reply). Idempotent:
# starts it unless it answers already; prints the URL. `scripts/nats.sh stop` stops it.
#   KEFU_NATS_PORT (default 4223), KEFU_NATS_DIR (default /tmp/kefu-nats)
set -euo pipefail
PORT=${KEFU_NATS_PORT:-4223}
DIR=${KEFU_NATS_DIR:-/tmp/kefu-nats}
command -v nats-server >/dev/null || { echo "nats-server is not installed: run scripts/setup.sh" >&2; exit 1; }
mkdir -p "$DIR"
if [ "${1:-}" = stop ]; then
  [ -f "$DIR/nats.pid" ] && kill "$(cat "$DIR/nats.pid")" 2>/dev/null || true
  exit 0
fi
if ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  cat > "$DIR/nats.conf" <<CONF
listen: 127.0.0.1:$PORT
max_payload: 8MB
pid_file: "$DIR/nats.pid"
CONF
  nohup nats-server -c "$DIR/nats.conf" > "$DIR/nats.log" 2>&1 &
  for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
fi
echo "nats://127.0.0.1:$PORT"
