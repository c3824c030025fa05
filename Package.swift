// swift-tools-version:6.0
import PackageDescription

// The module graph (docs/ARCHITECTURE.md draws it). Three modules at the bottom, none of which
// sees another's upper neighbours: TEMProtocol (pure), Config (value types), Platform (POSIX).
// Only ModbusServer imports libmodbus; only the executable sees the simulator.
let package = Package(
    name: "tembridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tembridge", targets: ["tembridge"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // libmodbus, from Debian's libmodbus-dev. Only ModbusServer imports it.
        .systemLibrary(
            name: "CModbus",
            pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]
        ),
        // libmosquitto, opened on first use (Sources/CMosquitto/include/CMosquitto.h says why).
        .target(name: "CMosquitto", linkerSettings: [.linkedLibrary("dl")]),
        // SQLite (Debian's libsqlite3-dev) and libpq (libpq-dev). Only ArchiveStore imports them.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // libpq is opened on first use (Sources/CPostgres/include/CPostgres.h says why).
        .target(name: "CPostgres", linkerSettings: [.linkedLibrary("dl")]),
        // The one JSON writer (one configured encoder, one string escaper). Foundation only.
        .target(name: "JSONOutput"),
        // The meter protocol: frames, checksum, T2K map, decoding, read planning. Pure.
        .target(name: "TEMProtocol"),
        // The mapping's value types, endpoints, listen addresses, networks, durations. No I/O.
        .target(name: "Config", dependencies: ["TEMProtocol"]),
        // Every POSIX detail: descriptors, sockets, clock, durations, stop signal, threads.
        .target(name: "Platform", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),
        // Links (TCP, serial) and the exchange (send, receive, resync, retry).
        .target(
            name: "TEMLink",
            dependencies: ["TEMProtocol", "Config", "Platform"]
        ),
        // The `tembridge dump` file: format, capture over an exchange, answering from a dump.
        .target(name: "MeterDump", dependencies: ["TEMProtocol", "Platform", "TEMLink", "JSONOutput"]),
        // A simulated meter line: memory images that move, fault injection, sim:// link.
        .target(name: "TEMSimulator", dependencies: ["TEMProtocol", "Config", "TEMLink", "MeterDump", "Platform"]),
        // The Modbus TCP server and RTU ports: the only code that touches libmodbus.
        .target(
            name: "ModbusServer",
            dependencies: ["CModbus", "Config", "Platform", .product(name: "Logging", package: "swift-log")]
        ),
        // The mapping file: YAML parser with line/column, validation, register table.
        .target(
            name: "Mapping",
            dependencies: ["TEMProtocol", "Config", "Platform", .product(name: "Yams", package: "Yams")]
        ),
        // The poller, snapshots and register images: the bridge between meters and Modbus.
        .target(
            name: "Bridge",
            dependencies: [
                "TEMProtocol", "Config", "Platform", "TEMLink", "ModbusServer", "ArchiveStore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The archive store: records in SQLite, forwarded to PostgreSQL; the backfill/follow walk.
        // The only code that touches libsqlite3 and libpq.
        .target(
            name: "ArchiveStore",
            dependencies: [
                "CSQLite", "CPostgres", "TEMProtocol", "Platform", "JSONOutput", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The log line (`TIMESTAMP LEVEL message` on stderr) as a swift-log handler; only the
        // executable installs it.
        .target(name: "LogFormat", dependencies: ["Platform", .product(name: "Logging", package: "swift-log")]),
        // Publishing meter values over MQTT: the only code that touches libmosquitto.
        .target(
            name: "MQTT",
            dependencies: [
                "CMosquitto", "Config", "Platform", "TEMProtocol", "JSONOutput", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The operations console: HTTP (Hummingbird), /metrics (swift-prometheus), the status page.
        .target(
            name: "Console",
            dependencies: [
                "Bridge", "Config", "Platform", "TEMLink", "ModbusServer", "ArchiveStore", "TEMProtocol", "JSONOutput",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The status page (HTML, style and script), compiled into the binary.
            resources: [.embedInCode("Resources/status.html")]
        ),
        // The sd_notify protocol for `serve` under systemd (Type=notify, WatchdogSec=). POSIX only.
        .target(name: "Systemd"),
        .executableTarget(
            name: "tembridge",
            dependencies: [
                "TEMProtocol", "Config", "Platform", "TEMLink", "TEMSimulator", "Mapping", "Bridge",
                "MeterDump", "LogFormat", "MQTT", "ArchiveStore", "Console", "Systemd", "JSONOutput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // mapping/default.yaml, compiled into the binary for `tembridge demo`.
            resources: [.embedInCode("Resources/default.yaml")]
        ),
        .testTarget(name: "TEMProtocolTests", dependencies: ["TEMProtocol"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config"]),
        .testTarget(name: "PlatformTests", dependencies: ["Platform"]),
        .testTarget(name: "TEMLinkTests", dependencies: ["TEMLink", "TEMSimulator", "Config", "Platform"]),
        .testTarget(name: "TEMSimulatorTests", dependencies: ["TEMSimulator", "Config", "Platform"]),
        .testTarget(name: "MeterDumpTests", dependencies: ["MeterDump", "TEMSimulator", "TEMLink", "Config"]),
        .testTarget(name: "MappingTests", dependencies: ["Mapping", "Config"], resources: [.copy("Corpus")]),
        .testTarget(name: "ModbusServerTests", dependencies: ["ModbusServer", "CModbus", "Config", "Platform"]),
        .testTarget(
            name: "BridgeTests",
            dependencies: [
                "Bridge", "CModbus", "ModbusServer", "Config", "Platform", "TEMLink", "TEMProtocol", "TEMSimulator", "Mapping",
                "ArchiveStore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "LogFormatTests", dependencies: ["LogFormat", "Platform", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "MQTTTests", dependencies: ["MQTT", "Mapping", "Config", "Platform", "TEMProtocol"]),
        .testTarget(name: "ArchiveStoreTests", dependencies: ["ArchiveStore", "TEMProtocol", "Platform"]),
        .testTarget(
            name: "ConsoleTests",
            dependencies: ["Console", "TEMLink", "Config", "Platform", "TEMProtocol", "Mapping", "ArchiveStore", "JSONOutput"]
        ),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd"]),
        .testTarget(name: "EndToEndTests", dependencies: ["CModbus"]),
    ]
)
