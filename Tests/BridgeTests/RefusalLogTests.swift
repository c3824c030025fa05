import ModbusServer
import Testing

@testable import Bridge

@Suite struct RefusalLogTests {
    static let second: UInt64 = 1_000_000_000
    let outside = ModbusTCPServer.Refusal(client: "192.168.7.9", reason: .notAllowed)
    let full = ModbusTCPServer.Refusal(client: "10.0.0.4", reason: .tooMany(32))

    @Test func oneLinePerReasonAndWindowWithTheCountOfTheRest() {
        let log = CapturedLog()
        let refusals = RefusalLog(logger: log.logger(), window: 60 * Self.second)
        refusals.report(outside, now: 1 * Self.second)  // logged
        for t in 2...40 { refusals.report(outside, now: UInt64(t) * Self.second) }  // counted
        refusals.report(full, now: 41 * Self.second)  // another reason: logged
        refusals.report(outside, now: 61 * Self.second)  // window over: logged, with the count
        refusals.report(outside, now: 62 * Self.second)  // counted again
        #expect(
            log.lines == [
                "warning refused a Modbus client from 192.168.7.9: not in allow",
                "warning refused a Modbus client from 10.0.0.4: max_connections (32) already open",
                "warning refused a Modbus client from 192.168.7.9: not in allow (and 39 more for this reason since the last such line)",
            ])
    }
}
