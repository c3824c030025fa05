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
    ],
    targets: [
        // libmodbus, from Debian's libmodbus-dev. Only ModbusServer imports it.
        .systemLibrary(
            name: "CModbus",
            pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]
        ),
        // SQLite (Debian's libsqlite3-dev) and libpq (libpq-dev). Only ArchiveStore imports them.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
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
        // The archive store: records in SQLite, forwarded to PostgreSQL; the backfill/follow walk.
        .target(name: "ArchiveStore", dependencies: ["CSQLite", "CPostgres", "TEMProtocol", "Threads"]),
        // The poller, snapshots and register images: the bridge between meters and Modbus.
        .target(
            name: "Bridge",
            dependencies: [
                "TEMProtocol", "TEMLink", "TEMSimulator", "Mapping", "ModbusServer", "Threads", "ArchiveStore",
            ]
        ),
        .executableTarget(
            name: "tembridge",
            dependencies: [
                "TEMProtocol", "TEMLink", "TEMSimulator", "Mapping", "ModbusServer", "Bridge", "ArchiveStore",
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
        .testTarget(name: "ArchiveStoreTests", dependencies: ["ArchiveStore", "TEMProtocol"]),
        .testTarget(name: "EndToEndTests", dependencies: ["CModbus"]),
    ]
)
