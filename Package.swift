// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "tembridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tembridge", targets: ["tembridge"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // libmodbus, from Debian's libmodbus-dev. Only ModbusServer imports it.
        .systemLibrary(
            name: "CModbus",
            pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]
        ),
        // The meter protocol: frames, checksum, T2K map, decoding, read planning. Pure.
        .target(name: "TEMProtocol"),
        // Plain POSIX threads for the blocking loops: servers, connections, pollers.
        .target(name: "Threads"),
        // Endpoints, links (TCP, serial) and the exchange (send, receive, resync, retry).
        .target(name: "TEMLink", dependencies: ["TEMProtocol"]),
        // A simulated meter line: memory images that move, fault injection, sim:// link.
        .target(name: "TEMSimulator", dependencies: ["TEMProtocol", "TEMLink", "Threads"]),
        // The Modbus TCP server: the only code that touches libmodbus.
        .target(name: "ModbusServer", dependencies: ["CModbus", "Threads"]),
        // The mapping file: model, YAML parser with line/column, validation, register table.
        .target(
            name: "Mapping",
            dependencies: ["TEMProtocol", "TEMLink", "ModbusServer", .product(name: "Yams", package: "Yams")]
        ),
        // The poller, snapshots and register images: the bridge between meters and Modbus.
        .target(
            name: "Bridge",
            dependencies: ["TEMProtocol", "TEMLink", "TEMSimulator", "Mapping", "ModbusServer", "Threads"]
        ),
        // The operations console: HTTP (Hummingbird), /metrics (swift-prometheus), the status page.
        .target(
            name: "Console",
            dependencies: [
                "Bridge", "Mapping",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The sd_notify protocol for `serve` under systemd (Type=notify, WatchdogSec=). POSIX only.
        .target(name: "Systemd"),
        .executableTarget(
            name: "tembridge",
            dependencies: [
                "TEMProtocol", "TEMLink", "TEMSimulator", "Mapping", "ModbusServer", "Bridge", "Console", "Systemd", "Threads",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // mapping/default.yaml, compiled into the binary for `tembridge demo`.
            resources: [.embedInCode("Resources/default.yaml")]
        ),
        .testTarget(name: "TEMProtocolTests", dependencies: ["TEMProtocol"]),
        .testTarget(name: "TEMLinkTests", dependencies: ["TEMLink", "TEMSimulator"]),
        .testTarget(name: "TEMSimulatorTests", dependencies: ["TEMSimulator"]),
        .testTarget(name: "MappingTests", dependencies: ["Mapping"], resources: [.copy("Corpus")]),
        .testTarget(name: "ModbusServerTests", dependencies: ["ModbusServer", "CModbus", "Threads"]),
        .testTarget(name: "BridgeTests", dependencies: ["Bridge", "CModbus", "ModbusServer"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "TEMLink"]),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd"]),
        .testTarget(name: "EndToEndTests", dependencies: ["CModbus"]),
    ]
)
