#!/bin/sh
# Soak test: `tembridge serve` over a simulator whose integrators roll many times a second, with
# 8 busy Modbus clients checking that no integrator ever steps back (no torn values), that no
# read fails, that the server stays up, and that its memory is flat: VmRSS sampled every 10 s must
# not grow more than SOAK_RSS_GROWTH_KIB after the 10 s warm-up, and descriptors not at all.
#
#   SOAK_SECONDS=600 Tests/Soak/soak.sh          (make soak; CI runs SOAK_SECONDS=60)
#
# Environment: SOAK_SECONDS (600), SOAK_CLIENTS (8), SOAK_RSS_GROWTH_KIB (4096),
# TEMBRIDGE_BIN (.build/debug/tembridge). Needs gcc, pkg-config and libmodbus-dev.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${TEMBRIDGE_BIN:-$root/.build/debug/tembridge}
seconds=${SOAK_SECONDS:-600}
clients=${SOAK_CLIENTS:-8}
limit=${SOAK_RSS_GROWTH_KIB:-4096}
work=$(mktemp -d)
server=
cleanup() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill "$server"; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

[ -x "$bin" ] || { echo "soak: no tembridge binary at $bin (build first, or set TEMBRIDGE_BIN)" >&2; exit 2; }
# shellcheck disable=SC2046
gcc -O2 -Wall -pthread -o "$work/soak_client" "$root/Tests/Soak/soak_client.c" $(pkg-config --cflags --libs libmodbus)

cat > "$work/map.yaml" <<YAML
server:
  listen: 127.0.0.1:0
  max_connections: 16
lines:
  - { name: sim, endpoint: "sim://?seed=71&rate=200000", timeout: 500ms, retries: 1 }
meters:
  - { name: m, line: sim, address: 1, unit_id: 1, poll_interval: 20ms, stale_after: 5s, registers: set }
register_sets:
  set:
    - { address: 0, value: energy.1, type: float64 }
    - { address: 4, value: volume.1, type: float64 }
    - { address: 8, value: energy.total, type: float64 }
YAML

"$bin" serve --mapping "$work/map.yaml" > "$work/log" 2>&1 &
server=$!
port=
i=0
while [ -z "$port" ] && [ $i -lt 200 ]; do
    port=$(sed -n 's/.*serving Modbus TCP on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/log")
    [ -n "$port" ] || { kill -0 "$server" 2>/dev/null || break; sleep 0.05; }
    i=$((i + 1))
done
[ -n "$port" ] || { echo "soak: the server did not start:" >&2; cat "$work/log" >&2; exit 1; }
i=0
until grep -q ": online" "$work/log" || [ $i -ge 200 ]; do sleep 0.05; i=$((i + 1)); done

echo "soak: $seconds s, $clients clients, server pid $server on 127.0.0.1:$port"
status=0
"$work/soak_client" "$port" "$seconds" "$clients" "$server" "$limit" || status=1
if ! kill -0 "$server" 2>/dev/null; then
    echo "soak: FAIL: the server died" >&2
    cat "$work/log" >&2
    exit 1
fi
kill "$server"
if ! wait "$server"; then echo "soak: FAIL: the server did not stop cleanly" >&2; status=1; fi
server=
exit $status
