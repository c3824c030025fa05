/// The status page served at `/`: one self-contained HTML document (style, script and charts
/// inline, no external font, image or library: plant networks are offline), kept as
/// `Resources/status.html` and compiled into the binary (SwiftPM `.embedInCode`). It reads
/// `/api/status` every second (with each meter's archive gaps), `/api/registers.csv` for units and
/// the register map, `/api/trace` for the live traffic monitor and, with an archive store,
/// `/api/history` for the charts; it never writes anything. docs/CONSOLE.md describes it.
enum StatusPage {
    static let html = String(decoding: PackageResources.status_html, as: UTF8.self)
}
