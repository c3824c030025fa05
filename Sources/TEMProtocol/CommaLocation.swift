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

    /// The channels (1...6) whose codes scale something on this meter: systems 1...`systems`
    /// (energy, `energy.total` and `volume.7/8` use channel 1's) and every flow channel the
    /// configured systems use (`sys_g` C[6] at 0x0007: a bit field of channels per system, so a
    /// two-system meter with system 2 on channels 3 and 4 checks channels 1...4). Without
    /// `sysG`, systems 1...`systems` only.
    public static func channelsToCheck(systems: Int, sysG: [UInt8]? = nil) -> [Int] {
        let n = systemsToCheck(systems)
        var channels = Set(1...n)
        for byte in (sysG ?? []).prefix(n) {
            for bit in 0..<6 where byte & (1 << bit) != 0 { channels.insert(bit + 1) }
        }
        return channels.sorted()
    }

    /// `1...4` or `1, 2, 5`: channels as the warnings name them.
    static func text(_ channels: [Int]) -> String {
        if let first = channels.first, let last = channels.last, channels.count >= 2, last - first + 1 == channels.count {
            return "\(first)...\(last)"
        }
        return channels.map(String.init).joined(separator: ", ")
    }
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
        /// The meter's `systems` byte (see `CommaCode.channelsToCheck`).
        public var systems: Int
        /// The meter's `sys_g` bytes (flow channels per system); nil if not read.
        public var sysG: [UInt8]?
        /// The second witness: live integrators against the newest record's; nil if not read.
        public var continuity: IntegratorContinuity?
        /// A location fixed by the map or the command line: no detection.
        public var override: CommaAddress?

        public init(
            atHole: [UInt8]?, atListed: [UInt8]?, record: RecordComma?, systems: Int, sysG: [UInt8]? = nil,
            continuity: IntegratorContinuity? = nil, override: CommaAddress? = nil
        ) {
            self.atHole = atHole
            self.atListed = atListed
            self.record = record
            self.systems = systems
            self.sysG = sysG
            self.continuity = continuity
            self.override = override
        }

        /// The channels whose codes are compared and validated.
        public var channels: [Int] { CommaCode.channelsToCheck(systems: systems, sysG: sysG) }

        /// The bytes seen at `location`.
        public func bytes(at location: CommaAddress) -> [UInt8]? { location == .hole ? atHole : atListed }
    }

    /// Why the location was chosen.
    public enum Reason: Sendable, Hashable {
        /// Its codes for the checked channels equal those of the newest record of this kind.
        case agreesWithRecord(ArchiveKind)
        /// The live integrators scaled with its codes continue the newest record's of this kind,
        /// and scaled with the other location's they do not (`IntegratorContinuity`).
        case continuousWithRecord(ArchiveKind)
        /// Both locations hold the same valid codes for the checked channels: either scales alike.
        case sameEitherWay
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

    /// Decides, in this order: an override; the location whose codes for the checked channels
    /// (`CommaCode.channelsToCheck`) equal the newest record's (0x02FA if both do); both
    /// locations holding the same valid codes; the only location with valid codes whose scaling
    /// continues the record's integrators (`IntegratorContinuity`). Otherwise a guess, with a
    /// warning and `isConfirmed` false: 0x02FA if its codes are valid, else 0x02E8 if its are,
    /// else 0x02FA.
    public init(evidence: Evidence) {
        self.evidence = evidence
        let channels = evidence.channels
        func codes(_ bytes: [UInt8]?) -> [UInt8]? {
            guard let bytes, bytes.count >= 6 else { return nil }
            return channels.map { bytes[$0 - 1] }
        }
        func codes(_ location: CommaAddress) -> [UInt8]? { codes(evidence.bytes(at: location)) }
        func valid(_ location: CommaAddress) -> Bool { codes(location)?.allSatisfy(CommaCode.valid.contains) == true }
        if let forced = evidence.override {
            (address, reason, warning) = (forced, .override, nil)
            return
        }
        if let record = evidence.record, let recordCodes = codes(record.codes),
            let agreeing = CommaAddress.candidates.first(where: { codes($0) == recordCodes })
        {
            (address, reason, warning) = (agreeing, .agreesWithRecord(record.kind), nil)
            return
        }
        if valid(.listed), valid(.hole), codes(.listed) == codes(.hole) {
            (address, reason, warning) = (.listed, .sameEitherWay, nil)
            return
        }
        let continuous = CommaAddress.candidates.filter {
            valid($0) && evidence.continuity?.isContinuous(codes: evidence.bytes(at: $0) ?? []) == true
        }
        if let continuity = evidence.continuity, continuous.count == 1 {
            (address, reason, warning) = (continuous[0], .continuousWithRecord(continuity.kind), nil)
            return
        }
        let firstValid = CommaAddress.candidates.first(where: valid)
        address = firstValid ?? .listed
        reason = firstValid == nil ? .neitherValid : .fallbackValid
        let seen = CommaAddress.candidates.map { "\($0) holds \(evidence.bytes(at: $0).map(hexDump) ?? "(not read)")" }
        var why =
            if let record = evidence.record {
                "neither location agrees with the newest \(record.kind.rawValue) record's comma \(hexDump(record.codes))"
            } else {
                "no archive record to compare with"
            }
        if let continuity = evidence.continuity {
            why +=
                continuity.compared.isEmpty
                ? ", and its integrators are all 0"
                : continuous.isEmpty
                    ? ", and scaled from neither location do the live integrators continue its integrators"
                    : ", and scaled from either location the live integrators continue its integrators"
        }
        let checked = "channels \(CommaCode.text(channels))"
        let choice =
            firstValid == nil
            ? "neither holds valid codes (0...6) for \(checked); using \(address), integrators may be scaled wrongly"
            : "using \(address), the first with valid codes (0...6) for \(checked)"
        warning = "comma location is a guess: \(why); \(seen.joined(separator: ", ")); \(choice)"
    }

    /// The channels whose codes were checked, for `Plausibility`; nil with an override (nothing
    /// was read: the configured systems are checked then).
    public var checkedChannels: [Int]? { reason == .override ? nil : evidence.channels }

    /// True when a witness (or the map) settled the location; false for a guess, whose
    /// integrators are served flagged (`MeterQuality.commaUnconfirmed`).
    public var isConfirmed: Bool {
        switch reason {
        case .agreesWithRecord, .continuousWithRecord, .sameEitherWay, .override: true
        case .fallbackValid, .neitherValid: false
        }
    }

    /// `comma at 0x02E8 (agrees with the newest hourly record)`: the line to log once per meter.
    public var summary: String { "comma at \(address) (\(reasonText))" }

    /// The reason in words.
    public var reasonText: String {
        switch reason {
        case let .agreesWithRecord(kind): "agrees with the newest \(kind.rawValue) record"
        case let .continuousWithRecord(kind):
            "its scaling continues the newest \(kind.rawValue) record's integrators; the record's comma differs"
        case .sameEitherWay: "both locations hold the same codes"
        case .override: "fixed by comma_address or --comma-address, not detected"
        case .fallbackValid: "guessed: its codes are valid, no archive record agrees"
        case .neitherValid: "guessed: neither location holds valid codes"
        }
    }

    public var description: String { summary }
}
