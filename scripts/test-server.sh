#!/usr/bin/env bash
# Starts a throw-away reference server with test hooks on a free port for the browser suites.
# Prints its base URL on stdout; writes its pid to $1 (default: /tmp/kefu-test-server.pid) and its
# data dir's path to "$1.dir", for the caller to remove.
set -euo pipefail
cd "$(dirname "$0")/.."
PIDFILE=${1:-/tmp/kefu-test-server.pid}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA=$(mktemp -d /tmp/kefu-test-data.XXXXXX)
echo "$DATA" > "$PIDFILE.dir"
cargo build -q -p kefu-server >&2
./target/debug/kefu-server --bind "127.0.0.1:$PORT" --data-dir "$DATA" --www-dir www \
  --open-registration --test-hooks --offer-silent-visitors >"$DATA/server.log" 2>&1 &
echo $! > "$PIDFILE"
for _ in $(seq 1 100); do
  # Any HTTP answer means it is up (the API answers 401 without a token).
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/agents/online")" != 000 ]; then
    echo "http://127.0.0.1:$PORT"
    exit 0
  fi
  sleep 0.1
done
echo "test server did not start; log: $DATA/server.log" >&2
cat "$DATA/server.log" >&2
exit 1
