#!/usr/bin/env bash
# tembridge benchmarks — run by `make bench` (see docs/BENCHMARKS.md).
#
#   Tests/Bench/run.sh TEMBRIDGE_BINARY BUILD_DIR
#
# 1. Throughput: tembridge (Tests/Bench/bench.yaml: one simulated meter polled every 100 ms, 125
#    registers) against libmodbus's own multi-client example server (bandwidth-server-many-up.c
#    from libmodbus-dev, compiled here), with 1, 8 and 64 connections, measured alternately,
#    BENCH_ROUNDS rounds of BENCH_SECONDS seconds each; medians over the rounds.
# 2. Line efficiency: `tembridge bench-line` over mapping/default.yaml at 9600 baud, judged by
#    Tests/Bench/linebound.c's own optimum; and tiered polling's steady plan (changing values
#    only) against linebound's bound for those, with the targets <= 11 reads and <= 80 % of 894
#    bytes per meter. Run this part alone:
#      tembridge bench-line --mapping mapping/default.yaml --line-speed 9600 --cycles 3 | ./linebound
# 3. Footprint: 32 meters on 4 sim:// lines (Tests/Bench/footprint.yaml), 64 clients reading;
#    VmRSS/VmHWM from /proc, and time from exec to the first answer.
# 4. RTU round trip: one RTU master (loadgen rtu, 115200 8N1) over a socat pty pair, FC03 x 125,
#    against tembridge's RTU port (bench.yaml + server.rtu) and against libmodbus's own RTU
#    server example (bandwidth-server-one.c rtu, patched to the pty), alternately; target >= 0.9.
#    Run this part alone: BENCH_PARTS=rtu Tests/Bench/run.sh BINARY DIR
# 5. Scale: one instance, 1 000 meters on 250 converters, then 10 000 on 2 500 (4 meters each,
#    9600 baud wire time, one `simulate --endpoints` process), poll interval SCALE_POLL (60 s):
#    start-up to all online, data age, VmRSS/VmHWM, threads, descriptors, CPU (Tests/Bench/scale.py).
#    SCALE_SIZES="1000/250 10000/2500" by default. Run it alone: BENCH_PARTS=scale ...
set -euo pipefail

BIN=$(realpath "$1")
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-3}
CONNS=${BENCH_CONNECTIONS:-"1 8 64"}
REF_PORT=15503
TB_PORT=15502     # Tests/Bench/bench.yaml
FP_PORT=15504     # Tests/Bench/footprint.yaml
EXAMPLE=/usr/share/doc/libmodbus-dev/examples/bandwidth-server-many-up.c
RTU_EXAMPLE=/usr/share/doc/libmodbus-dev/examples/bandwidth-server-one.c
RTU_PORT=15505    # the TCP listen port of the RTU part's tembridge
PARTS=${BENCH_PARTS:-"tcp line footprint rtu scale"}
part() { [[ " $PARTS " == *" $1 "* ]]; }

mkdir -p "$OUT"
OUT=$(realpath "$OUT")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

for port in $REF_PORT $TB_PORT $FP_PORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "bench: port $port is already in use" >&2; exit 1; fi
done

echo "== build the reference server, the load generator and the bound checker (into $OUT)"
[ -f "$EXAMPLE" ] || { echo "bench: $EXAMPLE missing (apt-get install libmodbus-dev; make deps)" >&2; exit 1; }
# Patched at bench time, never committed: the port (so it runs side by side with tembridge)
# and the listen backlog 5 -> 128 (so 64 clients connecting at once are not dropped/retried).
sed -e "s/modbus_new_tcp(\"127.0.0.1\", 1502)/modbus_new_tcp(\"127.0.0.1\", $REF_PORT)/" \
    -e 's/#define NB_CONNECTION    5/#define NB_CONNECTION    128/' "$EXAMPLE" > "$OUT/reference-server.c"
grep -q "$REF_PORT" "$OUT/reference-server.c" && grep -q "NB_CONNECTION    128" "$OUT/reference-server.c" \
  || { echo "bench: could not patch $EXAMPLE" >&2; exit 1; }
echo "   reference: $EXAMPLE, patched with sed: port 1502 -> $REF_PORT, listen backlog 5 -> 128"
MB_FLAGS=$(pkg-config --cflags --libs libmodbus)
gcc -O2 -o "$OUT/reference-server" "$OUT/reference-server.c" $MB_FLAGS
gcc -O2 -pthread -o "$OUT/loadgen" "$HERE/loadgen.c" $MB_FLAGS
gcc -O2 -o "$OUT/linebound" "$HERE/linebound.c"
"$BIN" check --mapping "$HERE/bench.yaml" >/dev/null
"$BIN" check --mapping "$HERE/footprint.yaml" >/dev/null

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)

echo
echo "   machine: $(nproc) cores, load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
if part tcp; then
echo "== 1. throughput: FC03 x 125 registers, back to back, ${ROUNDS} rounds x ${SECS} s per server and connection count"
"$OUT/reference-server" >/dev/null 2>&1 &
REF_PID=$!; PIDS+=("$REF_PID")
# tembridge is started by the load generator, which times exec -> first answer (footprint below).
read -r TB_START < <("$OUT/loadgen" startup $TB_PORT 1 10000 -- "$BIN" serve --mapping "$HERE/bench.yaml" 2>"$OUT/tembridge-bench.log")
TB_PID=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$TB_START"); PIDS+=("$TB_PID")
echo "   tembridge pid $TB_PID ($TB_START), reference pid $REF_PID"
"$OUT/loadgen" load 127.0.0.1 $REF_PORT 2 0.5 >/dev/null   # warm-up
"$OUT/loadgen" load 127.0.0.1 $TB_PORT 2 0.5 >/dev/null
RESULTS="$OUT/throughput.txt"; : >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  for n in $CONNS; do
    if [ $((round % 2)) = 1 ]; then order="tembridge reference"; else order="reference tembridge"; fi
    for server in $order; do
      if [ "$server" = tembridge ]; then port=$TB_PORT; pid=$TB_PID; else port=$REF_PORT; pid=$REF_PID; fi
      before=$(cpu_ticks "$pid")
      line=$("$OUT/loadgen" load 127.0.0.1 "$port" "$n" "$SECS") || { echo "bench: load on $server failed: $line" >&2; exit 1; }
      cpu=$(( $(cpu_ticks "$pid") - before ))
      echo "round=$round server=$server $line server_cpu_s=$(awk -v t=$cpu -v h=$CLK_TCK 'BEGIN{printf "%.2f", t/h}')" | tee -a "$RESULTS" | sed 's/^/   /'
    done
  done
done
kill "$REF_PID" "$TB_PID" 2>/dev/null || true

echo
echo "   medians over $ROUNDS rounds; cpu = server CPU seconds per second of run ($(nproc) cores = $(nproc).0),"
echo "   us/req = server CPU microseconds per answered request; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v secs="$SECS" -v conns="$CONNS" '
  function kv(s, key,   re) { re = key "=[^ ]*"; if (match(s, re)) return substr(s, RSTART + length(key) + 1, RLENGTH - length(key) - 1); return "" }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " "); for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  { k = kv($0, "server") " " kv($0, "connections")
    rps[k] = rps[k] " " kv($0, "rps"); p50[k] = p50[k] " " kv($0, "p50_us"); p99[k] = p99[k] " " kv($0, "p99_us")
    cpu[k] = cpu[k] " " kv($0, "server_cpu_s"); q = kv($0, "requests")
    us[k] = us[k] " " (q > 0 ? kv($0, "server_cpu_s") * 1e6 / q : 0) }
  END {
    printf "   %-5s | %-38s | %-38s | %s\n", "conns", "tembridge rps  p50 / p99 us  cpu us/req", "reference rps  p50 / p99 us  cpu us/req", "ratio (rps)"
    n = split(conns, c, " ")
    for (i = 1; i <= n; i++) {
      t = "tembridge " c[i]; r = "reference " c[i]
      tr = median(rps[t]); rr = median(rps[r]); ratio = rr > 0 ? tr / rr : 0
      printf "   %-5s | %7d %7.0f / %6.0f %5.2f %6.1f | %7d %7.0f / %6.0f %5.2f %6.1f | %.2f\n", c[i],
        tr, median(p50[t]), median(p99[t]), median(cpu[t]) / secs, median(us[t]),
        rr, median(p50[r]), median(p99[r]), median(cpu[r]) / secs, median(us[r]), ratio
      need = c[i] == 1 ? 0.9 : 1.0
      verdict[i] = sprintf("TARGET throughput at %s connection(s) >= %.1f x reference: %s (%.2f)", c[i], need, ratio >= need ? "MET" : "MISSED", ratio)
      if (c[i] == 8) p99line = sprintf("TARGET p99 <= 1 ms at 8 connections: %s (%.0f us)", median(p99[t]) <= 1000 ? "MET" : "MISSED", median(p99[t]))
    }
    for (i = 1; i <= n; i++) print "   " verdict[i]
    if (p99line != "") print "   " p99line
  }' "$RESULTS" | tee "$OUT/throughput-summary.txt"

echo
echo "== 2. line efficiency: mapping/default.yaml, simulator emulating 9600 baud (sim://?line_speed=9600)"
"$BIN" bench-line --mapping "$ROOT/mapping/default.yaml" --line-speed 9600 --cycles 6 >"$OUT/bench-line.txt"
"$OUT/linebound" <"$OUT/bench-line.txt" | tee "$OUT/line-summary.txt" | sed 's/^/   /'

echo
echo "== 3. footprint: 32 meters on 4 sim:// lines (Tests/Bench/footprint.yaml), 64 clients reading"
read -r FP_START < <("$OUT/loadgen" startup $FP_PORT 1 10000 -- "$BIN" serve --mapping "$HERE/footprint.yaml" 2>"$OUT/tembridge-footprint.log")
FP_PID=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$FP_START"); PIDS+=("$FP_PID")
"$OUT/loadgen" load 127.0.0.1 $FP_PORT 64 5 32 >"$OUT/footprint-load.txt" &
LOAD_PID=$!; PIDS+=("$LOAD_PID")
peak_rss=0
while kill -0 "$LOAD_PID" 2>/dev/null; do
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$FP_PID/status")
  [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
  threads=$(awk '/^Threads/ { print $2 }' "/proc/$FP_PID/status")
  sleep 0.2
done
wait "$LOAD_PID" || true
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$FP_PID/status")
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$FP_PID/status")
kill "$FP_PID" 2>/dev/null || true
first_tb=$(sed -n 's/.*first_data_ms=\([0-9.-]*\).*/\1/p' <<<"$TB_START")
first_fp=$(sed -n 's/.*first_data_ms=\([0-9.-]*\).*/\1/p' <<<"$FP_START")
{
  echo "load while sampling: $(cat "$OUT/footprint-load.txt")"
  echo "threads while loaded: $threads"
  echo "RESULT resident: VmRSS peak sampled $((peak_rss / 1024)).$(( (peak_rss % 1024) * 10 / 1024 )) MiB, VmHWM $((hwm / 1024)).$(( (hwm % 1024) * 10 / 1024 )) MiB, VmRSS after load $((rss / 1024)) MiB"
  echo "RESULT first answer: bench map (1 meter): $TB_START"
  echo "RESULT first answer: footprint map (32 meters, 4 lines): $FP_START"
  awk -v h="$hwm" 'BEGIN { printf "TARGET resident <= 30 MB (VmHWM): %s (%.1f MB = %.1f MiB)\n", h * 1024 <= 30e6 ? "MET" : "MISSED", h * 1024 / 1e6, h / 1024 }'
  awk -v a="$first_tb" -v b="$first_fp" 'BEGIN { m = a > b ? a : b
    printf "TARGET first answer within 200 ms of exec: %s (%.1f ms with 1 meter, %.1f ms with 32 meters; first data answer)\n", (a >= 0 && b >= 0 && m <= 200) ? "MET" : "MISSED", a, b }'
} | tee "$OUT/footprint-summary.txt" | sed 's/^/   /'
fi

if part rtu; then
echo
echo "== 4. RTU round trip: one master, FC03 x 125 registers, 115200 8N1 over socat pty pairs, ${ROUNDS} rounds x ${SECS} s per server"
command -v socat >/dev/null || { echo "bench: socat missing (make deps)" >&2; exit 1; }
[ -f "$RTU_EXAMPLE" ] || { echo "bench: $RTU_EXAMPLE missing (apt-get install libmodbus-dev; make deps)" >&2; exit 1; }
# Patched at bench time, never committed: the device only (115200 8N1, unit 1, as shipped).
sed -e "s|\"/dev/ttyUSB0\"|\"$OUT/ref-A\"|" "$RTU_EXAMPLE" >"$OUT/reference-rtu-server.c"
grep -q "$OUT/ref-A" "$OUT/reference-rtu-server.c" || { echo "bench: could not patch $RTU_EXAMPLE" >&2; exit 1; }
echo "   reference: $RTU_EXAMPLE run as 'rtu', patched with sed: /dev/ttyUSB0 -> $OUT/ref-A"
gcc -O2 -o "$OUT/reference-rtu-server" "$OUT/reference-rtu-server.c" $MB_FLAGS
rm -f "$OUT/ref-A" "$OUT/ref-B" "$OUT/tb-A" "$OUT/tb-B"
socat pty,raw,echo=0,link="$OUT/ref-A" pty,raw,echo=0,link="$OUT/ref-B" 2>/dev/null &
PIDS+=($!)
socat pty,raw,echo=0,link="$OUT/tb-A" pty,raw,echo=0,link="$OUT/tb-B" 2>/dev/null &
PIDS+=($!)
for _ in $(seq 50); do [ -e "$OUT/ref-B" ] && [ -e "$OUT/tb-B" ] && break; sleep 0.1; done
# tembridge: the throughput map, on its own TCP port, plus an RTU port on the other pty.
sed -e "s/127.0.0.1:$TB_PORT/127.0.0.1:$RTU_PORT/" \
    -e "s|^server:|server:\n  rtu:\n    - port: serial://$OUT/tb-A?baud=115200\&parity=none|" "$HERE/bench.yaml" >"$OUT/bench-rtu.yaml"
"$BIN" check --mapping "$OUT/bench-rtu.yaml" >/dev/null
"$OUT/reference-rtu-server" rtu >/dev/null 2>&1 &
RREF_PID=$!; PIDS+=("$RREF_PID")
"$BIN" serve --mapping "$OUT/bench-rtu.yaml" 2>"$OUT/tembridge-rtu.log" &
RTB_PID=$!; PIDS+=("$RTB_PID")
for _ in $(seq 100); do "$OUT/loadgen" rtu "$OUT/tb-B" 115200 0.2 >/dev/null 2>&1 && break; sleep 0.1; done
"$OUT/loadgen" rtu "$OUT/ref-B" 115200 0.5 >/dev/null   # warm-up
"$OUT/loadgen" rtu "$OUT/tb-B" 115200 0.5 >/dev/null
RTU_RESULTS="$OUT/rtu.txt"; : >"$RTU_RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order="tembridge reference"; else order="reference tembridge"; fi
  for server in $order; do
    if [ "$server" = tembridge ]; then dev="$OUT/tb-B"; else dev="$OUT/ref-B"; fi
    line=$("$OUT/loadgen" rtu "$dev" 115200 "$SECS") || { echo "bench: RTU load on $server failed: $line" >&2; exit 1; }
    echo "round=$round server=$server $line" | tee -a "$RTU_RESULTS" | sed 's/^/   /'
  done
done
kill "$RREF_PID" "$RTB_PID" 2>/dev/null || true
awk '
  function kv(s, key,   re) { re = key "=[^ ]*"; if (match(s, re)) return substr(s, RSTART + length(key) + 1, RLENGTH - length(key) - 1); return "" }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " "); for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  { s = kv($0, "server"); rps[s] = rps[s] " " kv($0, "rps"); p50[s] = p50[s] " " kv($0, "p50_us"); p99[s] = p99[s] " " kv($0, "p99_us")
    err[s] += kv($0, "errors") }
  END {
    t = median(rps["tembridge"]); r = median(rps["reference"]); ratio = r > 0 ? t / r : 0
    printf "RESULT RTU tembridge: %d req/s, p50 %.0f us, p99 %.0f us, errors %d\n", t, median(p50["tembridge"]), median(p99["tembridge"]), err["tembridge"]
    printf "RESULT RTU reference: %d req/s, p50 %.0f us, p99 %.0f us, errors %d\n", r, median(p50["reference"]), median(p99["reference"]), err["reference"]
    printf "TARGET RTU round trip >= 0.9 x reference: %s (%.2f)\n", (ratio >= 0.9 ? "MET" : "MISSED"), ratio
  }' "$RTU_RESULTS" | tee "$OUT/rtu-summary.txt" | sed 's/^/   /'
fi

if part scale; then
echo
echo "== 5. scale: meters behind tcp:// converters in one instance (Tests/Bench/scale.py)"
: >"$OUT/scale-summary.txt"
for size in ${SCALE_SIZES:-1000/250 10000/2500}; do
  python3 "$HERE/scale.py" "$BIN" "$OUT" "${size%/*}" "${size#*/}" "${SCALE_POLL:-60}" "${SCALE_STEADY:-60}" \
    | tee -a "$OUT/scale-summary.txt" | sed 's/^/   /'
done
fi

echo
echo "== summary (also in $OUT/*-summary.txt)"
summaries=()
part tcp && summaries+=("$OUT/throughput-summary.txt" "$OUT/line-summary.txt" "$OUT/footprint-summary.txt")
part rtu && summaries+=("$OUT/rtu-summary.txt")
part scale && summaries+=("$OUT/scale-summary.txt")
grep -h "TARGET" "${summaries[@]}" | sed 's/^ *//'
