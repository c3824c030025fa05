/// "Did you mean …?" for misspelt keys and names.
enum Suggestion {
    /// The candidate closest to `word` by edit distance (ignoring case), if it is close enough to
    /// be a likely typo; on a tie, the earliest candidate.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let target = Array(word.lowercased().unicodeScalars)
        let allowed = target.count <= 4 ? 1 : target.count <= 10 ? 2 : 3
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let other = Array(candidate.lowercased().unicodeScalars)
            guard abs(other.count - target.count) <= allowed else { continue }
            let distance = editDistance(target, other)
            if distance <= allowed, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// The parenthesised hint after "unknown X 'word'": the likely intended candidate, else
    /// the whole list when it is short enough to read.
    static func hint(for word: String, in candidates: [String]) -> String {
        if let match = closest(to: word, in: candidates) { return " (did you mean '\(match)'?)" }
        if candidates.isEmpty { return "" }
        if candidates.count > 12 { return "" }
        return " (expected one of: \(candidates.joined(separator: ", ")))"
    }

    /// Levenshtein distance: insertions, deletions and substitutions cost 1.
    private static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
