import Foundation

/// A statement's HTML printed to PDF by headless Chromium (Debian's `chromium` package), the
/// browser that lays the HTML out on A4 anyway: `report --format pdf` and `/api/report?format=pdf`.
/// Chromium is looked for as `$TEMBRIDGE_CHROMIUM`, else `chromium`, `chromium-browser` or
/// `google-chrome` on `PATH`; it runs without its sandbox (it opens only the page written here,
/// which loads nothing) in a profile of its own under a temporary folder, removed afterwards.
/// One print at a time: a gateway asked for many PDFs at once runs one Chromium after another,
/// not one per request.
public enum StatementPDF {
    /// Why no PDF was made: one line.
    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// The PDF of `html`; at most `timeout` seconds.
    public static func print(_ html: String, timeout: Double = 120) throws(Failure) -> [UInt8] {
        oneAtATime.wait()
        defer { oneAtATime.signal() }
        guard let browser = chromium() else {
            throw Failure(
                message: "format pdf needs Chromium (Debian package chromium): not found on PATH (or set TEMBRIDGE_CHROMIUM)")
        }
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("tembridge-pdf-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? fm.removeItem(at: dir) }
        let page = dir.appendingPathComponent("statement.html"), pdf = dir.appendingPathComponent("statement.pdf")
        do {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(html.utf8).write(to: page)
        } catch {
            throw Failure(message: "cannot write the page to print in \(dir.path): \(error.localizedDescription)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--no-first-run",
            "--user-data-dir=\(dir.appendingPathComponent("profile").path)", "--print-to-pdf=\(pdf.path)",
            page.absoluteString,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        // The exit is an event (no polling), the timeout on the monotonic clock (DispatchTime).
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            throw Failure(message: "cannot run \(browser): \(error.localizedDescription)")
        }
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            process.waitUntilExit()
            throw Failure(message: "\(browser) did not print the statement within \(Int(timeout)) s")
        }
        guard let data = try? Data(contentsOf: pdf), data.starts(with: Array("%PDF".utf8)) else {
            throw Failure(message: "\(browser) exited with status \(process.terminationStatus) and printed no PDF")
        }
        return [UInt8](data)
    }

    private static let oneAtATime = DispatchSemaphore(value: 1)

    /// The browser to run, if there is one.
    static func chromium() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let given = env["TEMBRIDGE_CHROMIUM"], !given.isEmpty { return given }
        for dir in (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"] {
                let path = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }
}
