#!/usr/bin/env bash
# Runs each fuzz target built by Tests/Fuzz/build.sh for SECONDS seconds, AddressSanitizer and
# LeakSanitizer on, starting from the committed seeds, and prints executions and coverage per
# target. Fails if any target found a crash, a leak or a broken invariant.
#
#   Tests/Fuzz/run.sh SECONDS [TARGET...]      (default targets: reply mapping modbus rtu)
#
# New corpus entries go to fuzz-out/TARGET/ (kept between runs, not committed), crash inputs to
# fuzz-out/TARGET-crash-*; replay one with `.build-fuzz/bin/fuzz-TARGET FILE`.
set -uo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:?usage: Tests/Fuzz/run.sh SECONDS [TARGET...]}; shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(reply mapping modbus rtu)
BIN=${FUZZ_BUILD:-.build-fuzz}/bin
OUT=fuzz-out
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export SWIFT_BACKTRACE=enable=no   # let libFuzzer, not the Swift runtime, report a trap

max_len() {
    case $1 in reply) echo 512 ;; mapping) echo 4096 ;; modbus) echo 1024 ;; rtu) echo 256 ;; esac
}

failed=()
for target in "${targets[@]}"; do
    mkdir -p "$OUT/$target"
    log="$OUT/$target.log"
    "$BIN/fuzz-$target" -max_total_time="$seconds" -timeout=10 -max_len="$(max_len "$target")" \
        -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$OUT/$target-" \
        "$OUT/$target" "Tests/Fuzz/corpus/$target" >"$log" 2>&1
    status=$?
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')
    rate=$(grep -oE 'stat::average_exec_per_sec: +[0-9]+' "$log" | grep -o '[0-9]*$')
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*')
    printf 'fuzz %-8s %s runs in %ss (%s exec/s)  %s\n' "$target" "${runs:-?}" "$seconds" "${rate:-?}" "${last:-}"
    if [ $status -ne 0 ]; then
        failed+=("$target")
        grep -E 'invariant violated|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|Fatal error|SUMMARY|Test unit written' "$log" | head -8
        echo "fuzz $target FAILED (exit $status): full log in $log"
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}"
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash, leak or broken invariant"
