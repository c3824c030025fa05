/// The `HOST:PORT` the Modbus server listens on, as `server.listen` and `demo --listen` take it.
public enum ListenAddress {
    /// `HOST:PORT`, port 0...65535 (0: any free port). The server speaks IPv4 (its `allow` list
    /// is IPv4 too), so an IPv6 host (`[::1]:1502`) is refused here rather than when binding.
    /// The failure is a one-line message.
    public static func parse(_ text: String) -> Result<(host: String, port: UInt16), Problem> {
        let malformed = Problem(message: "malformed listen address '\(text)' (write HOST:PORT, e.g. 127.0.0.1:1502)")
        guard let colon = text.lastIndex(of: ":") else { return .failure(malformed) }
        let host = String(text[..<colon])
        if host.hasPrefix("[") || host.contains(":") {
            return .failure(
                Problem(
                    message:
                        "listen address '\(text)' is IPv6; tembridge serves IPv4 only (use an IPv4 address, a host name or 0.0.0.0)"
                ))
        }
        let portText = text[text.index(after: colon)...]
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }), !portText.isEmpty,
            portText.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return .failure(malformed) }
        guard portText.count <= 5, let port = UInt16(portText) else {
            return .failure(Problem(message: "listen port \(portText) is out of range 0...65535"))
        }
        return .success((host, port))
    }

    public struct Problem: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
