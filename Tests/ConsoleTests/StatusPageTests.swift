import Foundation
import Testing

@testable import Console

/// The status page is `Sources/Console/Resources/status.html`, compiled into the binary.
@Suite struct StatusPageTests {
    @Test func thePageIsTheEmbeddedFile() throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Console/Resources/status.html")
        #expect(StatusPage.html == (try String(contentsOf: source, encoding: .utf8)))
        // One place for the state it is served with, and nothing fetched from elsewhere.
        #expect(StatusPage.html.components(separatedBy: "/*INITIAL*/null").count == 2)
        #expect(
            !StatusPage.html.contains("<script src") && !StatusPage.html.contains("<link ") && !StatusPage.html.contains("https:")
        )
        #expect(StatusPage.html.contains(#"data-headline"#) && StatusPage.html.contains("/api/report?"))
    }
}
