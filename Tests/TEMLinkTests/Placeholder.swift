import Testing

@Test func placeholderTEMLinkTests() { #expect(Bool(true)) }
