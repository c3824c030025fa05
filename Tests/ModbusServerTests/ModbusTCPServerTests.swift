import CModbus
import Config
import Glibc
import Platform
import Synchronization
import Testing

@testable import ModbusServer

/// Real libmodbus clients against a server on a free port.
@Suite struct ModbusTCPServerTests {
    /// Unit 1: registers 100...109, 100...104 from the meter, 105 a gap, 106...109 status.
    func sampleStore(validUntil: UInt64? = .max) -> RegisterStore {
        let store = RegisterStore()
        store.publish(
            image(
                unit: 1, start: 100, [11, 12, 13, 14, 15, 0, 17, 18, 19, 20],
                meterDerived: [true, true, true, true, true, false, false, false, false, false], validUntil: validUntil))
        return store
    }

    @Test func readsValuesAndGaps() throws {
        try serving(sampleStore()) { server in
            let client = try #require(Client(port: server.port))
            #expect(client.read(100, 10).value == [11, 12, 13, 14, 15, 0, 17, 18, 19, 20])
            #expect(client.read(105, 1).value == [0])
            #expect(client.read(100, 10, input: true).value == [11, 12, 13, 14, 15, 0, 17, 18, 19, 20])
            #expect(client.read(109, 1, input: true).value == [20])
        }
    }

    @Test func outsideTheSpanIsIllegalAddress() throws {
        try serving(sampleStore()) { server in
            let client = try #require(Client(port: server.port))
            #expect(client.read(99, 1).error == .illegalAddress)
            #expect(client.read(99, 2).error == .illegalAddress)
            #expect(client.read(109, 2).error == .illegalAddress)
            #expect(client.read(110, 1, input: true).error == .illegalAddress)
            #expect(client.read(0, 125).error == .illegalAddress)
            #expect(client.read(100, 10).value?.count == 10)  // the connection is still good
        }
    }

    @Test func badQuantityIsIllegalValue() throws {
        try serving(sampleStore()) { server in
            let client = try #require(Client(port: server.port))
            // libmodbus's client refuses to send more than 125 itself; send the frames raw.
            #expect(client.raw([3, 0, 100, 0, 0]).value == [0x83, 3])
            #expect(client.raw([3, 0, 100, 0, 126]).value == [0x83, 3])
        }
    }

    @Test func writesAndOtherFunctionsAreIllegal() throws {
        try serving(sampleStore()) { server in
            let client = try #require(Client(port: server.port))
            #expect(modbus_write_register(client.context, 100, 1) == -1 && errno == ClientError.illegalFunction.code)
            var values: [UInt16] = [1, 2]
            #expect(modbus_write_registers(client.context, 100, 2, &values) == -1 && errno == ClientError.illegalFunction.code)
            #expect(modbus_write_bit(client.context, 100, 1) == -1 && errno == ClientError.illegalFunction.code)
            var bits: [UInt8] = [1]
            #expect(modbus_write_bits(client.context, 100, 1, &bits) == -1 && errno == ClientError.illegalFunction.code)
            #expect(modbus_mask_write_register(client.context, 100, 0, 1) == -1 && errno == ClientError.illegalFunction.code)
            var read = [UInt16](repeating: 0, count: 2)
            #expect(
                modbus_write_and_read_registers(client.context, 100, 2, &values, 100, 2, &read) == -1
                    && errno == ClientError.illegalFunction.code)
            #expect(modbus_read_bits(client.context, 100, 1, &bits) == -1 && errno == ClientError.illegalFunction.code)
            // Nothing was written.
            #expect(client.read(100, 2).value == [11, 12])
            // Unknown functions, with PDU bytes libmodbus does not frame (encapsulated interface
            // transport of another MEI type than device identification, 2B/0D/01/00): exception
            // 01, and the connection stays in step.
            #expect(client.raw([0x41]).value == [0xC1, 1])
            #expect(client.raw([0x2B, 0x0D, 0x01, 0x00]).value == [0xAB, 1])
            #expect(client.raw([0x11]).value == [0x91, 1])
            #expect(client.read(100, 2).value == [11, 12])
        }
    }

    @Test func inputRegistersCanBeSwitchedOffAndOnLive() throws {
        var configuration = ServerConfiguration(port: 0, inputRegisters: false)
        try serving(configuration, sampleStore()) { server in
            let client = try #require(Client(port: server.port))
            #expect(client.read(100, 1, input: true).error == .illegalFunction)
            #expect(client.read(100, 1).value == [11])
            configuration.inputRegisters = true
            server.update(configuration)
            #expect(client.read(100, 1, input: true).value == [11])
        }
    }

    @Test func unknownUnitIsGatewayPathUnavailable() throws {
        try serving(sampleStore()) { server in
            let client = try #require(Client(port: server.port, unit: 2))
            #expect(client.read(100, 1).error == .gatewayPath)
            #expect(client.read(100, 1, input: true).error == .gatewayPath)
            #expect(modbus_write_register(client.context, 100, 1) == -1 && errno == ClientError.gatewayPath.code)
        }
    }

    @Test(arguments: [nil, UInt64(1)])
    func staleMeterDataIsGatewayTargetFailed(validUntil: UInt64?) throws {
        let store = sampleStore(validUntil: validUntil)
        try serving(store) { server in
            let client = try #require(Client(port: server.port))
            #expect(client.read(100, 10).error == .gatewayTarget)
            #expect(client.read(104, 2, input: true).error == .gatewayTarget)
            #expect(client.read(105, 5).value == [0, 17, 18, 19, 20])  // gap and status registers
            // Fresh again: served on the same connection.
            let fresh = store.image(for: 1)!
            store.publish(
                UnitImage(
                    unitID: 1, start: fresh.start, registers: fresh.registers, meterDerived: fresh.meterDerived,
                    validUntil: MonotonicClock.now(plus: .seconds(60))))
            #expect(client.read(100, 2).value == [11, 12])
        }
    }

    @Test func aResponseNeverMixesTwoImages() throws {
        let store = RegisterStore()
        let count = 125
        store.publish(image(Array(repeating: 0, count: count)))
        try serving(store) { server in
            let done = Atomic<Bool>(false)
            let publisher = Flag()
            #expect(
                PosixThread.detach {
                    var counter: UInt16 = 0
                    while !done.load(ordering: .relaxed) {
                        counter &+= 1
                        store.publish(image(Array(repeating: counter, count: count)))
                    }
                    publisher.set()
                })
            defer {
                done.store(true, ordering: .relaxed)
                #expect(publisher.wait(.seconds(2)))
            }
            let clients = try (0..<3).map { _ in try #require(Client(port: server.port)) }
            var seen = Set<UInt16>()
            for _ in 0..<300 {
                for client in clients {
                    let values = try #require(client.read(0, count).value)
                    #expect(values.count == count && Set(values).count == 1, "torn response: \(Set(values).sorted())")
                    seen.insert(values[0])
                }
            }
            #expect(seen.count > 1, "the publisher never got a word in")
        }
    }

    @Test func connectionsBeyondTheLimitAreClosed() throws {
        let refusals = Refusals()
        try serving(ServerConfiguration(port: 0, maxConnections: 2), sampleStore(), onRefused: refusals.add) { server in
            var first = Client(port: server.port)
            #expect(first != nil)
            let second = try #require(Client(port: server.port))
            #expect(first?.read(100, 1).value == [11])
            #expect(second.read(100, 1).value == [11])
            let third = try #require(Client(port: server.port))  // the handshake completes in the kernel
            #expect(third.read(100, 1).value == nil)
            #expect(server.connectionCount == 2)
            #expect(eventually { refusals.all == [.init(client: "127.0.0.1", reason: .tooMany(2))] })
            #expect(refusals.all.first?.description == "refused a Modbus client from 127.0.0.1: max_connections (2) already open")

            first = nil  // disconnects: a place frees up
            #expect(eventually { server.connectionCount == 1 })
            let fourth = try #require(Client(port: server.port))
            #expect(fourth.read(100, 1).value == [11])
            #expect(second.read(100, 1).value == [11])
        }
    }

    @Test func clientsOutsideAllowAreClosed() throws {
        var configuration = ServerConfiguration(port: 0, allow: [IPv4Network("10.0.0.0/8")!])
        let refusals = Refusals()
        try serving(configuration, sampleStore(), onRefused: refusals.add) { server in
            let refused = try #require(Client(port: server.port))
            #expect(refused.read(100, 1).value == nil)
            #expect(server.connectionCount == 0)
            #expect(eventually { refusals.all.map(\.description) == ["refused a Modbus client from 127.0.0.1: not in allow"] })

            configuration.allow = [IPv4Network("10.0.0.0/8")!, IPv4Network("127.0.0.1")!]
            server.update(configuration)
            let allowed = try #require(Client(port: server.port))
            #expect(allowed.read(100, 1).value == [11])

            // Narrowing allow closes open connections it no longer admits.
            configuration.allow = [IPv4Network("10.0.0.0/8")!]
            server.update(configuration)
            #expect(eventually { server.connectionCount == 0 })
            #expect(allowed.read(100, 1).value == nil)
        }
    }

    @Test func listeningOnABusyPortFails() throws {
        try serving(sampleStore()) { server in
            let taken = ServerConfiguration(host: "127.0.0.1", port: server.port)
            let error = #expect(throws: ModbusServerError.self) {
                try ModbusTCPServer(configuration: taken, store: RegisterStore())
            }
            #expect(error?.description == "cannot listen on 127.0.0.1:\(server.port): Address already in use")
            #expect(error?.code == EADDRINUSE)
        }
        let nowhere = ServerConfiguration(host: "no-such-host.invalid", port: 0)
        let error = #expect(throws: ModbusServerError.self) {
            try ModbusTCPServer(configuration: nowhere, store: RegisterStore())
        }
        #expect(error?.description.hasPrefix("cannot listen on no-such-host.invalid:0: ") == true)
    }

    @Test func stopEndsRunAndEveryConnection() throws {
        let store = sampleStore()
        let server = try ModbusTCPServer(configuration: ServerConfiguration(port: 0), store: store)
        let finished = Flag()
        #expect(
            PosixThread.detach {
                server.run(); finished.set()
            })
        let idle = try #require(Client(port: server.port))
        let busy = try #require(Client(port: server.port))
        #expect(busy.read(100, 1).value == [11])
        let silent = rawConnect(port: server.port)
        defer { close(silent) }
        #expect(eventually { server.connectionCount == 3 })
        server.stop()
        #expect(finished.wait(.seconds(2)))
        #expect(server.connectionCount == 0)
        #expect(idle.read(100, 1).value == nil)
        #expect(Client(port: server.port) == nil)  // the listener is closed
        server.stop()  // idempotent
        server.run()  // returns at once once stopped
    }

    @Test func stopBeforeRun() throws {
        let server = try ModbusTCPServer(configuration: ServerConfiguration(port: 0), store: RegisterStore())
        server.stop()
        server.run()
        #expect(Client(port: server.port) == nil)
    }
}

/// The refusals a server reported, from its accepting thread.
final class Refusals: Sendable {
    private let list = Mutex<[ModbusTCPServer.Refusal]>([])
    var all: [ModbusTCPServer.Refusal] { list.withLock { $0 } }
    @Sendable func add(_ refusal: ModbusTCPServer.Refusal) { list.withLock { $0.append(refusal) } }
}
