import ArgumentParser

struct Archive: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read archive records (hourly, daily, monthly).")
    func run() throws { throw ExitCode.failure }
}
