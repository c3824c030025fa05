import Testing

@Test func placeholderMappingTests() { #expect(Bool(true)) }
