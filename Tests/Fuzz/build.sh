#!/usr/bin/env bash
# Builds the libFuzzer targets straight through swiftc (SwiftPM renames an executable target's
# entry point, so `swift build -sanitize=fuzzer` cannot link one; see docs/RELIABILITY.md).
#
# Every module a harness needs is compiled as its own static library with the same sanitizers
# (libFuzzer coverage + AddressSanitizer, which includes LeakSanitizer), so the fuzzer sees the
# coverage of the project's code and of Yams/libyaml, not only of the harness.
#
#   Tests/Fuzz/build.sh [TARGET...]     TARGET: reply mapping modbus rtu (default: all four)
#
# Output: $FUZZ_BUILD (default .build-fuzz)/bin/fuzz-TARGET.
set -euo pipefail
cd "$(dirname "$0")/../.."

SWIFT=${SWIFT:-swift}
SWIFTC=${SWIFTC:-swiftc}
CLANG=${CLANG:-$(dirname "$(command -v "$SWIFTC")")/clang}
OUT=${FUZZ_BUILD:-.build-fuzz}
SAN=(-sanitize=fuzzer,address)
SWIFTFLAGS=(-O -g -parse-as-library -swift-version 6 "${SAN[@]}" -I "$OUT/modules")
MODBUS_FLAGS=(-I Sources/CModbus $(pkg-config --cflags-only-I libmodbus | sed 's/-I/-Xcc -I/g'))
LINKFLAGS=(-L "$OUT/lib" -use-ld=lld)
mkdir -p "$OUT/modules" "$OUT/lib" "$OUT/bin" "$OUT/obj"

# Rebuilds lib$1.a only when one of its inputs is newer.
stale() {
    local target=$1; shift
    [ -f "$target" ] || return 0
    [ -n "$(find "$@" -newer "$target" 2>/dev/null | head -1)" ]
}

# swift_module NAME EXTRA_FLAGS... -- SOURCES...   ($DEPS: libraries whose change forces a rebuild)
swift_module() {
    local name=$1; shift
    local flags=()
    while [ "$1" != "--" ]; do flags+=("$1"); shift; done
    shift
    local lib="$OUT/lib/lib$name.a"
    # shellcheck disable=SC2086
    if stale "$lib" "$@" "$0" ${DEPS:-}; then
        echo "  swiftc  $name"
        "$SWIFTC" "${SWIFTFLAGS[@]}" "${flags[@]}" -module-name "$name" \
            -emit-module -emit-module-path "$OUT/modules/$name.swiftmodule" \
            -emit-library -static -o "$lib" "$@"
    fi
}

yams_dir() {
    local dir
    for dir in .build/checkouts/Yams .build-*/checkouts/Yams; do
        [ -f "$dir/Sources/Yams/Parser.swift" ] && { echo "$dir"; return; }
    done
    "$SWIFT" package resolve >&2   # the same checkout `swift build` makes
    echo .build/checkouts/Yams
}

build_yams() {
    local yams; yams=$(yams_dir)
    local lib="$OUT/lib/libCYaml.a"
    if stale "$lib" "$yams/Sources/CYaml" "$0"; then
        echo "  clang   CYaml ($yams)"
        rm -f "$OUT"/obj/cyaml-*.o
        for c in "$yams"/Sources/CYaml/src/*.c; do
            "$CLANG" -O1 -g -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_STATIC \
                -I "$yams/Sources/CYaml/include" -c "$c" -o "$OUT/obj/cyaml-$(basename "$c" .c).o"
        done
        rm -f "$lib"
        "$(dirname "$CLANG")/llvm-ar" rcs "$lib" "$OUT"/obj/cyaml-*.o
    fi
    swift_module Yams -DSWIFT_PACKAGE -Xcc -DYAML_DECLARE_STATIC -I "$yams/Sources/CYaml/include" -- "$yams"/Sources/Yams/*.swift
    YAMS_INCLUDE="$yams/Sources/CYaml/include"
}

# harness TARGET FILE MODULES-TO-LINK... [-- EXTRA FLAGS]
harness() {
    local target=$1 file=$2; shift 2
    local libs=() extra=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do libs+=("-l$1"); shift; done
    [ $# -gt 0 ] && { shift; extra=("$@"); }
    echo "  link    fuzz-$target"
    "$SWIFTC" "${SWIFTFLAGS[@]}" "${extra[@]}" -module-name "Fuzz_$target" "Tests/Fuzz/$file" \
        "${LINKFLAGS[@]}" "${libs[@]}" -o "$OUT/bin/fuzz-$target"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(reply mapping modbus rtu)

for target in "${targets[@]}"; do
    case $target in
    reply)
        swift_module TEMProtocol -- Sources/TEMProtocol/*.swift
        harness reply ReplyParserFuzz.swift TEMProtocol
        ;;
    modbus)
        swift_module Threads -- Sources/Threads/*.swift
        DEPS="$OUT/lib/libThreads.a" swift_module ModbusServer "${MODBUS_FLAGS[@]}" -- Sources/ModbusServer/*.swift
        harness modbus ModbusRequestFuzz.swift ModbusServer Threads modbus -- "${MODBUS_FLAGS[@]}"
        ;;
    rtu)
        swift_module Threads -- Sources/Threads/*.swift
        DEPS="$OUT/lib/libThreads.a" swift_module ModbusServer "${MODBUS_FLAGS[@]}" -- Sources/ModbusServer/*.swift
        harness rtu ModbusRTUFuzz.swift ModbusServer Threads modbus util -- "${MODBUS_FLAGS[@]}"
        ;;
    mapping)
        build_yams
        swift_module TEMProtocol -- Sources/TEMProtocol/*.swift
        DEPS="$OUT/lib/libTEMProtocol.a" swift_module TEMLink -- Sources/TEMLink/*.swift
        swift_module Threads -- Sources/Threads/*.swift
        DEPS="$OUT/lib/libThreads.a" swift_module ModbusServer "${MODBUS_FLAGS[@]}" -- Sources/ModbusServer/*.swift
        DEPS="$OUT/lib/libTEMProtocol.a $OUT/lib/libTEMLink.a $OUT/lib/libModbusServer.a $OUT/lib/libYams.a" \
            swift_module Mapping "${MODBUS_FLAGS[@]}" -Xcc -DYAML_DECLARE_STATIC -I "$YAMS_INCLUDE" -- Sources/Mapping/*.swift
        harness mapping MappingParserFuzz.swift Mapping Yams CYaml ModbusServer Threads TEMLink TEMProtocol modbus \
            -- "${MODBUS_FLAGS[@]}" -I "$YAMS_INCLUDE" -Xcc -DYAML_DECLARE_STATIC
        ;;
    *) echo "unknown fuzz target '$target' (reply, mapping, modbus, rtu)" >&2; exit 2 ;;
    esac
done
