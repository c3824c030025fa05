import Testing

@Test func placeholderTEMSimulatorTests() { #expect(Bool(true)) }
