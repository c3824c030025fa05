import Platform
import Testing

@testable import ModbusServer

@Suite struct RegisterStoreTests {
    @Test func publishReplacesOneUnit() {
        let store = RegisterStore()
        store.publish(image(unit: 1, [1, 2]))
        store.publish(image(unit: 2, [3]))
        store.publish(image(unit: 1, [4, 5, 6]))
        #expect(store.image(for: 1)?.registers == [4, 5, 6])
        #expect(store.image(for: 2)?.registers == [3])
        #expect(store.image(for: 3) == nil)
    }

    @Test func replaceAllDropsUnlistedUnits() {
        let store = RegisterStore()
        store.publish(image(unit: 1, [1]))
        store.publish(image(unit: 255, [2]))
        store.replaceAll([image(unit: 7, [3]), image(unit: 0, [4])])
        #expect(store.image(for: 1) == nil)
        #expect(store.image(for: 255) == nil)
        #expect(store.image(for: 7)?.registers == [3])
        #expect(store.image(for: 0)?.registers == [4])
    }

    @Test func servedTablesHoldTheImage() {
        let store = RegisterStore()
        store.publish(image(unit: 3, start: 100, [7, 0, 9]))
        let mapping = store.served(for: 3).image!.mapping.pointee
        #expect(mapping.start_registers == 100 && mapping.nb_registers == 3)
        #expect(mapping.start_input_registers == 100 && mapping.nb_input_registers == 3)
        #expect((0..<3).map { mapping.tab_registers[$0] } == [7, 0, 9])
        #expect((0..<3).map { mapping.tab_input_registers[$0] } == [7, 0, 9])
    }

    @Test func cacheFollowsPublications() {
        let store = RegisterStore()
        var cache = ImageCache()
        #expect(cache.image(for: 1, in: store) == nil)
        store.publish(image(unit: 1, [1]))
        #expect(cache.image(for: 1, in: store)?.image.registers == [1])
        store.publish(image(unit: 2, [2]))
        #expect(cache.image(for: 2, in: store)?.image.registers == [2])
        store.publish(image(unit: 1, [3]))
        #expect(cache.image(for: 1, in: store)?.image.registers == [3])
        store.replaceAll([])
        #expect(cache.image(for: 1, in: store) == nil)
    }

    @Test func freshness() {
        #expect(!image([1], validUntil: nil).isFresh(at: 0))
        #expect(image([1], validUntil: 10).isFresh(at: 9))
        #expect(!image([1], validUntil: 10).isFresh(at: 10))
        let now = MonotonicClock.now()
        #expect(MonotonicClock.now(plus: .seconds(1)) >= now + 1_000_000_000)
        #expect(MonotonicClock.now(plus: .seconds(Int64.max)) == .max)
    }
}
