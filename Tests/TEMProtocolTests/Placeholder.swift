import Testing

@Test func placeholderTEMProtocolTests() { #expect(Bool(true)) }
