import Config
import Testing

@Suite struct IPv4NetworkTests {
    @Test(arguments: [
        ("127.0.0.0/8", "127.0.0.0/8"),
        ("10.1.2.3", "10.1.2.3/32"),
        ("10.1.2.3/8", "10.0.0.0/8"),  // host bits cleared
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("255.255.255.255/32", "255.255.255.255/32"),
        ("192.168.1.0/24", "192.168.1.0/24"),
    ])
    func parses(text: String, canonical: String) throws {
        let network = try #require(IPv4Network(text))
        #expect(network.description == canonical)
    }

    @Test(arguments: [
        "", "/8", "10.0.0", "10.0.0.0.0", "256.0.0.0", "10.0.0.-1", "10.0.0.0/33", "10.0.0.0/",
        "10.0.0.0/8/8", "10..0.0", " 10.0.0.0", "10.0.0.0 ", "10.0.0.01", "010.0.0.0", "10.0.0.0/008",
        "10.0.0.0/-1", "a.b.c.d", "10.0.0.0x", "1e1.0.0.0", "10.0.0.0/+8", "::1", "١٠.0.0.0",
    ])
    func refuses(text: String) {
        #expect(IPv4Network(text) == nil)
    }

    @Test func contains() throws {
        let loopback = try #require(IPv4Network("127.0.0.0/8"))
        #expect(loopback.contains(0x7F00_0001))
        #expect(loopback.contains(0x7FFF_FFFF))
        #expect(!loopback.contains(0x8000_0000))
        #expect(!loopback.contains(0x0A00_0001))

        let host = try #require(IPv4Network("10.1.2.3"))
        #expect(host.contains(0x0A01_0203))
        #expect(!host.contains(0x0A01_0204))

        let everything = try #require(IPv4Network("0.0.0.0/0"))
        #expect(everything.contains(0) && everything.contains(.max))

        let odd = try #require(IPv4Network("172.16.0.0/12"))
        #expect(odd.contains(0xAC1F_FFFF))  // 172.31.255.255
        #expect(!odd.contains(0xAC20_0000))  // 172.32.0.0
    }

    @Test func equalWhenTheSameNetwork() {
        #expect(IPv4Network("10.1.2.3/8") == IPv4Network("10.0.0.0/8"))
        #expect(IPv4Network("10.0.0.0/8") != IPv4Network("10.0.0.0/9"))
    }
}
