import Testing

@Test func placeholderModbusServerTests() { #expect(Bool(true)) }
