/// Where the six `comma` codes C[6] live in T2K (PROTOCOL-NOTES decision 1).
///
/// The seed lists `comma` at 0x02FA, together with `diam78` I[2]. `diam` I[6] at 0x02EE ends at
/// 0x02F9, so `diam78` at 0x02FA is the natural reading, and 0x02E8...0x02ED (between `freqan_v`
/// and `diam`) is an unlisted hole of exactly six bytes. A real meter may use either.
public struct CommaAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The T2K address of system 1's code; system n's is `address + n − 1`.
    public let address: UInt16

    /// 0x02FA, where the seed lists `comma` (and the default before the meter is asked).
    public static let listed = CommaAddress(unchecked: T2KMap.comma)
    /// 0x02E8, the six-byte hole before `diam`.
    public static let hole = CommaAddress(unchecked: 0x02E8)
    /// The two candidates, the listed one first.
    public static let candidates = [listed, hole]

    private init(unchecked address: UInt16) { self.address = address }

    /// `0x2E8`, `0x02E8`, `0x2FA` or `0x02FA` (any case, `0x` optional); nil for anything else.
    public init?(parsing text: String) {
        var digits = Substring(text.lowercased())
        if digits.hasPrefix("0x") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 4, let value = UInt16(digits, radix: 16),
            let match = Self.candidates.first(where: { $0.address == value })
        else { return nil }
        self = match
    }

    /// The address of the code of system (channel) `n`, 1...6.
    public func code(system n: Int) -> UInt16 { address + UInt16(n - 1) }

    /// The six bytes at this location.
    public var range: ClosedRange<UInt16> { address...(address + 5) }

    /// `0x02E8`.
    public var description: String { "0x" + hex(UInt32(address), width: 4) }

    public static func < (a: CommaAddress, b: CommaAddress) -> Bool { a.address < b.address }
}

/// The valid `comma` codes: the seed's scaling tables go up to 6.
public enum CommaCode {
    public static let valid: ClosedRange<UInt8> = 0...6

    /// The number of systems whose codes decide, from a `systems` byte: 1...6 as is, anything
    /// else (a meter that says 0 or 9 systems) as all six.
    public static func systemsToCheck(_ systems: Int) -> Int { (1...6).contains(systems) ? systems : 6 }
}

/// The `comma` codes an archive record carries (record offset 0x118), and the kind of record.
public struct RecordComma: Sendable, Hashable {
    public var kind: ArchiveKind
    public var codes: [UInt8]

    public init(kind: ArchiveKind, codes: [UInt8]) {
        self.kind = kind
        self.codes = codes
    }
}

/// The choice of `comma` location for one meter, made from what the meter holds, and why.
///
/// A pure value: `CommaDecision(evidence:)` decides; `summary` is the line to log once per
/// meter; `warning` is set whenever the choice is a guess.
public struct CommaDecision: Sendable, Hashable, CustomStringConvertible {
    /// What the meter showed: the six bytes at each candidate, the newest archive record's
    /// `comma` (record offset 0x118) and the kind of record it came from, the `systems` byte.
    public struct Evidence: Sendable, Hashable {
        /// The six bytes at 0x02E8; nil if not read.
        public var atHole: [UInt8]?
        /// The six bytes at 0x02FA; nil if not read.
        public var atListed: [UInt8]?
        /// The newest archive record's `comma` and its kind; nil when there is no record.
        public var record: RecordComma?
        /// The meter's `systems` byte (only 1...`systems` are compared; see `CommaCode`).
        public var systems: Int
        /// A location fixed by the map or the command line: no detection.
        public var override: CommaAddress?

        public init(
            atHole: [UInt8]?, atListed: [UInt8]?, record: RecordComma?, systems: Int,
            override: CommaAddress? = nil
        ) {
            self.atHole = atHole
            self.atListed = atListed
            self.record = record
            self.systems = systems
            self.override = override
        }

        /// The bytes seen at `location`.
        public func bytes(at location: CommaAddress) -> [UInt8]? { location == .hole ? atHole : atListed }
    }

    /// Why the location was chosen.
    public enum Reason: Sendable, Hashable {
        /// Its codes for the configured systems equal those of the newest record of this kind.
        case agreesWithRecord(ArchiveKind)
        /// The map or the command line fixed it.
        case override
        /// No record agreed (or there is none); its codes are valid (0...6).
        case fallbackValid
        /// Neither location holds valid codes; the listed one is used.
        case neitherValid
    }

    /// The location to decode integrators with.
    public let address: CommaAddress
    public let reason: Reason
    /// What the decision was made from.
    public let evidence: Evidence
    /// Set when the choice is a guess: names both candidates and the bytes seen.
    public let warning: String?

    /// Decides. With an override, that; else the location whose codes for systems
    /// 1...`systems` equal the newest record's (0x02FA if both do); else 0x02FA if its codes are
    /// valid, else 0x02E8 if its are, else 0x02FA; the last three with a warning.
    public init(evidence: Evidence) {
        self.evidence = evidence
        let n = CommaCode.systemsToCheck(evidence.systems)
        func codes(_ location: CommaAddress) -> ArraySlice<UInt8>? {
            guard let bytes = evidence.bytes(at: location), bytes.count >= n else { return nil }
            return bytes.prefix(n)
        }
        if let forced = evidence.override {
            (address, reason, warning) = (forced, .override, nil)
            return
        }
        if let record = evidence.record, record.codes.count >= n,
            let agreeing = CommaAddress.candidates.first(where: { codes($0) == record.codes.prefix(n) })
        {
            (address, reason, warning) = (agreeing, .agreesWithRecord(record.kind), nil)
            return
        }
        let valid = CommaAddress.candidates.first { codes($0)?.allSatisfy(CommaCode.valid.contains) == true }
        address = valid ?? .listed
        reason = valid == nil ? .neitherValid : .fallbackValid
        let seen = CommaAddress.candidates.map { "\($0) holds \(evidence.bytes(at: $0).map(hexDump) ?? "(not read)")" }
        let why =
            if let record = evidence.record {
                "neither location agrees with the newest \(record.kind.rawValue) record's comma \(hexDump(record.codes))"
            } else {
                "no archive record to compare with"
            }
        let choice =
            valid == nil
            ? "neither holds valid codes (0...6) for systems 1...\(n); using \(address), integrators may be scaled wrongly"
            : "using \(address), the first with valid codes (0...6) for systems 1...\(n)"
        warning = "comma location is a guess: \(why); \(seen.joined(separator: ", ")); \(choice)"
    }

    /// `comma at 0x02E8 (agrees with the newest hourly record)`: the line to log once per meter.
    public var summary: String { "comma at \(address) (\(reasonText))" }

    /// The reason in words.
    public var reasonText: String {
        switch reason {
        case let .agreesWithRecord(kind): "agrees with the newest \(kind.rawValue) record"
        case .override: "fixed by comma_address or --comma-address, not detected"
        case .fallbackValid: "guessed: its codes are valid, no archive record agrees"
        case .neitherValid: "guessed: neither location holds valid codes"
        }
    }

    public var description: String { summary }
}
