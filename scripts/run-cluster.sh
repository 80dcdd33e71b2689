#!/usr/bin/env bash
# The reference server as a cluster on this machine: a private PostgreSQL (scripts/pg.sh) and
# nats-server (scripts/nats.sh), three kefu-server nodes on loopback, and HAProxy in front of them
# (health-checked on /healthz, long-lived sockets spread by least connections). Each node runs
# under a small supervisor that restarts it if it dies. Demo mode, like scripts/run.sh. Ctrl-C
# stops the nodes and HAProxy (PostgreSQL and NATS keep running: `scripts/pg.sh stop`,
# `scripts/nats.sh stop`). Extra arguments go to every kefu-server node.
#   KEFU_LB_PORT (default 9980), KEFU_NODE_PORTS (default "9991 9992 9993"), KEFU_CLUSTER_DIR
#   (logs; default /tmp/kefu-cluster), KEFU_PG_DB (database; default kefu), KEFU_NATS_PORT,
#   KEFU_PARTITIONED=1 (routing partitioned by department, spread over the nodes: --partitioned;
#   the partitions each node routes are printed once they are taken).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-wasm.sh
cargo build --release -p kefu-server
PG_URL=$(scripts/pg.sh)
PG_URL="${PG_URL%/kefu}/${KEFU_PG_DB:-kefu}"
NATS_URL=$(scripts/nats.sh)
LB_PORT=${KEFU_LB_PORT:-9980}
NODE_PORTS=${KEFU_NODE_PORTS:-"9991 9992 9993"}
DIR=${KEFU_CLUSTER_DIR:-/tmp/kefu-cluster}
mkdir -p "$DIR"

pids=()
cleanup() { for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

PARTITIONED=()
[ "${KEFU_PARTITIONED:-0}" = 1 ] && PARTITIONED=(--partitioned)
# Partitioned: HAProxy sends each socket to the node that routes it (server/haproxy/kefu-affinity.lua).
AFFINITY_GLOBAL="" AFFINITY_FRONTEND="" AFFINITY_BACKEND="" AFFINITY_DEFAULTS=""
if [ ${#PARTITIONED[@]} -gt 0 ]; then
  AFFINITY_GLOBAL="    lua-load $PWD/server/haproxy/kefu-affinity.lua"
  AFFINITY_FRONTEND="    http-request deny if { path_beg /cluster/ }
    http-request lua.kefu_owner if { path_beg /websocket/ }"
  # A socket sent to an owner that just died is retried on another node at once (without it
  # HAProxy waits a second before its retry: failover 1.5 s instead of 0.5 s).
  AFFINITY_DEFAULTS="    retries 3
    option redispatch 1"
fi

i=0
servers=""
for port in $NODE_PORTS; do
  i=$((i + 1))
  setsid bash -c "while true; do
      ./target/release/kefu-server --bind 127.0.0.1:$port --store '$PG_URL' --nats '$NATS_URL' --node-id n$i \
        --data-dir '$DIR/n$i' --www-dir www --demo --trusted-proxies 127.0.0.1 ${PARTITIONED[*]} $* >> '$DIR/n$i.log' 2>&1
      echo \"node n$i exited (\$?); restarting in 1 s\" >> '$DIR/n$i.log'; sleep 1
    done" &
  pids+=($!)
  servers+="    server n$i 127.0.0.1:$port check inter 1s fall 2 rise 1
"
  [ ${#PARTITIONED[@]} -gt 0 ] && AFFINITY_BACKEND+="    use-server n$i if { var(txn.kefu_node) -m str n$i }
"
done

# One thread: HAProxy shares this machine's cores with the nodes, PostgreSQL and NATS. Measured
# at 8 000 msg/s on 2 cores (docs/performance.md, "fifth pass"): 29 % of a core against 33 %, and a
# lower p99, than with a thread per core, which wake each other across cores. A load balancer on a
# machine of its own keeps its default (a thread per core).
cat > "$DIR/haproxy.cfg" <<CFG
global
    maxconn 9000
    nbthread 1
$AFFINITY_GLOBAL
defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout tunnel 1h
    option forwardfor
$AFFINITY_DEFAULTS
frontend kefu
    bind 127.0.0.1:$LB_PORT
$AFFINITY_FRONTEND
    default_backend nodes
backend nodes
    balance leastconn
    option httpchk GET /healthz
    http-check expect status 200
$AFFINITY_BACKEND$servers
CFG
ulimit -n 65536 2>/dev/null || true
haproxy -f "$DIR/haproxy.cfg" -db > "$DIR/haproxy.log" 2>&1 &
pids+=($!)

echo "kefu cluster: 3 nodes on PostgreSQL ($PG_URL) and NATS ($NATS_URL), behind HAProxy"
echo "  agent console: http://127.0.0.1:$LB_PORT/   (demo: xiaoming / xiaoming, …; supervisor zhuguan / zhuguan)"
echo "  visitor page:  http://127.0.0.1:$LB_PORT/visitor.html"
for port in $NODE_PORTS; do echo "  node:          http://127.0.0.1:$port/healthz"; done
echo "  logs:          $DIR"
if [ ${#PARTITIONED[@]} -gt 0 ]; then
  # Each node's /healthz lists the partitions it routes, once they are spread (a few seconds).
  sleep 5
  for port in $NODE_PORTS; do
    echo "  routes:        127.0.0.1:$port $(curl -fs "http://127.0.0.1:$port/healthz" | grep -o '"partitions":\[[^]]*\]' || echo '(not up yet)')"
  done
fi
wait
