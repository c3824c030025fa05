import Config
import TEMProtocol
import Yams

// The `register_sets` section and the register entries in it (docs/MAPPING.md, "Register entries").
extension MappingReader {
    mutating func readRegisterSets(_ node: Node) {
        guard case let .mapping(sets) = node else {
            read.report("expected a mapping of register set names to lists, got \(NodeReader.describe(node))", at: node)
            setsReadable = false
            return
        }
        for (keyNode, value) in sets {
            guard case let .scalar(key) = keyNode, !NodeReader.isNull(key) else {
                read.report("expected a register set name, got \(NodeReader.describe(keyNode))", at: keyNode)
                continue
            }
            if let index = readEntryList(value, setName: key.string) { setIndex[key.string] = index }
        }
    }

    /// Reads a list of entries into `lists`; nil (reported) when the node is not a list.
    mutating func readEntryList(_ node: Node, setName: String?) -> Int? {
        guard let items = read.list(node) else { return nil }
        if items.isEmpty {
            read.report(setName.map { "register set '\($0)' is empty" } ?? "the register list is empty", at: node)
        }
        var list = ReadList(setName: setName, position: Position(node))
        list.entries.reserveCapacity(items.count)
        for item in items { list.entries.append(readEntry(item)) }
        lists.append(list)
        return lists.count - 1
    }

    mutating func readEntry(_ node: Node) -> ReadEntry {
        let position = Position(node)
        var result = ReadEntry(position: position, label: "the entry at \(position.line):\(position.column)")
        guard let fields = read.fields(of: node, allowed: Self.entryKeys) else { return result }
        let problemsBefore = read.problems.count

        let addressNode = read.required("address", in: fields)
        let address = addressNode.flatMap { read.integer($0, in: 0...65535, what: "address") }

        var type: RegisterType? = .float32
        if let node = fields["type"] { type = read.choice(node, what: "type") { $0.lowercased() } }
        var order: WordOrder? = .ABCD
        if let node = fields["order"] { order = read.choice(node, what: "order") { $0.uppercased() } }

        var source: RegisterEntry.Source?
        switch (fields["value"], fields["raw"]) {
        case (nil, nil):
            read.report("missing 'value' or 'raw' (an entry needs one of them)", at: node)
        case (.some, .some):
            read.report("give either 'value' or 'raw', not both", at: node)
            if let value = fields["value"], case let .scalar(scalar) = value { result.label = scalar.string }
        case let (value?, nil):
            if let name = read.string(value) {
                result.label = name
                if let definition = ValueCatalog.definition(named: name) {
                    source = .value(definition)
                } else {
                    read.report("unknown value '\(name)'\(valueHint(name))", at: value)
                }
            }
        case let (nil, raw?):
            source = readRaw(raw)
            if case let .raw(t2k, fieldType)? = source { result.label = "raw \(hex(Int(t2k))) \(fieldType.rawValue)" }
        }

        var scale: Double?
        if let node = fields["scale"], let value = read.number(node), let type {
            if !type.isInteger {
                read.report("scale applies to integer types, not \(type.rawValue)", at: node)
            } else if value == 0 {
                read.report("scale must not be 0", at: node)
            } else {
                scale = value
            }
        }
        var description: String?
        if let node = fields["description"] { description = read.string(node) }

        if let address, let type, let addressNode {
            let last = address + type.registerCount - 1
            if last > 65535 {
                read.report("register \(address)..\(last) runs past 65535", at: addressNode)
            } else {
                result.range = address...last
            }
        }
        if read.problems.count == problemsBefore, let address, let type, let order, let source {
            result.entry = RegisterEntry(
                address: UInt16(address), source: source, type: type, order: order,
                scale: scale, description: description)
        }
        return result
    }

    mutating func readRaw(_ node: Node) -> RegisterEntry.Source? {
        guard let fields = read.fields(of: node, allowed: Self.rawKeys) else { return nil }
        let t2kNode = read.required("t2k", in: fields)
        var t2k = t2kNode.flatMap { read.integer($0) }
        if let value = t2k, let t2kNode, !Self.t2kAddresses.contains(value) {
            read.report("t2k address \(hex(value)) is out of range 0x0000...0x07FF", at: t2kNode)
            t2k = nil
        }
        var type: FieldType?
        if let node = read.required("type", in: fields) { type = read.choice(node, what: "raw type") { $0.lowercased() } }
        guard let t2k, let type, let t2kNode else { return nil }
        let last = t2k + type.size - 1
        guard last <= Self.t2kAddresses.upperBound else {
            read.report("raw \(type.rawValue) at \(hex(t2k)) runs past 0x07FF, the end of T2K memory", at: t2kNode)
            return nil
        }
        return .raw(t2k: UInt16(t2k), type: type)
    }

    mutating func valueHint(_ name: String) -> String {
        if let hint = valueHints[name] { return hint }
        let hint = Suggestion.hint(for: name, in: Self.valueNames)
        valueHints[name] = hint
        return hint
    }
}
