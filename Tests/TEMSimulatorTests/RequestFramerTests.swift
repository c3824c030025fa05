import Platform
import TEMProtocol
import Testing

@testable import TEMSimulator

@Suite struct RequestFramerTests {
    let identify = request(.identify)
    let read = request(.readFlash(address: 0x0005_1000, length: 64), to: 2)

    @Test func wholeByteByByteAndConcatenated() {
        var whole = RequestFramer()
        #expect(whole.append(read) == [read])
        var bytewise = RequestFramer()
        var frames: [[UInt8]] = []
        for b in read { frames += bytewise.append([b]) }
        #expect(frames == [read])
        var joined = RequestFramer()
        #expect(joined.append(identify + read + identify) == [identify, read, identify])
    }

    @Test func noiseBeforeAFrameIsSkipped() {
        var framer = RequestFramer()
        // A stray 0x55 whose NOT ADDR does not match, then the frame.
        #expect(framer.append([0x00, 0xAA, 0x55, 0x01, 0x02, 0x03] + identify) == [identify])
    }

    @Test func aFrameLeftIncompleteLongerThanTheGapIsDropped() {
        var framer = RequestFramer()
        let t0 = MonotonicClock.Instant.now
        #expect(framer.append(Array(read.prefix(4)), at: t0).isEmpty)
        #expect(framer.append(Array(read.dropFirst(4)), at: t0 + .milliseconds(400)) == [read])
        #expect(framer.append(Array(read.prefix(4)), at: t0 + .seconds(1)).isEmpty)
        #expect(framer.append(Array(read.dropFirst(4)), at: t0 + .seconds(2)).isEmpty)
        #expect(framer.append(identify, at: t0 + .seconds(2)) == [identify])
    }
}
