import ArgumentParser
import TEMProtocol

/// `--comma-address 0x2E8|0x2FA` of `read` and `archive`.
struct CommaOption: ParsableArguments {
    @Option(
        name: .customLong("comma-address"),
        help: """
            Where the meter keeps comma in T2K: 0x2FA (as the protocol lists it) or 0x2E8 (the hole \
            before diam). Default: ask the meter (compare both with its newest archive record).
            """)
    var address: CommaAddress?
}

extension CommaAddress: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}
