import ArgumentParser

/// `tembridge`: TEM-106 heat meters on Modbus TCP.
@main
struct TEMBridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tembridge",
        abstract: "Puts TEM-106 heat meters on Modbus TCP.",
        discussion: """
            Polls TEM-106 / TESMA-106 meters over their native protocol (serial, or TCP through a \
            serial-to-Ethernet converter) and serves their values as Modbus registers laid out by a \
            mapping file.
            """,
        subcommands: [
            Demo.self, Serve.self, Check.self, Registers.self, Identify.self, Read.self,
            Archive.self, Simulate.self, BenchLine.self,
        ]
    )
}
