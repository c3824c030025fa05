#!/bin/sh
# The released binary is self-contained:
#  1. every library ldd names is a file of an installed Debian package (none from the toolchain,
#     none missing);
#  2. with the toolchain's directory (/opt/swift, or SWIFT_ROOT) hidden under an empty tmpfs in a
#     private mount namespace, it still resolves every library, `check` accepts the demo map and
#     `demo` answers a Modbus read (mbpoll) from its simulated meters and its console serves
#     /metrics (curl).
# Prints the binary's size. Usage: Tests/Package/release-test.sh BINARY
set -eu

bin=$(readlink -f "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
toolchain=${SWIFT_ROOT:-/opt/swift}
fail() { echo "release-test: FAIL: $*" >&2; exit 1; }
. "$top/Tests/Package/package-of.sh"

[ -x "$bin" ] || fail "$bin: not an executable"
# A ceiling against silent growth (docs/BENCHMARKS.md#release-binary-size-issue-22: 70.3 MB
# today, 36.3 MB once Foundation's ICU data is no longer linked; the goal is 40 MB).
max=${RELEASE_MAX_BYTES:-80000000}
size=$(stat -c %s "$bin")
echo "release-test: $bin, $size bytes (ceiling $max)"
[ "$size" -le "$max" ] || fail "$size bytes is over the ceiling of $max (RELEASE_MAX_BYTES)"
readelf -S "$bin" | grep -q ' \.symtab ' && fail "$bin is not stripped"

# 1. ldd: only Debian libraries.
ldd "$bin" >/tmp/release-test.ldd.$$ 2>&1 || { cat /tmp/release-test.ldd.$$; rm -f /tmp/release-test.ldd.$$; fail "ldd failed (statically linked?)"; }
libs=$(awk '/=>/ { print $3 } !/=>/ && $1 ~ /^\// { print $1 }' /tmp/release-test.ldd.$$)
if grep -q 'not found' /tmp/release-test.ldd.$$; then
    cat /tmp/release-test.ldd.$$; rm -f /tmp/release-test.ldd.$$; fail "a library is not found"
fi
rm -f /tmp/release-test.ldd.$$
count=0
for lib in $libs; do
    case $(readlink -f "$lib") in "$toolchain"/*) fail "$lib comes from the toolchain ($toolchain)" ;; esac
    pkg=$(package_of "$lib") || fail "$lib belongs to no Debian package"
    echo "release-test:   $lib  ($pkg)"
    count=$((count + 1))
done
[ "$count" -gt 0 ] || fail "ldd named no library"

# 2. With the toolchain hidden.
[ -d "$toolchain" ] || fail "$toolchain: no toolchain directory to hide"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
http=$(free_port)
log=$(mktemp "${TMPDIR:-/tmp}/release-test.XXXXXX")
# shellcheck disable=SC2016
unshare --mount --propagation private sh -eu -c '
    bin=$1 toolchain=$2 top=$3 port=$4 log=$5 http=$6
    mount -t tmpfs -o size=1m none "$toolchain"
    [ -z "$(ls -A "$toolchain")" ] || { echo "release-test: FAIL: $toolchain still visible" >&2; exit 1; }
    if ldd "$bin" | grep -q "not found"; then ldd "$bin"; echo "release-test: FAIL: a library needs the toolchain" >&2; exit 1; fi
    "$bin" check --mapping "$top/mapping/default.yaml" || { echo "release-test: FAIL: check without the toolchain" >&2; exit 1; }
    "$bin" demo --listen "127.0.0.1:$port" --http "127.0.0.1:$http" >"$log" 2>&1 &
    demo=$!
    answered=""
    for _ in $(seq 1 120); do
        if mbpoll -m tcp -p "$port" -a 1 -0 -r 0 -c 1 -1 127.0.0.1 >>"$log" 2>&1; then answered=yes; break; fi
        kill -0 "$demo" 2>/dev/null || break
        sleep 0.5
    done
    metrics=""
    if [ -n "$answered" ] && curl -sf --max-time 10 "http://127.0.0.1:$http/metrics" | grep -q "^tembridge_meter_up{"; then
        metrics=yes
    fi
    kill -TERM "$demo" 2>/dev/null || true
    wait "$demo" || true
    [ -n "$answered" ] || { cat "$log"; echo "release-test: FAIL: demo did not answer a Modbus read without the toolchain" >&2; exit 1; }
    [ -n "$metrics" ] || { cat "$log"; echo "release-test: FAIL: demo console served no tembridge_meter_up on /metrics" >&2; exit 1; }
    echo "release-test: without $toolchain: ldd complete, check ok, demo answered FC03 on 127.0.0.1:$port and /metrics on :$http"
' release-test "$bin" "$toolchain" "$top" "$port" "$log" "$http" || { rm -f "$log"; fail "run without the toolchain"; }
rm -f "$log"
echo "release-test: PASS"
