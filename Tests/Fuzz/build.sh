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

# checkout NAME FILE: the package checkout `swift build` made (resolving it if need be).
checkout() {
    local dir
    for dir in .build/checkouts/$1 .build-*/checkouts/$1; do
        [ -f "$dir/$2" ] && { echo "$dir"; return; }
    done
    "$SWIFT" package resolve >&2   # the same checkout `swift build` makes
    echo ".build/checkouts/$1"
}

yams_dir() { checkout Yams Sources/Yams/Parser.swift; }

# swift-system (Platform uses its Errno): its C shims, then the Swift module with the
# availability macros and defines its own Package.swift gives.
build_system() {
    local dir; dir=$(checkout swift-system Sources/System/Errno.swift)
    local lib="$OUT/lib/libCSystem.a"
    if stale "$lib" "$dir/Sources/CSystem" "$0"; then
        echo "  clang   CSystem ($dir)"
        "$CLANG" -O1 -g -fsanitize=fuzzer-no-link,address -I "$dir/Sources/CSystem/include" \
            -c "$dir/Sources/CSystem/shims.c" -o "$OUT/obj/csystem-shims.o"
        rm -f "$lib"
        "$(dirname "$CLANG")/llvm-ar" rcs "$lib" "$OUT/obj/csystem-shims.o"
    fi
    local macros=() version
    for version in 0.0.1 0.0.2 0.0.3 1.1.0 1.1.1 1.2.0 1.2.1 1.3.0 1.3.1 1.3.2 1.4.0 1.7.0 199; do
        macros+=(-enable-experimental-feature "AvailabilityMacro=System $version:macOS 10.10, iOS 8.0, watchOS 2.0, tvOS 9.0, visionOS 1.0")
    done
    swift_module SystemPackage -swift-version 5 -DSYSTEM_PACKAGE -enable-experimental-feature Lifetimes "${macros[@]}" \
        -I "$dir/Sources/CSystem/include" -- $(find "$dir/Sources/System" -name '*.swift')
    SYSTEM_FLAGS=(-I "$dir/Sources/CSystem/include")
}

build_log() {
    local dir; dir=$(checkout swift-log Sources/Logging/Logger.swift)
    swift_module Logging -package-name swift_log -- $(find "$dir/Sources/Logging" -name '*.swift')
}

# Platform and Config, the bottom layer ModbusServer stands on.
build_platform() {
    build_system
    swift_module TEMProtocol -- Sources/TEMProtocol/*.swift
    DEPS="$OUT/lib/libTEMProtocol.a" swift_module Config -- Sources/Config/*.swift
    DEPS="$OUT/lib/libSystemPackage.a" swift_module Platform "${SYSTEM_FLAGS[@]}" -- Sources/Platform/*.swift
    build_log
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
    modbus | rtu)
        build_platform
        # One package name for the server and its harnesses: `rtu` sets the port's silences
        # through a `package` initializer (RTUTiming), as SwiftPM's tests could.
        DEPS="$OUT/lib/libPlatform.a $OUT/lib/libConfig.a $OUT/lib/libLogging.a" \
            swift_module ModbusServer -package-name tembridge "${MODBUS_FLAGS[@]}" "${SYSTEM_FLAGS[@]}" -- Sources/ModbusServer/*.swift
        file=ModbusRequestFuzz.swift
        [ "$target" = rtu ] && file=ModbusRTUFuzz.swift
        harness "$target" "$file" ModbusServer Platform SystemPackage CSystem Config TEMProtocol Logging modbus util \
            -- -package-name tembridge "${MODBUS_FLAGS[@]}" "${SYSTEM_FLAGS[@]}"
        ;;
    mapping)
        build_yams
        build_platform
        # The mapping checker links no libmodbus: values, YAML, and Platform's bounded file read.
        DEPS="$OUT/lib/libTEMProtocol.a $OUT/lib/libConfig.a $OUT/lib/libPlatform.a $OUT/lib/libYams.a" \
            swift_module Mapping -Xcc -DYAML_DECLARE_STATIC -I "$YAMS_INCLUDE" "${SYSTEM_FLAGS[@]}" -- Sources/Mapping/*.swift
        harness mapping MappingParserFuzz.swift Mapping Yams CYaml Config TEMProtocol Platform SystemPackage CSystem \
            -- -I "$YAMS_INCLUDE" -Xcc -DYAML_DECLARE_STATIC "${SYSTEM_FLAGS[@]}"
        ;;
    *) echo "unknown fuzz target '$target' (reply, mapping, modbus, rtu)" >&2; exit 2 ;;
    esac
done
